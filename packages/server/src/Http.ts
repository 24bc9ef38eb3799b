import { HttpApiBuilder, HttpApiSecurity, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Api, ApiKey, Batch, Errors, Export, Legacy, Limits } from "@opensync/domain"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { DashboardSessions } from "./DashboardSessions.js"
import * as Install from "./Install.js"
import { Keys } from "./Keys.js"
import { Store } from "./Store.js"
import { version } from "./version.js"

/** Turns storage faults into a 500 whose body says nothing about internals; the cause goes to the log. */
const internal = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchIf(
    effect,
    (e): e is Extract<E, { readonly _tag: "SqlError" }> => e._tag === "SqlError",
    (cause) =>
      Effect.logError("storage failure", cause).pipe(
        Effect.zipRight(
          Effect.fail(new Errors.InternalError({ error: "Internal server error; the server log has details." }))
        )
      )
  )

const unauthorized = (error: string) => new Errors.Unauthorized({ error })

const isSafeMethod = (method: string) => method === "GET" || method === "HEAD"

/**
 * `Authorization: Bearer osk_…` (API key) or `Bearer oss_…` (dashboard session); without a header, the
 * `opensync_session` cookie, which must come with `X-OpenSync-Request: 1` on anything but GET/HEAD (CSRF defence).
 */
export const AuthenticationLive = Layer.effect(
  Api.Authentication,
  Effect.gen(function* () {
    const keys = yield* Keys
    const sessions = yield* DashboardSessions
    const bySession = (token: string) =>
      Effect.flatMap(sessions.authenticate(token).pipe(Effect.orDie), (owner) =>
        Option.isSome(owner)
          ? Effect.succeed(owner.value)
          : Effect.fail(
              unauthorized("Your dashboard session expired or was signed out. Sign in again with an API key.")
            )
      )
    const byKey = (key: string) =>
      Effect.flatMap(keys.authenticate(key).pipe(Effect.orDie), (owner) =>
        Option.isSome(owner)
          ? Effect.succeed({ ...owner.value, via: "apiKey" as const })
          : Effect.fail(
              unauthorized(
                `Invalid API key: it does not exist or was revoked. Create one with \`${Install.command("keys create")}\`.`
              )
            )
      )
    return {
      bearer: (token) =>
        Effect.gen(function* () {
          const value = Redacted.value(token).trim()
          if (value.startsWith("osk_")) return yield* byKey(value)
          if (value.startsWith(Api.sessionTokenPrefix)) return yield* bySession(value)
          if (value.length > 0) {
            return yield* unauthorized("Invalid API key format: keys start with osk_ (session tokens with oss_).")
          }
          const request = yield* Effect.serviceOption(HttpServerRequest.HttpServerRequest)
          const cookie = Option.flatMap(request, (r) => Option.fromNullable(r.cookies[Api.sessionCookie]))
          if (Option.isNone(request) || Option.isNone(cookie) || cookie.value === "") {
            return yield* unauthorized("Missing Authorization header: send `Authorization: Bearer osk_…`.")
          }
          const owner = yield* bySession(cookie.value)
          if (!isSafeMethod(request.value.method) && request.value.headers[Api.csrfHeader] !== "1") {
            return yield* new Errors.Forbidden({
              error: "Cookie-authenticated requests that change data must send the header `X-OpenSync-Request: 1`."
            })
          }
          return owner
        })
    }
  })
)

const cookieSecurity = HttpApiSecurity.apiKey({ in: "cookie", key: Api.sessionCookie })

/** `Secure` only over https (directly or behind a TLS-terminating proxy), else browsers drop the cookie on http. */
const isHttps = (request: HttpServerRequest.HttpServerRequest) =>
  request.headers["x-forwarded-proto"] === "https" || request.url.startsWith("https:")

export const AuthLive = HttpApiBuilder.group(Api.OpenSyncApi, "auth", (handlers) =>
  handlers
    .handle("createSession", ({ payload, request }) =>
      Effect.gen(function* () {
        const keys = yield* Keys
        const sessions = yield* DashboardSessions
        const key = payload.apiKey.trim()
        const problem = ApiKey.problem(key)
        if (problem !== undefined) return yield* unauthorized(problem)
        const owner = yield* internal(keys.authenticate(key))
        if (Option.isNone(owner)) {
          return yield* unauthorized(
            `Invalid API key: it does not exist or was revoked. Create one with \`${Install.command("keys create")}\`.`
          )
        }
        const created = yield* internal(sessions.create(owner.value.userId, owner.value.keyId))
        yield* HttpApiBuilder.securitySetCookie(cookieSecurity, created.token, {
          secure: isHttps(request),
          httpOnly: true,
          sameSite: "strict",
          path: "/",
          maxAge: Duration.millis(Api.sessionLifetimeMs)
        })
        return created
      })
    )
    .handle("me", () =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const sessions = yield* DashboardSessions
        const name = yield* internal(sessions.userName(user.userId))
        return {
          user: { id: user.userId, name },
          via: user.via ?? "apiKey",
          expiresAt: user.session?.expiresAt ?? null
        }
      })
    )
    .handle("deleteSession", ({ request }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const sessions = yield* DashboardSessions
        if (user.session !== undefined) yield* internal(sessions.revoke(user.session.id))
        yield* HttpApiBuilder.securitySetCookie(cookieSecurity, "", {
          secure: isHttps(request),
          httpOnly: true,
          sameSite: "strict",
          path: "/",
          maxAge: 0
        })
        return { ok: true as const }
      })
    )
)

export const DataLive = HttpApiBuilder.group(Api.OpenSyncApi, "data", (handlers) =>
  handlers.handle("deleteAll", () =>
    Effect.gen(function* () {
      const user = yield* Api.CurrentUser
      const store = yield* Store
      const deleted = yield* internal(store.deleteAll(user.userId))
      return { status: "deleted" as const, sessions: deleted.sessions }
    })
  )
)

export const HealthLive = HttpApiBuilder.group(Api.OpenSyncApi, "health", (handlers) =>
  handlers.handle("health", () =>
    Effect.succeed({ status: "ok" as const, version, timestamp: Date.now(), cli: Install.cli() })
  )
)

export const SyncLive = HttpApiBuilder.group(Api.OpenSyncApi, "sync", (handlers) =>
  handlers.handle("events", ({ payload }) =>
    Effect.gen(function* () {
      const user = yield* Api.CurrentUser
      const store = yield* Store
      if (payload.events.length > Limits.maxEventsPerBatch) {
        return yield* new Errors.BadRequest({
          error: `Too many events in one request (${payload.events.length}); send at most ${Limits.maxEventsPerBatch} per batch.`
        })
      }
      const { events, rejected } = Batch.decodeEvents(payload.events)
      const result = yield* internal(store.ingest(user.userId, events))
      return { ...result, rejected, deleted: [] }
    })
  )
)

export const LegacyLive = HttpApiBuilder.group(Api.OpenSyncApi, "legacy", (handlers) =>
  handlers
    .handle("session", ({ payload }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* Store
        const event = Legacy.sessionEvent(payload, Date.now())
        if (Either.isLeft(event)) return yield* new Errors.BadRequest({ error: event.left })
        yield* internal(store.ingest(user.userId, [event.right]))
        return { ok: true as const, sessionId: event.right.sessionId }
      })
    )
    .handle("message", ({ payload }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* Store
        const event = Legacy.messageEvent(payload, Date.now())
        if (Either.isLeft(event)) return yield* new Errors.BadRequest({ error: event.left })
        yield* internal(store.ingest(user.userId, [event.right]))
        return { ok: true as const, messageId: event.right.messageId }
      })
    )
    .handle("batch", ({ payload }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* Store
        const body = Legacy.batch(payload)
        if (Either.isLeft(body)) return yield* new Errors.BadRequest({ error: body.left })
        const { events, sessions, messages, errors } = Batch.fromLegacyBatch(body.right, Date.now())
        yield* internal(store.ingest(user.userId, events))
        return { ok: true as const, sessions, messages, errors }
      })
    )
    .handle("list", () =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* Store
        return { sessionIds: yield* internal(store.sessionIds(user.userId)) }
      })
    )
)

const exportStream = (store: Store, userId: string, params: Api.ExportParams) =>
  Stream.paginateChunkEffect(null as readonly [number, string] | null, (after) =>
    Effect.map(store.exportPage(userId, params, after, 100), (page) => {
      const last = page[page.length - 1]
      const next: Option.Option<readonly [number, string] | null> =
        page.length < 100 || last === undefined ? Option.none() : Option.some([last.startedAt, last.id] as const)
      return [Chunk.fromIterable(page), next] as const
    })
  )

export const SessionsLive = HttpApiBuilder.group(Api.OpenSyncApi, "sessions", (handlers) =>
  handlers
    .handle("list", ({ urlParams }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* Store
        return yield* internal(store.listSessions(user.userId, urlParams))
      })
    )
    .handle("get", ({ path }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* Store
        const detail = yield* internal(store.getSession(user.userId, path.id))
        if (Option.isNone(detail)) return yield* new Errors.NotFound({ error: `Session not found: ${path.id}` })
        return detail.value
      })
    )
    .handle("delete", ({ path }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* Store
        const deleted = yield* internal(store.deleteSession(user.userId, path.id))
        if (Option.isNone(deleted)) return yield* new Errors.NotFound({ error: `Session not found: ${path.id}` })
        return { deleted: true as const, sessionId: path.id, ...deleted.value }
      })
    )
    .handle("stats", ({ urlParams }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* Store
        if (urlParams.q !== undefined) {
          return yield* new Errors.BadRequest({
            error: "Stats cannot be filtered by text (q); use source, project, model, from and to."
          })
        }
        if (urlParams.from !== undefined && urlParams.to !== undefined && urlParams.from > urlParams.to) {
          return yield* new Errors.BadRequest({ error: "from must not be after to" })
        }
        const stats = yield* internal(store.stats(user.userId, urlParams, Date.now()))
        // Built by Stats.fromRows, so already in the schema's shape: skip re-validating thousands of series points.
        return HttpServerResponse.unsafeJson(stats)
      })
    )
    .handle("export", ({ urlParams }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const store = yield* Store
        const format = urlParams.format
        const headers = {
          "content-disposition": `attachment; filename="opensync-${urlParams.id ?? "sessions"}.${Export.extension[format]}"`
        }
        if (urlParams.id !== undefined) {
          const detail = yield* internal(store.getSession(user.userId, urlParams.id))
          if (Option.isNone(detail)) return yield* new Errors.NotFound({ error: `Session not found: ${urlParams.id}` })
          const body =
            format === "json"
              ? JSON.stringify(detail.value, null, 2)
              : format === "jsonl"
                ? `${JSON.stringify(detail.value)}\n`
                : format === "csv"
                  ? Export.csvHeader() + Export.csvRow(detail.value.session)
                  : Export.markdown(detail.value)
          return HttpServerResponse.text(body, { contentType: Export.contentType[format], headers })
        }
        const sessions = exportStream(store, user.userId, urlParams)
        const withDetail = sessions.pipe(
          Stream.mapEffect((s) => Effect.map(store.getSession(user.userId, s.id), Option.getOrThrow))
        )
        const body: Stream.Stream<string, unknown> =
          format === "csv"
            ? Stream.concat(Stream.make(Export.csvHeader()), Stream.map(sessions, Export.csvRow))
            : format === "jsonl"
              ? Stream.map(withDetail, (d) => `${JSON.stringify(d)}\n`)
              : format === "markdown"
                ? Stream.map(withDetail, (d) => `${Export.markdown(d)}\n---\n\n`)
                : Stream.concat(
                    Stream.concat(
                      Stream.make('{"sessions":['),
                      Stream.map(
                        Stream.zipWithIndex(withDetail),
                        ([d, i]) => `${i === 0 ? "" : ","}${JSON.stringify(d)}`
                      )
                    ),
                    Stream.make("]}\n")
                  )
        return HttpServerResponse.stream(Stream.encodeText(body), { contentType: Export.contentType[format], headers })
      })
    )
)

export const KeysLive = HttpApiBuilder.group(Api.OpenSyncApi, "keys", (handlers) =>
  handlers
    .handle("list", () =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const keys = yield* Keys
        return { keys: yield* internal(keys.list(user.userId)) }
      })
    )
    .handle("create", ({ payload }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const keys = yield* Keys
        return yield* internal(keys.create(user.userId, payload.name))
      })
    )
    .handle("revoke", ({ path }) =>
      Effect.gen(function* () {
        const user = yield* Api.CurrentUser
        const keys = yield* Keys
        const revoked = yield* internal(keys.revoke(path.id, user.userId))
        if (Option.isNone(revoked)) return yield* new Errors.NotFound({ error: `API key not found: ${path.id}` })
        return revoked.value
      })
    )
)

/** Every group of the contract, implemented. */
export const ApiLive = HttpApiBuilder.api(Api.OpenSyncApi).pipe(
  Layer.provide([HealthLive, SyncLive, LegacyLive, SessionsLive, KeysLive, AuthLive, DataLive]),
  Layer.provide(AuthenticationLive)
)
