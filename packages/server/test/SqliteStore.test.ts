import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import { SessionStore } from "@opensync/backend/SessionStore"
import { Event, Ids, Stats } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { storageLayer } from "../src/Server.js"
import * as Ingest from "../src/sqlite/ingest.js"
import { LocalKeys } from "../src/sqlite/Keys.js"
import { SearchIndex } from "../src/sqlite/SearchIndex.js"
import * as Sessions from "../src/sqlite/sessions.js"

const dataDir = mkdtempSync(join(tmpdir(), "opensync-store-"))
const TestLayer = storageLayer(dataDir).pipe(Layer.provide(NodeContext.layer))

const day = 86_400_000
const t0 = Date.UTC(2026, 9, 1)

/** A deterministic mix of sessions, messages (some re-sent with new content) and tool calls over several days. */
const generate = (userSeed: number) => {
  const events: Array<Event.Event> = []
  let n = 0
  const make = <E extends Omit<Event.Event, "id">>(e: E) =>
    ({ ...e, id: Ids.EventId.make(`u${userSeed}-${n++}`) }) as unknown as Event.Event
  for (let s = 0; s < 12; s++) {
    const sessionId = Ids.SessionId.make(`s${s}`)
    const source = s % 3 === 0 ? "opencode" : "claude-code"
    const start = t0 + (s % 5) * day
    events.push(
      make({
        kind: "session",
        source,
        sessionId,
        at: start,
        title: `Session ${s}`,
        projectName: `p${s % 4}`,
        startedAt: start
      })
    )
    for (let m = 0; m < 6; m++) {
      const createdAt = start + m * 3_600_000 * (s % 2 === 0 ? 7 : 1)
      const message = {
        kind: "message" as const,
        source,
        sessionId,
        at: createdAt,
        messageId: Ids.MessageId.make(`m${m}`),
        role: m % 2 === 0 ? ("user" as const) : ("assistant" as const),
        // Session 7 says "pelicans" where the others say "pelican": a search for the prefix `pelican` finds it although
        // the whole word has hits enough to skip counting the prefix's (`Sessions.searchClause`).
        text: `message ${m} of session ${s} mentions ${m % 3 === 0 ? "flamingo" : "walrus"} and ${s === 7 ? "pelicans" : "pelican"}`,
        thinking: null,
        parts: [],
        model: m % 4 === 1 ? "claude-haiku-4-5" : "claude-sonnet-4-5",
        createdAt,
        usage: { input: 10 * m, output: 5 * m, cacheRead: 100 * m, cacheWrite5m: m, cacheWrite1h: 0, reasoning: 0 },
        countUsage: true
      }
      events.push(make(message))
      if (m === 3)
        events.push(
          make({ ...message, at: createdAt + 10, text: "rewritten", usage: { ...message.usage, output: 999 } })
        )
      if (m % 2 === 1) {
        events.push(
          make({
            kind: "tool_call",
            source,
            sessionId,
            at: createdAt + 5,
            callId: Ids.ToolCallId.make(`c${m}`),
            name: m === 3 ? "Bash" : "Read",
            status: m === 5 ? "error" : "completed",
            startedAt: createdAt + 1,
            durationMs: 40 * m,
            input: { summary: null, paths: [], bytes: 10 },
            output: { bytes: 3, exitCode: null, error: null }
          })
        )
      }
    }
  }
  return events
}

/** Rollup tables must always equal the sum of what the stored sessions contribute. */
const checkRollupsMatchSessions = (userId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [fromRollup] = yield* sql<{ sessions: number; messages: number; output: number; cost: number }>`
      SELECT coalesce(sum(sessions), 0) AS sessions, coalesce(sum(messages), 0) AS messages,
        coalesce(sum(output), 0) AS output, round(coalesce(sum(cost_usd), 0), 6) AS cost
      FROM usage_rollup WHERE user_id = ${userId}`
    const [fromSessions] = yield* sql<{ sessions: number; messages: number; output: number; cost: number }>`
      SELECT count(*) AS sessions, coalesce(sum(message_count), 0) AS messages,
        coalesce(sum(json_extract(data, '$.usage.output')), 0) AS output, round(coalesce(sum(cost_usd), 0), 6) AS cost
      FROM sessions WHERE user_id = ${userId}`
    const [tools] = yield* sql<{ calls: number; expected: number }>`
      SELECT (SELECT coalesce(sum(calls), 0) FROM tool_rollup WHERE user_id = ${userId}) AS calls,
        (SELECT count(*) FROM tool_calls WHERE user_id = ${userId}) AS expected`
    expect(fromRollup).toEqual(fromSessions)
    for (const table of ["usage_by_model", "usage_by_project"]) {
      const [coarse] = yield* sql<{ sessions: number; messages: number; output: number; cost: number }>`
        SELECT coalesce(sum(sessions), 0) AS sessions, coalesce(sum(messages), 0) AS messages,
          coalesce(sum(output), 0) AS output, round(coalesce(sum(cost_usd), 0), 6) AS cost
        FROM ${sql(table)} WHERE user_id = ${userId}`
      expect(coarse).toEqual(fromSessions)
    }
    expect(tools.calls).toBe(tools.expected)
    // The tools by day (project summed out) are the tool rollup's rows summed over projects, row by row.
    const byDay = yield* sql`SELECT day, source, tool, calls, errors, duration_ms, timed FROM tool_by_day
      WHERE user_id = ${userId} ORDER BY day, source, tool`
    const summed = yield* sql`SELECT day, source, tool, sum(calls) AS calls, sum(errors) AS errors,
        sum(duration_ms) AS duration_ms, sum(timed) AS timed
      FROM tool_rollup WHERE user_id = ${userId} GROUP BY day, source, tool ORDER BY day, source, tool`
    expect(byDay).toEqual(summed)
  })

/**
 * The sort and filter columns of every stored session equal its record (`data`): an update writes only the columns
 * that changed (migration 10), so a column left behind would sort or filter the session by an old value.
 */
const checkColumnsMatchData = (userId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ sessions: number; stale: number }>`
      SELECT count(*) AS sessions, coalesce(sum(
        started_at IS NOT data ->> '$.startedAt' OR updated_at IS NOT data ->> '$.updatedAt'
        OR title IS NOT data ->> '$.title' OR source IS NOT data ->> '$.source' OR model IS NOT data ->> '$.model'
        OR parent_session_id IS NOT data ->> '$.parentSessionId' OR cost_usd IS NOT data ->> '$.costUsd'
        OR total_tokens IS NOT data ->> '$.totalTokens' OR message_count IS NOT data ->> '$.messageCount'
        OR duration_ms IS NOT data ->> '$.durationMs'
        OR project IS NOT coalesce(data ->> '$.projectName', '(none)')), 0) AS stale
      FROM sessions WHERE user_id = ${userId}`
    expect(row?.sessions).toBeGreaterThan(0)
    expect(row?.stale).toBe(0)
  })

const withUsers = (...users: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const keys = yield* LocalKeys
    for (const user of users) yield* keys.ensureUser(user, user)
    return yield* SessionStore
  })

const user = (id: string) => Ids.UserId.make(id)

layer(TestLayer)("SQLite session store", (it) => {
  it.effect("ingests in batches of any size with the same result, and rollups always match the sessions", () =>
    Effect.gen(function* () {
      const store = yield* withUsers("whole", "chunked", "reversed")
      const events = generate(1)
      const whole = yield* store.ingest(user("whole"), events)
      expect(whole.stored.length + whole.stale.length).toBe(events.length)
      for (let i = 0; i < events.length; i += 7) yield* store.ingest(user("chunked"), events.slice(i, i + 7))
      const reversed = [...events].reverse()
      for (let i = 0; i < reversed.length; i += 5) yield* store.ingest(user("reversed"), reversed.slice(i, i + 5))
      const [a, b, c] = yield* Effect.all(
        ["whole", "chunked", "reversed"].map((id) =>
          Effect.map(store.list(user(id), { sort: "startedAt", order: "asc", limit: 200 }), (page) =>
            page.sessions.map(({ updatedAt: _u, ...rest }) => rest)
          )
        )
      )
      expect(b).toEqual(a)
      expect(c).toEqual(a)
      for (const id of ["whole", "chunked", "reversed"]) {
        yield* checkRollupsMatchSessions(id)
        yield* checkColumnsMatchData(id)
      }
      const again = yield* store.ingest(user("whole"), events)
      expect(again.stored).toEqual([])
      expect(again.duplicates.length).toBe(events.length)
    })
  )

  it.effect("deleting sessions takes their share out of the rollups and the search index", () =>
    Effect.gen(function* () {
      const store = yield* withUsers("deleter")
      yield* store.ingest(user("deleter"), generate(2))
      const before = yield* store.list(user("deleter"), {
        q: "flamingo",
        sort: "updatedAt",
        order: "desc",
        limit: 200
      })
      expect(before.sessions.length).toBe(12)
      for (const id of ["s0", "s5", "s7"]) expect((yield* store.remove(user("deleter"), id))._tag).toBe("Some")
      yield* checkRollupsMatchSessions("deleter")
      const after = yield* store.list(user("deleter"), {
        q: "flamingo",
        sort: "updatedAt",
        order: "desc",
        limit: 200
      })
      expect(after.sessions.map((s) => s.id).sort()).toEqual(["s1", "s10", "s11", "s2", "s3", "s4", "s6", "s8", "s9"])
      const range = Stats.rangeOf({ bucket: "month", from: t0 - day, to: t0 + 30 * day }, Date.now())
      if (typeof range === "string") throw new Error(range)
      const stats = yield* store.stats(user("deleter"), range, {})
      expect(stats.totals.sessions).toBe(9)
      expect(stats.tools.find((t) => t.tool === "Read")).toEqual({
        tool: "Read",
        calls: 18,
        errors: 9,
        failureRate: 0.5,
        totalDurationMs: 9 * (40 + 200),
        avgDurationMs: 120
      })
    })
  )

  it.effect("a text search finds the same sessions whether it gathers message hits first or checks each session", () =>
    Effect.gen(function* () {
      const store = yield* withUsers("searcher")
      // A session whose two messages were synced before and after all the others: the rowid range of its messages
      // holds every other session's hits, and only its second message matches (`pelican*`, not `pelican`).
      const wide = (n: number, text: string) =>
        ({
          id: Ids.EventId.make(`wide-${n}`),
          kind: "message",
          source: "codex",
          sessionId: Ids.SessionId.make("wide"),
          at: t0 + n,
          messageId: Ids.MessageId.make(`w${n}`),
          role: "user",
          text,
          thinking: null,
          parts: [],
          createdAt: t0 + n,
          countUsage: true
        }) as unknown as Event.Event
      const wideSession = {
        id: Ids.EventId.make("wide-0"),
        kind: "session",
        source: "codex",
        sessionId: Ids.SessionId.make("wide"),
        at: t0,
        title: "Wide",
        startedAt: t0
      } as unknown as Event.Event
      yield* store.ingest(user("searcher"), [wideSession, wide(1, "nothing to see")])
      yield* store.ingest(user("searcher"), generate(3))
      yield* store.ingest(user("searcher"), [wide(2, "a pelicanoid")])
      const ingest = yield* Ingest.make
      const gathering = yield* Sessions.make(ingest, { sparseSearchHits: 1_000_000 })
      const checking = yield* Sessions.make(ingest, { sparseSearchHits: 0 })
      const perMessage = yield* Sessions.make(ingest, { sparseSearchHits: 0, denseSearchHits: 0 })
      // Sorts without an index of their own check sessions a round at a time: rounds of 2, 8, 32… here.
      const rounds = yield* Sessions.make(ingest, { sparseSearchHits: 0, firstRound: 2 })
      // A long last-word prefix expanded from the vocabulary, each session checked over its messages' rowid range
      // (the wide one too), or message by message; and not expanded (FTS5 merges the prefix itself).
      const ranges = yield* Sessions.make(ingest, { sparseSearchHits: 0, rangeWalkHits: 0, rangeSpan: 1_000_000 })
      const byMessage = yield* Sessions.make(ingest, { sparseSearchHits: 0, rangeWalkHits: 0, rangeSpan: 0 })
      const unexpanded = yield* Sessions.make(ingest, { sparseSearchHits: 0, denseSearchHits: 0, maxExpansions: 0 })
      // Expanded, but its hits gathered with FTS5's own prefix (as for a prefix of many words).
      const prefixGathered = yield* Sessions.make(ingest, { sparseSearchHits: 0, gatheredExpansions: 0 })
      const prefixFound = yield* Sessions.make(ingest, { gatheredExpansions: 0 })
      const allPages = (sessions: typeof gathering, params: Omit<Parameters<typeof gathering.list>[1], "limit">) =>
        Effect.gen(function* () {
          const ids: Array<string> = []
          let cursor: string | undefined
          for (let page = 0; page < 20; page++) {
            const result = yield* sessions.list(user("searcher"), {
              ...params,
              limit: 5,
              ...(cursor ? { cursor } : {})
            })
            ids.push(...result.sessions.map((s) => s.id))
            if (result.nextCursor === null) break
            cursor = result.nextCursor
          }
          return ids
        })
      const expected: Record<string, number> = {
        flamingo: 12,
        walrus: 12,
        "ssion 1": 3,
        "of session 7": 1,
        zebra: 0,
        fla: 12,
        "mentions wa": 12,
        pelican: 13,
        PELICAN: 13,
        // Folded by the tokenizer, as the index folds what it indexes: "pelican".
        PÉLICAN: 13,
        pélicans: 1,
        "mentions pelican": 12,
        pelicans: 1,
        pelicanoid: 1,
        nothing: 1
      }
      for (const [q, count] of Object.entries(expected)) {
        for (const [sort, order] of [
          ["updatedAt", "desc"],
          ["costUsd", "asc"],
          ["totalTokens", "desc"],
          ["startedAt", "desc"]
        ] as const) {
          const a = yield* allPages(gathering, { q, sort, order })
          const b = yield* allPages(checking, { q, sort, order, source: undefined })
          const c = yield* allPages(perMessage, { q, sort, order })
          const d = yield* allPages(rounds, { q, sort, order })
          expect(c).toEqual(a)
          expect(d).toEqual(a)
          for (const sessions of [ranges, byMessage, unexpanded, prefixGathered, prefixFound]) {
            expect(yield* allPages(sessions, { q, sort, order })).toEqual(a)
          }
          expect({ q, sort, count: a.length }).toEqual({ q, sort, count })
          expect(b).toEqual(a)
        }
        const filtered = { q, project: "p1" }
        const a = yield* gathering.exportPage(user("searcher"), filtered, null, 100)
        const b = yield* checking.exportPage(user("searcher"), filtered, null, 100)
        expect(b.sessions.map((s) => s.id)).toEqual(a.sessions.map((s) => s.id))
      }
    })
  )
})

layer(TestLayer)("SQLite search is per user", (it) => {
  it.effect(
    "indexes each user's messages in a table of their own in the search file, so a search never reads another user's words",
    () =>
      Effect.gen(function* () {
        const store = yield* withUsers("searcher-a", "searcher-b")
        const sql = yield* SqlClient.SqlClient
        yield* store.ingest(user("searcher-a"), generate(5))
        yield* store.ingest(user("searcher-b"), generate(6).slice(0, 20))
        const index = yield* SearchIndex
        yield* index.reading(
          Effect.gen(function* () {
            const tables = yield* sql<{ id: string; name: string; messages: number }>`
            SELECT u.id, 'message_fts_' || u.rowid AS name,
              (SELECT count(*) FROM messages m WHERE m.user_id = u.id AND json_extract(m.data, '$.text') != '') AS messages
            FROM users u WHERE u.id IN ('searcher-a', 'searcher-b') ORDER BY u.id`
            for (const table of tables) {
              const [count] = yield* sql.unsafe<{ n: number }>(`SELECT count(*) AS n FROM search.${table.name}`)
              const rowids = yield* sql.unsafe<{ rowid: number }>(`SELECT rowid FROM search.${table.name}`)
              const owners = yield* sql<{ user_id: string }>`
              SELECT DISTINCT user_id FROM messages WHERE rowid IN ${sql.in(rowids.map((r) => r.rowid))}`
              expect([table.id, count?.n, owners.map((o) => o.user_id)]).toEqual([table.id, table.messages, [table.id]])
            }
            const inMain = yield* sql<{
              name: string
            }>`SELECT name FROM main.sqlite_master WHERE name LIKE 'message_fts%'`
            expect(inMain).toEqual([])
          })
        )
      })
  )
})
