// @vitest-environment edge-runtime
import { afterEach, beforeEach, describe, expect, it, vi } from "@effect/vitest"
import { Api, type Event, Ingest, SignIn } from "@opensync/domain"
import { internal } from "../_generated/api.js"
import type { Id } from "../_generated/dataModel.js"
import { approximateBytes, sessionRow } from "../lib/docs.js"
import { termsOf } from "../lib/search.js"
import { maxMessageChars } from "../lib/size.js"
import {
  type Backend,
  type CountedTable,
  client,
  countRows,
  createUser,
  drain,
  makeBackend,
  tuning,
  userIdOf
} from "./backend.harness.js"
import { eventMaker, fakeClockEachTest } from "./fixtures.harness.js"

/** Convex functions beyond the HTTP contract: limits-sensitive paths, deletion jobs, migrations, sign-in, keys. */

const t0 = Date.UTC(2025, 2, 3, 10)
const day = 86_400_000
const event = eventMaker("evt_test")
/** Events built loosely for tests, typed as the encoded events the mutations take (the mutations decode them). */
const encoded = (event: object) => event as Event.EventEncoded

/** Counts a user's rows in every table that holds session data. */
const rowsOf = async (t: Backend, userId: Id<"users">) => {
  const tables: ReadonlyArray<CountedTable> = [
    "sessions",
    "messages",
    "toolCalls",
    "events",
    "searchChunks",
    "usageRollup",
    "usageByModel",
    "usageByProject",
    "toolRollup",
    "toolByDay"
  ]
  const out: Record<string, number> = {}
  for (const table of tables) out[table] = await countRows(t, table, userId)
  return out
}

const empty = {
  sessions: 0,
  messages: 0,
  toolCalls: 0,
  events: 0,
  searchChunks: 0,
  usageRollup: 0,
  usageByModel: 0,
  usageByProject: 0,
  toolRollup: 0,
  toolByDay: 0
}

describe("sync.recordEvents", () => {
  it("applies the domain's ingestion: stored, duplicate, stale; rollups and the session count follow", async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const userId = userIdOf(alice)
    const start = event({ kind: "session", sessionId: "s1", at: t0, startedAt: t0, title: "One", projectName: "p" })
    const reply = event({
      kind: "message",
      sessionId: "s1",
      at: t0 + 10,
      messageId: "m1",
      role: "assistant",
      createdAt: t0 + 10,
      model: "claude-sonnet-4-5",
      usage: { input: 1_000, output: 1_000 }
    })
    const older = { ...reply, id: "evt_test_older", at: t0 + 5, text: "older" }
    expect(
      await t.mutation(internal.sync.recordEvents, { userId, events: [start, reply, reply].map(encoded) })
    ).toEqual({
      stored: [start.id, reply.id],
      duplicates: [reply.id],
      stale: [],
      deleted: [],
      deferred: []
    })
    expect(await t.mutation(internal.sync.recordEvent, { userId, event: encoded(older) })).toEqual({
      stored: [],
      duplicates: [],
      stale: [older.id],
      deleted: [],
      deferred: []
    })
    const rows = () =>
      t.run(async (ctx) => ({
        count: (await ctx.db.get(userId))?.sessionCount ?? 0,
        pending: (await ctx.db.query("sessionCounts").collect()).map((row) => row.delta),
        rollup: (
          await ctx.db
            .query("usageByModel")
            .withIndex("by_key", (q) => q.eq("userId", userId))
            .collect()
        ).map((r) => [r.day, r.model, r.project, r.sessions, r.messages, r.input, r.costUsd])
      }))
    const rollup = [["2025-03-03", "claude-sonnet-4-5", "*", 1, 1, 1_000, 0.018]]
    // written without touching the user's document; the compaction folds the count in
    expect(await rows()).toEqual({ count: 0, pending: [1], rollup })
    vi.useFakeTimers()
    try {
      await drain(t)
    } finally {
      vi.useRealTimers()
    }
    expect(await rows()).toEqual({ count: 1, pending: [], rollup })
  })

  it("keeps every message document under 1 MiB by the stated size policy", async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    const wide = "語".repeat(250_000)
    const result = await http("POST", "/sync/events", {
      events: [
        event({
          kind: "message",
          sessionId: "big",
          at: t0,
          messageId: "m1",
          role: "assistant",
          createdAt: t0,
          text: wide,
          thinking: wide,
          parts: Array.from({ length: 20 }, () => ({ type: "text", text: wide.slice(0, 100_000) }))
        })
      ]
    })
    expect([result.status, result.body.stored.length]).toEqual([200, 1])
    const stored = await t.run((ctx) => ctx.db.query("messages").first())
    const bytes = new TextEncoder().encode(JSON.stringify(stored)).length
    expect({ under1MiB: bytes < 1_000_000, truncated: stored?.truncated, chars: stored!.text.length }).toEqual({
      under1MiB: true,
      truncated: true,
      chars: 200_000
    })
    expect(approximateBytes(stored) <= 3 * maxMessageChars + 100_000).toEqual(true)
    const detail = await http("GET", "/api/sessions/big")
    expect(detail.body.messages[0].parts.length).toEqual(20)
  })
})

describe("limits: more data than one function may read", () => {
  fakeClockEachTest({ now: t0 + 400 * day })
  beforeEach(() => {
    Object.assign(tuning, {
      listScanDocuments: 60,
      readPage: 40,
      detailPage: 40,
      cleanupBatch: 30,
      sessionsPerDeleteStep: 15,
      mutationEvents: 40
    })
  })

  it("lists, pages, counts, reads and deletes with every call inside a 250-document read limit", async () => {
    const t = makeBackend({ documentsRead: 250 })
    const alice = await createUser(t, "Alice")
    const bob = await createUser(t, "Bob")
    const userId = userIdOf(alice)
    const http = client(t, alice.key)
    const total = 300
    const rare = new Set([7, 150, 290])
    const sessions = Array.from({ length: total }, (_, i) =>
      event({
        kind: "session",
        sessionId: `bulk-${String(i).padStart(3, "0")}`,
        source: rare.has(i) ? "pi" : "claude-code",
        at: t0 + i * day,
        startedAt: t0 + i * day,
        projectName: "bulk",
        title: `Bulk ${i}`
      })
    )
    const messages = Array.from({ length: 120 }, (_, i) =>
      event({
        kind: "message",
        sessionId: "bulk-000",
        at: t0 + i,
        messageId: `m${i}`,
        role: "user",
        text: `hi ${i}`,
        createdAt: t0 + i
      })
    )
    for (const events of [sessions.slice(0, 150), sessions.slice(150), messages]) {
      const reply = await http("POST", "/sync/events", { events })
      expect([reply.status, reply.body.stored.length]).toEqual([200, events.length])
    }
    await http(
      "POST",
      "/sync/events",
      {
        events: [event({ kind: "session", sessionId: "bobs", at: t0, startedAt: t0, projectName: "bulk" })]
      },
      bob.key
    )

    const pages = async (query: string) => {
      const seen: Array<string> = []
      const sizes: Array<number> = []
      let cursor: string | null = null
      do {
        const page = await http("GET", `/api/sessions?${query}${cursor === null ? "" : `&cursor=${cursor}`}`)
        expect(page.status).toEqual(200)
        seen.push(...page.body.sessions.map((s: Api.SessionSummary) => s.id))
        sizes.push(page.body.sessions.length)
        cursor = page.body.nextCursor
      } while (cursor !== null && sizes.length < 20)
      return { seen, sizes }
    }
    // two selective filters: the index by source and project holds exactly the matches, so the pages are full
    expect(await pages("project=bulk&source=pi&limit=2")).toEqual({
      seen: ["bulk-290", "bulk-150", "bulk-007"],
      sizes: [2, 1]
    })
    // a filter no index bounds (`to` while the scan runs by updatedAt from `from`): short pages, each call within its
    // scan budget, a cursor where the budget ran out, every match exactly once
    const residual = await pages(`from=${t0 + 5 * day}&to=${t0 + 10 * day}&limit=2`)
    expect(residual.seen).toEqual(["bulk-010", "bulk-009", "bulk-008", "bulk-007", "bulk-006", "bulk-005"])
    expect(residual.sizes.filter((n) => n === 0).length > 2).toEqual(true)

    const ids = await http("GET", "/sync/sessions/list")
    expect(ids.body.sessionIds.length).toEqual(total)
    expect(new Set(ids.body.sessionIds).size).toEqual(total)

    const stats = await http("GET", `/api/stats?from=${t0 - day}&to=${t0 + total * day}&bucket=month`)
    expect([stats.status, stats.body.totals.sessions, stats.body.totals.messages]).toEqual([200, total, 120])
    expect(stats.body.bySource.map((s: { source: string; sessions: number }) => [s.source, s.sessions]).sort()).toEqual(
      [
        ["claude-code", total - 3],
        ["pi", 3]
      ]
    )

    const detail = await http("GET", "/api/sessions/bulk-000")
    expect(detail.body.messages.map((m: { id: string }) => m.id)).toEqual(messages.map((m) => m.messageId))

    const removed = await http("DELETE", "/api/sessions/bulk-000")
    expect(removed.body).toEqual({ deleted: true, sessionId: "bulk-000", messages: 120, toolCalls: 0 })
    await drain(t)
    expect((await rowsOf(t, userId)).messages).toEqual(0)
    expect((await rowsOf(t, userId)).events).toEqual(total - 1)

    const all = await http("DELETE", "/api/data")
    expect(all.body).toEqual({ status: "scheduled", sessions: total - 1 })
    await drain(t)
    expect(await rowsOf(t, userId)).toEqual(empty)
    expect((await http("GET", "/api/keys")).body.keys.length).toEqual(1)
    expect((await rowsOf(t, userIdOf(bob))).sessions).toEqual(1)
    expect((await http("GET", "/api/stats?from=0")).body.totals.sessions).toEqual(0)
  }, 240_000)
})

describe("migrations", () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it("addSourceToExisting gives pre-existing sessions without source `opencode`, in resumable batches", async () => {
    const t = makeBackend({ documentsRead: 400 })
    const alice = await createUser(t, "Alice")
    const userId = userIdOf(alice)
    await t.run(async (ctx) => {
      for (let i = 0; i < 250; i++) {
        const { source: _source, ...legacy } = sessionRow(Ingest.emptySession(`old-${i}`, "x", t0 + i), userId)
        await ctx.db.insert("sessions", legacy)
      }
      await ctx.db.insert("sessions", sessionRow(Ingest.emptySession("new", "claude-code", t0), userId))
    })
    const http = client(t, alice.key)
    // reads already treat a missing source as opencode
    expect((await http("GET", "/api/sessions/old-1")).body.session.source).toEqual("opencode")

    const first = await t.mutation(internal.migrations.addSourceToExisting, { batchSize: 100 })
    expect(first).toEqual({ name: "addSourceToExisting", processed: 100, changed: 100, done: false })
    await drain(t)
    const status = await t.query(internal.migrations.status, { name: "addSourceToExisting" })
    expect(status).toEqual({ name: "addSourceToExisting", started: true, processed: 251, done: true })
    const sources = await t.run(async (ctx) => (await ctx.db.query("sessions").collect()).map((s) => s.source))
    expect(sources.filter((s) => s === "opencode").length).toEqual(250)
    expect(sources.filter((s) => s === "claude-code").length).toEqual(1)
    // a finished migration does nothing when run again; `restart` runs it over again
    expect(await t.mutation(internal.migrations.addSourceToExisting, {})).toEqual({
      name: "addSourceToExisting",
      processed: 251,
      changed: 0,
      done: true
    })
    const again = await t.mutation(internal.migrations.addSourceToExisting, { restart: true, batchSize: 300 })
    expect(again).toEqual({ name: "addSourceToExisting", processed: 251, changed: 0, done: true })
    const bySource = await http("GET", "/api/sessions?source=opencode&limit=200")
    expect(bySource.body.sessions.length).toEqual(200)
  })

  it("runs every migration to the end a step at a time, each step scheduling the next under the migration's name", async () => {
    const t = makeBackend()
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    const events = [1, 2, 3].map((i) =>
      event({
        kind: "message",
        sessionId: `legacy-${i}`,
        at: t0 + i,
        messageId: "m",
        role: "user",
        createdAt: t0 + i,
        text: `hello ${i}`
      })
    )
    expect((await http("POST", "/sync/events", { events })).body.stored.length).toEqual(3)
    // what documents stored before each migration's field or table existed lack
    await t.run(async (ctx) => {
      for (const doc of await ctx.db.query("sessions").collect()) {
        await ctx.db.patch(doc._id, { source: undefined, titleText: undefined })
      }
      for (const doc of await ctx.db.query("searchChunks").collect()) await ctx.db.patch(doc._id, { terms: undefined })
      for (const doc of await ctx.db.query("sessionIds").collect()) await ctx.db.delete(doc._id)
    })
    const migrations = [
      ["addSourceToExisting", internal.migrations.addSourceToExisting],
      ["addTitleText", internal.migrations.addTitleText],
      ["addSessionIds", internal.migrations.addSessionIds],
      ["addSearchTerms", internal.migrations.addSearchTerms]
    ] as const
    for (const [name, migration] of migrations) {
      const first = await t.mutation(migration, { batchSize: 1 })
      expect(first).toEqual({ name, processed: 1, changed: 1, done: false })
      await drain(t)
      const status = await t.query(internal.migrations.status, { name })
      expect(status).toEqual({ name, started: true, processed: 3, done: true })
    }
    const stored = await t.run(async (ctx) => ({
      sessions: (await ctx.db.query("sessions").collect()).map((s) => [s.id, s.source, s.titleText]),
      chunks: (await ctx.db.query("searchChunks").collect()).map((c) => c.terms === termsOf(c.text)),
      ids: (await ctx.db.query("sessionIds").collect()).map((row) => row.id).sort()
    }))
    expect(stored).toEqual({
      sessions: [1, 2, 3].map((i) => [`legacy-${i}`, "opencode", ""]),
      chunks: [true, true, true],
      ids: ["legacy-1", "legacy-2", "legacy-3"]
    })
  })

  it("bounds a step by bytes whatever its batch size: 100 sessions of 243 KB migrate under the 16 MiB read limit", async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const userId = userIdOf(alice)
    for (let from = 0; from < 100; from += 20) {
      await t.run(async (ctx) => {
        for (let i = from; i < from + 20; i++) {
          const session = { ...Ingest.emptySession(`big-${i}`, "x", t0 + i), title: `${i} ${"x".repeat(121_000)}` }
          const { source: _source, ...legacy } = sessionRow(session, userId)
          await ctx.db.insert("sessions", legacy)
        }
      })
    }
    const first = await t.mutation(internal.migrations.addSourceToExisting, { batchSize: 100 })
    // 4 MiB of 243 KB documents: 17 or so, not the 100 asked for (24 MB, past the 16 MiB a call may read)
    expect([first.processed > 0, first.processed < 25, first.done]).toEqual([true, true, false])
    await drain(t)
    expect(await t.query(internal.migrations.status, { name: "addSourceToExisting" })).toEqual({
      name: "addSourceToExisting",
      started: true,
      processed: 100,
      done: true
    })
    // every session now has its source (the list reads 8 MiB a call: follow its cursor)
    const http = client(t, alice.key)
    let migrated = 0
    let cursor: string | null = null
    do {
      const page: { body: Api.SessionPage } = await http(
        "GET",
        `/api/sessions?source=opencode&limit=200${cursor === null ? "" : `&cursor=${cursor}`}`
      )
      migrated += page.body.sessions.length
      cursor = page.body.nextCursor
    } while (cursor !== null)
    expect(migrated).toEqual(100)
  }, 120_000)
})

describe("dashboard sign-in", () => {
  it("a sign-in works until it expires; the token itself is never stored", async () => {
    vi.useFakeTimers({ now: t0 })
    try {
      const t = makeBackend()
      const alice = await createUser(t, "Alice")
      const http = client(t, alice.key)
      const signIn = await client(t, "")("POST", "/auth/session", { apiKey: alice.key })
      expect(signIn.status).toEqual(201)
      expect(signIn.body.expiresAt).toEqual(t0 + SignIn.lifetimeMs)
      const token = signIn.body.token as string
      const stored = await t.run((ctx) => ctx.db.query("authSessions").collect())
      expect(JSON.stringify(stored).includes(token)).toEqual(false)
      expect((await http("GET", "/auth/me", undefined, token)).status).toEqual(200)
      vi.setSystemTime(t0 + SignIn.lifetimeMs + 1)
      expect((await http("GET", "/auth/me", undefined, token)).status).toEqual(401)
    } finally {
      vi.useRealTimers()
    }
  })
  it("a sign-in made before sign-ins had a public id is listed, revoked under that id, and migrated to keep it", async () => {
    const t = makeBackend()
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    const signIns = []
    for (let i = 0; i < 2; i++) {
      signIns.push((await client(t, "")("POST", "/auth/session", { apiKey: alice.key })).body.token as string)
    }
    // what a sign-in stored before `publicId` existed lacks
    await t.run(async (ctx) => {
      for (const doc of await ctx.db.query("authSessions").collect())
        await ctx.db.patch(doc._id, { publicId: undefined })
    })
    const listed = (await http("GET", "/api/sign-ins")).body.signIns as Array<{ id: string; createdAt: number }>
    expect(listed).toHaveLength(2)
    const [first, second] = listed.map((signIn) => signIn.id)
    // revoking one ends that sign-in, and only that one
    expect((await http("DELETE", `/api/sign-ins/${first}`)).status).toEqual(200)
    const alive = await Promise.all(
      signIns.map(async (token) => (await http("GET", "/auth/me", undefined, token)).status)
    )
    expect(alive.sort()).toEqual([200, 401])
    // the migration gives the other the id it is listed under, so the index finds it from now on
    expect(await t.mutation(internal.migrations.addSignInPublicIds, {})).toMatchObject({ changed: 2, done: true })
    expect((await http("GET", "/api/sign-ins")).body.signIns.map((signIn: { id: string }) => signIn.id)).toEqual([
      second
    ])
    expect((await http("DELETE", `/api/sign-ins/${second}`)).status).toEqual(200)
    expect((await http("GET", "/api/sign-ins")).body.signIns).toEqual([])
  })
})

describe("users", () => {
  it("users:create makes a user with a first full key; users:createKey adds ingest keys by default", async () => {
    const t = makeBackend()
    const alice = await createUser(t, "Alice")
    expect([/^osk_[0-9A-Za-z]{38}$/.test(alice.key), alice.scope]).toEqual([true, "full"])
    await expect(t.action(internal.users.create, { name: " " })).rejects.toThrow(/user name/)
    const plugin = await t.action(internal.users.createKey, { userId: userIdOf(alice), name: "laptop" })
    expect([plugin.scope, plugin.name]).toEqual(["ingest", "laptop"])
    const keys = await client(t, alice.key)("GET", "/api/keys")
    expect(keys.body.keys.map((k: { id: string; scope: string }) => [k.id, k.scope])).toEqual([
      [alice.id, "full"],
      [plugin.id, "ingest"]
    ])
    expect((await client(t, plugin.key)("GET", "/api/keys")).status).toEqual(403)
  })
})
