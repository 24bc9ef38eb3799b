import type { Statement } from "@effect/sql"
import * as SqlClient from "@effect/sql/SqlClient"
import { SignIns } from "@opensync/backend/SignIns"
import { Ids, SignIn } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { storage } from "./errors.js"

interface SignInRow {
  readonly public_id: string
  readonly key_id: string
  readonly key_name: string | null
  readonly user_agent: string
  readonly created_at: number
  readonly last_seen_at: number | null
  readonly expires_at: number
  readonly revoked_at: number | null
}

const info = (row: SignInRow): SignIn.SignInInfo => ({
  id: row.public_id,
  keyId: row.key_id,
  keyName: row.key_name,
  browser: SignIn.browserOf(row.user_agent),
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at ?? row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  current: false
})

/**
 * Dashboard sign-ins on SQLite (`dashboard_sessions`: the token's SHA-256 as key, a public id for lists). A sign-in is
 * live while unexpired, unrevoked and its key unrevoked.
 */
export const layer = Layer.effect(
  SignIns,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const lastSeenWrites = new Map<string, number>()

    const rowsOf = (userId: string, where: Statement.Fragment) =>
      sql<SignInRow>`
        SELECT s.public_id, s.key_id, k.name AS key_name, s.user_agent, s.created_at, s.last_seen_at, s.expires_at,
          s.revoked_at
        FROM dashboard_sessions AS s LEFT JOIN api_keys AS k ON k.id = s.key_id
        WHERE s.user_id = ${userId} AND ${where}
        ORDER BY s.created_at DESC, s.public_id`

    return SignIns.of({
      create: (signIn) =>
        Effect.gen(function* () {
          yield* sql`DELETE FROM dashboard_sessions WHERE user_id = ${signIn.userId} AND expires_at < ${signIn.createdAt}`
          yield* sql`INSERT INTO dashboard_sessions ${sql.insert({
            id: signIn.tokenHash,
            public_id: signIn.id,
            user_id: signIn.userId,
            key_id: signIn.keyId,
            user_agent: signIn.userAgent,
            created_at: signIn.createdAt,
            last_seen_at: signIn.createdAt,
            expires_at: signIn.expiresAt
          })}`
        }).pipe(storage),
      authenticate: (tokenHash, now) =>
        Effect.gen(function* () {
          const rows = yield* storage(sql<{ public_id: string; user_id: string; key_id: string; expires_at: number }>`
            SELECT s.public_id, s.user_id, s.key_id, s.expires_at
            FROM dashboard_sessions AS s JOIN api_keys AS k ON k.id = s.key_id
            WHERE s.id = ${tokenHash} AND s.revoked_at IS NULL AND s.expires_at > ${now} AND k.revoked_at IS NULL`)
          const row = rows[0]
          if (row === undefined) return Option.none()
          if (now - (lastSeenWrites.get(row.public_id) ?? 0) > SignIn.lastSeenResolutionMs) {
            lastSeenWrites.set(row.public_id, now)
            yield* sql`UPDATE dashboard_sessions SET last_seen_at = ${now} WHERE id = ${tokenHash}`.pipe(
              Effect.catchAll((cause) => Effect.logWarning("could not record a sign-in's last use", cause))
            )
          }
          return Option.some({
            id: row.public_id,
            userId: Ids.UserId.make(row.user_id),
            keyId: row.key_id,
            expiresAt: row.expires_at
          })
        }),
      list: (userId, now) =>
        Effect.map(
          rowsOf(userId, sql`s.revoked_at IS NULL AND s.expires_at > ${now} AND k.revoked_at IS NULL`),
          (rows) => rows.map(info)
        ).pipe(storage),
      revoke: (userId, id, now) =>
        Effect.gen(function* () {
          const updated = yield* sql<{ public_id: string }>`
            UPDATE dashboard_sessions SET revoked_at = coalesce(revoked_at, ${now})
            WHERE user_id = ${userId} AND public_id = ${id} RETURNING public_id`
          if (updated.length === 0) return Option.none()
          const rows = yield* rowsOf(userId, sql`s.public_id = ${id}`)
          return Option.fromNullable(rows[0]).pipe(Option.map(info))
        }).pipe(storage)
    })
  })
)
