import { Api } from "@opensync/domain"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"

/** The signed-in caller of a request (`Api.CurrentUser`). */
export type Caller = Context.Tag.Service<typeof Api.CurrentUser>

/** Runs `use` with the caller and the service `tag`: how a handler that acts on the caller's own data starts. */
export const withCaller = <I, S, A, E, R>(
  tag: Context.Tag<I, S>,
  use: (user: Caller, service: S) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R | I | Api.CurrentUser> =>
  Effect.flatMap(Effect.all([Api.CurrentUser, tag]), ([user, service]) => use(user, service))
