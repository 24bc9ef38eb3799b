/**
 * How the sync reaches the server: the configured URL and key turned into a client of the sync contract. A Layer built
 * once from the `ConfigStore`, so tests swap in a fake server (`Layer.succeed(Transport, …)`) instead of setting
 * environment variables.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ApiClient from "../ApiClient.js"
import * as ConfigStore from "../ConfigStore.js"
import * as Outbox from "../Outbox.js"
import * as SyncClient from "../SyncClient.js"

/** A configured server. */
export interface Connection {
  readonly baseUrl: string
  /** Sends one batch (the outbox drains through it). */
  readonly send: Outbox.Send
  /** Checks the server answers and accepts the key. */
  readonly check: Effect.Effect<{ readonly version: string; readonly latencyMs: number }, Outbox.SendFailed>
  /** The ids of every session the server has for this key. */
  readonly sessionIds: Effect.Effect<ReadonlySet<string>, Outbox.SendFailed>
}

const sessionIds = (connection: ApiClient.Connection) =>
  ApiClient.makeFetch(connection).pipe(
    Effect.flatMap((client) => client.legacy.list()),
    Effect.timeout("30 seconds"),
    Effect.map((answer): ReadonlySet<string> => new Set(answer.sessionIds)),
    Effect.mapError(
      (error) =>
        new Outbox.SendFailed({
          transient: true,
          message: `Cannot list the sessions on ${connection.baseUrl} (${error instanceof Error ? error.message : String(error)})`
        })
    )
  )

export class Transport extends Context.Tag("@opensync/client/kit/Transport")<
  Transport,
  {
    /** The server in the current configuration, or undefined when no URL or key is set. */
    readonly connect: Effect.Effect<
      Connection | undefined,
      ConfigStore.ConfigFileInvalid | ConfigStore.ConfigValueInvalid
    >
  }
>() {}

/** HTTP to the server the config names, without retries inside a call (the outbox retries with backoff). */
export const layer = Layer.effect(
  Transport,
  Effect.gen(function* () {
    const store = yield* ConfigStore.ConfigStore
    return Transport.of({
      connect: Effect.flatMap(store.load, (config) => {
        const { serverUrl: baseUrl, apiKey } = config
        if (baseUrl === undefined || apiKey === undefined) return Effect.succeed(undefined)
        return Effect.map(
          SyncClient.make({ baseUrl, apiKey, retries: 0 }),
          (client): Connection => ({
            baseUrl,
            send: client.sendEvents,
            check: client.check,
            sessionIds: sessionIds({ baseUrl, apiKey })
          })
        )
      })
    })
  })
)
