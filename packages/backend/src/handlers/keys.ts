import { HttpApiBuilder } from "@effect/platform"
import { Api, ApiKey, Errors } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { digest } from "../Auth.js"
import { Keys, maxKeysPerUser } from "../Keys.js"
import { orStorageFailure } from "../Storage.js"
import { withCaller } from "./caller.js"

/** A new secret with its id, display prefix and digest. */
export const newKey = Effect.gen(function* () {
  const key = ApiKey.generate()
  return { id: ApiKey.generateId(), key, prefix: ApiKey.displayPrefix(key), hash: yield* digest(key) }
})

/** API keys of the caller: listed (never secrets), created (the secret shown once), revoked. */
export const KeysLive = HttpApiBuilder.group(Api.OpenSyncApi, "keys", (handlers) =>
  handlers
    .handle("list", () =>
      withCaller(Keys, (user, keys) => Effect.map(orStorageFailure(keys.list(user.userId)), (list) => ({ keys: list })))
    )
    .handle("create", ({ payload }) =>
      withCaller(Keys, (user, keys) =>
        Effect.gen(function* () {
          const secret = yield* newKey
          const created = yield* orStorageFailure(keys.create(user.userId, payload.name, payload.scope, secret))
          if (Option.isNone(created)) {
            return yield* new Errors.BadRequest({
              error: `A user may hold at most ${maxKeysPerUser} keys; revoked keys count too.`
            })
          }
          return { ...created.value, key: secret.key }
        })
      )
    )
    .handle("revoke", ({ path }) =>
      withCaller(Keys, (user, keys) =>
        Effect.gen(function* () {
          const revoked = yield* orStorageFailure(keys.revoke(user.userId, path.id))
          if (Option.isNone(revoked)) return yield* new Errors.NotFound({ error: `API key not found: ${path.id}` })
          return revoked.value
        })
      )
    )
)
