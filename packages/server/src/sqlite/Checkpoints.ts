import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as WorkerThread from "./WorkerThread.js"

/**
 * WAL checkpoints (copying committed pages from `opensync.db-wal` into `opensync.db`, with an `fsync` of each) off the
 * request path. SQLite runs them inside the COMMIT that pushes the WAL past 1,000 pages: on batches of 500 events that
 * was about three quarters of the COMMIT's time, on the server's one thread. Here a worker thread with its own
 * connection runs a PASSIVE checkpoint after commits (never blocking the writer or readers), on the second core.
 */
export class Checkpoints extends Context.Tag("@opensync/server/Checkpoints")<
  Checkpoints,
  {
    /** Called after each committed write transaction. */
    readonly committed: () => void
  }
>() {}

/** Checkpoints as SQLite runs them by itself, in the COMMIT (CLI commands: a few writes, then exit). */
export const inline = Layer.succeed(Checkpoints, Checkpoints.of({ committed: () => {} }))

/**
 * WAL size (pages) at which the writer's own connection still checkpoints in its COMMIT: a backstop should the worker
 * fall behind or fail, far above the ~500 pages one batch adds.
 */
export const backstopPages = 16_384

/**
 * The worker's code (CommonJS, evaluated): one connection; a commit notice starts a PASSIVE checkpoint, at most one per
 * `intervalMs` (notices that arrive meanwhile are folded into the next one, so many small commits, as of single events,
 * do not each pay a checkpoint and its fsyncs). A failed checkpoint (a full disk, a busy lock) is left to the next:
 * the WAL keeps every committed page until one succeeds.
 */
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads")
const Database = require(workerData.libsql)
const db = new Database(workerData.filename)
db.exec("PRAGMA busy_timeout = 5000")
db.exec("PRAGMA synchronous = NORMAL")
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)")
let pending = false
let last = 0
const run = () => {
  pending = false
  last = Date.now()
  try { checkpoint.all() } catch {}
  parentPort.postMessage("done")
}
parentPort.on("message", (message) => {
  if (message === "close") {
    try { db.close() } catch {}
    parentPort.close()
    return
  }
  if (!pending) {
    pending = true
    setTimeout(run, Math.max(0, last + workerData.intervalMs - Date.now()))
  }
})
`

/** Background checkpoints on the SQLite file at `filename`; the worker ends (and closes its connection) with the scope. */
export const background = (filename: string, intervalMs = 250) =>
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
          const worker = new Worker(workerSource, { eval: true, workerData: { filename, libsql, intervalMs } })
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
      worker.on("message", () => {
        busy = false
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
        }
      })
    })
  )
