/**
 * The sessions OpenCode keeps, as `opencode-sync import` lists them and names them in its bookkeeping: the rows of
 * `opencode.db`'s `session` table and the legacy JSON store's session files, each with its update time (OpenCode bumps
 * it with every message and part). What `import` lists (`Storage.ts`, `Import.ts`) and what the quick check of an
 * unchanged history (`bin.ts`) compares with the bookkeeping. No Effect: the CLI's small entry point imports this.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
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

/**
 * Every session file under `<root>/session/<project>/`, with its last update (`time.updated`, else the mtime). A file
 * that cannot be read (cut short) is still a session, named by its file (`<ses>.json`): its messages and parts are
 * read, and the file counted malformed (`Storage.readLegacy`).
 */
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
        info = undefined
      }
      const id = isObject(info) && typeof info.id === "string" ? info.id : name.slice(0, -".json".length)
      if (id === "") continue
      const time = isObject(info) && isObject(info.time) ? info.time : {}
      let updatedAt = 0
      if (typeof time.updated === "number") updatedAt = time.updated
      else {
        try {
          updatedAt = statSync(file).mtimeMs
        } catch {}
      }
      if (since !== undefined && updatedAt < since) continue
      refs.push({ id, updatedAt, store: "json", file })
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

/**
 * What `import` notes of a session it read with records it could not parse (`incomplete`), and of one such that read
 * whole since (`whole`), in the state folder. An update time does not change when a file cut short is repaired: an
 * incomplete session is read by every import (`HistoryItem.always`) until it reads whole, and a noted one is listed
 * under a version of its own (`listedVersion`), so its version is recorded only by a read that was committed after
 * that (an import cut short after the read that found it whole leaves it to the next one).
 */
export type Note = "incomplete" | "whole"

export const notesFile = (stateDir: string): string => join(stateDir, "opencode-incomplete.json")

/** The sessions noted in `notesFile`, by key; none when it is missing or unreadable. */
export const readNotes = (stateDir: string): ReadonlyMap<string, Note> => {
  const notes = new Map<string, Note>()
  try {
    const json: unknown = JSON.parse(readFileSync(notesFile(stateDir), "utf8"))
    if (isObject(json)) {
      for (const [key, note] of Object.entries(json))
        if (note === "incomplete" || note === "whole") notes.set(key, note)
    }
  } catch {}
  return notes
}

/** Replaces `notesFile` (a new file, renamed over it); throws when it cannot be written. */
export const writeNotes = (stateDir: string, notes: ReadonlyMap<string, Note>): void => {
  const file = notesFile(stateDir)
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, JSON.stringify(Object.fromEntries(notes)), { mode: 0o600 })
  renameSync(temp, file)
}

/** The version `import` lists a session under: its update time, with its note (`Note`) when it has one. */
export const listedVersion = (ref: SessionRef, note: Note | undefined): string =>
  note === undefined ? versionOf(ref) : `${versionOf(ref)}:${note}`

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

/**
 * The line `import` ends with: `2000 sessions (3 new, …): read 3 session(s) (2000 from …/opencode.db), … queued`, and
 * how many records could not be read (`, 2 malformed record(s) left out`).
 */
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
        `${totals.events} event(s) queued` +
        (totals.malformed > 0 ? `, ${totals.malformed} malformed record(s) left out (read again next time)` : "") +
        "."
}
