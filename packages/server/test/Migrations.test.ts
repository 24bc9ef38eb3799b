import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Client from "../src/sqlite/Client.js"
import { migrate } from "../src/sqlite/Database.js"
import { migrations } from "../src/sqlite/migrations.js"

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
})
