import { HttpApiBuilder, HttpServerRequest } from "@effect/platform"
import { Api, ApiKey, Errors, Ids, SignIn } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { authenticate, digest, messages, setSignInCookie } from "../Auth.js"
import { Keys } from "../Keys.js"
import { ServerInfo } from "../ServerInfo.js"
import { SessionStore } from "../SessionStore.js"
import { SignIns } from "../SignIns.js"
import { orStorageFailure } from "../Storage.js"
import { withCaller } from "./caller.js"

/** A new sign-in's public id (what Settings lists and `DELETE /api/sign-ins/{id}` takes; never the token). */
const signInId = () => `sgn_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}`

/**
 * Dashboard sign-in. `POST /auth/session` takes a `full` key and answers a whole token (for `Authorization: Bearer`),
 * and sets the cookie half; the dashboard on the same origin keeps the other half and sends it as a header.
 */
export const AuthLive = HttpApiBuilder.group(Api.OpenSyncApi, "auth", (handlers) =>
  handlers
    .handle("createSession", ({ payload }) =>
      Effect.gen(function* () {
        const keys = yield* Keys
        const signIns = yield* SignIns
        const info = yield* ServerInfo
        const request = yield* HttpServerRequest.HttpServerRequest
        const key = payload.apiKey.trim()
        // Only an API key signs in; one of the wrong shape counts as a failed attempt (`authenticate`), as anywhere.
        const problem = ApiKey.problem(key)
        if (problem !== undefined && !key.startsWith("osk_")) return yield* new Errors.Unauthorized({ error: problem })
        const caller = yield* authenticate(key)
        if (!ApiKey.allows(caller.scope, "full")) {
          return yield* new Errors.Forbidden({
            error: messages.signInScope(info)
          })
        }
        const token = SignIn.generateToken()
        const now = Date.now()
        const expiresAt = now + SignIn.lifetimeMs
        yield* orStorageFailure(
          signIns.create({
            id: signInId(),
            userId: caller.userId,
            keyId: caller.keyId,
            tokenHash: yield* digest(token),
            userAgent: (request.headers["user-agent"] ?? "").slice(0, 512),
            createdAt: now,
            expiresAt
          })
        )
        yield* setSignInCookie(SignIn.split(token).cookie, SignIn.lifetimeMs)
        const name = yield* orStorageFailure(keys.userName(caller.userId))
        return { token, expiresAt, user: { id: caller.userId, name } }
      })
    )
    .handle("me", () =>
      withCaller(Keys, (user, keys) =>
        Effect.gen(function* () {
          const name = yield* orStorageFailure(keys.userName(user.userId))
          const lastReceivedAt = yield* orStorageFailure((yield* SessionStore).lastTelemetry(user.userId))
          return {
            user: { id: Ids.UserId.make(user.userId), name },
            via: user.via,
            scope: user.scope,
            expiresAt: user.session?.expiresAt ?? null,
            telemetry: { lastReceivedAt }
          }
        })
      )
    )
    .handle("deleteSession", () =>
      withCaller(SignIns, (user, signIns) =>
        Effect.gen(function* () {
          if (user.session !== undefined)
            yield* orStorageFailure(signIns.revoke(user.userId, user.session.id, Date.now()))
          yield* setSignInCookie("", 0)
          return { ok: true as const }
        })
      )
    )
)

/** The caller's dashboard sign-ins: listed (the current one marked) and ended. */
export const SignInsLive = HttpApiBuilder.group(Api.OpenSyncApi, "signIns", (handlers) =>
  handlers
    .handle("list", () =>
      withCaller(SignIns, (user, signIns) =>
        Effect.map(orStorageFailure(signIns.list(user.userId, Date.now())), (list) => ({
          signIns: list.map((s) => ({ ...s, current: s.id === user.session?.id }))
        }))
      )
    )
    .handle("revoke", ({ path }) =>
      withCaller(SignIns, (user, signIns) =>
        Effect.gen(function* () {
          const revoked = yield* orStorageFailure(signIns.revoke(user.userId, path.id, Date.now()))
          if (Option.isNone(revoked)) return yield* new Errors.NotFound({ error: `Sign-in not found: ${path.id}` })
          return { ...revoked.value, current: revoked.value.id === user.session?.id }
        })
      )
    )
)
