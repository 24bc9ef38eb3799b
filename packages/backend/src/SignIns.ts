import type { Ids, SignIn } from "@opensync/domain"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { StorageError } from "./SessionStore.js"

/** A live sign-in as authentication sees it. */
export interface SignInOwner {
  readonly id: string
  readonly userId: Ids.UserId
  readonly keyId: string
  readonly expiresAt: number
}

/** What is stored of a new sign-in: never the token, only its digest. */
export interface NewSignIn {
  readonly id: string
  readonly userId: Ids.UserId
  readonly keyId: string
  readonly tokenHash: string
  readonly userAgent: string
  readonly createdAt: number
  readonly expiresAt: number
}

/**
 * The dashboard sign-in port. A sign-in is live while it is unexpired, unrevoked and its key is unrevoked: revoking a
 * key ends its sign-ins at once.
 */
export class SignIns extends Context.Tag("@opensync/backend/SignIns")<
  SignIns,
  {
    readonly create: (signIn: NewSignIn) => Effect.Effect<void, StorageError>
    /** The live sign-in with this token digest; records `lastSeenAt` at most once a minute. */
    readonly authenticate: (tokenHash: string, now: number) => Effect.Effect<Option.Option<SignInOwner>, StorageError>
    /** The user's live sign-ins, newest first (`current` is false: the handler marks the caller's own). */
    readonly list: (userId: Ids.UserId, now: number) => Effect.Effect<ReadonlyArray<SignIn.SignInInfo>, StorageError>
    /** Ends one of the user's sign-ins; None when the user has no sign-in with that id. */
    readonly revoke: (
      userId: Ids.UserId,
      id: string,
      now: number
    ) => Effect.Effect<Option.Option<SignIn.SignInInfo>, StorageError>
  }
>() {}
