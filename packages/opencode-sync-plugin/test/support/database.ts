/** OpenCode 1.18.33's `opencode.db`, as the tests write it. */
import { createClient } from "@libsql/client"
import type { Json } from "../../src/Tracker.js"
import { exported } from "./fixtures.js"

/** The tables of OpenCode 1.18.33's opencode.db that the reader uses (columns as OpenCode creates them). */
const schema = [
  `CREATE TABLE session (id text PRIMARY KEY, project_id text NOT NULL, workspace_id text, parent_id text,
    slug text NOT NULL, directory text NOT NULL, path text, title text NOT NULL, version text NOT NULL,
    share_url text, cost real DEFAULT 0 NOT NULL, tokens_input integer DEFAULT 0 NOT NULL, agent text, model text,
    time_created integer NOT NULL, time_updated integer NOT NULL, time_compacting integer, time_archived integer)`,
  `CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, time_created integer NOT NULL,
    time_updated integer NOT NULL, data text NOT NULL)`,
  `CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL,
    time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL)`
]

const without = (record: Json, ...keys: ReadonlyArray<string>) =>
  Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)))

/**
 * Writes sessions into opencode.db the way OpenCode stores them (ids in columns, the rest as JSON): a fresh one, or
 * (`create: false`) one written before.
 */
export const writeDatabase = async (
  path: string,
  sessions: ReadonlyArray<typeof exported>,
  { create = true }: { readonly create?: boolean } = {}
) => {
  const db = createClient({ url: `file:${path}` })
  // OpenCode keeps it in WAL mode.
  if (create) for (const sql of ["PRAGMA journal_mode = WAL", ...schema]) await db.execute(sql)
  for (const session of sessions) {
    const info = session.info as Json & { time: { created: number; updated: number }; model: Json }
    await db.execute({
      sql: `INSERT INTO session (id, project_id, slug, directory, path, title, version, cost, agent, model,
              time_created, time_updated) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        String(info.id),
        String(info.projectID),
        String(info.slug),
        String(info.directory),
        String(info.title),
        String(info.version),
        Number(info.cost),
        String(info.agent),
        JSON.stringify(info.model),
        info.time.created,
        info.time.updated
      ]
    })
    for (const message of session.messages) {
      const m = message.info as Json & { time: { created: number } }
      await db.execute({
        sql: "INSERT INTO message VALUES (?, ?, ?, ?, ?)",
        args: [
          String(m.id),
          String(info.id),
          m.time.created,
          m.time.created,
          JSON.stringify(without(m, "id", "sessionID"))
        ]
      })
      for (const part of message.parts) {
        await db.execute({
          sql: "INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)",
          args: [
            String(part.id),
            String(m.id),
            String(info.id),
            m.time.created,
            m.time.created,
            JSON.stringify(without(part, "id", "sessionID", "messageID"))
          ]
        })
      }
    }
  }
  db.close()
}

/** The captured session under other ids (its session, message and part ids with `suffix` appended). */
export const copyOfExported = (suffix: string): typeof exported =>
  JSON.parse(JSON.stringify(exported).replace(/"((?:ses|msg|prt)_[A-Za-z0-9]+)"/g, `"$1${suffix}"`))
