/**
 * How the sync reaches the server: the configured URL and key turned into a client of the sync contract. A Layer built
 * once from the `ConfigStore`, so tests swap in a fake server (`Layer.succeed(Transport, …)`) instead of setting
 * environment variables.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ConfigStore from "../ConfigStore.js"
import type * as Outbox from "../Outbox.js"
import * as SyncClient from "../SyncClient.js"

/** A configured server. */
export interface Connection {
  readonly baseUrl: string
  /** Sends one batch (the outbox drains through it). */
  readonly send: Outbox.Send
  /** Checks the server answers and accepts the key. */
  readonly check: Effect.Effect<{ readonly version: string; readonly latencyMs: number }, Outbox.SendFailed>
}

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
      connect: Effect.flatMap(store.load, (config) =>
        config.serverUrl === undefined || config.apiKey === undefined
          ? Effect.succeed(undefined)
          : Effect.map(
              SyncClient.make({ baseUrl: config.serverUrl, apiKey: config.apiKey, retries: 0 }),
              (client): Connection => ({
                baseUrl: config.serverUrl ?? "",
                send: client.sendEvents,
                check: client.check
              })
            )
      )
    })
  })
)
