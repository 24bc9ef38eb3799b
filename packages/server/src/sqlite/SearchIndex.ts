import { closeSync, existsSync, openSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { Worker } from "node:worker_threads"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import Database from "libsql"
import { damage } from "./errors.js"
import * as Fts from "./fts.js"
import * as WorkerThread from "./WorkerThread.js"

/**
 * The full-text index lives in a file of its own, `search.db` beside `opensync.db`, so that it can be written by a second
 * thread while the server's thread writes the sessions: SQLite allows one writer per file. Indexing was about a fifth
 * of the server's CPU per synced event; with the short-prefix indexes (`Fts.createTable`) it would be twice that.
 *
 * The contract between the two files:
 * - A write transaction on `opensync.db` that adds, changes or deletes messages also queues their rowids in
 *   `search_queue`, in the same transaction: what is stored is always queued.
 * - The indexer (`indexStep`) takes queued rowids in order and makes each entry match its message as it is now; it
 *   commits its changes and its position (`search_state.applied`) together in `search.db`. A crash before that commit
 *   repeats the step; a step is idempotent.
 * - The server's writes delete queue rows the search file holds (`Writer`), and a search first waits until what was
 *   queued before it is indexed (`caughtUp`), so it sees what was synced before it.
 * - The search file is used only while it holds this database's queue: its `search_state.pair` equals
 *   `opensync.db`'s `search_pair`, and its position lies within the queue (`prepare`). Any other (a restored copy, one
 *   deleted by hand, one of another database) is rebuilt from the messages when the database opens.
 */

/** The search file of a data dir. */
export const searchFile = (dataDir: string) => join(dataDir, "search.db")

/** Queued rowids one indexer step takes (a transaction of `search.db`). */
export const stepSize = 2_000

/**
 * How long the indexer waits after a commit's notice before its step, gathering the commits that follow into that step
 * (a search waiting for it asks for the step at once). FTS5 writes a segment per transaction and merges segments as they
 * pile up: a step per batch of 500 events cost the indexer 74–76 µs of CPU per event, a step per 200 ms 65–70, and a
 * step per single-event write was an `fsync` each (docs/benchmarks.md).
 */
export const gatherMs = 200

/**
 * The indexer thread's nice value (Linux): indexing is background work, so the server's thread (storing the next batch)
 * and the user's agents come first when the cores are busy; it still has the cores to itself when they are not. A
 * search waiting for it asks for a step at once, and a step of a few messages takes milliseconds at any priority.
 */
export const niceness = 10

/**
 * How long the indexer waits with nothing queued before it merges the index's segments (`mergeStep`): idle time, so
 * the merging never competes with indexing during an import or a sync.
 */
export const mergeIdleMs = 1_000

/**
 * Pages one merge step writes at most (a step is one transaction of the search file): 25–40 ms of work here, so a
 * search that asks the indexer for a step meanwhile waits about as long.
 */
export const mergePages = 200

/** How long a search waits for the indexer before it answers from the index as it is. */
export const catchUpMs = 10_000

/**
 * How far behind (queued rowids) the indexer may be for a search to wait for it: a few seconds of work. Further
 * behind (a rebuild after an upgrade or a restore, 2M messages in minutes) a search answers at once from the index as
 * it is, as it does while the indexer fails (a full disk).
 */
export const catchUpEntries = 20_000

/** A prepared statement of libsql's synchronous binding, as the indexer uses it. */
interface RawStatement {
  get(...params: ReadonlyArray<unknown>): Record<string, unknown> | undefined
  all(...params: ReadonlyArray<unknown>): ReadonlyArray<Record<string, unknown>>
  run(...params: ReadonlyArray<unknown>): unknown
}

/** A libsql connection to `opensync.db` with the search file attached as `search`. */
export interface RawConnection {
  prepare(sql: string): RawStatement
  exec(sql: string): unknown
}

/** What one step did: the queue position the search file now holds, and whether more was queued behind it. */
export interface StepResult {
  readonly applied: number
  readonly indexed: number
  readonly more: boolean
}

/**
 * One indexer step on `db`: the queued rowids after `search_state.applied` (at most `limit`), each made to match its
 * message: the entry it has is taken out (the table's `_docsize` row says whether it has one), and the message's
 * current text is indexed when the message exists, belongs to the queued user and has text. A message rowid of 0
 * clears the user's table (all of their data was deleted). The changes and the new position commit together. Rowids
 * are handled per user in sets (three statements per user and step), in runs between clearings.
 *
 * Self-contained (no imports, no outer names, statements kept in `cache`): the worker thread evaluates its source text.
 * `tableSql` creates a user's table, `{name}` standing for its name.
 */
export function indexStep(db: RawConnection, cache: Map<string, RawStatement>, tableSql: string, limit: number) {
  const prepare = (text: string): RawStatement => {
    let statement = cache.get(text)
    if (statement === undefined) {
      statement = db.prepare(text)
      cache.set(text, statement)
    }
    return statement
  }
  const position = prepare("SELECT applied FROM search.search_state WHERE id = 1")
  const queued = prepare(
    "SELECT seq, user_rowid, message_rowid FROM main.search_queue WHERE seq > ? ORDER BY seq LIMIT ?"
  )
  // A look without locks first: most notices find nothing new.
  const before = Number(position.get()?.applied ?? 0)
  if (queued.all(before, 1).length === 0) return { applied: before, indexed: 0, more: false } satisfies StepResult
  // First, in short reads of `opensync.db` alone: the queued rows, the queue's end and the database's pair, then the
  // texts of the queued messages, copied into a temporary table `textsPerRead` at a time (each read newer than the
  // queue's, so no text is older than the change that queued it). The indexing then reads only that copy, so this
  // connection holds no snapshot of `opensync.db` while FTS5 works, nor for long at all: a snapshot held that long kept
  // checkpoints from copying the whole WAL and the WAL from starting over, and one read of a step's 2,000 texts (40 ms,
  // 100 ms at worst, here) often outlasted what a restart waits for readers (`Checkpoints.truncatePages`).
  db.exec(
    "CREATE TEMP TABLE IF NOT EXISTS step_texts (user_rowid INTEGER NOT NULL, message_rowid INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (user_rowid, message_rowid)) WITHOUT ROWID"
  )
  /** Runs `body` in a transaction: committed when it returns, rolled back when it throws. */
  const transaction = <A>(body: () => A): A => {
    db.exec("BEGIN")
    try {
      const result = body()
      db.exec("COMMIT")
      return result
    } catch (error) {
      try {
        db.exec("ROLLBACK")
      } catch {}
      throw error
    }
  }
  const { rows, end, pair } = transaction(() => {
    prepare("DELETE FROM temp.step_texts").run()
    return {
      rows: queued.all(before, limit),
      // The queue's end as this step sees the database: recorded, so an opensync.db that later lacks commits this
      // step read (a power loss, a restored copy) is recognised and the search file rebuilt.
      end: Number(prepare("SELECT seq FROM main.sqlite_sequence WHERE name = 'search_queue'").get()?.seq ?? 0),
      pair: prepare("SELECT pair FROM main.search_pair WHERE id = 1").get()?.pair
    }
  })
  const textsPerRead = 250
  const byUser = new Map<number, Array<number>>()
  for (const row of rows) {
    const message = Number(row.message_rowid)
    if (message === 0) continue
    const user = Number(row.user_rowid)
    const messages = byUser.get(user) ?? []
    messages.push(message)
    byUser.set(user, messages)
  }
  // Each message is looked up by its rowid; `+m.user_id` keeps the owner check from being an index constraint. As one,
  // SQLite read the user's every entry of `messages_by_time` for each read: 170 ms for 250 texts on a 2M-message
  // store (1.5 ms by rowid), so the indexer managed ~1,000 messages a second there with a core busy.
  for (const [user, messages] of byUser) {
    for (let from = 0; from < messages.length; from += textsPerRead) {
      prepare(
        "INSERT OR REPLACE INTO temp.step_texts (user_rowid, message_rowid, text) SELECT ?, rowid, text FROM (" +
          "SELECT m.rowid AS rowid, json_extract(m.data, '$.text') AS text FROM main.messages AS m " +
          "WHERE m.rowid IN (SELECT value FROM json_each(?)) AND +m.user_id = (SELECT id FROM main.users WHERE rowid = ?)) " +
          "WHERE typeof(text) = 'text' AND text != ''"
      ).run(user, JSON.stringify(messages.slice(from, from + textsPerRead)), user)
    }
  }
  return transaction((): StepResult => {
    // The first statement writes, so it waits for (busy_timeout) and takes the search file's write lock before anything
    // is read: another process's indexer (a CLI command beside the server) cannot apply a stale step after it. A
    // missing state row (a rebuild that failed) is made with an empty pair, so the next open rebuilds the file.
    prepare(
      "INSERT INTO search.search_state (id, pair, applied, seen) VALUES (1, '', 0, 0) ON CONFLICT (id) DO UPDATE SET applied = applied"
    ).run()
    // A file that is not this database's (its rebuild has not happened or failed) is never written on.
    if (prepare("SELECT pair FROM search.search_state WHERE id = 1").get()?.pair !== pair)
      throw new Error("the search file belongs to another database; it is rebuilt when the store next opens")
    const applied = Number(position.get()?.applied ?? 0)
    // Another indexer moved the position since the rows were read: they are not this step's to apply.
    if (applied !== before || rows.length === 0) return { applied, indexed: 0, more: rows.length > 0 }
    const created = new Set<number>()
    const table = (user: number) => {
      const name = `message_fts_${user}`
      if (!created.has(user)) {
        db.exec(tableSql.replace("{name}", name))
        created.add(user)
      }
      return name
    }
    /** Message rowids per user since the last clearing. */
    let run = new Map<number, Set<number>>()
    const flush = () => {
      for (const [user, messages] of run) {
        const name = table(user)
        const ids = JSON.stringify([...messages])
        prepare(
          `DELETE FROM search.${name} WHERE rowid IN (SELECT id FROM search.${name}_docsize ` +
            "WHERE id IN (SELECT value FROM json_each(?)))"
        ).run(ids)
        prepare(
          `INSERT INTO search.${name} (rowid, text) SELECT message_rowid, text FROM temp.step_texts ` +
            "WHERE user_rowid = ? AND message_rowid IN (SELECT value FROM json_each(?))"
        ).run(user, ids)
      }
      run = new Map()
    }
    for (const row of rows) {
      const user = Number(row.user_rowid)
      const message = Number(row.message_rowid)
      if (message === 0) {
        flush()
        const name = table(user)
        prepare(`INSERT INTO search.${name} (${name}) VALUES ('delete-all')`).run()
        continue
      }
      const messages = run.get(user) ?? new Set<number>()
      run.set(user, messages.add(message))
    }
    flush()
    const reached = Number(rows[rows.length - 1]!.seq)
    prepare("UPDATE search.search_state SET applied = ?, seen = max(seen, ?) WHERE id = 1").run(reached, end)
    prepare("DELETE FROM temp.step_texts").run()
    return { applied: reached, indexed: rows.length, more: rows.length === limit }
  })
}

/**
 * One step of merging while the indexer is idle: an FTS5 `merge` of at most `pages` pages on the first user table that
 * has segments to merge; whether one had. FTS5 writes a segment per indexer step and, as it indexes, merges them four
 * of a level at a time, so a table grown over many steps keeps several segments a level (10 on a 2M-message store),
 * and a prefix query merges the entries of every word it starts in each of them. With `usermerge = 2` (set here once
 * per table and process; FTS5 keeps it in the table), idle merging leaves about one segment per level. Measured on 2M
 * messages (10 segments merged to 3): `pexqua*` (335,448 messages) was gathered in 82 ms before and 37–48 ms after,
 * `the` in 282 and 78–111 ms, and the merge took 87 s of one core, once (docs/benchmarks.md). Later steps merge what an
 * import or a sync added.
 *
 * Self-contained, as `indexStep` is: the worker thread evaluates its source text. `tuned` holds the tables whose
 * `usermerge` this process has set.
 */
export function mergeStep(db: RawConnection, tuned: Set<string>, pages: number): boolean {
  // Prepared on each step, not kept: a step is rare (idle time) and its work dwarfs preparing three statements.
  const tables = db
    .prepare(
      "SELECT name FROM search.sqlite_master WHERE type = 'table' AND name GLOB 'message_fts_[0-9]*' " +
        "AND sql LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
    )
    .all()
  const changes = db.prepare("SELECT total_changes() AS n")
  for (const row of tables) {
    const name = String(row.name)
    if (!tuned.has(name)) {
      db.prepare(`INSERT INTO search.${name} (${name}, rank) VALUES ('usermerge', 2)`).run()
      tuned.add(name)
    }
    // FTS5's documented test: a merge that found segments to merge changed at least two rows.
    const before = Number(changes.get()?.n ?? 0)
    db.prepare(`INSERT INTO search.${name} (${name}, rank) VALUES ('merge', ?)`).run(pages)
    if (Number(changes.get()?.n ?? 0) - before >= 2) return true
  }
  return false
}

/** `indexStep` until nothing is queued, or `steps` were taken; the position reached. */
const indexAll = (db: RawConnection, cache: Map<string, RawStatement>, steps = Number.POSITIVE_INFINITY) => {
  let result = indexStep(db, cache, tableSql, stepSize)
  for (let taken = 1; result.more && taken < steps; taken++) result = indexStep(db, cache, tableSql, stepSize)
  return result.applied
}

/** The statement creating a user's table in the search file, `{name}` standing for its name (`indexStep`). */
const tableSql = Fts.createTable("{name}", "search")

/**
 * Opens `opensync.db` (`filename`) with the search file attached, as the indexer uses it, with libsql's `Database`.
 * Self-contained, as `indexStep` is: the worker thread evaluates its source text too.
 */
export function openIndexer(
  Database: new (filename: string) => RawConnection & { close(): void },
  filename: string,
  searchFile: string,
  maxPages: number | undefined
) {
  const db = new Database(filename)
  db.exec("PRAGMA busy_timeout = 5000")
  db.prepare("ATTACH ? AS search").run(searchFile)
  // A committed step survives a power loss, so the search file is never behind rows the writer trimmed.
  db.exec("PRAGMA search.synchronous = FULL")
  if (maxPages !== undefined) db.exec(`PRAGMA search.max_page_count = ${maxPages}`)
  return db
}

/** `openIndexer` for the data dir `dataDir`. */
const openRaw = (dataDir: string, maxPages: number | undefined) =>
  openIndexer(
    Database as unknown as new (
      filename: string
    ) => RawConnection & { close(): void },
    join(dataDir, "opensync.db"),
    searchFile(dataDir),
    maxPages
  )

export class SearchIndex extends Context.Tag("@opensync/server/SearchIndex")<
  SearchIndex,
  {
    /** Called after each committed write transaction of `opensync.db`: what it queued gets indexed. */
    readonly committed: () => void
    /**
     * Waits until the queue position `queued` is indexed, so a search sees what was synced before it: at most
     * `catchUpMs`, and not at all when the indexer stopped, fails, or is more than `catchUpEntries` behind.
     */
    readonly caughtUp: (queued: number) => Effect.Effect<void>
    /** The queue position the search file holds: queue rows up to it may be deleted. */
    readonly applied: () => number
    /**
     * Runs a read with the search file attached to `opensync.db`'s connection as `search`, the connection held for it.
     * It is attached only for a search: the writer's `BEGIN IMMEDIATE` takes the write lock of every attached file,
     * so with the search file attached for good each batch waited for the indexer's commit and blocked the next one
     * (measured: 7 % fewer events/s than indexing in the writer's thread).
     */
    readonly reading: <A, E, R>(read: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>
    /** Whether a search reads the search file: false once it turned out damaged (titles only until a restart). */
    readonly searchable: () => boolean
  }
>() {}

/** Creates the search file when it is missing, readable by its owner only (as `opensync.db` is), for SQLite to open. */
const ensureFile = (dataDir: string) => {
  const file = searchFile(dataDir)
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600))
}

/**
 * `SearchIndex.reading` for the search file of `dataDir`; with none, an empty database stands in for it (no user has a
 * table there: searches match titles only).
 */
const readingIn =
  (sql: SqlClient.SqlClient, dataDir: string | undefined) =>
  <A, E, R>(read: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
    Effect.scoped(
      Effect.gen(function* () {
        const connection = yield* sql.reserve
        const on = <X, Y, Z>(step: Effect.Effect<X, Y, Z>) =>
          Effect.provideService(step, SqlClient.TransactionConnection, [connection, 0])
        const attach = Effect.gen(function* () {
          const attached = yield* on(
            sql<{ n: number }>`SELECT count(*) AS n FROM pragma_database_list WHERE name = 'search'`
          )
          if ((attached[0]?.n ?? 0) > 0) return
          if (dataDir !== undefined) ensureFile(dataDir)
          yield* on(sql`ATTACH ${dataDir === undefined ? ":memory:" : searchFile(dataDir)} AS search`)
        })
        // Detached however the read ends (an interruption included): the connection goes back to the pool, where an
        // attached search file would take part in the writer's transactions.
        return yield* Effect.acquireUseRelease(
          attach,
          () => on(read),
          () =>
            on(sql.unsafe("DETACH search")).pipe(
              Effect.catchAll((error) => Effect.logWarning(`Could not detach the search file: ${String(error.cause)}`))
            )
        )
      })
    ) as Effect.Effect<A, E | SqlError, R>

/**
 * `readingIn` for searches, on a search file that may turn out damaged where `prepare`'s checks do not look (pages of
 * a search table overwritten: SQLite's `integrity_check` passed, and every search that read them answered 500, start
 * after start). Then this process reads without it (titles only, as with an untrusted file: `searchable`), the database's
 * `search_pair` is renewed so that the indexer stops writing to the file and the next start rebuilds it from the
 * messages, and the read runs again.
 */
const guardedReading = (sql: SqlClient.SqlClient, dataDir: string) => {
  let damaged = false
  const reading = <A, E, R>(read: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
    Effect.suspend(() => readingIn(sql, damaged ? undefined : dataDir)(read)).pipe(
      Effect.catchAll((error) => {
        const reason = damaged ? undefined : damage(error)
        if (reason === undefined) return Effect.fail(error)
        damaged = true
        return Effect.logWarning(
          `The search file ${searchFile(dataDir)} is damaged (${reason}): searches match session titles only until ` +
            "the server starts again and rebuilds it from the stored messages. Nothing stored is lost."
        ).pipe(
          Effect.zipRight(
            sql`UPDATE search_pair SET pair = lower(hex(randomblob(16))) WHERE id = 1`.pipe(
              Effect.catchAll((cause) =>
                Effect.logWarning(`Could not mark the search file for a rebuild: ${String(cause.cause)}`)
              )
            )
          ),
          Effect.zipRight(readingIn(sql, undefined)(read))
        )
      })
    )
  return { reading, searchable: () => !damaged }
}

/** The search file's position, as `prepare` left it (0 when it has none: the indexer then starts from the queue's start). */
const storedPosition = (dataDir: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    readingIn(
      sql,
      dataDir
    )(
      Effect.map(
        sql<{ applied: number }>`SELECT applied FROM search.search_state WHERE id = 1`,
        (rows) => rows[0]?.applied ?? 0
      )
    )
  ).pipe(Effect.orElseSucceed(() => 0))

/**
 * The search index of a process that may not use the search file (`Trust`): nothing is indexed or trimmed, and
 * searches see an empty index (titles only).
 */
export const untrusted = Layer.effect(
  SearchIndex,
  Effect.map(SqlClient.SqlClient, (sql) =>
    SearchIndex.of({
      committed: () => {},
      caughtUp: () => Effect.void,
      applied: () => 0,
      reading: readingIn(sql, undefined),
      searchable: () => false
    })
  )
)

/**
 * Indexing in the writer's thread on a second connection (CLI commands: a few writes, then exit): after each commit
 * at most `catchUpEntries` queued rowids (so a command after an upgrade does not rebuild the whole index first), and
 * before a search everything queued. A failure (a full disk) is logged and left queued: the next commit or search
 * tries again.
 */
export const inline = (dataDir: string, maxPages?: number) =>
  Layer.scoped(
    SearchIndex,
    Effect.gen(function* () {
      const runtime = yield* Effect.runtime<never>()
      let applied = yield* storedPosition(dataDir)
      const db = yield* Effect.acquireRelease(
        Effect.sync(() => openRaw(dataDir, maxPages)),
        (db) => Effect.sync(() => db.close())
      )
      const cache = new Map<string, RawStatement>()
      const run = (steps?: number) => {
        try {
          applied = indexAll(db, cache, steps)
        } catch (error) {
          Runtime.runFork(runtime)(
            Effect.logWarning(`Search indexing failed (${String(error)}); it is retried on the next write or search.`)
          )
        }
      }
      return SearchIndex.of({
        committed: () => run(Math.ceil(catchUpEntries / stepSize)),
        caughtUp: (queued) => Effect.sync(() => (queued > applied ? run() : undefined)),
        applied: () => applied,
        ...guardedReading(yield* SqlClient.SqlClient, dataDir)
      })
    })
  )

/**
 * The worker's code (CommonJS, evaluated): a connection as `openIndexer` makes it. A commit's notice (`"work"`) starts
 * steps `gatherMs` later, a search's (`"now"`) at once; steps follow one another until nothing is queued, each followed
 * by a message with the position reached. A failed step (a full disk) is reported and retried a second later; what is
 * queued stays queued. It starts with a step, for what was queued before the server started (a crash, a rebuild).
 * With nothing queued for `mergeIdleMs`, it merges the index's segments (`mergeStep`), a step at a time, until there is
 * nothing left to merge; any notice stops that until the indexer is idle again.
 */
const workerSource = () => `
const { parentPort, workerData } = require("node:worker_threads")
const indexStep = (${indexStep.toString()})
const mergeStep = (${mergeStep.toString()})
const openIndexer = (${openIndexer.toString()})
// Below the server's thread and the user's own programs in the scheduler (Linux, where a thread has a nice value of
// its own, named by /proc/thread-self; elsewhere the thread keeps the process's).
try {
  const thread = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop())
  if (thread > 0) require("node:os").setPriority(thread, workerData.niceness)
} catch {}
const db = openIndexer(require(workerData.libsql), workerData.filename, workerData.searchFile, workerData.maxPages)
const cache = new Map()
const tuned = new Set()
let closed = false
// The step to come: undefined, or the time it is due and its timer.
let next
let retry
// The next merge step's timer, while idle.
let merging
const merge = () => {
  merging = undefined
  if (closed || next !== undefined) return
  let merged
  try {
    merged = mergeStep(db, tuned, workerData.mergePages)
  } catch {
    // A full disk or a busy file: merging is an optimisation; it is tried again after the next indexer step.
    return
  }
  if (merged) merging = setTimeout(merge, 0)
}
const run = () => {
  next = undefined
  if (closed) return
  let result
  try {
    result = indexStep(db, cache, workerData.tableSql, workerData.stepSize)
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message ? error.message : error) })
    retry = setTimeout(run, 1000)
    return
  }
  parentPort.postMessage({ applied: result.applied })
  if (result.more) schedule(0)
  else if (next === undefined) {
    clearTimeout(merging)
    merging = setTimeout(merge, workerData.mergeIdleMs)
  }
}
const schedule = (delay) => {
  if (closed) return
  clearTimeout(merging)
  merging = undefined
  const due = Date.now() + delay
  if (next !== undefined && next.due <= due) return
  if (next !== undefined) clearTimeout(next.timer)
  clearTimeout(retry)
  next = { due, timer: setTimeout(run, delay) }
}
parentPort.on("message", (message) => {
  if (message === "close") {
    closed = true
    clearTimeout(retry)
    clearTimeout(merging)
    if (next !== undefined) clearTimeout(next.timer)
    try { db.close() } catch {}
    parentPort.close()
    return
  }
  schedule(message === "now" ? 0 : workerData.gatherMs)
})
schedule(0)
`

/**
 * Indexing in a worker thread (the server), on the second core while the server's thread stores the next batch. If the
 * worker stops, searches stop waiting for it and say nothing new; the queue keeps every change for the next start.
 */
export const background = (dataDir: string, maxPages?: number, gather = gatherMs) =>
  Layer.scoped(
    SearchIndex,
    Effect.gen(function* () {
      const runtime = yield* Effect.runtime<never>()
      const log = (message: string) => Runtime.runFork(runtime)(Effect.logWarning(message))
      let applied = yield* storedPosition(dataDir)
      let stopped = false
      let exited = false
      let lastError: string | undefined
      const waiters = new Set<{ readonly queued: number; readonly wake: () => void }>()
      const wakeAll = () => {
        for (const waiter of waiters) if (stopped || waiter.queued <= applied) waiter.wake()
      }
      const libsql = createRequire(import.meta.url).resolve("libsql")
      const worker = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const worker = new Worker(workerSource(), {
            eval: true,
            workerData: {
              filename: join(dataDir, "opensync.db"),
              searchFile: searchFile(dataDir),
              libsql,
              maxPages,
              stepSize,
              gatherMs: gather,
              mergeIdleMs,
              mergePages,
              niceness,
              tableSql
            }
          })
          worker.unref()
          worker.on("message", (message: { readonly applied?: number; readonly error?: string }) => {
            if (message.applied !== undefined) {
              applied = Math.max(applied, message.applied)
              lastError = undefined
              wakeAll()
            } else if (message.error !== undefined && message.error !== lastError) {
              lastError = message.error
              log(`Search indexing failed (${message.error}); retrying. Synced messages stay queued for it.`)
            }
          })
          worker.once("exit", () => {
            exited = true
            stopped = true
            wakeAll()
          })
          worker.on("error", (error) => {
            if (stopped) return
            stopped = true
            wakeAll()
            log(
              `Search indexing stopped (${error.message}): searches miss messages synced from now on until the ` +
                "server restarts. Nothing is lost: they stay queued."
            )
          })
          return worker
        }),
        (worker) => WorkerThread.close(worker, () => exited)
      )
      return SearchIndex.of({
        committed: () => {
          if (!stopped) worker.postMessage("work")
        },
        caughtUp: (queued) =>
          queued <= applied || stopped || lastError !== undefined || queued - applied > catchUpEntries
            ? Effect.void
            : Effect.async<void>((resume) => {
                const waiter = {
                  queued,
                  wake: () => {
                    clearTimeout(timer)
                    waiters.delete(waiter)
                    resume(Effect.void)
                  }
                }
                const timer = setTimeout(() => {
                  waiters.delete(waiter)
                  log(`A search waited ${catchUpMs} ms for the search index; it answered from the index as it was.`)
                  resume(Effect.void)
                }, catchUpMs)
                waiters.add(waiter)
                worker.postMessage("now")
                return Effect.sync(() => {
                  clearTimeout(timer)
                  waiters.delete(waiter)
                })
              }),
        applied: () => applied,
        ...guardedReading(yield* SqlClient.SqlClient, dataDir)
      })
    })
  )

/**
 * Whether this process may use the search file: `prepare` found it to hold this database's queue, or rebuilt it. An
 * untrusted file is never read, written or used to trim the queue: searches match titles only and the queue keeps
 * everything until a later start rebuilds the file.
 */
export interface Trust {
  trusted: boolean
}

/**
 * Creates the search file beside the database (in WAL mode, with its `search_state`), and rebuilds it when it does not
 * hold this database's queue: every user's table cleared, every message queued again. Sets `trust`: a file that could
 * not be checked or rebuilt (another process held it longer than the busy timeout, a full disk) is not used by this
 * process; one that needed a rebuild and could not get one for a reason of its own (a full disk) is also deleted.
 */
export const prepare = (dataDir: string, trust: Trust) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const verdict = { foreign: false }
    const attempt = Effect.either(readingIn(sql, dataDir)(rebuildIfForeign(sql, verdict)))
    let result = yield* attempt
    if (result._tag === "Left" && unreadable(result.left)) {
      removeFiles(dataDir)
      yield* Effect.logWarning(
        `The search file ${searchFile(dataDir)} was unreadable (${String(result.left.cause)}); it was deleted and is ` +
          "rebuilt from the stored messages."
      )
      result = yield* attempt
    }
    trust.trusted = result._tag === "Right"
    if (result._tag === "Left") {
      // Deleted only when it could not be rebuilt for a reason of its own (a full disk): while another process holds
      // it (busy), that process may be rebuilding it, and deleting files SQLite has open corrupts the next ones made.
      if (verdict.foreign && !busy(result.left)) removeFiles(dataDir)
      yield* Effect.logWarning(
        `The search file ${searchFile(dataDir)} could not be checked or rebuilt (${String(result.left.cause)}); ` +
          "until a later start can, searches match session titles only. Nothing stored is lost: every change stays " +
          "queued for it."
      )
    }
  })

const removeFiles = (dataDir: string) => {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${searchFile(dataDir)}${suffix}`, { force: true })
}

/** A statement that gave up waiting for another connection's lock. */
const busy = (error: SqlError) =>
  String((error.cause as { readonly code?: unknown } | undefined)?.code ?? "").startsWith("SQLITE_BUSY")

/** A search file SQLite cannot read: not a database, or corrupt. It holds nothing that the messages do not. */
const unreadable = (error: SqlError) => {
  const code = (error.cause as { readonly code?: unknown } | undefined)?.code
  return code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT"
}

/**
 * Rebuilds the attached search file unless it holds this database's queue: its pair is this database's, its position
 * lies between what the database trimmed from the queue (rows it no longer has) and the queue's end, and no step of
 * the indexer saw a queue end past the database's (`seen`). Past the end means `opensync.db` lacks commits the search
 * file was built from: it was restored from an older copy, or lost its last commits in a power loss (it is written
 * with `synchronous = NORMAL`); the queue's next rows would take positions the search file counts as done, and
 * messages would keep the entries of text they no longer have.
 */
const rebuildIfForeign = (sql: SqlClient.SqlClient, verdict: { foreign: boolean }) =>
  Effect.gen(function* () {
    yield* sql.unsafe("PRAGMA search.journal_mode = WAL")
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS search.search_state (
      id INTEGER PRIMARY KEY CHECK (id = 1), pair TEXT NOT NULL, applied INTEGER NOT NULL, seen INTEGER NOT NULL
    )`)
    const columns = yield* sql<{ name: string }>`SELECT name FROM pragma_table_info('search_state', 'search')`
    if (!columns.some((column) => column.name === "seen")) {
      yield* sql.unsafe("ALTER TABLE search.search_state ADD COLUMN seen INTEGER NOT NULL DEFAULT 0")
    }
    /** Whether the search file holds this database's queue. */
    const holds = Effect.gen(function* () {
      const [own] = yield* sql<{ pair: string }>`SELECT pair FROM search_pair WHERE id = 1`
      const [held] = yield* sql<{
        pair: string
        applied: number
        seen: number
      }>`SELECT pair, applied, seen FROM search.search_state WHERE id = 1`
      const end = yield* queueEnd(sql)
      // Rows leave the queue only by trimming, in order (AUTOINCREMENT leaves no gaps): every row before the first
      // one left, or every row when none is left, was trimmed.
      const [first] = yield* sql<{ seq: number | null }>`SELECT min(seq) AS seq FROM search_queue`
      const trimmed = first?.seq === null || first?.seq === undefined ? end : first.seq - 1
      return (
        own !== undefined &&
        held !== undefined &&
        held.pair === own.pair &&
        held.applied >= trimmed &&
        held.applied <= end &&
        held.seen <= end
      )
    })
    if (yield* holds) return
    verdict.foreign = true
    // One transaction, holding both files' write locks: it looks again (another process opening this database at the
    // same time, a CLI command beside the server, may have rebuilt the file meanwhile and trimmed the queue since), then
    // queues every message and resets the search file. SQLite commits the two files one after the other: if only the
    // queue's commit survives a crash, the pair still differs and the next open rebuilds again; if only the search
    // file's does (a power loss, `opensync.db` being written with synchronous = NORMAL), its `seen` is past the queue's
    // end, and the next open rebuilds again. The transaction is the held connection's own (`sql.withTransaction` would
    // make a savepoint of it); IMMEDIATE waits (busy_timeout) for another process's write instead of failing at once.
    yield* sql.unsafe("BEGIN IMMEDIATE")
    const rebuilt = yield* Effect.exit(
      Effect.gen(function* () {
        if (yield* holds) return
        const start = yield* queueEnd(sql)
        yield* sql`INSERT INTO search_queue (user_rowid, message_rowid)
          SELECT users.rowid, messages.rowid FROM messages JOIN users ON users.id = messages.user_id
          ORDER BY messages.rowid`
        const [own] = yield* sql<{ pair: string }>`SELECT pair FROM search_pair WHERE id = 1`
        const tables = yield* sql<{ name: string }>`SELECT name FROM search.sqlite_master
          WHERE type = 'table' AND name GLOB 'message_fts_[0-9]*' AND sql LIKE 'CREATE VIRTUAL TABLE%'`
        for (const { name } of tables) yield* sql.unsafe(`DROP TABLE search.${name}`)
        const end = yield* queueEnd(sql)
        yield* sql`INSERT INTO search.search_state (id, pair, applied, seen) VALUES (1, ${own?.pair ?? ""}, ${start},
          ${end}) ON CONFLICT (id) DO UPDATE SET pair = excluded.pair, applied = excluded.applied, seen = excluded.seen`
      })
    )
    yield* sql.unsafe(rebuilt._tag === "Success" ? "COMMIT" : "ROLLBACK")
    yield* rebuilt
    verdict.foreign = false
  })

/** The queue's last position: the last row it had, left or trimmed (AUTOINCREMENT counts on, never reusing one). */
const queueEnd = (sql: SqlClient.SqlClient) =>
  Effect.map(
    sql<{ seq: number }>`SELECT seq FROM sqlite_sequence WHERE name = 'search_queue'`,
    (rows) => rows[0]?.seq ?? 0
  )

/**
 * Queues message rowids of a user for the indexer (`0`: all of the user's entries), inside the write transaction that
 * changed them.
 */
export const makeQueue = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rowidOf = Fts.userRowids(sql)
  const userRowid = (userId: string) =>
    Effect.flatMap(rowidOf(userId), (rowid) =>
      rowid === undefined ? Effect.dieMessage(`search entries of an unknown user ${userId}`) : Effect.succeed(rowid)
    )
  /** Queues these message rowids. */
  const messages = (userId: string, messageRowids: ReadonlyArray<number>) =>
    Effect.gen(function* () {
      if (messageRowids.length === 0) return
      const user = yield* userRowid(userId)
      // One statement text for any number of rowids: prepared once.
      yield* sql`INSERT INTO search_queue (user_rowid, message_rowid)
        SELECT ${user}, value FROM json_each(${JSON.stringify(messageRowids)})`
    })
  /** Queues the messages `select` (a query of `rowid`s) finds, before they are deleted. */
  const selected = (userId: string, select: Statement.Fragment) =>
    Effect.flatMap(
      userRowid(userId),
      (user) => sql`INSERT INTO search_queue (user_rowid, message_rowid) SELECT ${user}, rowid FROM (${select})`
    )
  /** Queues the clearing of all of the user's entries. */
  const all = (userId: string) =>
    Effect.flatMap(
      userRowid(userId),
      (user) => sql`INSERT INTO search_queue (user_rowid, message_rowid) VALUES (${user}, 0)`
    )
  /** The last queue position, for `SearchIndex.caughtUp`. */
  const position = queueEnd(sql)
  return { messages, selected, all, position } as const
})
