import { StorageError } from "@opensync/backend/SessionStore"
import * as Effect from "effect/Effect"

/**
 * True when SQLite said the disk (or the database's page cap) is full: `SQLITE_FULL`; or that a write failed
 * (`SQLITE_IOERR_WRITE`: SQLite says `SQLITE_FULL` only for ENOSPC, and a file size limit (EFBIG) or a disk quota
 * (EDQUOT) is this one). Either way nothing was written and the client should retry later: 507, not a 500.
 */
export const isDiskFull = (cause: unknown): boolean => {
  for (let e: unknown = cause, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const record = e as { code?: unknown; message?: unknown; cause?: unknown }
    if (
      typeof record.code === "string" &&
      (record.code.startsWith("SQLITE_FULL") || record.code.startsWith("SQLITE_IOERR_WRITE"))
    ) {
      return true
    }
    if (
      typeof record.message === "string" &&
      /database or disk is full|SQLITE_FULL|ENOSPC|EFBIG|EDQUOT/i.test(record.message)
    ) {
      return true
    }
    e = record.cause
  }
  return false
}

/** SQL failures as the port's `StorageError` (full or not). */
export const storage = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, StorageError, R> =>
  Effect.mapError(effect, (cause) => new StorageError({ reason: isDiskFull(cause) ? "full" : "failure", cause }))
