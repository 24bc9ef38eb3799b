import * as SqlClient from "@effect/sql/SqlClient"
import { Api, ApiKey, Ids } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"

/** A dashboard session as the authentication middleware sees it. */
export interface SessionOwner {
  readonly userId: Ids.UserId
  readonly keyId: string
  readonly via: "session"
  readonly session: { readonly id: string; readonly expiresAt: number }
}

/** A new session token: `oss_` + 32 random bytes, base64url. Shown once; only its SHA-256 is stored. */
export const generateToken = (): string => {
  const bytes = new Uint8Array(32)
  crypto.getRandomValues(bytes)
  return `${Api.sessionTokenPrefix}${Encoding.encodeBase64Url(bytes)}`
}

/** The format of a session token; anything else is rejected before a lookup. */
export const tokenPattern = /^oss_[A-Za-z0-9_-]{43}$/

/** Dashboard sign-in sessions: created from an API key, valid 7 days, revocable; stored as SHA-256 digests. */
export class DashboardSessions extends Effect.Service<DashboardSessions>()("@opensync/server/DashboardSessions", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const userName = Effect.fn("DashboardSessions.userName")(function* (userId: string) {
      const rows = yield* sql<{ name: string }>`SELECT name FROM users WHERE id = ${userId}`
      return rows[0]?.name ?? userId
    })

    /** Starts a session for the owner of a live key (checked by the caller). */
    const create = Effect.fn("DashboardSessions.create")(function* (userId: string, keyId: string) {
      const token = generateToken()
      const id = yield* ApiKey.hash(token)
      const now = Date.now()
      const expiresAt = now + Api.sessionLifetimeMs
      yield* sql`DELETE FROM dashboard_sessions WHERE user_id = ${userId} AND expires_at < ${now}`
      yield* sql`INSERT INTO dashboard_sessions ${sql.insert({
        id,
        user_id: userId,
        key_id: keyId,
        created_at: now,
        expires_at: expiresAt
      })}`
      return { token, expiresAt, user: { id: Ids.UserId.make(userId), name: yield* userName(userId) } }
    })

    /** The owner of a live (unexpired, unrevoked) session token, or None. */
    const authenticate = Effect.fn("DashboardSessions.authenticate")(function* (token: string) {
      if (!tokenPattern.test(token)) return Option.none<SessionOwner>()
      const id = yield* ApiKey.hash(token)
      const rows = yield* sql<{ user_id: string; key_id: string; expires_at: number }>`
        SELECT user_id, key_id, expires_at FROM dashboard_sessions
        WHERE id = ${id} AND revoked_at IS NULL AND expires_at > ${Date.now()}`
      const row = rows[0]
      if (row === undefined) return Option.none<SessionOwner>()
      return Option.some<SessionOwner>({
        userId: Ids.UserId.make(row.user_id),
        keyId: row.key_id,
        via: "session",
        session: { id, expiresAt: row.expires_at }
      })
    })

    /** Ends a session at once. */
    const revoke = Effect.fn("DashboardSessions.revoke")(function* (id: string) {
      yield* sql`UPDATE dashboard_sessions SET revoked_at = coalesce(revoked_at, ${Date.now()}) WHERE id = ${id}`
    })

    return { create, authenticate, revoke, userName } as const
  })
}) {}
