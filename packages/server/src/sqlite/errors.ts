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

/** What SQLite's error says of a file it cannot read as a database; undefined for any other error. */
export const damage = (error: unknown): string | undefined => {
  for (let at: unknown = error, depth = 0; at !== undefined && at !== null && depth < 5; depth++) {
    const text = `${(at as { code?: unknown }).code ?? ""} ${(at as { message?: unknown }).message ?? ""}`
    if (/NOTADB|not a database|file is encrypted/i.test(text)) return "not a SQLite database"
    if (/SQLITE_CORRUPT|malformed/i.test(text)) return "damaged (SQLite reads it as malformed)"
    at = (at as { cause?: unknown }).cause
  }
  return undefined
}
