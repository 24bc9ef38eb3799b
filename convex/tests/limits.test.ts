// @vitest-environment edge-runtime
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Event } from "@opensync/domain"
import { internal } from "../_generated/api.js"
import { client, countRows, createUser, drain, makeBackend, tuning, userIdOf } from "./backend.harness.js"
import { eventMaker, fakeClockEachTest } from "./fixtures.harness.js"

/**
 * Paths that grow with a user's data, run under Convex's per-function limits as this project designs for them
 * (4,096 documents and index ranges read, 16 MiB read, 8 MiB written): each case failed before its fix.
 */

const MiB = 1024 * 1024
const convexLimits = { documentsRead: 4_096, databaseQueries: 4_096, bytesRead: 16 * MiB, bytesWritten: 8 * MiB }
const t0 = Date.UTC(2025, 2, 3, 10)
const day = 86_400_000

const event = eventMaker("evt_limits")

const message = (sessionId: string, i: number, fields: Record<string, unknown> = {}) =>
  event({
    kind: "message",
    sessionId,
    at: t0 + i,
    messageId: `m${i}`,
    role: "assistant",
    createdAt: t0 + i,
    text: `reply ${i}`,
    ...fields
  })

describe("Convex limits as data grows", () => {
  fakeClockEachTest({ now: t0 + 400 * day })

  it("cleans up a deleted session of 30 messages of 600 KB each (18 MB) in steps that read under 16 MiB", async () => {
    const t = makeBackend(convexLimits)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    const big = "漢".repeat(200_000)
    for (let part = 0; part < 3; part++) {
      const events = Array.from({ length: 10 }, (_, i) => message("big", part * 10 + i, { text: big }))
      const reply = await http("POST", "/sync/events", { events })
      expect([reply.status, reply.body.stored.length]).toEqual([200, 10])
    }
    const detail = await http("GET", "/api/sessions/big")
    expect([detail.status, detail.body.messages.length]).toEqual([200, 30])
    expect(await http("DELETE", "/api/sessions/big")).toMatchObject({ status: 200, body: { messages: 30 } })
    await drain(t)
    const userId = userIdOf(alice)
    expect([await countRows(t, "messages", userId), await countRows(t, "searchChunks", userId)]).toEqual([0, 0])
  })

  // Hundreds of scheduled steps through convex-test: slow on a loaded machine, so a longer limit than the default.
  it("deletes all data of sessions with many tools, each step within the index reads allowed", {
    timeout: 180_000
  }, async () => {
    // 30 sessions of 25 tools need 30 x (2 x 25 + 3) = 1,590 rollup updates: more than one call may make here
    Object.assign(tuning, { deleteStepRollupRows: 200 })
    const t = makeBackend({ ...convexLimits, databaseQueries: 400 })
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    const sessions = 30
    const tools = 25
    const events = Array.from({ length: sessions * tools }, (_, i) => {
      const s = Math.floor(i / tools)
      return event({
        kind: "tool_call",
        sessionId: `s${s}`,
        at: t0 + i,
        callId: `c${i}`,
        name: `tool-${s}-${i % tools}`,
        status: "completed",
        startedAt: t0 + i,
        durationMs: 5
      })
    })
    for (let i = 0; i < events.length; i += 1_000) {
      const reply = await http("POST", "/sync/events", { events: events.slice(i, i + 1_000) })
      expect([reply.status, reply.body.stored.length]).toEqual([200, Math.min(1_000, events.length - i)])
    }
    const userId = userIdOf(alice)
    expect(await countRows(t, "toolRollup", userId)).toEqual(sessions * tools)
    expect(await countRows(t, "toolByDay", userId)).toEqual(sessions * tools)
    // As a deployment made before toolByDay left it; the migration rebuilds it, each step within the limits too.
    await t.run(async (ctx) => {
      for (const doc of await ctx.db.query("toolByDay").collect()) await ctx.db.delete(doc._id)
      await ctx.db.patch(userId, { toolsByDay: undefined })
    })
    await t.mutation(internal.migrations.addToolByDay, {})
    await drain(t)
    expect(await countRows(t, "toolByDay", userId)).toEqual(sessions * tools)
    expect(await t.run(async (ctx) => (await ctx.db.get(userId))?.toolsByDay)).toEqual(true)
    expect((await http("DELETE", "/api/data")).body).toEqual({ status: "scheduled", sessions })
    await drain(t)
    expect([
      await countRows(t, "sessions", userId),
      await countRows(t, "toolCalls", userId),
      await countRows(t, "toolRollup", userId),
      await countRows(t, "toolByDay", userId),
      await countRows(t, "usageRollup", userId)
    ]).toEqual([0, 0, 0, 0, 0])
  })

  it("applies one message to each of 60 sessions of 45 KB (2.7 MB) in mutations that write under 2 MiB", async () => {
    Object.assign(tuning, { mutationBytes: 1 * MiB, mutationSessionBytes: 512 * 1024 })
    const t = makeBackend({ ...convexLimits, bytesWritten: 2 * MiB })
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    const long = (c: string) => c.repeat(4_096)
    // eight of the session's text fields (all but `startType` and `parentSessionId`), 4 KiB each
    const fields = Event.sessionTextFields.filter((field) => field !== "startType" && field !== "parentSessionId")
    const starts = Array.from({ length: 60 }, (_, s) =>
      event({
        kind: "session",
        sessionId: `wide-${s}`,
        at: t0,
        startedAt: t0,
        ...Object.fromEntries(fields.map((f, i) => [f, long(String.fromCharCode(97 + ((s + i) % 26)))]))
      })
    )
    for (let i = 0; i < starts.length; i += 20) {
      const reply = await http("POST", "/sync/events", { events: starts.slice(i, i + 20) })
      expect([reply.status, reply.body.stored.length]).toEqual([200, 20])
    }
    const replies = starts.map((_, s) => message(`wide-${s}`, 1_000 + s, { model: "claude-sonnet-4-5" }))
    const reply = await http("POST", "/sync/events", { events: replies })
    expect([reply.status, reply.body.stored.length, reply.body.duplicates.length]).toEqual([200, 60, 0])
    const again = await http("POST", "/sync/events", { events: replies })
    expect([again.body.stored.length, again.body.duplicates.length]).toEqual([0, 60])
    const stats = await http("GET", `/api/stats?from=${t0 - day}&to=${t0 + day}`)
    expect([stats.body.totals.sessions, stats.body.totals.messages]).toEqual([60, 60])
  })

  it("takes 1,000 events touching 1,000 new sessions in one request", async () => {
    const t = makeBackend(convexLimits)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    const events = Array.from({ length: 1_000 }, (_, s) =>
      message(`many-${s}`, s, { usage: { input: 10, output: 5 }, model: "claude-sonnet-4-5" })
    )
    const reply = await http("POST", "/sync/events", { events })
    expect([reply.status, reply.body.stored.length]).toEqual([200, 1_000])
    const ids = await http("GET", "/sync/sessions/list")
    expect(ids.body.sessionIds.length).toEqual(1_000)
  })
})

describe("size policy: free-form names", () => {
  it("cuts a message's model before it reaches the session and the rollups, so the rest of the batch is stored", async () => {
    const t = makeBackend(convexLimits)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    const huge = message("named", 1, { model: "m".repeat(1_200_000), usage: { input: 1, output: 1 } })
    const plain = message("plain", 2)
    const reply = await http("POST", "/sync/events", { events: [huge, plain] })
    expect([reply.status, reply.body.stored]).toEqual([200, [huge.id, plain.id]])
    const detail = await http("GET", "/api/sessions/named")
    expect([detail.body.session.model.length, detail.body.messages[0].model.length]).toEqual([1_024, 1_024])
    const stats = await http("GET", `/api/stats?from=${t0 - day}&to=${t0 + day}`)
    expect(stats.body.byModel.map((m: { model: string }) => m.model.length)).toContain(1_024)
  })
})

describe("the dashboard's public session functions", () => {
  const saved = { ...tuning }
  afterEach(() => {
    Object.assign(tuning, saved)
  })

  it("reject list parameters the HTTP layer would reject, with a BadRequest", async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const page = (params: Record<string, unknown>) =>
      t.query(internal.sessions.list, {
        userId: userIdOf(alice),
        params: { sort: "updatedAt", order: "desc", limit: 50, ...params } as never
      })
    const failure = (params: Record<string, unknown>) =>
      page(params).then(
        () => "accepted",
        (error: { data?: { _tag?: string; error?: string } }) => `${error.data?._tag}: ${error.data?.error}`
      )
    expect(await page({})).toEqual({ sessions: [], nextCursor: null })
    expect(await failure({ limit: 0 })).toEqual(
      "BadRequest: Invalid params.limit: Expected a number between 1 and 200, actual 0"
    )
    expect(await failure({ limit: 100_000 })).toMatch(/^BadRequest: Invalid params\.limit/)
    expect(await failure({ limit: 2.5 })).toMatch(/^BadRequest: Invalid params\.limit/)
    expect(await failure({ cursor: "not-a-cursor" })).toEqual(
      "BadRequest: Invalid cursor: pass back the nextCursor of a previous page unchanged."
    )
    expect(await failure({ q: "x".repeat(501) })).toMatch(/^BadRequest: Invalid params\.q/)
  })

  it("serve at most one detail page of messages, whatever numItems a client asks for", async () => {
    Object.assign(tuning, { detailPage: 50 })
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    const events = Array.from({ length: 120 }, (_, i) => message("chatty", i))
    expect((await http("POST", "/sync/events", { events })).body.stored.length).toEqual(120)
    const head = await t.query(internal.sessions.head, { userId: userIdOf(alice), id: "chatty" })
    const first = await t.query(internal.sessions.messagesPage, {
      sessionDoc: head!.sessionDoc,
      paginationOpts: { numItems: 100_000, cursor: null }
    })
    expect([first.page.length, first.isDone]).toEqual([50, false])
  })
})

describe("sign-ins as they pile up", () => {
  fakeClockEachTest({ now: t0 + 400 * day })

  /** `count` sign-ins of `user` with key `keyId`, written as `signIns:create` writes them, a thousand per call. */
  const signIns = async (
    t: ReturnType<typeof makeBackend>,
    user: { readonly userId: string },
    keyId: string,
    count: number,
    createdAt: number,
    prefix: string
  ) => {
    for (let done = 0; done < count; done += 1_000) {
      await t.run(async (ctx) => {
        for (let i = done; i < Math.min(count, done + 1_000); i++) {
          await ctx.db.insert("authSessions", {
            userId: userIdOf(user),
            hash: `${prefix}${i}`.padEnd(64, "0"),
            keyId,
            createdAt: createdAt + i,
            expiresAt: createdAt + i + 7 * day,
            revokedAt: null,
            publicId: `sgn_${prefix}${i}`,
            userAgent: "curl/8",
            lastSeenAt: createdAt + i
          })
        }
      })
    }
  }

  it("revokes a key with more sign-ins than one call may read: it and every sign-in end at once", async () => {
    Object.assign(tuning, { revokeSignInsPerStep: 500 })
    const t = makeBackend(convexLimits)
    const alice = await createUser(t, "Alice")
    const owner = client(t, alice.key)
    const stolen = (await owner("POST", "/api/keys", { name: "laptop", scope: "full" })).body as {
      id: string
      key: string
    }
    const thief = client(t, stolen.key)
    const signIn = await thief("POST", "/auth/session", { apiKey: stolen.key })
    expect(signIn.status).toBe(201)
    // 5,000 more, as a stolen key can make: revoking it read them all in one call, over the 4,096 documents allowed.
    await signIns(t, alice, stolen.id, 5_000, Date.now() - 1_000_000, "flood")
    const revoked = await owner("DELETE", `/api/keys/${stolen.id}`)
    expect(revoked.status).toBe(200)
    expect((await thief("GET", "/api/keys")).status).toBe(401)
    expect((await thief("GET", "/api/sessions", undefined, signIn.body.token)).status).toBe(401)
    // The sign-ins are also marked revoked, a page per step.
    await drain(t)
    let live = 0
    let cursor: string | null = null
    for (let done = false; !done; ) {
      const page: { live: number; cursor: string; done: boolean } = await t.run(async (ctx) => {
        const result = await ctx.db
          .query("authSessions")
          .withIndex("by_key", (q) => q.eq("keyId", stolen.id))
          .paginate({ numItems: 1_000, cursor })
        const live = result.page.filter((row) => row.revokedAt === null).length
        return { live, cursor: result.continueCursor, done: result.isDone }
      })
      live += page.live
      cursor = page.cursor
      done = page.done
    }
    expect(live).toBe(0)
    // Settings lists the owner's sign-ins without reading the revoked ones, which stay until they expire (a filter on
    // them scanned all 5,001, past the limit: 500)
    const mine = await owner("POST", "/auth/session", { apiKey: alice.key })
    expect(mine.status).toBe(201)
    const listed = await owner("GET", "/api/sign-ins", undefined, mine.body.token)
    expect(listed.status).toBe(200)
    expect(listed.body.signIns).toHaveLength(1)
  })

  it("deletes expired sign-ins as new ones are made, and lists the newest when there are more than it shows", async () => {
    Object.assign(tuning, { expiredSignInsPerCreate: 100 })
    const t = makeBackend(convexLimits)
    const alice = await createUser(t, "Alice")
    const owner = client(t, alice.key)
    const keys = (await owner("GET", "/api/keys")).body.keys as ReadonlyArray<{ id: string }>
    const keyId = keys[0]?.id ?? ""
    await signIns(t, alice, keyId, 150, Date.now() - 30 * day, "old")
    await signIns(t, alice, keyId, 250, Date.now() - day, "recent")
    const mine = await owner("POST", "/auth/session", { apiKey: alice.key })
    expect(mine.status).toBe(201)
    const count = () => t.run(async (ctx) => (await ctx.db.query("authSessions").collect()).length)
    // 100 of the 150 expired ones went with that sign-in, the rest with the next.
    expect(await count()).toBe(150 + 250 + 1 - 100)
    expect((await owner("POST", "/auth/session", { apiKey: alice.key })).status).toBe(201)
    expect(await count()).toBe(250 + 2)
    // 252 live sign-ins, 200 listed: the newest, the caller's own among them.
    const listed = (await owner("GET", "/api/sign-ins", undefined, mine.body.token)).body.signIns as ReadonlyArray<{
      createdAt: number
      current: boolean
    }>
    expect(listed).toHaveLength(200)
    expect(listed.some((s) => s.current)).toBe(true)
    expect(listed.map((s) => s.createdAt)).toEqual([...listed.map((s) => s.createdAt)].sort((a, b) => b - a))
  })
})
