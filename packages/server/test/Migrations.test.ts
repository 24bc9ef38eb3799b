import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import type { Api } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Client from "../src/sqlite/Client.js"
import { sortColumns } from "../src/sqlite/columns.js"
import { migrate } from "../src/sqlite/Database.js"
import { migrations } from "../src/sqlite/migrations.js"
import { listIndex } from "../src/sqlite/sessions.js"

/** A store made by the migrations before `upTo`, then brought up to date as `opensync serve` does when it starts. */
const upTo = (last: string) =>
  Migrator.make({})({
    loader: Migrator.fromRecord(
      Object.fromEntries(Object.entries(migrations).slice(0, Object.keys(migrations).indexOf(last) + 1))
    )
  })

layer(Client.layer(join(mkdtempSync(join(tmpdir(), "opensync-migrate-")), "opensync.db")))("migrations", (it) => {
  it.effect("8 re-keys event ids by session and keeps every one of them", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* upTo("7_session_title_index")
      const rows = [
        { user_id: "u1", id: "evt_b", session_id: "s2", received_at: 2 },
        { user_id: "u1", id: "evt_a", session_id: "s1", received_at: 1 },
        { user_id: "u2", id: "evt_a", session_id: "s1", received_at: 3 }
      ]
      yield* sql`INSERT INTO events ${sql.insert(rows)}`
      yield* migrate
      const columns = yield* sql<{ name: string; pk: number }>`SELECT name, pk FROM pragma_table_info('events')`
      expect(
        columns
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name)
      ).toEqual(["user_id", "session_id", "id"])
      const kept = yield* sql<{ user_id: string; id: string; session_id: string; received_at: number }>`
        SELECT user_id, id, session_id, received_at FROM events ORDER BY received_at`
      expect(kept).toEqual([...rows].sort((a, b) => a.received_at - b.received_at))
      const indexes = yield* sql<{
        name: string
      }>`SELECT name FROM sqlite_master WHERE tbl_name = 'events' AND type = 'index'
        AND name NOT LIKE 'sqlite_autoindex%'`
      expect(indexes).toEqual([])
    })
  )

  it.effect("9 drops the search tables of the database (the search file is built from the messages) and names it", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "opensync-migrate-9-"))
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* upTo("8_event_ids_by_session")
        yield* sql`INSERT INTO users (id, name, created_at) VALUES ('u1', 'u1', 0)`
        yield* sql.unsafe(`CREATE VIRTUAL TABLE message_fts_1 USING fts5(text, content = '', contentless_delete = 1)`)
        yield* sql.unsafe(`INSERT INTO message_fts_1 (rowid, text) VALUES (1, 'walrus')`)
        yield* migrate
        const left = yield* sql<{ name: string }>`SELECT name FROM sqlite_master WHERE name LIKE 'message_fts%'`
        expect(left).toEqual([])
        const [pair] = yield* sql<{ pair: string }>`SELECT pair FROM search_pair`
        expect(pair?.pair).toMatch(/^[0-9a-f]{32}$/)
        const queue = yield* sql<{ name: string }>`SELECT name FROM pragma_table_info('search_queue') ORDER BY cid`
        expect(queue.map((c) => c.name)).toEqual(["seq", "user_rowid", "message_rowid"])
      }).pipe(Effect.provide(Client.layer(join(dir, "opensync.db"))))
    })
  )

  it.effect("10 moves session rows into a rowid table with one sort index that updates move, and keeps every row", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "opensync-migrate-10-"))
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* upTo("9_search_file")
        const rows = Array.from({ length: 40 }, (_, i) => ({
          user_id: i % 3 === 0 ? "u2" : "u1",
          id: `s${String(i).padStart(2, "0")}`,
          source: i % 2 === 0 ? "claude-code" : "opencode",
          project: `p${i % 5}`,
          model: i % 7 === 0 ? null : "claude-sonnet-4-5",
          title: i % 4 === 0 ? null : `Session ${i}`,
          parent_session_id: i % 10 === 9 ? "s00" : null,
          started_at: 1_000 * ((i * 17) % 40),
          updated_at: 1_000 * ((i * 17) % 40) + 500,
          cost_usd: ((i * 13) % 40) / 8,
          total_tokens: (i * 29) % 40,
          message_count: (i * 7) % 40,
          duration_ms: (i * 11) % 40,
          // Longer than a WITHOUT ROWID row keeps on its page: the copy must take the overflow along.
          data: JSON.stringify({ id: i, slices: "x".repeat(1_500 + i) })
        }))
        yield* sql`INSERT INTO sessions ${sql.insert(rows)}`
        yield* migrate
        const [table] = yield* sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE name = 'sessions'`
        expect(table?.sql).not.toMatch(/WITHOUT ROWID/i)
        const kept = yield* sql<(typeof rows)[number]>`SELECT user_id, id, source, project, model, title,
          parent_session_id, started_at, updated_at, cost_usd, total_tokens, message_count, duration_ms, data
          FROM sessions ORDER BY user_id, id`
        expect(kept).toEqual([...rows].sort((a, b) => a.user_id.localeCompare(b.user_id) || a.id.localeCompare(b.id)))
        const indexes = yield* sql<{ name: string }>`SELECT name FROM sqlite_master
          WHERE tbl_name = 'sessions' AND type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name`
        expect(indexes.map((i) => i.name)).toEqual([
          "sessions_by_parent",
          "sessions_by_started",
          "sessions_by_title",
          "sessions_by_updated"
        ])
        // Every sort of the list, with every filter, is answered from its index alone (the rows are read by id after).
        const filters: ReadonlyArray<readonly [string, Api.SessionFilters]> = [
          ["", {}],
          ["AND source = 'opencode'", { source: "opencode" }],
          ["AND project = 'p3'", { project: "p3" }],
          ["AND model = 'x'", { model: "x" }],
          ["AND updated_at >= 20000", { from: 20_000 }],
          ["AND started_at <= 20000", { to: 20_000 }],
          ["AND updated_at >= 20000 AND started_at <= 30000", { from: 20_000, to: 30_000 }]
        ]
        for (const column of Object.values(sortColumns)) {
          for (const [clause, filter] of filters) {
            const plan = yield* sql.unsafe<{ detail: string }>(
              `EXPLAIN QUERY PLAN SELECT sessions.id FROM sessions INDEXED BY ${listIndex(column, filter)}
              WHERE sessions.user_id = 'u1' ${clause} ORDER BY ${column} DESC, id DESC LIMIT 51`
            )
            expect([column, clause, plan.map((p) => p.detail).join("; ")]).toEqual([
              column,
              clause,
              expect.stringMatching(/^SEARCH sessions USING COVERING INDEX sessions_by_(updated|started) /)
            ])
          }
        }
      }).pipe(Effect.provide(Client.layer(join(dir, "opensync.db"))))
    })
  )
  it.effect("11 sums the tools by day (project summed out) and indexes the full rollups by project", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "opensync-migrate-11-"))
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* upTo("10_session_rows")
        const row = (user_id: string, day: string, source: string, project: string, tool: string, calls: number) => ({
          user_id,
          day,
          source,
          project,
          tool,
          calls,
          errors: calls % 2,
          duration_ms: calls * 100,
          timed: calls
        })
        yield* sql`INSERT INTO tool_rollup ${sql.insert([
          row("u1", "2026-01-01", "claude-code", "p1", "Bash", 3),
          row("u1", "2026-01-01", "claude-code", "p2", "Bash", 4),
          row("u1", "2026-01-01", "opencode", "p1", "Bash", 5),
          row("u1", "2026-01-02", "claude-code", "p1", "Read", 1),
          row("u2", "2026-01-01", "claude-code", "p1", "Bash", 7)
        ])}`
        yield* migrate
        const byDay = yield* sql`SELECT user_id, day, source, project, tool, calls, errors, duration_ms, timed
          FROM tool_by_day ORDER BY user_id, day, source, tool`
        expect(byDay).toEqual([
          { ...row("u1", "2026-01-01", "claude-code", "*", "Bash", 7), errors: 1 },
          row("u1", "2026-01-01", "opencode", "*", "Bash", 5),
          row("u1", "2026-01-02", "claude-code", "*", "Read", 1),
          row("u2", "2026-01-01", "claude-code", "*", "Bash", 7)
        ])
        // A project filter reads only that project's rows, through the new indexes.
        for (const table of ["tool_rollup", "usage_rollup"]) {
          const plan = yield* sql.unsafe<{ detail: string }>(
            `EXPLAIN QUERY PLAN SELECT * FROM ${table} INDEXED BY ${table}_by_project
            WHERE user_id = 'u1' AND day >= '2026-01-01' AND day <= '2026-01-31' AND project = 'p1'`
          )
          expect(plan.map((p) => p.detail).join("; ")).toMatch(
            new RegExp(
              `^SEARCH ${table} USING INDEX ${table}_by_project \\(user_id=\\? AND project=\\? AND day>\\? AND day<\\?\\)`
            )
          )
        }
      }).pipe(Effect.provide(Client.layer(join(dir, "opensync.db"))))
    })
  )

  it.effect("12 moves request rows into a rowid table, keeps every row, and upserts them by their key as before", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "opensync-migrate-12-"))
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* upTo("11_tools_by_day")
        const rows = Array.from({ length: 30 }, (_, i) => ({
          user_id: i % 4 === 0 ? "u2" : "u1",
          session_id: `s${i % 5}`,
          id: `req_${(i * 7919) % 101}`,
          data: JSON.stringify({ i, usage: { input: i } })
        }))
        yield* sql`INSERT INTO api_requests ${sql.insert(rows)}`
        yield* migrate
        const [table] = yield* sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE name = 'api_requests'`
        expect(table?.sql).toMatch(/UNIQUE \(user_id, session_id, id\)\s*\)$/)
        const kept = yield* sql<(typeof rows)[number]>`SELECT user_id, session_id, id, data FROM api_requests`
        const key = (r: (typeof rows)[number]) => `${r.user_id}/${r.session_id}/${r.id}`
        expect([...kept].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
          [...rows].sort((a, b) => key(a).localeCompare(key(b)))
        )
        // The upsert the ingest runs: a known key is updated in place, a new one added
        yield* sql`INSERT INTO api_requests ${sql.insert([
          { ...rows[0]!, data: "{}" },
          { user_id: "u1", session_id: "s9", id: "req_new", data: "{}" }
        ])} ON CONFLICT (user_id, session_id, id) DO UPDATE SET data = excluded.data`
        const [count] = yield* sql<{ n: number }>`SELECT count(*) AS n FROM api_requests`
        expect(count?.n).toBe(rows.length + 1)
        const [updated] = yield* sql<{ data: string }>`SELECT data FROM api_requests
          WHERE user_id = ${rows[0]!.user_id} AND session_id = ${rows[0]!.session_id} AND id = ${rows[0]!.id}`
        expect(updated?.data).toBe("{}")
        const plan = yield* sql<{ detail: string }>`EXPLAIN QUERY PLAN
          SELECT id, data FROM api_requests WHERE user_id = 'u1' AND session_id = 's1' AND id IN ('req_1', 'req_2')`
        expect(plan.map((p) => p.detail).join("; ")).toMatch(/USING INDEX sqlite_autoindex_api_requests/)
      }).pipe(Effect.provide(Client.layer(join(dir, "opensync.db"))))
    })
  )
})
