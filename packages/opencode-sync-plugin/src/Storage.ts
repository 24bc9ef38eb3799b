import { existsSync } from "node:fs"
import { readdir, readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import type { Client, InValue } from "@libsql/client"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Paths from "./Agent.js"
import * as Sessions from "./Sessions.js"
import type { Json, MessageSnapshot, SessionSnapshot } from "./Tracker.js"

/*
 * OpenCode's session store, read-only, for `opencode-sync import`: the SQLite `opencode.db` of OpenCode ≥ 1.2 (typed
 * session columns; `message.data` / `part.data` hold the JSON without the id columns) and the JSON files of ≤ 1.1
 * (`storage/session/<project>/<ses>.json`, `storage/message/<ses>/<msg>.json`, `storage/part/<msg>/<prt>.json`).
 * Both yield the `SessionSnapshot` the live plugin builds, so `Mapping.toEvents` treats them alike.
 */

type Env = Readonly<Record<string, string | undefined>>

/** A stored session found by `list`. */
export type SessionRef = Sessions.SessionRef

/** OpenCode's store could not be read. */
export class StorageReadError extends Data.TaggedError("StorageReadError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Cannot read OpenCode's sessions at ${this.path}: ${this.reason}`
  }
}

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const parseJson = (text: unknown): Json | undefined => {
  if (typeof text !== "string") return undefined
  try {
    const value: unknown = JSON.parse(text)
    return isObject(value) ? value : undefined
  } catch {
    return undefined
  }
}

const byId = (a: Json, b: Json) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0)

// ---------------------------------------------------------------------------------------------------------------------
// SQLite

/** The session info of a `session` row, in the shape of OpenCode's Session object. */
export const sessionInfoOfRow = (row: Readonly<Record<string, unknown>>): Json => {
  const model = parseJson(row.model)
  const info: Record<string, unknown> = {
    id: row.id,
    slug: row.slug,
    projectID: row.project_id,
    directory: row.directory,
    title: row.title,
    version: row.version,
    time: { created: Number(row.time_created), updated: Number(row.time_updated) }
  }
  if (typeof row.parent_id === "string" && row.parent_id !== "") info.parentID = row.parent_id
  if (typeof row.agent === "string") info.agent = row.agent
  if (model !== undefined) info.model = model
  return info
}

/**
 * A stored session, and how many of its records could not be read (a row's `data` or a file that is not a JSON object
 * with its id, a file cut short): left out, and counted so `import` says so and reads the session again next time.
 */
export interface Loaded {
  readonly snapshot: SessionSnapshot
  readonly malformed: number
}

/** A read-only view of `opencode.db`. */
export interface SqliteStore {
  readonly path: string
  readonly list: (since: number | undefined) => Effect.Effect<ReadonlyArray<SessionRef>, StorageReadError>
  /** The session with the count of its rows that could not be read; undefined when it is not there. */
  readonly read: (id: string) => Effect.Effect<Loaded | undefined, StorageReadError>
  readonly load: (id: string) => Effect.Effect<SessionSnapshot | undefined, StorageReadError>
}

/** Opens `path` (scoped: closed with the scope); undefined when the file does not exist. */
export const openSqlite = (path: string) =>
  Effect.gen(function* () {
    if (!existsSync(path)) return undefined
    const fail = (cause: unknown) => new StorageReadError({ path, reason: describe(cause) })
    const client: Client = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          // `require`, not `import()`: the CLI runs through V8's code cache (a `vm` script), where Node 20 refuses an
          // `import()` of a package; its CommonJS build is the same client
          const { createClient } = createRequire(import.meta.url)("@libsql/client") as typeof import("@libsql/client")
          return createClient({ url: pathToFileURL(path).href })
        },
        catch: fail
      }),
      (client) => Effect.sync(() => client.close())
    )
    const query = (sql: string, args: Array<InValue> = []) =>
      Effect.tryPromise({ try: () => client.execute({ sql, args }), catch: fail }).pipe(
        Effect.map((result) => result.rows as unknown as ReadonlyArray<Readonly<Record<string, unknown>>>)
      )
    const tables = yield* query(Sessions.TABLES_SQL)
    if (tables.length < 3) {
      return yield* new StorageReadError({
        path,
        reason: "it has no session, message and part tables (not an OpenCode database?)"
      })
    }
    const read = (id: string) =>
      Effect.gen(function* () {
        const [session] = yield* query("SELECT * FROM session WHERE id = ?", [id])
        if (session === undefined) return undefined
        const messageRows = yield* query("SELECT id, session_id, data FROM message WHERE session_id = ? ORDER BY id", [
          id
        ])
        const partRows = yield* query(
          "SELECT id, message_id, session_id, data FROM part WHERE session_id = ? ORDER BY id",
          [id]
        )
        let malformed = 0
        const parts = new Map<string, Array<Json>>()
        for (const row of partRows) {
          const data = parseJson(row.data)
          if (data === undefined) {
            malformed++
            continue
          }
          const messageId = String(row.message_id)
          // Given its ids in place (a fresh parse nothing else holds): V8 adds properties to a spread's copy on a slow path
          const part = Object.assign(data, {
            id: String(row.id),
            sessionID: String(row.session_id),
            messageID: messageId
          })
          const list = parts.get(messageId)
          if (list === undefined) parts.set(messageId, [part])
          else list.push(part)
        }
        const messages: Array<MessageSnapshot> = []
        for (const row of messageRows) {
          const data = parseJson(row.data)
          if (data === undefined) {
            malformed++
            continue
          }
          const messageId = String(row.id)
          messages.push({
            info: Object.assign(data, { id: messageId, sessionID: id }),
            parts: parts.get(messageId) ?? []
          })
        }
        const snapshot: SessionSnapshot = { sessionId: id, info: sessionInfoOfRow(session), messages }
        return { snapshot, malformed } satisfies Loaded
      })
    const store: SqliteStore = {
      path,
      list: (since) => query(Sessions.LIST_SQL, [since ?? 0]).pipe(Effect.map((rows) => rows.map(Sessions.refOfRow))),
      read,
      load: (id) => Effect.map(read(id), (loaded) => loaded?.snapshot)
    }
    return store
  })

// ---------------------------------------------------------------------------------------------------------------------
// Legacy JSON

const entries = (dir: string) => Effect.promise(() => readdir(dir).catch((): Array<string> => []))

/** The file's JSON object; `gone` when it was deleted since it was listed, undefined when it cannot be read. */
const readJson = (file: string) =>
  Effect.promise(
    (): Promise<Json | "gone" | undefined> =>
      readFile(file, "utf8").then(
        (text) => parseJson(text),
        (error) => ((error as NodeJS.ErrnoException).code === "ENOENT" ? "gone" : undefined)
      )
  )

/** Every session file under `storage/session/<project>/`, with its last update (`Sessions.legacySessions`). */
export const listLegacy = (root: string, since: number | undefined) =>
  Effect.sync(() => Sessions.legacySessions(root, since))

/** One legacy session with its messages and parts, and the count of its files that could not be read. */
export const readLegacy = (root: string, ref: SessionRef) =>
  Effect.gen(function* () {
    let malformed = 0
    // A file with its id, else counted (a file deleted since it was listed is not)
    const record = (json: Json | "gone" | undefined): Json | undefined => {
      if (json === "gone") return undefined
      if (json !== undefined && typeof json.id === "string") return json
      malformed++
      return undefined
    }
    const info = ref.file === undefined ? undefined : record(yield* readJson(ref.file))
    const messageDir = join(root, "message", ref.id)
    const messages: Array<MessageSnapshot> = []
    for (const name of (yield* entries(messageDir)).sort()) {
      if (!name.endsWith(".json")) continue
      const message = record(yield* readJson(join(messageDir, name)))
      if (message === undefined) continue
      const partDir = join(root, "part", String(message.id))
      const parts: Array<Json> = []
      for (const partName of yield* entries(partDir)) {
        if (!partName.endsWith(".json")) continue
        const part = record(yield* readJson(join(partDir, partName)))
        if (part !== undefined) parts.push(part)
      }
      messages.push({ info: message, parts: parts.sort(byId) })
    }
    const snapshot: SessionSnapshot = {
      sessionId: ref.id,
      info: info ?? null,
      messages: messages.sort((a, b) => byId(a.info, b.info))
    }
    return { snapshot, malformed } satisfies Loaded
  })

/** One legacy session with its messages and parts (what could be read of them). */
export const loadLegacy = (root: string, ref: SessionRef) =>
  Effect.map(readLegacy(root, ref), ({ snapshot }) => snapshot)

/** Where `import` looks, from the environment (`XDG_DATA_HOME`, `OPENCODE_DATA_DIR`, `OPENCODE_DB`). */
export const locations = (env: Env = process.env) => ({
  database: Paths.openCodeDatabase(env),
  legacy: Paths.openCodeLegacyStorage(env)
})
