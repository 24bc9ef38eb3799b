import { Api, type Event, type Ids, type Stats } from "@opensync/domain"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"

/**
 * A storage fault. `full`: the disk (or the storage quota) is full and nothing was written; the handlers answer 507
 * and keep serving reads. `failure`: anything else; the handlers answer 500 with a request id and log the cause.
 */
export class StorageError extends Data.TaggedError("StorageError")<{
  readonly reason: "full" | "failure"
  readonly cause: unknown
}> {
  /** What a command line says (`opensync sessions delete` on a full disk printed "Failed to execute statement"). */
  override get message(): string {
    return this.reason === "full"
      ? `the disk holding the data is full (or a size limit or quota was reached): nothing was changed. Free some space and run the command again. (${rootMessage(this.cause)})`
      : `the data could not be read or written: ${rootMessage(this.cause)}`
  }
}

/** The innermost message of an error chain (`SqlError` → the driver's error), without a stack. */
export const rootMessage = (cause: unknown): string => {
  let at = cause
  for (
    let depth = 0;
    depth < 8 && typeof at === "object" && at !== null && "cause" in at && at.cause !== undefined;
    depth++
  )
    at = at.cause
  return at instanceof Error ? at.message : String(at)
}

/** A list cursor this store did not issue (or that no longer parses). */
export class InvalidCursor extends Data.TaggedError("InvalidCursor")<{ readonly cursor: string }> {}

/**
 * What one batch did to each event. `deleted`: events of sessions the user deleted (the store keeps tombstones).
 * `refused`: events the store cannot hold (a storage limit), with why; the others of the batch are applied.
 */
export interface IngestResult {
  readonly stored: ReadonlyArray<Ids.EventId>
  readonly duplicates: ReadonlyArray<Ids.EventId>
  readonly stale: ReadonlyArray<Ids.EventId>
  readonly deleted: ReadonlyArray<Ids.EventId>
  readonly refused: ReadonlyArray<{ readonly id: Ids.EventId; readonly error: string }>
}

/** A page of sessions for an export, oldest first; `next` is the position after the page, or null at the end. */
export interface ExportPage {
  readonly sessions: ReadonlyArray<Api.SessionSummary>
  readonly next: string | null
}

/**
 * The session store port: everything the HTTP contract needs from storage, scoped to one user per call. The SQLite
 * store (`packages/server`) and the Convex store (`convex/`) are its adapters; both apply the domain's pure ingestion
 * (`Batch`, `Ingest`, `Rollup`) and only adapt it to their storage.
 */
export class SessionStore extends Context.Tag("@opensync/backend/SessionStore")<
  SessionStore,
  {
    /** Applies new events; remembers nothing of events whose session the user deleted (answered as `deleted`). */
    readonly ingest: (
      userId: Ids.UserId,
      events: ReadonlyArray<Event.Event>
    ) => Effect.Effect<IngestResult, StorageError>
    readonly list: (
      userId: Ids.UserId,
      params: Api.ListSessionsParams
    ) => Effect.Effect<Api.SessionPage, StorageError | InvalidCursor>
    readonly get: (userId: Ids.UserId, id: string) => Effect.Effect<Option.Option<Api.SessionDetail>, StorageError>
    /** Deletes one session and what hangs off it, and keeps a tombstone so its events are never stored again. */
    readonly remove: (
      userId: Ids.UserId,
      id: string
    ) => Effect.Effect<Option.Option<{ readonly messages: number; readonly toolCalls: number }>, StorageError>
    /** Deletes all of the user's data (keys and the user stay), keeping tombstones of every deleted session. */
    readonly removeAll: (userId: Ids.UserId) => Effect.Effect<Api.DataDeleted, StorageError>
    /** Progress of the user's last `removeAll` (`done` when it finished, or when there was none). */
    readonly removal: (userId: Ids.UserId) => Effect.Effect<Api.DataStatus, StorageError>
    /** Every session id of the user (the legacy protocol's `/sync/sessions/list`). */
    readonly ids: (userId: Ids.UserId) => Effect.Effect<ReadonlyArray<string>, StorageError>
    readonly stats: (
      userId: Ids.UserId,
      range: Stats.Range,
      filters: Api.SessionFilters
    ) => Effect.Effect<Api.Stats, StorageError>
    /** The values the session filters can take, with session counts (`Stats.facets` over the all-time rollups). */
    readonly facets: (userId: Ids.UserId) => Effect.Effect<Api.Facets, StorageError>
    /** Records that the user's telemetry (OTLP) reached the server at `at` (server clock, epoch ms). */
    readonly noteTelemetry: (userId: Ids.UserId, at: number) => Effect.Effect<void, StorageError>
    /** When the user's telemetry last reached the server, or null when it never did. */
    readonly lastTelemetry: (userId: Ids.UserId) => Effect.Effect<number | null, StorageError>
    /** Sessions matching the filters, oldest first, after a position this method returned (null: from the start). */
    readonly exportPage: (
      userId: Ids.UserId,
      filters: Api.SessionFilters,
      after: string | null,
      size: number
    ) => Effect.Effect<ExportPage, StorageError | InvalidCursor>
  }
>() {}

/** The caller of the current request and the store: what most handlers start with. */
export const caller = Effect.all({ user: Api.CurrentUser, store: SessionStore })
