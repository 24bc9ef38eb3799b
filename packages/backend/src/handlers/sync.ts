import { HttpApiBuilder } from "@effect/platform"
import { Api, Batch, Errors, type Event, Legacy, Limits, Redaction } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { caller } from "../SessionStore.js"
import { orStorageFailure } from "../Storage.js"

/** `POST /sync/events`: each event decoded on its own, so one bad event is rejected while the rest are stored. */
export const SyncLive = HttpApiBuilder.group(Api.OpenSyncApi, "sync", (handlers) =>
  handlers.handle("events", ({ payload }) =>
    Effect.gen(function* () {
      const { user, store } = yield* caller
      if (payload.events.length > Limits.maxEventsPerBatch) {
        return yield* new Errors.BadRequest({
          error: `Too many events in one request (${payload.events.length}); send at most ${Limits.maxEventsPerBatch} per batch.`
        })
      }
      const { events, rejected } = Batch.decodeEvents(payload.events)
      const { refused, ...result } = yield* orStorageFailure(store.ingest(user.userId, events))
      return { ...result, rejected: [...rejected, ...Batch.rejections(payload.events, refused)] }
    })
  )
)

/**
 * The existing OpenSync plugins never redacted secrets, so what arrives through their protocol is redacted here, as a
 * second line, with the plugins' own rules (`Redaction` of the domain); the event keeps its id (a digest of the body).
 */
export const redactLegacy = <E extends Event.Event>(event: E): E => {
  const { id, ...content } = event
  const redacted = Redaction.redactValue(content)
  return redacted === content ? event : ({ ...redacted, id } as E)
}

/**
 * A clock that never goes back, for the time legacy events carry. The legacy protocol sends no time of its own: the
 * server's time orders a message or session rewritten later after the copy it replaces (an event older than the stored
 * row is stale, `Ingest`). After the machine's clock stepped back (NTP), every update was answered ok and dropped.
 * Per process: a server started again while its clock is still behind the stored times drops them until it catches up.
 */
export const monotonicClock = (now: () => number = Date.now): (() => number) => {
  let last = Number.NEGATIVE_INFINITY
  return () => {
    last = Math.max(now(), last + 1)
    return last
  }
}

const legacyNow = monotonicClock()

/** Stores the one event of a legacy body, or answers 400 with why the body maps to none. */
const ingestOne = <E extends Event.Event>(decoded: Either.Either<E, string>) =>
  Effect.gen(function* () {
    if (Either.isLeft(decoded)) return yield* new Errors.BadRequest({ error: decoded.left })
    const { user, store } = yield* caller
    yield* orStorageFailure(store.ingest(user.userId, [redactLegacy(decoded.right)]))
    return decoded.right
  })

/** The protocol of the existing OpenSync plugins, mapped onto the same events (`Legacy`) and the same ingestion. */
export const LegacyLive = HttpApiBuilder.group(Api.OpenSyncApi, "legacy", (handlers) =>
  handlers
    .handle("session", ({ payload }) =>
      Effect.map(ingestOne(Legacy.sessionEvent(payload, legacyNow())), (event) => ({
        ok: true as const,
        sessionId: event.sessionId
      }))
    )
    .handle("message", ({ payload }) =>
      Effect.map(ingestOne(Legacy.messageEvent(payload, legacyNow())), (event) => ({
        ok: true as const,
        messageId: event.messageId
      }))
    )
    .handle("batch", ({ payload }) =>
      Effect.gen(function* () {
        const { user, store } = yield* caller
        const body = Legacy.batch(payload)
        if (Either.isLeft(body)) return yield* new Errors.BadRequest({ error: body.left })
        const { events, sessions, messages, errors } = Batch.fromLegacyBatch(body.right, legacyNow())
        yield* orStorageFailure(store.ingest(user.userId, events.map(redactLegacy)))
        return { ok: true as const, sessions, messages, errors }
      })
    )
    .handle("list", () =>
      Effect.flatMap(caller, ({ user, store }) =>
        Effect.map(orStorageFailure(store.ids(user.userId)), (sessionIds) => ({ sessionIds }))
      )
    )
)
