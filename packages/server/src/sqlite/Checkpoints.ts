import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as WorkerThread from "./WorkerThread.js"

/**
 * WAL checkpoints (copying committed pages from `opensync.db-wal` into `opensync.db`, with an `fsync` of each) off the
 * request path. SQLite runs them inside the COMMIT that pushes the WAL past 1,000 pages: on batches of 500 events that
 * was about three quarters of the COMMIT's time, on the server's one thread. Here a worker thread with its own
 * connection runs a PASSIVE checkpoint after commits (never blocking the writer or readers), on the second core, and
 * keeps the WAL from growing without end (`truncatePages`).
 */
export class Checkpoints extends Context.Tag("@opensync/server/Checkpoints")<
  Checkpoints,
  {
    /** Called after each committed write transaction. */
    readonly committed: () => void
    /**
     * Run before each write transaction: when the WAL has grown past `truncatePages`, waits (without holding the event
     * loop) while the worker starts it over, at most `restartWaitMs` plus the checkpoint's own time.
     */
    readonly beforeWrite: Effect.Effect<void>
  }
>() {}

/** Checkpoints as SQLite runs them by itself, in the COMMIT (CLI commands: a few writes, then exit). */
export const inline = Layer.succeed(Checkpoints, Checkpoints.of({ committed: () => {}, beforeWrite: Effect.void }))

/**
 * WAL size (pages, 512 MiB) at which the writer's own connection still checkpoints in its COMMIT: a backstop should the
 * worker fall behind or fail, far above `truncatePages`. (At 64 MiB, before the WAL was started over, it ran in every
 * COMMIT of a long backfill once the WAL had grown past it.)
 */
export const backstopPages = 131_072

/**
 * WAL size (pages, 128 MiB) past which the WAL is started over. A PASSIVE checkpoint copies the WAL's pages into the
 * database but never moves the WAL back to its start: a writer does, when the whole WAL had been copied as its
 * transaction began and no reader was still using it, and under steady writes with checkpoints and the indexer's reads
 * beside them that almost never happened. The WAL grew for as long as writes went on, and kept its size after: 804 MiB
 * after 300,000 events (a 579 MiB database), 9.9 GB after the read benchmark's 2.9 M events (docs/benchmarks.md); past
 * `backstopPages`, every COMMIT also ran a checkpoint of its own. So when the worker finds the WAL this long, the next
 * write waits while the worker runs a RESTART checkpoint (it has copied most of the WAL already; it waits up to
 * `restartWaitMs` for readers), and that write's COMMIT cuts the file back to this size (`journal_size_limit`). A
 * restart holds writes up for ~80 ms (copying what came since the last checkpoint, and its `fsync`s): at 32 MiB they
 * cost more than they saved (300,000 events in batches of 500: 34.6-37.4 s, against 30.9-31.6 s at 64 MiB and
 * 28.7-29.3 s at 128 MiB, and 34.3-36.8 s before, with the WAL at 850-1,063 MiB). When writes stop, the worker empties
 * a WAL of `idlePages` or more (a TRUNCATE checkpoint) after `idleMs`.
 */
export const truncatePages = 32_768

/** How long the worker's RESTART or TRUNCATE checkpoint waits for readers (or a writer) before it gives up. */
const restartWaitMs = 100

/**
 * Quiet time after the last checkpoint before the worker empties the WAL file, when it is `idlePages` (4 MiB) or more
 * long (after a restart the file keeps `truncatePages` of length even when little of it is in use).
 */
const idleMs = 1_000
const idlePages = 1_024

/** After a RESTART that could not finish, the next waits for twice as many reports of a long WAL, up to this many. */
const maxBackoff = 8

/**
 * The worker's code (CommonJS, evaluated): one connection; a commit notice starts a PASSIVE checkpoint, at most one per
 * `intervalMs` (notices that arrive meanwhile are folded into the next one, so many small commits, as of single events,
 * do not each pay a checkpoint and its fsyncs). A failed checkpoint (a full disk, a busy lock) is left to the next:
 * the WAL keeps every committed page until one succeeds. Each reports the WAL's length in pages (-1 when it failed).
 * The message "restart" runs a RESTART checkpoint at once and answers whether it finished; "close" closes the
 * connection, and nothing runs after it (a checkpoint waiting for its turn would fail on the closed connection).
 */
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const { statSync } = require("node:fs")
const Database = require(workerData.libsql)
const db = new Database(workerData.filename)
db.exec("PRAGMA busy_timeout = 5000")
db.exec("PRAGMA synchronous = NORMAL")
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)")
const restart = db.prepare("PRAGMA wal_checkpoint(RESTART)")
const truncate = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)")
let pending = false
let last = 0
let quiet
let later
let closed = false
const briefly = (statement) => {
  try {
    db.exec("PRAGMA busy_timeout = " + workerData.restartWaitMs)
    try { return statement.get().busy === 0 } finally { db.exec("PRAGMA busy_timeout = 5000") }
  } catch {
    return false
  }
}
const run = () => {
  pending = false
  if (closed) return
  last = Date.now()
  let log = -1
  try { log = checkpoint.get().log } catch {}
  clearTimeout(quiet)
  quiet = setTimeout(() => {
    if (closed) return
    let bytes = 0
    try { bytes = statSync(workerData.filename + "-wal").size } catch {}
    if (bytes >= workerData.idlePages * 4096) briefly(truncate)
  }, workerData.idleMs)
  parentPort.postMessage(log)
}
parentPort.on("message", (message) => {
  clearTimeout(quiet)
  if (message === "close") {
    // A checkpoint waiting for its turn, or the quiet second's, would find the connection closed.
    closed = true
    clearTimeout(later)
    try { db.close() } catch {}
    parentPort.close()
    return
  }
  if (message === "restart") {
    last = Date.now()
    parentPort.postMessage({ restarted: briefly(restart) })
    return
  }
  if (!pending && !closed) {
    pending = true
    later = setTimeout(run, Math.max(0, last + workerData.intervalMs - Date.now()))
  }
})
`

/** Background checkpoints on the SQLite file at `filename`; the worker ends (and closes its connection) with the scope. */
export const background = (filename: string, intervalMs = 250, truncateAt = truncatePages) =>
  Layer.scoped(
    Checkpoints,
    Effect.gen(function* () {
      const libsql = createRequire(import.meta.url).resolve("libsql")
      const runtime = yield* Effect.runtime<never>()
      /** Set when the worker failed: commits stop notifying it, and the writer's backstop checkpoints the WAL. */
      let failed = false
      /** Set when the worker's thread ended (after a failure, or at close). */
      let exited = false
      const worker = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const worker = new Worker(workerSource, {
            eval: true,
            workerData: {
              filename,
              libsql,
              intervalMs,
              truncatePages: truncateAt,
              restartWaitMs,
              idleMs,
              idlePages
            }
          })
          worker.unref()
          worker.once("exit", () => {
            exited = true
          })
          worker.on("error", (error) => {
            if (failed) return
            failed = true
            Runtime.runFork(runtime)(
              Effect.logWarning(
                `Background WAL checkpoints stopped (${error.message}); the database checkpoints in its commits past ` +
                  `${backstopPages} pages from now on. Nothing written is lost.`
              )
            )
          })
          return worker
        }),
        (worker) => WorkerThread.close(worker, () => exited)
      )
      let busy = false
      let again = false
      /** Set when the worker found the WAL past `truncateAt`: the next write waits for it to be started over. */
      let long = false
      let backoff = 0
      let skip = 0
      /** The writes waiting for the worker's RESTART, while one runs. */
      let restarting: Deferred.Deferred<void> | undefined
      worker.on("message", (message: number | { readonly restarted: boolean }) => {
        if (typeof message !== "number") {
          backoff = message.restarted ? 0 : Math.min(maxBackoff, Math.max(1, backoff * 2))
          skip = backoff
          long = false
          if (restarting !== undefined) Deferred.unsafeDone(restarting, Exit.void)
          restarting = undefined
          return
        }
        busy = false
        if (skip > 0) skip--
        else long = message >= truncateAt
        if (again) {
          again = false
          busy = true
          worker.postMessage("commit")
        }
      })
      return Checkpoints.of({
        committed: () => {
          if (failed) return
          if (busy) again = true
          else {
            busy = true
            worker.postMessage("commit")
          }
        },
        beforeWrite: Effect.suspend(() => {
          if (!long || failed) return Effect.void
          if (restarting === undefined) {
            restarting = Deferred.unsafeMake<void>(FiberId.none)
            worker.postMessage("restart")
          }
          // A worker that stops answering (it failed meanwhile) holds no write up for long.
          return Effect.ignore(Effect.timeout(Deferred.await(restarting), "2 seconds"))
        })
      })
    })
  )
