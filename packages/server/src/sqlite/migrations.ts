import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Fts from "./fts.js"

/** The three usage rollup tables share one shape (the full rollup, and the project or the model summed out). */
const usageRollupTable = (name: string) => `CREATE TABLE ${name} (
      user_id TEXT NOT NULL,
      day TEXT NOT NULL,
      source TEXT NOT NULL,
      model TEXT NOT NULL,
      project TEXT NOT NULL,
      sessions INTEGER NOT NULL,
      messages INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL,
      input INTEGER NOT NULL,
      output INTEGER NOT NULL,
      cache_read INTEGER NOT NULL,
      cache_write_5m INTEGER NOT NULL,
      cache_write_1h INTEGER NOT NULL,
      reasoning INTEGER NOT NULL,
      cost_usd REAL NOT NULL,
      unpriced INTEGER NOT NULL,
      PRIMARY KEY (user_id, day, source, model, project)
    ) WITHOUT ROWID`

/**
 * The tool rollup tables share one shape too (`tool_rollup`, and `tool_by_day` with the project summed out); `key` is
 * the primary key's columns after `user_id`.
 */
const toolRollupTable = (name: string, key: string) => `CREATE TABLE ${name} (
      user_id TEXT NOT NULL,
      day TEXT NOT NULL,
      source TEXT NOT NULL,
      project TEXT NOT NULL,
      tool TEXT NOT NULL,
      calls INTEGER NOT NULL,
      errors INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL,
      timed INTEGER NOT NULL,
      PRIMARY KEY (user_id, ${key})
    ) WITHOUT ROWID`

/** The columns of `sessions` (migration 1, a `WITHOUT ROWID` table; migration 10, the same columns with a rowid). */
const sessionColumns = `
      user_id TEXT NOT NULL,
      id TEXT NOT NULL,
      source TEXT NOT NULL,
      project TEXT NOT NULL,
      model TEXT,
      title TEXT,
      parent_session_id TEXT,
      started_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      cost_usd REAL NOT NULL,
      total_tokens INTEGER NOT NULL,
      message_count INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (user_id, id)
    `

/** The statements of the first migrations, as shipped (they ran as `user_version` 1–4 before the migrator). */
const statements: ReadonlyArray<ReadonlyArray<string>> = [
  [
    `CREATE TABLE users (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`,
    `CREATE TABLE api_keys (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      prefix TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE,
      scopes TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER,
      revoked_at INTEGER
    )`,
    `CREATE INDEX api_keys_by_user ON api_keys (user_id, created_at)`,
    `CREATE TABLE sessions (${sessionColumns}) WITHOUT ROWID`,
    `CREATE INDEX sessions_by_updated ON sessions (user_id, updated_at, id)`,
    `CREATE INDEX sessions_by_started ON sessions (user_id, started_at, id)`,
    `CREATE INDEX sessions_by_cost ON sessions (user_id, cost_usd, id)`,
    `CREATE INDEX sessions_by_tokens ON sessions (user_id, total_tokens, id)`,
    `CREATE INDEX sessions_by_messages ON sessions (user_id, message_count, id)`,
    `CREATE INDEX sessions_by_duration ON sessions (user_id, duration_ms, id)`,
    `CREATE INDEX sessions_by_source ON sessions (user_id, source, updated_at, id)`,
    `CREATE INDEX sessions_by_project ON sessions (user_id, project, updated_at, id)`,
    `CREATE INDEX sessions_by_parent ON sessions (user_id, parent_session_id) WHERE parent_session_id IS NOT NULL`,
    `CREATE TABLE messages (
      user_id TEXT NOT NULL,
      session_id TEXT NOT NULL,
      id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      data TEXT NOT NULL,
      UNIQUE (user_id, session_id, id)
    )`,
    `CREATE INDEX messages_by_time ON messages (user_id, session_id, created_at)`,
    `CREATE TABLE tool_calls (
      user_id TEXT NOT NULL,
      session_id TEXT NOT NULL,
      id TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (user_id, session_id, id)
    ) WITHOUT ROWID`,
    `CREATE TABLE events (
      user_id TEXT NOT NULL,
      id TEXT NOT NULL,
      session_id TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      PRIMARY KEY (user_id, id)
    ) WITHOUT ROWID`,
    `CREATE INDEX events_by_session ON events (user_id, session_id)`,
    usageRollupTable("usage_rollup"),
    toolRollupTable("tool_rollup", "day, tool, source, project"),
    `CREATE VIRTUAL TABLE message_fts USING fts5(
      text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
    )`
  ],
  // 2: coarser usage rollups (project summed out, model summed out) so unfiltered stats read few rows.
  [
    usageRollupTable("usage_by_model"),
    usageRollupTable("usage_by_project"),
    `INSERT INTO usage_by_model SELECT user_id, day, source, model, '*', sum(sessions), sum(messages), sum(duration_ms), sum(input), sum(output), sum(cache_read), sum(cache_write_5m), sum(cache_write_1h), sum(reasoning), sum(cost_usd), sum(unpriced)
      FROM usage_rollup GROUP BY user_id, day, source, model`,
    `INSERT INTO usage_by_project SELECT user_id, day, source, '*', project, sum(sessions), sum(messages), sum(duration_ms), sum(input), sum(output), sum(cache_read), sum(cache_write_5m), sum(cache_write_1h), sum(reasoning), sum(cost_usd), sum(unpriced)
      FROM usage_rollup GROUP BY user_id, day, source, project`
  ],
  // 3: dashboard sign-in sessions (token stored as its SHA-256 only).
  [
    `CREATE TABLE dashboard_sessions (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      key_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER
    ) WITHOUT ROWID`,
    `CREATE INDEX dashboard_sessions_by_user ON dashboard_sessions (user_id, expires_at)`
  ],
  // 4: the sort indexes also hold the filter columns, so a filtered, sorted page is found in the index alone (the list
  // query selects the page's ids first and reads the rows of those ids only). Before, each index entry walked past was
  // checked against the row in the table (~16 µs each): a selective filter with another sort took 70-250 ms.
  [
    `DROP INDEX sessions_by_updated`,
    `DROP INDEX sessions_by_started`,
    `DROP INDEX sessions_by_cost`,
    `DROP INDEX sessions_by_tokens`,
    `DROP INDEX sessions_by_messages`,
    `DROP INDEX sessions_by_duration`,
    `CREATE INDEX sessions_by_updated ON sessions (user_id, updated_at, id, source, project, model, started_at)`,
    `CREATE INDEX sessions_by_started ON sessions (user_id, started_at, id, source, project, model, updated_at)`,
    `CREATE INDEX sessions_by_cost ON sessions (user_id, cost_usd, id, source, project, model, updated_at, started_at)`,
    `CREATE INDEX sessions_by_tokens ON sessions
      (user_id, total_tokens, id, source, project, model, updated_at, started_at)`,
    `CREATE INDEX sessions_by_messages ON sessions
      (user_id, message_count, id, source, project, model, updated_at, started_at)`,
    `CREATE INDEX sessions_by_duration ON sessions
      (user_id, duration_ms, id, source, project, model, updated_at, started_at)`
  ]
]

const run = (list: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(list, (statement) => sql.unsafe(statement), { discard: true })
  )

/**
 * 5: key scopes (existing keys keep the powers they had: `full`), sign-in metadata (public id, browser, last seen),
 * tombstones of deleted sessions, and one search table per user (rebuilt from the stored messages).
 */
const scopesSignInsTombstones = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* run([
    `ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'full'`,
    `ALTER TABLE api_keys DROP COLUMN scopes`,
    `ALTER TABLE dashboard_sessions ADD COLUMN public_id TEXT`,
    `UPDATE dashboard_sessions SET public_id = 'sgn_' || substr(id, 1, 20)`,
    `ALTER TABLE dashboard_sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT ''`,
    `ALTER TABLE dashboard_sessions ADD COLUMN last_seen_at INTEGER`,
    `UPDATE dashboard_sessions SET last_seen_at = created_at`,
    `CREATE UNIQUE INDEX dashboard_sessions_by_public_id ON dashboard_sessions (public_id)`,
    `CREATE INDEX dashboard_sessions_by_key ON dashboard_sessions (key_id)`,
    `CREATE TABLE tombstones (
      user_id TEXT NOT NULL,
      session_id TEXT NOT NULL,
      deleted_at INTEGER NOT NULL,
      PRIMARY KEY (user_id, session_id)
    ) WITHOUT ROWID`
  ])
  const users = yield* sql<{ id: string; rowid: number }>`SELECT id, rowid FROM users`
  for (const user of users) {
    const table = Fts.tableName(user.rowid)
    yield* sql.unsafe(`CREATE VIRTUAL TABLE IF NOT EXISTS ${table} USING fts5(
      text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
    )`)
    yield* sql.unsafe(
      `INSERT INTO ${table} (rowid, text) SELECT rowid, json_extract(data, '$.text') FROM messages
       WHERE user_id = ? AND json_extract(data, '$.text') != ''`,
      [user.id]
    )
  }
  yield* sql.unsafe("DROP TABLE message_fts")
})

/**
 * 6: reconciliation with the agents' telemetry: one row per session × API request (`api_requests`), when each user's
 * telemetry last arrived, and where the figures of each usage rollup row come from (counted units).
 */
const telemetry = run([
  `CREATE TABLE api_requests (
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (user_id, session_id, id)
  ) WITHOUT ROWID`,
  `CREATE TABLE telemetry_receipts (
    user_id TEXT PRIMARY KEY,
    last_at INTEGER NOT NULL
  ) WITHOUT ROWID`,
  ...["usage_rollup", "usage_by_model", "usage_by_project"].flatMap((table) =>
    ["from_telemetry", "from_transcript", "from_reported"].map(
      (column) => `ALTER TABLE ${table} ADD COLUMN ${column} INTEGER NOT NULL DEFAULT 0`
    )
  )
])

/**
 * 7: an index of session titles, so a text search scans titles in a narrow index instead of reading every (wide) session
 * row: on 100k sessions a rare word took 0.5 s, nearly all of it the title scan.
 */
const titleIndex = run([`CREATE INDEX sessions_by_title ON sessions (user_id, title)`])

/**
 * 8: event ids keyed by session, `(user_id, session_id, id)`: event ids are digests, so keyed by `(user_id, id)` a batch's
 * 500 inserts landed on as many pages all over the table (and in the WAL); a session's events now sit together. The
 * key also serves what `events_by_session` did. An id is the digest of its event, session included, so the same id
 * never belongs to two sessions.
 */
const eventsBySession = run([
  `CREATE TABLE events_by_session_key (
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, session_id, id)
  ) WITHOUT ROWID`,
  `INSERT INTO events_by_session_key (user_id, session_id, id, received_at)
    SELECT user_id, session_id, id, received_at FROM events ORDER BY user_id, session_id, id`,
  `DROP TABLE events`,
  `ALTER TABLE events_by_session_key RENAME TO events`
])

/**
 * 9: the search tables move to a file of their own (`search.db`, see `SearchIndex.ts`), written by a worker thread
 * while the server's thread writes this one. Writes here queue the message rowids whose search entries need an update
 * (`search_queue`, in the same transaction as the messages); `search_pair` names this database, so a search file that
 * belongs to another (a restored copy, a deleted file) is rebuilt from the messages instead of being trusted. The
 * per-user tables of migration 5 are dropped; the search file is built from the messages when the server next opens.
 */
const searchFile = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* run([
    `CREATE TABLE search_queue (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      user_rowid INTEGER NOT NULL,
      message_rowid INTEGER NOT NULL
    )`,
    `CREATE TABLE search_pair (id INTEGER PRIMARY KEY CHECK (id = 1), pair TEXT NOT NULL)`,
    `INSERT INTO search_pair (id, pair) VALUES (1, lower(hex(randomblob(16))))`
  ])
  const tables = yield* sql<{ name: string }>`SELECT name FROM sqlite_master
    WHERE type = 'table' AND name GLOB 'message_fts_[0-9]*' AND sql LIKE 'CREATE VIRTUAL TABLE%'`
  for (const { name } of tables) yield* sql.unsafe(`DROP TABLE ${name}`)
})

/**
 * 10: session rows in a rowid table and one sort index that moves when a session is updated. Before, a batch that
 * updated a session rewrote its entries in ten indexes (six sort indexes each covering the filter columns, two filter
 * indexes keyed by `updated_at`, title, parent) and its row, a `WITHOUT ROWID` row of 1.4-2.1 KB that kept only ~1 KB
 * on its page and spilled the rest into an overflow page of its own. Measured on 353 real rows replayed (18 a
 * transaction, updated twice): 130 µs and 203 WAL pages per transaction before, 27 µs and 44 pages with this layout
 * (docs/benchmarks.md). `sessions_by_updated` covers every sort and filter column: the default order walks it, the
 * other sorts (cost, tokens, messages, duration) scan it whole and keep the top of the page, never reading a row.
 * `sessions_by_started` (the export's order, and the started sort) holds no column an update changes, so updates that
 * leave a session's start, title, source, project, model and parent alone do not touch it (`ingest.ts` sets only the
 * columns that changed).
 */
const sessionRows = run([
  `CREATE TABLE sessions_by_rowid (${sessionColumns})`,
  `INSERT INTO sessions_by_rowid (user_id, id, source, project, model, title, parent_session_id, started_at, updated_at,
      cost_usd, total_tokens, message_count, duration_ms, data)
    SELECT user_id, id, source, project, model, title, parent_session_id, started_at, updated_at, cost_usd, total_tokens,
      message_count, duration_ms, data
    FROM sessions ORDER BY user_id, id`,
  `DROP TABLE sessions`,
  `ALTER TABLE sessions_by_rowid RENAME TO sessions`,
  `CREATE INDEX sessions_by_updated ON sessions
    (user_id, updated_at, id, source, project, model, started_at, cost_usd, total_tokens, message_count, duration_ms)`,
  `CREATE INDEX sessions_by_started ON sessions (user_id, started_at, id, source, project, model)`,
  `CREATE INDEX sessions_by_parent ON sessions (user_id, parent_session_id) WHERE parent_session_id IS NOT NULL`,
  `CREATE INDEX sessions_by_title ON sessions (user_id, title)`
])

/**
 * 11: stats over a range read fewer rows. The tools of a period were summed from `tool_rollup`, one row per day, tool,
 * source and project (84,000 rows for 90 days of a 100k-session store: 28 ms of a 43 ms `/api/stats`); `tool_by_day`
 * sums the project out (4,900 rows, 3 ms) for stats without a project filter. With one, `tool_rollup` and
 * `usage_rollup` are read through an index by project (17 → 10 and 10 → 5 ms for a large project). Rollup updates
 * change only counters, so the indexes move only when a new day, source, model, tool or project shows up.
 */
const toolsByDay = run([
  toolRollupTable("tool_by_day", "day, source, tool, project"),
  `INSERT INTO tool_by_day SELECT user_id, day, source, '*', tool, sum(calls), sum(errors), sum(duration_ms), sum(timed)
    FROM tool_rollup GROUP BY user_id, day, source, tool`,
  `CREATE INDEX tool_rollup_by_project ON tool_rollup (user_id, project, day)`,
  `CREATE INDEX usage_rollup_by_project ON usage_rollup (user_id, project, day)`
])

/**
 * 12: request rows in a rowid table, like messages. As a `WITHOUT ROWID` table keyed by `(user_id, session_id, id)`,
 * each row (~640 bytes of JSON, a dozen to a page) was stored in the key's b-tree: request ids are random, so a
 * batch's new requests were inserted all over their sessions' pages, splitting them. A rowid table appends the rows and
 * keeps only the key in its index. Measured replaying the 14,608 request rows of a first import (200 MB archive) in
 * transactions of 400, `/tmp` script: 43 µs per row written (6.1 MiB of WAL) before, 22 µs (4.4 MiB) after; in the
 * server's own statement timings of that import, the requests' upserts were 449 ms of the 1.8 s its statements took.
 */
const requestRows = run([
  `CREATE TABLE api_requests_by_rowid (
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (user_id, session_id, id)
  )`,
  `INSERT INTO api_requests_by_rowid (user_id, session_id, id, data)
    SELECT user_id, session_id, id, data FROM api_requests ORDER BY user_id, session_id, id`,
  `DROP TABLE api_requests`,
  `ALTER TABLE api_requests_by_rowid RENAME TO api_requests`
])

/** Every migration, in order; never edit a shipped one, append a new one. */
export const migrations = {
  "1_initial": run(statements[0]!),
  "2_coarse_rollups": run(statements[1]!),
  "3_dashboard_sessions": run(statements[2]!),
  "4_covering_sort_indexes": run(statements[3]!),
  "5_scopes_signins_tombstones_user_search": scopesSignInsTombstones,
  "6_telemetry": telemetry,
  "7_session_title_index": titleIndex,
  "8_event_ids_by_session": eventsBySession,
  "9_search_file": searchFile,
  "10_session_rows": sessionRows,
  "11_tools_by_day": toolsByDay,
  "12_request_rows": requestRows
}

export const loader = Migrator.fromRecord(migrations)

/** Names of the migrations that ran as `user_version` 1–4 before the migrator kept its own table. */
export const beforeMigrator = ["initial", "coarse_rollups", "dashboard_sessions", "covering_sort_indexes"]
