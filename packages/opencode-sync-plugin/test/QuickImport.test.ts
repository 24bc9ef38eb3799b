/**
 * `opencode-sync import` of sessions that did not change since the last import is answered by the entry point from
 * the bookkeeping (src/bin.ts: each session's update time, read from `opencode.db` with libsql's synchronous binding),
 * and still sees every change OpenCode makes: a session it updated (every message and part bumps its time), a new one.
 */
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { createClient } from "@libsql/client"
import { describeQuickImport } from "@opensync/testkit/QuickImport"
import { copyOfExported, writeDatabase } from "./support/database.js"

const database = (home: string) => join(home, ".local", "share", "opencode", "opencode.db")
const FIRST = copyOfExported("a")

/** The database's files (with its write-ahead log, which belongs to it), moved aside and back. */
const databaseFiles = (home: string) => ["", "-wal", "-shm"].map((suffix) => `${database(home)}${suffix}`)
const setAside = (home: string) => {
  for (const file of databaseFiles(home)) if (existsSync(file)) renameSync(file, `${file}.saved`)
}
const restore = (home: string) => {
  for (const file of databaseFiles(home)) {
    rmSync(file, { force: true })
    if (existsSync(`${file}.saved`)) renameSync(`${file}.saved`, file)
  }
}

describeQuickImport({
  name: "opencode-sync",
  cli: resolve(__dirname, "../dist/cli.mjs"),
  envPrefix: "OPENCODE_SYNC",
  stateDir: ".config/opencode-sync",
  files: "session",
  remembersListing: false,
  history: async (home) => {
    mkdirSync(join(home, ".local", "share", "opencode"), { recursive: true })
    await writeDatabase(database(home), [FIRST, copyOfExported("b")])
    return 2
  },
  unchanged: (sessions, home) =>
    `${sessions} sessions (0 new, 0 updated, ${sessions} unchanged): read 0 session(s) ` +
    `(${sessions} from ${database(home)}), 0 event(s) queued.`,
  changes: [
    {
      what: "a session OpenCode updated",
      change: async (home) => {
        const db = createClient({ url: `file:${database(home)}` })
        await db.execute({
          sql: "UPDATE session SET time_updated = time_updated + 1000 WHERE id = ?",
          args: [String(FIRST.info.id)]
        })
        db.close()
      },
      found: "2 sessions (0 new, 1 updated, 1 unchanged): read 1 session(s)"
    },
    {
      what: "a new session",
      change: (home) => writeDatabase(database(home), [copyOfExported("c")], { create: false }),
      found: "3 sessions (1 new, 0 updated, 2 unchanged): read 1 session(s)"
    }
  ],
  faults: [
    {
      what: "an opencode.db that is not a database",
      fault: (home) => {
        setAside(home)
        writeFileSync(database(home), Buffer.concat([Buffer.from("SQLite format 3\0"), randomBytes(8_192)]))
      },
      error: /Cannot read OpenCode's sessions at .*opencode\.db: SQLITE_NOTADB/,
      repair: restore
    },
    {
      what: "an opencode.db without OpenCode's tables",
      fault: async (home) => {
        setAside(home)
        const db = createClient({ url: `file:${database(home)}` })
        await db.execute("CREATE TABLE other (x)")
        db.close()
      },
      error: /Cannot read OpenCode's sessions at .*opencode\.db: it has no session, message and part tables/,
      repair: restore
    }
  ]
})
