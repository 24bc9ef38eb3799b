import { HttpApiBuilder } from "@effect/platform"
import { Api } from "@opensync/domain"
import * as Effect from "effect/Effect"
import { ServerInfo } from "../ServerInfo.js"
import { caller } from "../SessionStore.js"
import { orStorageFailure } from "../Storage.js"

/**
 * `DELETE /api/data`: all of the caller's sessions and what hangs off them; keys and the user stay. `GET /api/data`:
 * how far the last one got.
 */
export const DataLive = HttpApiBuilder.group(Api.OpenSyncApi, "data", (handlers) =>
  handlers
    .handle("deleteAll", () =>
      Effect.flatMap(caller, ({ user, store }) => orStorageFailure(store.removeAll(user.userId)))
    )
    .handle("status", () => Effect.flatMap(caller, ({ user, store }) => orStorageFailure(store.removal(user.userId))))
)

/** `GET /health`: liveness; needs no key. */
export const HealthLive = HttpApiBuilder.group(Api.OpenSyncApi, "health", (handlers) =>
  handlers.handle("health", () =>
    Effect.map(ServerInfo, (info) => ({
      status: "ok" as const,
      version: info.version,
      timestamp: Date.now(),
      ...(info.cli === undefined ? {} : { cli: info.cli })
    }))
  )
)
