/**
 * The sessions OpenCode keeps, as `opencode-sync import` lists them and names them in its bookkeeping: the rows of
 * `opencode.db`'s `session` table and the legacy JSON store's session files, each with its update time (OpenCode bumps
 * it with every message and part). What `import` lists (`Storage.ts`, `Import.ts`) and what the quick check of an
 * unchanged history (`bin.ts`) compares with the bookkeeping. No Effect: the CLI's small entry point imports this.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import * as ImportText from "@opensync/client/kit/ImportText"

export interface SessionRef {
  readonly id: string
  readonly updatedAt: number
  readonly store: "sqlite" | "json"
  /** The JSON file of a legacy session. */
  readonly file?: string
}

/** The tables `import` reads; a database without them is not OpenCode's. */
export const TABLES_SQL =
  "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('session', 'message', 'part')"

/** The sessions updated at or after `?`, oldest first. */
export const LIST_SQL = "SELECT id, time_updated FROM session WHERE time_updated >= ? ORDER BY time_updated, id"

/** A database row of `LIST_SQL` as a session. */
export const refOfRow = (row: Readonly<Record<string, unknown>>): SessionRef => ({
  id: String(row.id),
  updatedAt: Number(row.time_updated),
  store: "sqlite"
})

/** The item's name in the import's bookkeeping, and its version there. */
export const keyOf = (ref: SessionRef): string =>
  ref.store === "sqlite" ? `sqlite:${ref.id}` : `json:${ref.file ?? ref.id}`
export const versionOf = (ref: SessionRef): string => String(ref.updatedAt)

const entries = (dir: string): ReadonlyArray<string> => {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Every session file under `<root>/session/<project>/`, with its last update (`time.updated`, else the mtime). */
export const legacySessions = (root: string, since: number | undefined): ReadonlyArray<SessionRef> => {
  const sessionRoot = join(root, "session")
  const refs: Array<SessionRef> = []
  for (const project of entries(sessionRoot)) {
    for (const name of entries(join(sessionRoot, project))) {
      if (!name.endsWith(".json")) continue
      const file = join(sessionRoot, project, name)
      let info: unknown
      try {
        info = JSON.parse(readFileSync(file, "utf8"))
      } catch {
        continue
      }
      if (!isObject(info) || typeof info.id !== "string") continue
      const time = isObject(info.time) ? info.time : {}
      let updatedAt = 0
      if (typeof time.updated === "number") updatedAt = time.updated
      else {
        try {
          updatedAt = statSync(file).mtimeMs
        } catch {}
      }
      if (since !== undefined && updatedAt < since) continue
      refs.push({ id: info.id, updatedAt, store: "json", file })
    }
  }
  return refs.sort((a, b) => a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : 1))
}

/** The database's sessions, read with libsql's synchronous binding (read-only); throws when it cannot be read. */
export const databaseSessions = (path: string): ReadonlyArray<SessionRef> => {
  type Statement = { all(...params: ReadonlyArray<unknown>): ReadonlyArray<Record<string, unknown>> }
  type Database = new (
    path: string,
    options: { readonly readonly: boolean; readonly fileMustExist: boolean }
  ) => { prepare(sql: string): Statement; close(): void }
  const Sqlite = createRequire(import.meta.url)("libsql") as Database
  const db = new Sqlite(path, { readonly: true, fileMustExist: true })
  try {
    if (db.prepare(TABLES_SQL).all().length < 3) throw new Error("not an OpenCode database")
    return db.prepare(LIST_SQL).all(0).map(refOfRow)
  } finally {
    db.close()
  }
}

/** Where the import looked, and how many sessions it listed in each store (legacy ones the database lacks). */
export interface Counts {
  readonly fromDatabase: number
  readonly fromLegacy: number
  /** The database, when it exists. */
  readonly database: string | null
  /** The legacy store, when it has sessions the database lacks. */
  readonly legacy: string | null
}

/**
 * The sessions `import` reads, in order: the database's (`fromDb`; `database` says whether it was there), then the
 * legacy store's that the database lacks; with how many came from each.
 */
export const combine = (
  fromDb: ReadonlyArray<SessionRef>,
  legacy: ReadonlyArray<SessionRef>,
  where: { readonly database: string; readonly legacy: string },
  database: boolean
): { readonly refs: ReadonlyArray<SessionRef>; readonly counts: Counts } => {
  const inDb = new Set(fromDb.map((ref) => ref.id))
  const fromLegacy = legacy.filter((ref) => !inDb.has(ref.id))
  return {
    refs: [...fromDb, ...fromLegacy],
    counts: {
      fromDatabase: fromDb.length,
      fromLegacy: fromLegacy.length,
      database: database ? where.database : null,
      legacy: fromLegacy.length > 0 ? where.legacy : null
    }
  }
}

/** The line `import` ends with: `2000 sessions (3 new, …): read 3 session(s) (2000 from …/opencode.db), …`. */
export const summary = (
  totals: ImportText.Read,
  counts: Counts,
  where: { readonly database: string; readonly legacy: string }
): string => {
  const from = [
    counts.database !== null ? `${counts.fromDatabase} from ${counts.database}` : null,
    counts.legacy !== null ? `${counts.fromLegacy} from ${counts.legacy}` : null
  ].filter((text) => text !== null)
  return totals.found.sessions === 0
    ? `No OpenCode sessions found (looked in ${where.database} and ${where.legacy}).`
    : `${ImportText.foundText(totals.found)}: read ${totals.items} session(s) (${from.join(", ")}), ` +
        `${totals.events} event(s) queued.`
}
