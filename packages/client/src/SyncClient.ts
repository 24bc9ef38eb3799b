import { FetchHttpClient } from "@effect/platform"
import { type Api, Limits } from "@opensync/domain"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as ApiClient from "./ApiClient.js"
import { SendFailed } from "./Outbox.js"

export { SendFailed }

export interface SyncClientOptions {
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
  /** Per-request timeout (default 10 s). */
  readonly timeout?: Duration.DurationInput
  /** Retries of a transient failure within one call (default 2). */
  readonly retries?: number
}

const describe = (error: unknown, baseUrl: string): SendFailed => {
  const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : ""
  const text = (error as { error?: string; message?: string }).error ?? (error as { message?: string }).message ?? ""
  switch (tag) {
    case "Unauthorized":
      return new SendFailed({
        transient: false,
        status: 401,
        message: `The server rejected the API key (${text}). Run login again with a valid osk_ key.`
      })
    case "BadRequest":
      return new SendFailed({ transient: false, status: 400, message: `The server refused the request: ${text}` })
    case "PayloadTooLarge":
      return new SendFailed({ transient: false, status: 413, message: `The request was too large: ${text}` })
    case "NotFound":
      return new SendFailed({
        transient: false,
        status: 404,
        message: `${baseUrl} does not look like an OpenSync server (404). Check the URL.`
      })
    case "InternalError":
      return new SendFailed({ transient: true, status: 500, message: `The server failed (${text}); will retry later.` })
    case "TimeoutException":
      return new SendFailed({
        transient: true,
        status: null,
        message: `${baseUrl} did not answer in time; will retry later.`
      })
    case "RequestError":
      return new SendFailed({
        transient: true,
        status: null,
        message: `Cannot reach ${baseUrl} (${text}). Is the server running? Events stay queued.`
      })
    case "ResponseError": {
      const status = (error as { response?: { status?: number } }).response?.status ?? null
      const transient = status === null || status >= 500 || status === 429 || status === 408
      return new SendFailed({
        transient,
        status,
        message: `Unexpected answer from ${baseUrl}${status === null ? "" : ` (HTTP ${status})`}: ${text}`
      })
    }
    default:
      return new SendFailed({ transient: true, status: null, message: `Sync failed: ${text || tag || String(error)}` })
  }
}

/** The HTTP client of the sync contract: timeouts, bounded retries with backoff, and errors that say what to do. */
export const make = (options: SyncClientOptions) =>
  Effect.gen(function* () {
    const client = yield* ApiClient.make({ baseUrl: options.baseUrl, apiKey: options.apiKey })
    const timeout = options.timeout ?? Duration.seconds(10)
    const retry = Schedule.exponential(Duration.millis(250), 2).pipe(
      Schedule.jittered,
      Schedule.intersect(Schedule.recurs(options.retries ?? 2))
    )
    const call = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(
        Effect.timeout(timeout),
        Effect.mapError((error) => describe(error, options.baseUrl)),
        Effect.retry({ schedule: retry, while: (error) => error.transient })
      )

    /** Sends one batch of encoded events; at most `Limits.maxEventsPerBatch`. */
    const sendEvents = (events: ReadonlyArray<unknown>): Effect.Effect<Api.SyncEventsResult, SendFailed> =>
      events.length > Limits.maxEventsPerBatch
        ? Effect.fail(new SendFailed({ transient: false, status: null, message: "batch too large" }))
        : call(client.sync.events({ payload: { events } }))

    /** Checks the server answers and accepts the key (any scope: the plugins hold `ingest` keys). */
    const check = Effect.gen(function* () {
      const started = Date.now()
      const health = yield* call(client.health.health())
      const me = yield* call(client.auth.me())
      return { version: health.version, latencyMs: Date.now() - started, scope: me.scope }
    })

    return { sendEvents, check } as const
  }).pipe(Effect.provide(FetchHttpClient.layer))
