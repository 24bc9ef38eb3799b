import { closeSync, mkdirSync, openSync, rmSync, statSync } from "node:fs"
import { dirname } from "node:path"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

/** A lock older than this belongs to a process that died holding it. */
const staleAfterMs = 5 * 60_000

/**
 * The single-sync lock of a plugin's state directory: a file created exclusively, released when the scope closes. The
 * effect succeeds with `false` (and holds nothing) when another live sync has it; a lock left by a dead process is
 * taken over.
 */
export const acquire = (file: string): Effect.Effect<boolean, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          closeSync(openSync(file, "wx"))
          return true
        } catch {
          try {
            if (Date.now() - statSync(file).mtimeMs > staleAfterMs) rmSync(file, { force: true })
            else return false
          } catch {
            // removed meanwhile: try again
          }
        }
      }
      return false
    }),
    (held) => (held ? Effect.sync(() => rmSync(file, { force: true })) : Effect.void)
  )
