import { accessSync, chmodSync, constants, existsSync, mkdirSync, statfsSync, statSync } from "node:fs"
import { join } from "node:path"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Checkpoints from "./Checkpoints.js"
import * as Client from "./Client.js"
import { damage, storage } from "./errors.js"
import { beforeMigrator, loader } from "./migrations.js"
import * as SearchIndex from "./SearchIndex.js"

/** Where the server keeps its SQLite file, and an optional cap on its size. */
export interface DatabaseOptions {
  readonly dataDir: string
  /** Largest the database may grow, in bytes; writes beyond it fail as on a full disk (507). */
  readonly maxBytes?: number | undefined
  /**
   * WAL checkpoints and search indexing in worker threads (the server) instead of in the writer's thread (CLI
   * commands: checkpoints in the COMMIT that fills the WAL, indexing right after each commit).
   */
  readonly background?: boolean | undefined
  /** With `background`: how long the indexer gathers commits into one step (`SearchIndex.gatherMs`). */
  readonly gatherMs?: number | undefined
  /** With `background`: the WAL length (pages) at which it is started over (`Checkpoints.truncatePages`). */
  readonly walPages?: number | undefined
  /** Refuse a data dir the process cannot write (the server, which writes every event there; not a CLI that reads). */
  readonly writable?: boolean | undefined
}

/** The SQLite file of a data dir. */
export const databaseFile = (dataDir: string) => join(dataDir, "opensync.db")

/** The files SQLite keeps for the database and its search file (`SearchIndex.ts`). */
const databaseFiles = (dataDir: string) =>
  [databaseFile(dataDir), SearchIndex.searchFile(dataDir)].flatMap((file) =>
    ["", "-wal", "-shm"].map((suffix) => `${file}${suffix}`)
  )

/**
 * The data directory and the database files are private: created 0700 and 0600. Returns warnings for anything wider
 * that was already there (the server narrows nothing the user set on purpose; it says so at start).
 */
export const secureDataDir = (dataDir: string): ReadonlyArray<string> => {
  const warnings: Array<string> = []
  if (!existsSync(dataDir)) {
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    } catch (error) {
      throw new Error(
        `Cannot create the data directory ${dataDir}: ${reasonOf(error)}. Choose one this user can write with ` +
          "--data-dir (or OPENSYNC_DATA_DIR)."
      )
    }
  }
  const check = (path: string, allowed: number, what: string) => {
    if (!existsSync(path) || process.platform === "win32") return
    const mode = statSync(path).mode & 0o777
    if ((mode & ~allowed) !== 0) {
      warnings.push(
        `${what} ${path} is readable by others (mode ${mode.toString(8)}); run \`chmod ${allowed.toString(8)} ${path}\`.`
      )
    }
  }
  check(dataDir, 0o700, "The data directory")
  for (const file of databaseFiles(dataDir)) check(file, 0o600, "The database file")
  return warnings
}

const reasonOf = (error: unknown): string =>
  error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error)

/**
 * What keeps the server from writing its data dir (a read-only mount, a folder or file it may not write), or
 * undefined; `access` is `fs.accessSync` (a test gives its own).
 */
export const notWritable = (
  dataDir: string,
  access: (path: string, mode: number) => void = accessSync
): string | undefined => {
  for (const path of [dataDir, ...databaseFiles(dataDir).filter((file) => existsSync(file))]) {
    try {
      access(path, constants.W_OK)
    } catch (error) {
      return (
        `${path} is not writable (${reasonOf(error)}): the server stores every event there. Make it writable, or ` +
        "start the server with another --data-dir."
      )
    }
  }
  return undefined
}

/** Below this much free space the server warns at start that writes will fail. */
export const lowSpaceBytes = 1024 * 1024

/** A warning when the disk holding the data dir is (nearly) full, or undefined. */
export const spaceWarning = (dataDir: string): string | undefined => {
  try {
    const stats = statfsSync(dataDir)
    const free = stats.bavail * stats.bsize
    return free >= lowSpaceBytes
      ? undefined
      : `The disk holding ${dataDir} is full (${free} bytes free): reading works, but syncing answers 507 until you free space (it resumes by itself).`
  } catch {
    return undefined
  }
}

/** New database files are 0600 whatever the umask (SQLite creates them with the process umask). */
const narrowNewFiles = (dataDir: string, existed: ReadonlySet<string>) => {
  if (process.platform === "win32") return
  for (const file of databaseFiles(dataDir)) if (!existed.has(file) && existsSync(file)) chmodSync(file, 0o600)
}

/**
 * Adopts a database migrated before the migrator kept its table: records the migrations `PRAGMA user_version` says
 * ran, so the migrator continues after them.
 */
const adoptUserVersion = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const tables = yield* sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_master WHERE name = 'effect_sql_migrations'`
  if ((tables[0]?.n ?? 0) > 0) return
  const version = (yield* sql<{ user_version: number }>`PRAGMA user_version`)[0]?.user_version ?? 0
  if (version === 0) return
  yield* sql`CREATE TABLE effect_sql_migrations (
    migration_id integer PRIMARY KEY NOT NULL,
    created_at datetime NOT NULL DEFAULT current_timestamp,
    name VARCHAR(255) NOT NULL
  )`
  for (const [index, name] of beforeMigrator.slice(0, version).entries()) {
    yield* sql`INSERT INTO effect_sql_migrations (migration_id, name) VALUES (${index + 1}, ${name})`
  }
})

/** Applies pending migrations (`sqlite/migrations.ts`) with `@effect/sql`'s migrator. */
export const migrate = Effect.zipRight(adoptUserVersion, Migrator.make({})({ loader }))

/** Warnings found when the database was opened (wide permissions), for the server to print at start. */
export class StartupWarnings extends Context.Tag("@opensync/server/StartupWarnings")<
  StartupWarnings,
  ReadonlyArray<string>
>() {}

/**
 * One write transaction at a time on the shared connection, BEGIN IMMEDIATE/COMMIT issued here. The transaction holds
 * the connection (`sql.reserve`) until it ends, and its statements run on it as `sql.withTransaction`'s do, so a
 * statement of another request (a key's revocation, a last-used time) waits instead of landing inside the transaction,
 * where a rollback would silently undo it. (`@libsql/client`, used before `Client.ts`, opened a new connection per
 * `transaction()`: one leaked file descriptor and ~2 MiB per batch.)
 */
export class Writer extends Effect.Service<Writer>()("@opensync/server/Writer", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const checkpoints = yield* Checkpoints.Checkpoints
    const search = yield* SearchIndex.SearchIndex
    /** Queue rows up to here are deleted (`SearchIndex.ts`: the search file holds them). */
    let trimmed = 0
    return {
      /** Runs `effect` in a write transaction; a failed COMMIT (a full disk) fails the write and rolls it back. */
      write: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.uninterruptibleMask((restore) =>
          // Before the connection is reserved: reads go on while a long WAL is started over.
          Effect.zipRight(
            checkpoints.beforeWrite,
            Effect.scoped(
              Effect.gen(function* () {
                const connection = yield* sql.reserve
                const inTransaction = <X, Y, Z>(step: Effect.Effect<X, Y, Z>) =>
                  Effect.provideService(step, SqlClient.TransactionConnection, [connection, 0])
                yield* inTransaction(sql.unsafe("BEGIN IMMEDIATE"))
                const applied = search.applied()
                const done = yield* Effect.exit(
                  restore(
                    inTransaction(
                      applied > trimmed
                        ? Effect.zipRight(sql`DELETE FROM search_queue WHERE seq <= ${applied}`, effect)
                        : effect
                    )
                  )
                )
                const ended = yield* Effect.exit(
                  inTransaction(sql.unsafe(done._tag === "Success" ? "COMMIT" : "ROLLBACK"))
                )
                if (done._tag === "Success" && ended._tag === "Failure") {
                  yield* Effect.ignore(inTransaction(sql.unsafe("ROLLBACK")))
                  return yield* Effect.failCause(ended.cause)
                }
                if (done._tag === "Success") {
                  trimmed = Math.max(trimmed, applied)
                  checkpoints.committed()
                  search.committed()
                }
                return yield* done
              })
            )
          )
        )
    } as const
  })
}) {}

/**
 * The SQLite client for a data dir: WAL mode, schema migrated before first use. A database on a full disk still
 * opens (reads work); writes then fail with `StorageError("full")` until space is freed.
 */
export const layer = (options: DatabaseOptions) =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      const secured = secureDataDir(options.dataDir)
      // (read-only, it started and answered every write with a 500)
      const readOnly = options.writable === true ? notWritable(options.dataDir) : undefined
      if (readOnly !== undefined) throw new Error(readOnly)
      const space = spaceWarning(options.dataDir)
      const warnings = [...secured, ...(space === undefined ? [] : [space])]
      const existed = new Set(databaseFiles(options.dataDir).filter((file) => existsSync(file)))
      const trust: SearchIndex.Trust = { trusted: false }
      const walPages = options.walPages ?? Checkpoints.truncatePages
      const init = Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe("PRAGMA busy_timeout = 5000")
        // A file that is not a database (damaged, cut short, or another file by that name) is named as such, not taken
        // for a full disk by the next statement
        yield* sql.unsafe("SELECT count(*) FROM sqlite_master").pipe(
          Effect.mapError((error) => {
            const reason = damage(error)
            return reason === undefined ? error : DamagedDatabase.of(databaseFile(options.dataDir), reason)
          })
        )
        yield* storage(sql.unsafe("PRAGMA journal_mode = WAL")).pipe(
          Effect.catchAll(() => Effect.logWarning("could not switch the database to WAL mode (disk full?)"))
        )
        yield* migrate
        yield* sql.unsafe("PRAGMA synchronous = NORMAL")
        yield* sql.unsafe("PRAGMA foreign_keys = ON")
        if (options.background === true) {
          yield* sql.unsafe(`PRAGMA wal_autocheckpoint = ${Checkpoints.backstopPages}`)
          yield* sql.unsafe(`PRAGMA journal_size_limit = ${walPages * 4096}`)
        }
        if (options.maxBytes !== undefined) {
          const pageSize = (yield* sql<{ page_size: number }>`PRAGMA page_size`)[0]?.page_size ?? 4096
          yield* sql.unsafe(`PRAGMA max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`)
        }
        yield* SearchIndex.prepare(options.dataDir, trust)
        narrowNewFiles(options.dataDir, existed)
      })
      const checkpoints =
        options.background === true
          ? Checkpoints.background(databaseFile(options.dataDir), undefined, walPages)
          : Checkpoints.inline
      // The search file's cap is the database's (each file is held to it).
      const maxPages = options.maxBytes === undefined ? undefined : Math.max(1, Math.floor(options.maxBytes / 4096))
      // Chosen once `init` has checked the search file (it is built first).
      const search = Layer.unwrapEffect(
        Effect.sync(() =>
          !trust.trusted
            ? SearchIndex.untrusted
            : options.background === true
              ? SearchIndex.background(options.dataDir, maxPages, options.gatherMs)
              : SearchIndex.inline(options.dataDir, maxPages)
        )
      )
      return Layer.mergeAll(Writer.Default, Layer.succeed(StartupWarnings, warnings)).pipe(
        Layer.provide(checkpoints),
        Layer.provideMerge(search),
        Layer.provideMerge(Layer.effectDiscard(init)),
        Layer.provideMerge(Client.layer(databaseFile(options.dataDir)))
      )
    })
  )

/** A data dir whose `opensync.db` SQLite cannot read as a database. */
export class DamagedDatabase extends Data.TaggedError("DamagedDatabase")<{ readonly message: string }> {
  static of(file: string, reason: string) {
    return new DamagedDatabase({
      message:
        `${file} is ${reason}. Nothing was changed. Restore it from a backup, or move it (and its -wal and -shm ` +
        "files) away to start a new, empty store."
    })
  }
}

/** The database's size cap in bytes from `OPENSYNC_MAX_DB_MB`, if set. */
export const maxBytesFromEnv = (value: string | undefined): number | undefined => {
  const mb = Number(value)
  return value === undefined || value.trim() === "" || !Number.isFinite(mb) || mb <= 0 ? undefined : mb * 1024 * 1024
}
