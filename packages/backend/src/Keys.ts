import type { ApiKey, Ids } from "@opensync/domain"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { StorageError } from "./SessionStore.js"

/** The owner and scope of a live key. */
export interface KeyOwner {
  readonly userId: Ids.UserId
  readonly keyId: string
  readonly scope: ApiKey.Scope
}

/** A secret just generated, with what is stored of it. */
export interface NewKey {
  readonly id: Ids.ApiKeyId
  readonly key: string
  readonly prefix: string
  readonly hash: string
}

/** A user may hold at most this many keys (live or revoked). */
export const maxKeysPerUser = 500

/**
 * The API key port: keys stored as SHA-256 digests (the secret is generated and hashed by the caller, returned once),
 * looked up by digest, listed and revoked per user.
 */
export class Keys extends Context.Tag("@opensync/backend/Keys")<
  Keys,
  {
    /** The owner of the live key with this digest; records its last use at most once a minute. */
    readonly authenticate: (hash: string) => Effect.Effect<Option.Option<KeyOwner>, StorageError>
    /** Stores a new key; None when the user already holds `maxKeysPerUser` keys. */
    readonly create: (
      userId: Ids.UserId,
      name: string,
      scope: ApiKey.Scope,
      secret: NewKey
    ) => Effect.Effect<Option.Option<ApiKey.ApiKeyInfo>, StorageError>
    readonly list: (userId: Ids.UserId) => Effect.Effect<ReadonlyArray<ApiKey.ApiKeyInfo>, StorageError>
    /** Revokes one of the user's keys and ends every sign-in made with it, at once; None when there is no such key. */
    readonly revoke: (userId: Ids.UserId, id: string) => Effect.Effect<Option.Option<ApiKey.ApiKeyInfo>, StorageError>
    /** The user's display name (the id when unknown). */
    readonly userName: (userId: Ids.UserId) => Effect.Effect<string, StorageError>
  }
>() {}
