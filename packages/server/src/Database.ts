import { FileSystem, Path } from "@effect/platform"
import * as SqlClient from "@effect/sql/SqlClient"
import { LibsqlClient } from "@effect/sql-libsql"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { migrations } from "./internal/migrations.js"

/** Where the server keeps its SQLite file. */
export interface DatabaseOptions {
  readonly dataDir: string
}

/** The SQLite file of a data dir. */
export const databaseFile = (dataDir: string, path: Path.Path) => path.join(dataDir, "opensync.db")

/** Applies pending migrations in order, each in its own transaction; the schema version lives in `user_version`. */
export const migrate = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ user_version: number }>`PRAGMA user_version`
  const current = rows[0]?.user_version ?? 0
  for (const [index, statements] of migrations.entries()) {
    const version = index + 1
    if (version <= current) continue
    yield* sql.unsafe("BEGIN IMMEDIATE")
    yield* Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true }).pipe(
      Effect.zipRight(sql.unsafe(`PRAGMA user_version = ${version}`)),
      Effect.zipRight(sql.unsafe("COMMIT")),
      Effect.tapError(() => Effect.ignore(sql.unsafe("ROLLBACK")))
    )
    yield* Effect.logDebug(`migrated database to version ${version}`)
  }
})

/** The SQLite client for a data dir: WAL mode, foreign keys on, schema migrated before first use. */
export const layer = (options: DatabaseOptions) =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      yield* fs.makeDirectory(options.dataDir, { recursive: true })
      const file = databaseFile(options.dataDir, path)
      const init = Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe("PRAGMA journal_mode = WAL")
        yield* sql.unsafe("PRAGMA synchronous = NORMAL")
        yield* sql.unsafe("PRAGMA foreign_keys = ON")
        yield* sql.unsafe("PRAGMA busy_timeout = 5000")
        yield* migrate
      })
      return Layer.effectDiscard(init).pipe(Layer.provideMerge(LibsqlClient.layer({ url: `file:${file}` })))
    })
  )
