// A generated OpenCode 1.18.33 opencode.db (its own tables and indexes): `sessions` copies of the real
// `opencode export` fixture (packages/opencode-sync-plugin/test/fixtures: 8 messages, 31 parts, 4 tool calls) with
// fresh session/message/part/call ids and shifted times, in WAL mode as OpenCode keeps it. Used by
// bench/opencode-import.mjs and bench/agent-import.mjs.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { createClient } from "@libsql/client"
import { rootDir } from "./lib.mjs"

const fixture = join(rootDir, "packages/opencode-sync-plugin/test/fixtures/opencode-session-export.json")

const schema = [
  `CREATE TABLE project (id text PRIMARY KEY, worktree text NOT NULL, vcs text, name text, time_created integer NOT NULL,
    time_updated integer NOT NULL, sandboxes text NOT NULL)`,
  `CREATE TABLE session (id text PRIMARY KEY, project_id text NOT NULL, workspace_id text, parent_id text,
    slug text NOT NULL, directory text NOT NULL, path text, title text NOT NULL, version text NOT NULL, share_url text,
    summary_additions integer, summary_deletions integer, summary_files integer, summary_diffs text, metadata text,
    cost real DEFAULT 0 NOT NULL, tokens_input integer DEFAULT 0 NOT NULL, tokens_output integer DEFAULT 0 NOT NULL,
    tokens_reasoning integer DEFAULT 0 NOT NULL, tokens_cache_read integer DEFAULT 0 NOT NULL,
    tokens_cache_write integer DEFAULT 0 NOT NULL, revert text, permission text, agent text, model text,
    time_created integer NOT NULL, time_updated integer NOT NULL, time_compacting integer, time_archived integer)`,
  `CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, time_created integer NOT NULL,
    time_updated integer NOT NULL, data text NOT NULL)`,
  `CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL,
    time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL)`,
  "CREATE INDEX message_session_time_created_id_idx ON message (session_id, time_created, id)",
  "CREATE INDEX part_message_id_id_idx ON part (message_id, id)",
  "CREATE INDEX part_session_idx ON part (session_id)",
  "CREATE INDEX session_project_idx ON session (project_id)"
]

const without = (record, ...keys) => Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)))

export const generate = async (path, SESSIONS) => {
  const template = readFileSync(fixture, "utf8")
  const db = createClient({ url: `file:${path}` })
  for (const sql of ["PRAGMA journal_mode = WAL", ...schema]) await db.execute(sql)
  let rows = 0
  for (let batchStart = 0; batchStart < SESSIONS; batchStart += 50) {
    const statements = []
    for (let n = batchStart; n < Math.min(SESSIONS, batchStart + 50); n++) {
      const tag = n.toString(36).padStart(4, "0")
      const shift = (SESSIONS - n) * 3_600_000
      const text = template
        .replace(/"((?:ses|msg|prt|call)_[0-9A-Za-z]+)"/g, (_, id) => `"${id}${tag}"`)
        .replace(/"(created|updated|completed|start|end)":(\d{13})/g, (_, key, t) => `"${key}":${Number(t) - shift}`)
      const session = JSON.parse(text)
      const info = session.info
      statements.push({
        sql: `INSERT INTO session (id, project_id, slug, directory, path, title, version, cost, tokens_input,
                tokens_output, tokens_cache_read, agent, model, permission, time_created, time_updated)
              VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [
          info.id,
          info.projectID,
          info.slug,
          info.directory,
          `${info.title} ${n}`,
          info.version,
          info.cost,
          info.tokens.input,
          info.tokens.output,
          info.tokens.cache.read,
          info.agent,
          JSON.stringify(info.model),
          JSON.stringify(info.permission),
          info.time.created,
          info.time.updated
        ]
      })
      for (const message of session.messages) {
        const m = message.info
        statements.push({
          sql: "INSERT INTO message VALUES (?, ?, ?, ?, ?)",
          args: [
            m.id,
            info.id,
            m.time.created,
            m.time.completed ?? m.time.created,
            JSON.stringify(without(m, "id", "sessionID"))
          ]
        })
        for (const part of message.parts) {
          statements.push({
            sql: "INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)",
            args: [
              part.id,
              m.id,
              info.id,
              m.time.created,
              m.time.created,
              JSON.stringify(without(part, "id", "sessionID", "messageID"))
            ]
          })
          rows++
        }
        rows++
      }
    }
    await db.batch(statements, "write")
  }
  db.close()
  return rows + SESSIONS
}
