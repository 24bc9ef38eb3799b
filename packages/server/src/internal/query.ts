import { Api, Errors } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"

/** Column of each sort field; each has an index `(user_id, column, id)` for keyset pagination. */
export const sortColumns: Record<Api.SortField, string> = {
  updatedAt: "updated_at",
  startedAt: "started_at",
  costUsd: "cost_usd",
  totalTokens: "total_tokens",
  messageCount: "message_count",
  durationMs: "duration_ms"
}

/** An opaque cursor: the last row's sort value and id. */
export const encodeCursor = (position: readonly [number, string]): string =>
  Encoding.encodeBase64Url(JSON.stringify(position))

export const decodeCursor = (cursor: string) =>
  Effect.try({
    try: () => {
      const value: unknown = JSON.parse(Either.getOrThrow(Encoding.decodeBase64UrlString(cursor)))
      if (Array.isArray(value) && value.length === 2 && typeof value[0] === "number" && typeof value[1] === "string") {
        return [value[0], value[1]] as const
      }
      throw new Error("bad cursor")
    },
    catch: () =>
      new Errors.BadRequest({ error: "Invalid cursor: pass back the nextCursor of a previous page unchanged." })
  })

/** A safe FTS5 query for free text: each word quoted, the last one as a prefix; undefined when nothing is left. */
export const ftsQuery = (text: string): string | undefined => {
  const words = text.match(/[\p{L}\p{N}_]+/gu) ?? []
  if (words.length === 0) return undefined
  return words.map((word, i) => `"${word}"${i === words.length - 1 ? "*" : ""}`).join(" ")
}
