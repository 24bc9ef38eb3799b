import type { Worker } from "node:worker_threads"
import * as Effect from "effect/Effect"

/**
 * Ends one of the server's worker threads (`Checkpoints.ts`, `SearchIndex.ts`): asks it to close its connection and
 * exit (the message "close"), and terminates it if it has not within 5 s. Answers at once when its thread already
 * ended (`exited`: after a failure).
 */
export const close = (worker: Worker, exited: () => boolean) =>
  Effect.promise(
    () =>
      new Promise<void>((done) => {
        if (exited()) return done()
        const timer = setTimeout(() => void worker.terminate().then(() => done()), 5_000)
        worker.once("exit", () => {
          clearTimeout(timer)
          done()
        })
        worker.postMessage("close")
      })
  )
