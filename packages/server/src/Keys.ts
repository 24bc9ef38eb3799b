import * as SqlClient from "@effect/sql/SqlClient"
import { ApiKey, Ids } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

interface KeyRow {
  readonly id: string
  readonly user_id: string
  readonly name: string
  readonly prefix: string
  readonly scopes: string
  readonly created_at: number
  readonly last_used_at: number | null
  readonly revoked_at: number | null
}

const info = (row: KeyRow): ApiKey.ApiKeyInfo => ({
  id: Ids.ApiKeyId.make(row.id),
  userId: Ids.UserId.make(row.user_id),
  name: row.name,
  prefix: row.prefix,
  scopes: JSON.parse(row.scopes),
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at
})

/** The id of the user a fresh server creates for its owner. */
export const localUserId = "local"

/** Users and their API keys. Secrets are returned once, at creation; only their SHA-256 is stored. */
export class Keys extends Effect.Service<Keys>()("@opensync/server/Keys", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const lastUsedWrites = new Map<string, number>()

    const ensureUser = Effect.fn("Keys.ensureUser")(function* (userId: string, name: string) {
      yield* sql`INSERT INTO users (id, name, created_at) VALUES (${userId}, ${name}, ${Date.now()}) ON CONFLICT DO NOTHING`
    })

    const userCount = Effect.map(sql<{ n: number }>`SELECT count(*) AS n FROM users`, (rows) => rows[0]?.n ?? 0)

    const create = Effect.fn("Keys.create")(function* (userId: string, name: string) {
      yield* ensureUser(userId, userId)
      const key = ApiKey.generate()
      const id = ApiKey.generateId()
      const hash = yield* ApiKey.hash(key)
      const createdAt = Date.now()
      yield* sql`INSERT INTO api_keys ${sql.insert({
        id,
        user_id: userId,
        name,
        prefix: ApiKey.displayPrefix(key),
        hash,
        scopes: JSON.stringify(["ingest", "read"]),
        created_at: createdAt
      })}`
      return {
        id,
        userId: Ids.UserId.make(userId),
        name,
        prefix: ApiKey.displayPrefix(key),
        scopes: ["ingest", "read"],
        createdAt,
        lastUsedAt: null,
        revokedAt: null,
        key
      } satisfies ApiKey.CreatedApiKey
    })

    const list = Effect.fn("Keys.list")(function* (userId?: string) {
      const rows =
        userId === undefined
          ? yield* sql<KeyRow>`SELECT * FROM api_keys ORDER BY created_at, id`
          : yield* sql<KeyRow>`SELECT * FROM api_keys WHERE user_id = ${userId} ORDER BY created_at, id`
      return rows.map(info)
    })

    /** Revokes a key; with a user, only that user's key. None when no such key exists (for that user). */
    const revoke = Effect.fn("Keys.revoke")(function* (id: string, userId?: string) {
      const now = Date.now()
      const rows =
        userId === undefined
          ? yield* sql<KeyRow>`UPDATE api_keys SET revoked_at = coalesce(revoked_at, ${now}) WHERE id = ${id} RETURNING *`
          : yield* sql<KeyRow>`UPDATE api_keys SET revoked_at = coalesce(revoked_at, ${now}) WHERE id = ${id} AND user_id = ${userId} RETURNING *`
      return Option.map(Option.fromNullable(rows[0]), info)
    })

    /** The owner of a live key, or None. Records last use at most once a minute per key. */
    const authenticate = Effect.fn("Keys.authenticate")(function* (key: string) {
      const hash = yield* ApiKey.hash(key)
      const rows = yield* sql<{ id: string; user_id: string }>`
        SELECT id, user_id FROM api_keys WHERE hash = ${hash} AND revoked_at IS NULL`
      const row = rows[0]
      if (row === undefined) return Option.none<{ userId: Ids.UserId; keyId: string }>()
      const now = Date.now()
      if (now - (lastUsedWrites.get(row.id) ?? 0) > 60_000) {
        lastUsedWrites.set(row.id, now)
        yield* sql`UPDATE api_keys SET last_used_at = ${now} WHERE id = ${row.id}`
      }
      return Option.some({ userId: Ids.UserId.make(row.user_id), keyId: row.id })
    })

    return { ensureUser, userCount, create, list, revoke, authenticate } as const
  })
}) {}
