// @vitest-environment edge-runtime
import { describe, expect, it, vi } from "@effect/vitest"
import { internal } from "../_generated/api.js"
import type { Id } from "../_generated/dataModel.js"
import type { MutationCtx } from "../_generated/server.js"
import { rebuildToolsByDay } from "../lib/rollups.js"
import { client, createUser, drain, makeBackend, tuning, userIdOf } from "./backend.harness.js"
import { conflicts, injectIntoMutation, recordOne, recordTransactions, type Transaction } from "./deployment.harness.js"
import { eventMaker, fakeClockEachTest } from "./fixtures.harness.js"

/**
 * Hot documents and write conflicts: what real Convex would retry (and then fail) when several machines sync one user
 * at once. convex-test runs transactions one at a time, so conflicts are computed from each mutation's recorded reads,
 * index ranges and writes (`deployment.harness.ts`): `conflicts(a, b)` lists what `a` writes that `b` depends on.
 */

const t0 = Date.UTC(2025, 2, 3, 10)
const day = 86_400_000
const event = eventMaker("evt_scale")
let batches = 0

/** One batch of a busy session: its start, a priced reply and a tool call, all on the same day, model and project. */
const batch = (sessionId: string) => {
  const b = ++batches
  return [
    event({ kind: "session", sessionId, at: t0, startedAt: t0, projectName: "p" }),
    event({
      kind: "message",
      sessionId,
      at: t0 + 1,
      messageId: `m-${b}`,
      role: "assistant",
      createdAt: t0 + 1,
      text: "done",
      model: "claude-sonnet-4-5",
      usage: { input: 100, output: 50 }
    }),
    event({
      kind: "tool_call",
      sessionId,
      at: t0 + 2,
      callId: `c-${b}`,
      name: "Bash",
      status: "completed",
      startedAt: t0 + 2,
      durationMs: 5
    })
  ]
}

const pairs = (txs: ReadonlyArray<Transaction>) =>
  txs.flatMap((a, i) =>
    txs.flatMap((b, j) => (i === j ? [] : conflicts(a, b).map((c) => `${a.name}#${i} → ${b.name}#${j}: ${c}`)))
  )

describe("concurrent syncs of one user", () => {
  fakeClockEachTest({ now: t0 + 30 * day, toFake: ["setTimeout", "clearTimeout", "Date"] })

  /** 8 batches of 8 sessions of one user at once (same day, model, project and tool): their recorded mutations. */
  const concurrentBatches = async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    const txs = await recordTransactions(async () => {
      const replies = await Promise.all(
        Array.from({ length: 8 }, (_, s) => http("POST", "/sync/events", { events: batch(`par-${s}`) }))
      )
      expect(replies.map((r) => [r.status, r.body.stored.length])).toEqual(replies.map(() => [200, 3]))
    })
    const ingest = txs.filter((tx) => tx.name === "sync:recordEvents")
    const touches = txs.filter((tx) => tx.name === "apiKeys:touch")
    expect([ingest.length, touches.length > 0]).toEqual([8, true])
    expect(ingest.every((tx) => tx.writes.size > 0)).toEqual(true)
    return { t, ingest, touches }
  }

  it("8 batches of 8 sessions (same day, model, project and tool) and their key's last use touch disjoint documents", async () => {
    const { t, ingest, touches } = await concurrentBatches()
    expect(pairs([...ingest, ...touches])).toEqual([])

    // the compaction that sums their rollup rows never invalidates a batch (it may itself be retried)
    const compaction = await recordOne("rollups:compact", () => drain(t))
    expect(compaction.writes.size > 0).toEqual(true)
    expect(ingest.flatMap((tx) => conflicts(compaction, tx))).toEqual([])
    expect(ingest.some((tx) => conflicts(tx, compaction).length > 0)).toEqual(true)
  })

  it("fails the same batches when each also writes one hot document, or reads a range the others insert into", async () => {
    // what the design avoids, injected into every ingestion mutation: the user's session count kept as a
    // read-modify-write of the user's document; the count summed by the writer from the user's uncompacted changes
    const hot: ReadonlyArray<readonly [string, (ctx: MutationCtx, args: { userId: Id<"users"> }) => Promise<void>]> = [
      [
        "users",
        async (ctx, { userId }) => {
          const user = await ctx.db.get(userId)
          await ctx.db.patch(userId, { sessionCount: (user?.sessionCount ?? 0) + 1 })
        }
      ],
      [
        "sessionCounts",
        async (ctx, { userId }) => {
          await ctx.db
            .query("sessionCounts")
            .withIndex("by_user", (q) => q.eq("userId", userId))
            .collect()
        }
      ]
    ]
    for (const [table, write] of hot) {
      const stop = injectIntoMutation("sync:recordEvents", write)
      try {
        const { ingest } = await concurrentBatches()
        // every batch now depends on what every other batch writes, through that table
        for (const [i, a] of ingest.entries()) {
          for (const [j, b] of ingest.entries()) {
            if (i === j) continue
            expect([table, i, j, conflicts(a, b).some((c) => c.startsWith(`${table} `))]).toEqual([table, i, j, true])
          }
        }
        expect(pairs(ingest).length >= 8 * 7).toEqual(true)
      } finally {
        stop()
      }
    }
  })

  it("sees the conflict that is unavoidable: two machines writing the same session", async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    await http("POST", "/sync/events", { events: batch("shared") })
    const txs = await recordTransactions(async () => {
      await Promise.all([
        http("POST", "/sync/events", { events: batch("shared").slice(1) }),
        http("POST", "/sync/events", { events: batch("shared").slice(1) })
      ])
    })
    const ingest = txs.filter((tx) => tx.name === "sync:recordEvents")
    expect(conflicts(ingest[0]!, ingest[1]!).some((c) => c.startsWith("sessions "))).toEqual(true)
  })

  it("answers the same stats before and after compaction, and compaction leaves one row per key", async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    await Promise.all(Array.from({ length: 8 }, (_, s) => http("POST", "/sync/events", { events: batch(`st-${s}`) })))
    const range = `/api/stats?from=${t0 - day}&to=${t0 + day}`
    const rows = () => t.run(async (ctx) => (await ctx.db.query("usageRollup").collect()).length)
    const before = (await http("GET", range)).body
    expect([before.totals.sessions, before.totals.input, await rows()]).toEqual([8, 800, 8])
    await drain(t)
    expect([(await http("GET", range)).body, await rows()]).toEqual([before, 1])
    const count = await t.run(async (ctx) => (await ctx.db.get(userIdOf(alice)))?.sessionCount)
    expect(count).toEqual(8)
  })
})

describe("the sweeper", () => {
  fakeClockEachTest({ now: t0, toFake: ["setTimeout", "clearTimeout", "Date"] })

  it("folds a key's recorded uses into the key, which lists the same last use before and after", async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    await http("GET", "/auth/me")
    vi.setSystemTime(t0 + 61_000)
    await http("GET", "/auth/me")
    const listed = (await http("GET", "/api/keys")).body.keys[0].lastUsedAt
    expect(listed).toEqual(t0 + 61_000)
    const stored = () =>
      t.run(async (ctx) => ({
        uses: (await ctx.db.query("lastUses").collect()).length,
        key: (await ctx.db.query("apiKeys").first())?.lastUsedAt
      }))
    expect(await stored()).toEqual({ uses: 2, key: null })
    expect(await t.mutation(internal.maintenance.sweep, {})).toEqual({ uses: 2, restarted: 0 })
    expect(await stored()).toEqual({ uses: 0, key: t0 + 61_000 })
    expect((await http("GET", "/api/keys")).body.keys[0].lastUsedAt).toEqual(t0 + 61_000)
  })

  /** Alice with five stored sessions, which a DELETE /api/data removes two per step. */
  const fiveSessionsToDelete = async (prefix: string) => {
    Object.assign(tuning, { sessionsPerDeleteStep: 2 })
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    await http("POST", "/sync/events", { events: [1, 2, 3, 4, 5].flatMap((s) => batch(`${prefix}-${s}`)) })
    await drain(t)
    const dataJobs = async () =>
      (await t.run((ctx) => ctx.db.system.query("_scheduled_functions").collect())).filter(
        (job) => job.state.kind === "pending" && job.name.startsWith("data")
      )
    /** Cancels the deletion's pending steps, as a failed step or a paused deployment loses them. */
    const loseSteps = async () => {
      const lost = await dataJobs()
      await t.run(async (ctx) => {
        for (const job of lost) await ctx.scheduler.cancel(job._id)
      })
    }
    return { t, alice, http, pendingSteps: async () => (await dataJobs()).length, loseSteps }
  }

  it("a second DELETE /api/data while one is under way starts no second chain of steps; a stalled one restarts", async () => {
    const { t, http, pendingSteps, loseSteps } = await fiveSessionsToDelete("again")
    for (let i = 0; i < 3; i++) expect((await http("DELETE", "/api/data")).status).toEqual(200)
    expect(await pendingSteps()).toEqual(1)
    // the chain's step is lost; past the stall limit, the next DELETE starts it again
    await loseSteps()
    vi.setSystemTime(t0 + tuning.stalledDeletionMs + 1_000)
    for (let i = 0; i < 2; i++) expect((await http("DELETE", "/api/data")).status).toEqual(200)
    expect(await pendingSteps()).toEqual(1)
    await drain(t)
    expect((await http("GET", "/api/data")).body).toEqual({ status: "done", sessions: 0 })
  })

  it("finishes a DELETE /api/data whose next step never ran, and GET /api/data follows it", async () => {
    const { t, alice, http, loseSteps } = await fiveSessionsToDelete("del")
    expect((await http("DELETE", "/api/data")).body).toEqual({ status: "scheduled", sessions: 5 })
    expect((await http("GET", "/api/data")).body).toEqual({ status: "scheduled", sessions: 5 })
    // one step runs, then the deployment loses the next one (a failed step, a paused deployment)
    await t.mutation(internal.data.deleteAllStep, { userId: userIdOf(alice) })
    await loseSteps()
    await drain(t)
    expect((await http("GET", "/api/data")).body).toEqual({ status: "running", sessions: 3 })
    expect((await t.mutation(internal.maintenance.sweep, {})).restarted).toEqual(0)
    vi.setSystemTime(t0 + tuning.stalledDeletionMs + 1_000)
    expect((await t.mutation(internal.maintenance.sweep, {})).restarted).toEqual(1)
    await drain(t)
    expect((await http("GET", "/api/data")).body).toEqual({ status: "done", sessions: 0 })
    expect((await http("GET", "/sync/sessions/list")).body.sessionIds).toEqual([])
  })
})

describe("toolByDay: the tools of a period with the project summed out", () => {
  fakeClockEachTest({ now: t0 + 30 * day, toFake: ["setTimeout", "clearTimeout", "Date"] })

  /** A session on day `d` (from t0) in `project`, with one call of `tool`. */
  const sessionOn = (sessionId: string, d: number, project: string, tool: string) => [
    event({ kind: "session", sessionId, at: t0 + d * day, startedAt: t0 + d * day, projectName: project }),
    event({
      kind: "tool_call",
      sessionId,
      at: t0 + d * day + 1,
      callId: `${sessionId}-call`,
      name: tool,
      status: "completed",
      startedAt: t0 + d * day + 1,
      durationMs: 5
    })
  ]
  const range = `/api/stats?from=${t0 - day}&to=${t0 + 5 * day}`
  const calls = (body: { tools: ReadonlyArray<{ tool: string; calls: number }> }) =>
    body.tools.map((row) => [row.tool, row.calls])

  /** `toolByDay` as it should be: `toolRollup`'s rows summed over their projects, as `day/source/tool=calls`. */
  const tables = (t: ReturnType<typeof makeBackend>) =>
    t.run(async (ctx) => {
      const summed = new Map<string, number>()
      for (const row of await ctx.db.query("toolRollup").collect()) {
        const key = `${row.day}/${row.source}/${row.tool}`
        summed.set(key, (summed.get(key) ?? 0) + row.calls)
      }
      const byDay = new Map<string, number>()
      for (const row of await ctx.db.query("toolByDay").collect()) {
        expect(row.project).toEqual("*")
        const key = `${row.day}/${row.source}/${row.tool}`
        byDay.set(key, (byDay.get(key) ?? 0) + row.calls)
      }
      const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1))
      return { expected: sorted(summed), byDay: sorted(byDay) }
    })

  it("is written with toolRollup for users made since, and their stats read it", async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const http = client(t, alice.key)
    await http("POST", "/sync/events", {
      events: [
        ...sessionOn("a", 0, "p1", "Bash"),
        ...sessionOn("b", 0, "p2", "Bash"),
        ...sessionOn("c", 1, "p1", "Read")
      ]
    })
    await drain(t)
    const { expected, byDay } = await tables(t)
    expect(byDay).toEqual(expected)
    expect(expected.length).toEqual(2)
    expect(calls((await http("GET", range)).body)).toEqual([
      ["Bash", 2],
      ["Read", 1]
    ])
    // The stats come from toolByDay (a row changed there shows), unless a project is filtered.
    await t.run(async (ctx) => {
      const read = await ctx.db
        .query("toolByDay")
        .filter((q) => q.eq(q.field("tool"), "Read"))
        .first()
      await ctx.db.patch(read!._id, { calls: 7 })
    })
    expect(calls((await http("GET", range)).body)).toEqual([
      ["Read", 7],
      ["Bash", 2]
    ])
    expect(calls((await http("GET", `${range}&project=p1`)).body)).toEqual([
      ["Bash", 1],
      ["Read", 1]
    ])
  })

  it("is rebuilt a day at a time for a user made before it, counting what is synced meanwhile once", async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const userId = userIdOf(alice)
    const http = client(t, alice.key)
    await http("POST", "/sync/events", {
      events: [
        ...sessionOn("a", 0, "p1", "Bash"),
        ...sessionOn("b", 0, "p2", "Bash"),
        ...sessionOn("c", 1, "p1", "Read"),
        ...sessionOn("d", 2, "p2", "Bash")
      ]
    })
    await drain(t)
    // As a deployment made before toolByDay left it: no rows there, and the user without the flag.
    await t.run(async (ctx) => {
      for (const doc of await ctx.db.query("toolByDay").collect()) await ctx.db.delete(doc._id)
      await ctx.db.patch(userId, { toolsByDay: undefined })
    })
    const before = calls((await http("GET", range)).body)
    expect(before).toEqual([
      ["Bash", 3],
      ["Read", 1]
    ])
    // The first step rebuilds day 0 only; a sync then adds to day 0 (rebuilt) and day 2 (not yet), in both tables.
    const stopped = await t.run((ctx) => rebuildToolsByDay(ctx, userId, null, 1))
    expect(stopped).toEqual({ day: "2025-03-03", source: "claude-code" })
    expect(calls((await http("GET", range)).body)).toEqual(before)
    await http("POST", "/sync/events", {
      events: [...sessionOn("e", 0, "p1", "Bash"), ...sessionOn("f", 2, "p1", "Read")]
    })
    // Deleting day 1's only session takes its share out of both tables: toolRollup has nothing left of that day, and
    // toolByDay (which never had it) a row below zero, which the rebuild must remove although toolRollup has no row.
    expect((await http("DELETE", "/api/sessions/c")).status).toEqual(200)
    await drain(t)
    const during = calls((await http("GET", range)).body)
    expect(during).toEqual([
      ["Bash", 4],
      ["Read", 1]
    ])
    // The migration rebuilds the rest (from the start again: rebuilding is idempotent) and sets the flag.
    await t.mutation(internal.migrations.addToolByDay, {})
    await drain(t)
    const { expected, byDay } = await tables(t)
    expect(byDay).toEqual(expected)
    expect(await t.run(async (ctx) => (await ctx.db.get(userId))?.toolsByDay)).toEqual(true)
    expect(calls((await http("GET", range)).body)).toEqual(during)
    expect(await t.mutation(internal.migrations.addToolByDay, {})).toMatchObject({ done: true, changed: 0 })
  })
})
