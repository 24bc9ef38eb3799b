import * as SqlClient from "@effect/sql/SqlClient"
import { Batch, type Request } from "@opensync/domain"
import * as Effect from "effect/Effect"
import { chunk, rowsPerStatement } from "./columns.js"

/**
 * The SQLite side of reconciliation: the per-request rows (`api_requests`, one per session × API request id, kept out
 * of the session row because a long session has thousands) and when each user's telemetry last arrived. The domain
 * (`Batch.apply`) decides what the rows hold; this module only reads and writes them.
 */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  /** Request rows by `Batch.rowKey(sessionId, requestId)`. */
  const load = (userId: string, keys: ReadonlyArray<readonly [string, string]>) =>
    Effect.gen(function* () {
      const out = new Map<string, Request.ApiRequest>()
      const bySession = new Map<string, Array<string>>()
      for (const [sessionId, id] of keys) bySession.set(sessionId, [...(bySession.get(sessionId) ?? []), id])
      for (const [sessionId, ids] of bySession) {
        for (const part of chunk(ids, 500)) {
          const rows = yield* sql<{ id: string; data: string }>`
            SELECT id, data FROM api_requests
            WHERE user_id = ${userId} AND session_id = ${sessionId} AND id IN ${sql.in(part)}`
          for (const row of rows) out.set(Batch.rowKey(sessionId, row.id), JSON.parse(row.data))
        }
      }
      return out
    })

  /** Writes changed rows; a null row is deleted (nothing is left of the request). */
  const write = (userId: string, changed: ReadonlyMap<string, Request.ApiRequest | null>) =>
    Effect.gen(function* () {
      const upserts: Array<Request.ApiRequest> = []
      for (const [k, row] of changed) {
        if (row !== null) upserts.push(row)
        else {
          const [sessionId, id] = k.split("\u0000")
          yield* sql`DELETE FROM api_requests WHERE user_id = ${userId} AND session_id = ${sessionId!} AND id = ${id!}`
        }
      }
      for (const rows of chunk(upserts, rowsPerStatement)) {
        yield* sql`
          INSERT INTO api_requests ${sql.insert(
            rows.map((r) => ({ user_id: userId, session_id: r.sessionId, id: r.id, data: JSON.stringify(r) }))
          )}
          ON CONFLICT (user_id, session_id, id) DO UPDATE SET data = excluded.data`
      }
    })

  const removeSession = (userId: string, sessionId: string) =>
    sql`DELETE FROM api_requests WHERE user_id = ${userId} AND session_id = ${sessionId}`

  const removeUser = (userId: string) => sql`DELETE FROM api_requests WHERE user_id = ${userId}`

  /** The request rows of one session, oldest first. */
  const ofSession = (userId: string, sessionId: string) =>
    Effect.map(
      sql<{ data: string }>`SELECT data FROM api_requests WHERE user_id = ${userId} AND session_id = ${sessionId}`,
      (rows) =>
        rows
          .map((row): Request.ApiRequest => JSON.parse(row.data))
          .sort((a, b) => (a.telemetry?.at ?? a.transcript?.at ?? 0) - (b.telemetry?.at ?? b.transcript?.at ?? 0))
    )

  const noteTelemetry = (userId: string, at: number) =>
    sql`INSERT INTO telemetry_receipts (user_id, last_at) VALUES (${userId}, ${at})
      ON CONFLICT (user_id) DO UPDATE SET last_at = max(last_at, excluded.last_at)`.pipe(Effect.asVoid)

  const lastTelemetry = (userId: string) =>
    Effect.map(
      sql<{ last_at: number }>`SELECT last_at FROM telemetry_receipts WHERE user_id = ${userId}`,
      (rows) => rows[0]?.last_at ?? null
    )

  return { load, write, removeSession, removeUser, ofSession, noteTelemetry, lastTelemetry } as const
})
