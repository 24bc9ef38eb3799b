import * as SqlClient from "@effect/sql/SqlClient"
import { newKey } from "@opensync/backend/handlers/keys"
import { Keys, maxKeysPerUser, type NewKey } from "@opensync/backend/Keys"
import { type ApiKey, Ids } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { storage } from "./errors.js"

interface KeyRow {
  readonly id: string
  readonly user_id: string
  readonly name: string
  readonly prefix: string
  readonly scope: ApiKey.Scope
  readonly created_at: number
  readonly last_used_at: number | null
  readonly revoked_at: number | null
}

const info = (row: KeyRow): ApiKey.ApiKeyInfo => ({
  id: Ids.ApiKeyId.make(row.id),
  userId: Ids.UserId.make(row.user_id),
  name: row.name,
  prefix: row.prefix,
  scope: row.scope,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at
})

/** The id of the user a fresh server creates for its owner. */
export const localUserId = Ids.UserId.make("local")

/**
 * Users and API keys on SQLite: the `Keys` port, plus what only the server's own CLI does (create the first user,
 * list and revoke any user's keys). Secrets are returned once, at creation; only their SHA-256 is stored.
 */
export class LocalKeys extends Effect.Service<LocalKeys>()("@opensync/server/LocalKeys", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const lastUsedWrites = new Map<string, number>()

    const ensureUser = (userId: string, name: string) =>
      sql`INSERT INTO users (id, name, created_at) VALUES (${userId}, ${name}, ${Date.now()}) ON CONFLICT DO NOTHING`.pipe(
        storage
      )

    const userCount = Effect.map(sql<{ n: number }>`SELECT count(*) AS n FROM users`, (rows) => rows[0]?.n ?? 0).pipe(
      storage
    )

    const store = (userId: Ids.UserId, name: string, scope: ApiKey.Scope, secret: NewKey) =>
      Effect.gen(function* () {
        const held = yield* sql<{ n: number }>`SELECT count(*) AS n FROM api_keys WHERE user_id = ${userId}`
        if ((held[0]?.n ?? 0) >= maxKeysPerUser) return Option.none<ApiKey.ApiKeyInfo>()
        yield* sql`INSERT INTO users (id, name, created_at) VALUES (${userId}, ${userId}, ${Date.now()}) ON CONFLICT DO NOTHING`
        const row: KeyRow = {
          id: secret.id,
          user_id: userId,
          name,
          prefix: secret.prefix,
          scope,
          created_at: Date.now(),
          last_used_at: null,
          revoked_at: null
        }
        yield* sql`INSERT INTO api_keys ${sql.insert({ ...row, hash: secret.hash })}`
        return Option.some(info(row))
      }).pipe(sql.withTransaction, storage)

    /** A new key for a user (created when missing), generated and stored here; the secret is in the answer only. */
    const create = (userId: string, name: string, scope: ApiKey.Scope) =>
      Effect.gen(function* () {
        const secret = yield* newKey
        const created = yield* store(Ids.UserId.make(userId), name, scope, secret)
        if (Option.isNone(created)) {
          return yield* Effect.fail(
            new Error(
              `User ${userId} already holds ${maxKeysPerUser} keys (revoked keys count too); no more can be created.`
            )
          )
        }
        return { ...created.value, key: secret.key } satisfies ApiKey.CreatedApiKey
      })

    const list = (userId?: string) =>
      Effect.map(
        userId === undefined
          ? sql<KeyRow>`SELECT * FROM api_keys ORDER BY created_at, id`
          : sql<KeyRow>`SELECT * FROM api_keys WHERE user_id = ${userId} ORDER BY created_at, id`,
        (rows) => rows.map(info)
      ).pipe(storage)

    /** Revokes a key (with a user, only that user's) and ends the sign-ins made with it; None when there is none. */
    const revoke = (id: string, userId?: string) =>
      Effect.gen(function* () {
        const now = Date.now()
        const rows =
          userId === undefined
            ? yield* sql<KeyRow>`UPDATE api_keys SET revoked_at = coalesce(revoked_at, ${now}) WHERE id = ${id} RETURNING *`
            : yield* sql<KeyRow>`UPDATE api_keys SET revoked_at = coalesce(revoked_at, ${now})
                WHERE id = ${id} AND user_id = ${userId} RETURNING *`
        if (rows[0] === undefined) return Option.none<ApiKey.ApiKeyInfo>()
        yield* sql`UPDATE dashboard_sessions SET revoked_at = coalesce(revoked_at, ${now}) WHERE key_id = ${id}`
        return Option.some(info(rows[0]))
      }).pipe(storage)

    /** The owner of a live key, or None. Records last use at most once a minute; a failed record never fails it. */
    const authenticate = (hash: string) =>
      Effect.gen(function* () {
        const rows = yield* storage(sql<{ id: string; user_id: string; scope: ApiKey.Scope }>`
          SELECT id, user_id, scope FROM api_keys WHERE hash = ${hash} AND revoked_at IS NULL`)
        const row = rows[0]
        if (row === undefined) return Option.none()
        const now = Date.now()
        if (now - (lastUsedWrites.get(row.id) ?? 0) > 60_000) {
          lastUsedWrites.set(row.id, now)
          yield* sql`UPDATE api_keys SET last_used_at = ${now} WHERE id = ${row.id}`.pipe(
            Effect.catchAll((cause) => Effect.logWarning("could not record a key's last use", cause))
          )
        }
        return Option.some({ userId: Ids.UserId.make(row.user_id), keyId: row.id, scope: row.scope })
      })

    const userName = (userId: string) =>
      Effect.map(
        sql<{ name: string }>`SELECT name FROM users WHERE id = ${userId}`,
        (rows) => rows[0]?.name ?? userId
      ).pipe(storage)

    const port = Keys.of({
      authenticate,
      create: store,
      list: (userId) => list(userId),
      revoke: (userId, id) => revoke(id, userId),
      userName
    })

    return { ensureUser, userCount, create, list, revoke, port } as const
  })
}) {}

/** The `Keys` port on SQLite. */
export const layer = Layer.effect(
  Keys,
  Effect.map(LocalKeys, (keys) => keys.port)
)
