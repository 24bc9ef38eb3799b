import { StorageError } from "@opensync/backend/SessionStore"
import * as Effect from "effect/Effect"

/** True when SQLite said the disk (or the database's page cap) is full: `SQLITE_FULL`. */
export const isDiskFull = (cause: unknown): boolean => {
  for (let e: unknown = cause, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const record = e as { code?: unknown; message?: unknown; cause?: unknown }
    if (record.code === "SQLITE_FULL" || (typeof record.code === "string" && record.code.startsWith("SQLITE_FULL"))) {
      return true
    }
    if (typeof record.message === "string" && /database or disk is full|SQLITE_FULL|ENOSPC/i.test(record.message)) {
      return true
    }
    e = record.cause
  }
  return false
}

/** SQL failures as the port's `StorageError` (full or not). */
export const storage = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, StorageError, R> =>
  Effect.mapError(effect, (cause) => new StorageError({ reason: isDiskFull(cause) ? "full" : "failure", cause }))
