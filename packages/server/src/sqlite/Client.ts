import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlConnection from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import Database from "libsql"

/**
 * `@effect/sql`'s client over libsql's synchronous SQLite binding (`libsql`, the engine `@libsql/client` wraps, shipped
 * as a prebuilt binary in its npm package), with prepared statements kept and reused. `@libsql/client` prepares every
 * statement on every call, turns each row into an object property by property and answers through a promise: on a
 * batch of 500 events that was about a sixth of the server's CPU time (measured against better-sqlite3 through
 * `@effect/sql-sqlite-node`, which keeps statements too, see docs/benchmarks.md).
 */

/**
 * Statements kept per connection; the least recently used is dropped beyond it. Multi-row inserts take one shape per
 * row count, so most of a batch's big statements are used once and age out (splitting rows into a few fixed shapes
 * prepared less but cost more CPU per event: measured, not kept).
 */
const statementCacheSize = 100

type Bindable = string | number | bigint | Uint8Array | null

/** Values as SQLite binds them: booleans as 0/1, undefined as NULL (what `@libsql/client` did too). */
const bindable = (params: ReadonlyArray<unknown>): Array<Bindable> =>
  params.map((value) =>
    value === undefined ? null : typeof value === "boolean" ? (value ? 1 : 0) : (value as Bindable)
  )

const failure = (message: string) => (cause: unknown) => new SqlError({ cause, message })

/** A connection to the SQLite file at `filename`, closed with its scope. */
const connect = (filename: string) =>
  Effect.gen(function* () {
    const db = yield* Effect.acquireRelease(
      Effect.try({ try: () => new Database(filename), catch: failure(`Could not open ${filename}`) }),
      (db) => Effect.sync(() => db.close())
    )
    const statements = new Map<string, Database.Statement>()
    const prepared = (sql: string): Database.Statement => {
      const known = statements.get(sql)
      if (known !== undefined) {
        statements.delete(sql)
        statements.set(sql, known)
        return known
      }
      const statement = db.prepare(sql)
      statements.set(sql, statement)
      if (statements.size > statementCacheSize) statements.delete(statements.keys().next().value as string)
      return statement
    }
    const run = (statement: () => Database.Statement, params: ReadonlyArray<unknown>, values: boolean) =>
      Effect.try({
        try: (): ReadonlyArray<object> => {
          const s = statement()
          if (!s.reader) {
            s.run(bindable(params))
            return []
          }
          if (!values) return s.all(bindable(params)) as ReadonlyArray<object>
          s.raw(true)
          try {
            return s.all(bindable(params)) as ReadonlyArray<object>
          } finally {
            s.raw(false)
          }
        },
        catch: failure("Failed to execute statement")
      })
    return {
      execute: (sql, params, transformRows) => {
        const rows = run(() => prepared(sql), params, false)
        return transformRows === undefined ? rows : Effect.map(rows, transformRows)
      },
      executeRaw: (sql, params) =>
        Effect.try({
          try: () => {
            const s = prepared(sql)
            return s.reader ? s.all(bindable(params)) : s.run(bindable(params))
          },
          catch: failure("Failed to execute statement")
        }),
      executeValues: (sql, params) =>
        Effect.map(
          run(() => prepared(sql), params, true),
          (rows) => rows as ReadonlyArray<ReadonlyArray<unknown>>
        ),
      executeUnprepared: (sql, params, transformRows) => {
        const rows = run(() => db.prepare(sql), params, false)
        return transformRows === undefined ? rows : Effect.map(rows, transformRows)
      },
      executeStream: () => Stream.dieMessage("streaming queries are not supported on SQLite here")
    } satisfies SqlConnection.Connection
  })

/**
 * The `SqlClient` for one SQLite file: one connection; a statement waits for the one before it, and a transaction
 * (`sql.withTransaction`, the migrator's) holds the connection until it ends.
 */
export const make = (filename: string) =>
  Effect.gen(function* () {
    const connection = yield* connect(filename)
    const permit = yield* Effect.makeSemaphore(1)
    const transactionAcquirer = Effect.uninterruptibleMask((restore) =>
      Effect.as(
        Effect.zipRight(
          restore(permit.take(1)),
          Effect.tap(Effect.scope, (scope) => Scope.addFinalizer(scope, permit.release(1)))
        ),
        connection
      )
    )
    return yield* SqlClient.make({
      acquirer: permit.withPermits(1)(Effect.succeed(connection)),
      transactionAcquirer,
      compiler: Statement.makeCompilerSqlite(),
      spanAttributes: [["db.system.name", "sqlite"]]
    })
  })

/** The client as a layer (`SqlClient`), its connection closed when the layer is released. */
export const layer = (filename: string) =>
  Layer.scoped(SqlClient.SqlClient, make(filename)).pipe(Layer.provide(Reactivity.layer))
