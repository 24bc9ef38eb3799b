import { FetchHttpClient, HttpClient, HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Api, Config as DomainConfig, Limits } from "@opensync/domain"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as ApiClient from "./ApiClient.js"
import * as ConfigStore from "./ConfigStore.js"
import { SendFailed } from "./Outbox.js"

export { SendFailed }

export interface SyncClientOptions {
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
  /** Per-request timeout (default 10 s). */
  readonly timeout?: Duration.DurationInput
}

/**
 * The sync transport: one call per request, no retries (the outbox owns them). Every failure is a `SendFailed` whose
 * `kind` says whose fault it is: `unavailable` (no answer, timeout, 503, 429), `refused` (key, URL, configuration) or
 * `failed` (the server failed on this batch: 5xx, 400, 413, an answer that cannot be read).
 */
export interface Transport {
  /** Sends one batch of encoded events; at most `Limits.maxEventsPerBatch`. */
  readonly sendEvents: (events: ReadonlyArray<unknown>) => Effect.Effect<Api.SyncEventsResult, SendFailed>
  /**
   * Sends one batch given as its request body (`{"events":[…]}` of `count` events, at most
   * `Limits.maxEventsPerBatch`): what the outbox sends its files as, without parsing them. Answers and fails exactly
   * as `sendEvents` does for those events.
   */
  readonly sendEncoded?: (body: Uint8Array, count: number) => Effect.Effect<Api.SyncEventsResult, SendFailed>
  /**
   * Checks that the server answers and accepts the key: its version and the round trip, and when it last received
   * telemetry for the key's user (null: never; absent: the server does not say).
   */
  readonly check: Effect.Effect<
    { readonly version: string; readonly latencyMs: number; readonly telemetryReceivedAt?: number | null },
    SendFailed
  >
}

/** The transport to the configured server; `layer` builds it once from `ConfigStore`, tests swap it. */
export class SyncClient extends Context.Tag("@opensync/client/SyncClient")<SyncClient, Transport>() {}

const excerpt = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat
}

const textOf = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return String(error)
  const record = error as { error?: unknown; description?: unknown; message?: unknown }
  if (typeof record.error === "string") return record.error
  if (typeof record.description === "string") return record.description
  return typeof record.message === "string" ? record.message : ""
}

const statusOf = (error: unknown): number | null => {
  const status = (error as { response?: { status?: unknown } }).response?.status
  return typeof status === "number" ? status : null
}

/**
 * The first problem of a schema's parse error, with where it is (`status: Expected "ok", actual "up"`), instead of
 * the whole schema written as types; undefined for anything else.
 */
const firstProblem = (error: unknown): string | undefined => {
  if (!ParseResult.isParseError(error)) return undefined
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (first === undefined) return undefined
  return first.path.length === 0 ? first.message : `${first.path.join(".")}: ${first.message}`
}

/** A `SendFailed` for an HTTP status the server answered with. */
const fromStatus = (status: number, text: string, baseUrl: string): SendFailed => {
  const answer = `HTTP ${status}${text === "" ? "" : `: ${excerpt(text)}`}`
  if (status === 401 || status === 403) {
    return new SendFailed({
      kind: "refused",
      status,
      message: `The server rejected the API key (${answer}). Run login again with a valid osk_ key.`
    })
  }
  if (status === 408 || status === 429 || status === 503) {
    return new SendFailed({ kind: "unavailable", status, message: `${baseUrl} is unavailable (${answer}).` })
  }
  if (status >= 500) return new SendFailed({ kind: "failed", status, message: `The server failed (${answer}).` })
  if (status === 400 || status === 413) {
    return new SendFailed({ kind: "failed", status, message: `The server refused the request (${answer}).` })
  }
  if (status === 404) {
    return new SendFailed({
      kind: "refused",
      status,
      message: `${baseUrl} does not look like an OpenSync server (HTTP 404). Check the URL.`
    })
  }
  if (status >= 300) {
    return new SendFailed({ kind: "refused", status, message: `Unexpected answer from ${baseUrl} (${answer}).` })
  }
  return new SendFailed({ kind: "failed", status, message: `The server's answer could not be read (${answer}).` })
}

const statusOfTag: Record<string, number> = {
  Unauthorized: 401,
  Forbidden: 403,
  BadRequest: 400,
  NotFound: 404,
  PayloadTooLarge: 413,
  InternalError: 500
}

/** Turns any failure of a call into a `SendFailed` that says whose fault it is and what to do. */
export const describe = (error: unknown, baseUrl: string): SendFailed => {
  const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : ""
  const text = textOf(error)
  if (tag in statusOfTag) return fromStatus(statusOfTag[tag], text, baseUrl)
  switch (tag) {
    case "TimeoutException":
      return new SendFailed({ kind: "unavailable", status: null, message: `${baseUrl} did not answer in time.` })
    case "RequestError":
      return new SendFailed({
        kind: "unavailable",
        status: null,
        message: `Cannot reach ${baseUrl} (${text}). Is the server running?`
      })
    case "ResponseError": {
      const status = statusOf(error)
      if (status !== null) return fromStatus(status, text, baseUrl)
      return new SendFailed({ kind: "unavailable", status: null, message: `No usable answer from ${baseUrl}: ${text}` })
    }
    case "ParseError":
      return new SendFailed({
        kind: "failed",
        status: null,
        message:
          `The server's answer could not be read: ${baseUrl} does not answer as an OpenSync server does ` +
          `(${excerpt(firstProblem(error) ?? text)}). Check the URL: the local server is http://127.0.0.1:4870, ` +
          "a Convex deployment https://NAME.convex.site."
      })
    default:
      return new SendFailed({ kind: "unavailable", status: null, message: `Sync failed: ${text || tag || "unknown"}` })
  }
}

/** The contract's answer to `POST /sync/events`, from its JSON text. */
const SyncEventsResultFromJson = Schema.parseJson(Api.SyncEventsResult)

const isContractError = (text: string): boolean => {
  try {
    const body: unknown = JSON.parse(text)
    return typeof body === "object" && body !== null && "_tag" in body && typeof body._tag === "string"
  } catch {
    return false
  }
}

/**
 * The largest answer read: far above any of the contract's (an answer to 1,000 events is ~100 KiB). A URL that answers
 * without end (a stream, a misconfigured proxy) was read into memory until the call's time ran out: 0.6 GB in 10 s.
 */
const maxAnswerBytes = 16 * 1024 * 1024

/** Reads each answer's body within `maxAnswerBytes` (failing past it), then hands on the bytes as the answer. */
const boundedAnswers = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transformResponse(client, (effect) =>
    Effect.flatMap(effect, (response) =>
      response.stream.pipe(
        Stream.runFoldEffect({ chunks: [] as Array<Uint8Array>, size: 0 }, (read, chunk) => {
          const size = read.size + chunk.length
          if (size > maxAnswerBytes) {
            return Effect.fail(
              new HttpClientError.ResponseError({
                request: response.request,
                response,
                reason: "Decode",
                description: `the answer is larger than ${maxAnswerBytes / 1024 / 1024} MiB; this is not an OpenSync server's answer`
              })
            )
          }
          read.chunks.push(chunk)
          return Effect.succeed({ chunks: read.chunks, size })
        }),
        Effect.map(({ chunks, size }) => {
          const bytes = new Uint8Array(size)
          let at = 0
          for (const chunk of chunks) {
            bytes.set(chunk, at)
            at += chunk.length
          }
          const body = response.status === 204 || response.status === 304 || bytes.length === 0 ? null : bytes
          return HttpClientResponse.fromWeb(
            response.request,
            new Response(body, { status: response.status, headers: response.headers as Record<string, string> })
          )
        })
      )
    )
  )

/**
 * Fails an error answer whose body is not one of the contract's errors (a proxy's page, an empty 503) with its status,
 * which the contract's decoder would otherwise lose. It reads the body as `arrayBuffer`, the form the decoder reads
 * (and the response caches), so a contract error is still decoded.
 */
const keepStatus = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transformResponse(client, (effect) =>
    Effect.flatMap(effect, (response) => {
      if (response.status < 400) return Effect.succeed(response)
      return Effect.flatMap(
        Effect.orElseSucceed(response.arrayBuffer, () => new ArrayBuffer(0)),
        (bytes) => {
          const text = new TextDecoder().decode(bytes)
          if (isContractError(text)) return Effect.succeed(response)
          return Effect.fail(
            new HttpClientError.ResponseError({
              request: response.request,
              response,
              reason: "StatusCode",
              description: text
            })
          )
        }
      )
    })
  )

/** The transport to one server over the `HttpClient` in context (`HttpClient.make` fakes it in tests). */
export const make = (options: SyncClientOptions): Effect.Effect<Transport, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const client = yield* ApiClient.make(
      { baseUrl: options.baseUrl, apiKey: options.apiKey },
      { transformClient: (client) => keepStatus(boundedAnswers(client)) }
    )
    const timeout = options.timeout ?? Duration.seconds(10)
    const call = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(
        Effect.timeout(timeout),
        Effect.mapError((error) => describe(error, options.baseUrl))
      )

    const tooMany = (count: number) =>
      new SendFailed({
        kind: "failed",
        status: null,
        message: `A batch holds at most ${Limits.maxEventsPerBatch} events (this one ${count}).`
      })
    const sendEvents = (events: ReadonlyArray<unknown>): Effect.Effect<Api.SyncEventsResult, SendFailed> =>
      events.length > Limits.maxEventsPerBatch
        ? Effect.fail(tooMany(events.length))
        : call(client.sync.events({ payload: { events } }))

    // The same request as `client.sync.events`, with the body given as bytes, its answer read the way the contract's
    // client reads it: a contract error by its tag, any other error answer by its status (`keepStatus`).
    const http = HttpClient.mapRequest(
      boundedAnswers(yield* HttpClient.HttpClient),
      HttpClientRequest.bearerToken(Redacted.value(options.apiKey))
    )
    const eventsUrl = `${options.baseUrl.replace(/\/+$/, "")}/sync/events`
    const decodeResult = Schema.decodeUnknown(SyncEventsResultFromJson)
    const sendEncoded = (body: Uint8Array, count: number): Effect.Effect<Api.SyncEventsResult, SendFailed> =>
      count > Limits.maxEventsPerBatch
        ? Effect.fail(tooMany(count))
        : call(
            Effect.gen(function* () {
              const request = HttpClientRequest.bodyUint8Array(
                HttpClientRequest.post(eventsUrl),
                body,
                "application/json"
              )
              const response = yield* http.execute(request)
              const text = yield* response.text
              if (response.status >= 200 && response.status < 300) return yield* decodeResult(text)
              if (isContractError(text)) return yield* Effect.fail(JSON.parse(text) as unknown)
              return yield* Effect.fail(
                new HttpClientError.ResponseError({ request, response, reason: "StatusCode", description: text })
              )
            })
          )

    /** Checks the server answers and accepts the key (any scope: the plugins hold `ingest` keys). */
    const check = Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const health = yield* call(client.health.health())
      const me = yield* call(client.auth.me())
      return {
        version: health.version,
        latencyMs: (yield* Clock.currentTimeMillis) - started,
        scope: me.scope,
        ...(me.telemetry === undefined ? {} : { telemetryReceivedAt: me.telemetry.lastReceivedAt })
      }
    })

    return { sendEvents, sendEncoded, check } satisfies Transport
  })

/** `make` over the platform's `fetch`: for a server that is not (yet) the configured one, as `login` checks it. */
export const makeFetch = (options: SyncClientOptions): Effect.Effect<Transport> =>
  Effect.provide(make(options), FetchHttpClient.layer)

/** A transport whose every call fails as `refused` with `message` (no server configured, unreadable config). */
export const unconfigured = (message: string): Transport => {
  const failure = Effect.fail(new SendFailed({ kind: "refused", status: null, message }))
  return { sendEvents: () => failure, check: failure }
}

/**
 * The transport to the server `ConfigStore` names, built once. Without a server URL or key (or with an unreadable
 * config file) the layer still builds, and every call fails as `refused` saying what to fix.
 */
export const layer = (
  options: { readonly timeout?: Duration.DurationInput } = {}
): Layer.Layer<SyncClient, never, ConfigStore.ConfigStore | HttpClient.HttpClient> =>
  Layer.effect(
    SyncClient,
    Effect.gen(function* () {
      const store = yield* ConfigStore.ConfigStore
      const loaded = yield* Effect.either(store.load)
      if (loaded._tag === "Left") return unconfigured(loaded.left.message)
      const { serverUrl, apiKey } = loaded.right
      if (serverUrl === undefined || apiKey === undefined) {
        return unconfigured(`No server URL or API key in ${store.path}: run login. Events stay queued until then.`)
      }
      // Kept as given when it is no server URL (ConfigStore): said here, where it would be sent to, not as "cannot reach"
      if (DomainConfig.normalizeServerUrl(serverUrl) === undefined) {
        return unconfigured(
          `The server URL ${DomainConfig.notAServerUrl(serverUrl)}: set it with login (from ${store.path}, or the ` +
            "environment). Events stay queued until then."
        )
      }
      return yield* make({ baseUrl: serverUrl, apiKey, ...options })
    })
  )

/** `layer` over the platform's `fetch`. */
export const layerFetch = (options: { readonly timeout?: Duration.DurationInput } = {}) =>
  layer(options).pipe(Layer.provide(FetchHttpClient.layer))
