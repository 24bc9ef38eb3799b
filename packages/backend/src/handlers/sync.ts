import { HttpApiBuilder } from "@effect/platform"
import { Api, Batch, Errors, Legacy, Limits } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { SessionStore } from "../SessionStore.js"
import { orStorageFailure } from "../Storage.js"

/** `POST /sync/events`: each event decoded on its own, so one bad event is rejected while the rest are stored. */
export const SyncLive = HttpApiBuilder.group(Api.OpenSyncApi, "sync", (handlers) =>
  handlers.handle("events", ({ payload }) =>
    Effect.gen(function* () {
      const user = yield* Api.CurrentUser
      const store = yield* SessionStore
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

/** The protocol of the existing OpenSync plugins, mapped onto the same events (`Legacy`) and the same ingestion. */
export const LegacyLive = HttpApiBuilder.group(Api.OpenSyncApi, "legacy", (handlers) =>
  handlers
    .handle("session", ({ payload }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* SessionStore
        const event = Legacy.sessionEvent(payload, Date.now())
        if (Either.isLeft(event)) return yield* new Errors.BadRequest({ error: event.left })
        yield* orStorageFailure(store.ingest(user.userId, [event.right]))
        return { ok: true as const, sessionId: event.right.sessionId }
      })
    )
    .handle("message", ({ payload }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* SessionStore
        const event = Legacy.messageEvent(payload, Date.now())
        if (Either.isLeft(event)) return yield* new Errors.BadRequest({ error: event.left })
        yield* orStorageFailure(store.ingest(user.userId, [event.right]))
        return { ok: true as const, messageId: event.right.messageId }
      })
    )
    .handle("batch", ({ payload }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* SessionStore
        const body = Legacy.batch(payload)
        if (Either.isLeft(body)) return yield* new Errors.BadRequest({ error: body.left })
        const { events, sessions, messages, errors } = Batch.fromLegacyBatch(body.right, Date.now())
        yield* orStorageFailure(store.ingest(user.userId, events))
        return { ok: true as const, sessions, messages, errors }
      })
    )
    .handle("list", () =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* SessionStore
        return { sessionIds: yield* orStorageFailure(store.ids(user.userId)) }
      })
    )
)
