import { Errors } from "@opensync/domain"
import * as Effect from "effect/Effect"
import { rootMessage, type StorageError } from "./SessionStore.js"

/** A short id that ties a 5xx answer to its log line. */
export const requestId = (): string => `req_${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`

export const diskFullMessage =
  "The server's disk is full (or a size limit or quota was reached), so nothing was written (what is already stored " +
  "is safe, and reading still works). Free disk space on the server; syncing resumes by itself."

/**
 * Turns storage faults into answers: a full disk is 507 with a message that says so; any other fault is a 500 whose
 * body says nothing about internals but carries a request id, logged with the cause.
 */
const answer = (e: StorageError): Effect.Effect<never, Errors.InsufficientStorage | Errors.InternalError> => {
  const id = requestId()
  return e.reason === "full"
    ? // one line per refused write: a client retrying against a full disk would otherwise print a stack each time
      Effect.logWarning(`storage full (${id}): ${rootMessage(e.cause)}`).pipe(
        Effect.zipRight(Effect.fail(new Errors.InsufficientStorage({ error: diskFullMessage, requestId: id })))
      )
    : Effect.logError(`storage failure (${id})`, e.cause).pipe(
        Effect.zipRight(
          Effect.fail(
            new Errors.InternalError({
              error: `Internal server error; the server log has details under ${id}.`,
              requestId: id
            })
          )
        )
      )
}

const isStorageError = (e: unknown): e is StorageError =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "StorageError"

export const orStorageFailure = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, StorageError> | Errors.InsufficientStorage | Errors.InternalError, R> =>
  Effect.catchAll(
    effect,
    (e): Effect.Effect<never, Exclude<E, StorageError> | Errors.InsufficientStorage | Errors.InternalError> =>
      isStorageError(e) ? answer(e) : Effect.fail(e as Exclude<E, StorageError>)
  )
