import { Limits } from "@opensync/domain"
import type { Id } from "../_generated/dataModel.js"
import type { MutationCtx, QueryCtx } from "../_generated/server.js"
import { tuning } from "./tuning.js"

/** Full-text search over message text, with the local server's semantics: every word, the last one as a prefix. */

/** Longest search entry; a message's text is split at whitespace into entries of at most this many characters. */
export const chunkChars = 4_000

const wordPattern = /[\p{L}\p{N}_]+/gu

const fold = (text: string) => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase()

/** The words of a query, as the local server's FTS query takes them; empty when the query has no word characters. */
export const queryWords = (q: string): ReadonlyArray<string> => fold(q).match(wordPattern) ?? []

/** True when `text` holds every word, the last one as a prefix (FTS5 `"a" "b"*`). */
export const matchesWords = (text: string, words: ReadonlyArray<string>): boolean => {
  if (words.length === 0) return false
  const tokens = new Set(fold(text).match(wordPattern) ?? [])
  return words.every((word, i) =>
    i < words.length - 1 ? tokens.has(word) : [...tokens].some((token) => token.startsWith(word))
  )
}

/** Title matching like SQL `LIKE '%q%'`: a case-insensitive substring. */
export const titleMatches = (title: string | null, q: string): boolean =>
  title !== null && q.trim().length > 0 && title.toLowerCase().includes(q.trim().toLowerCase())

/** Splits text into search entries at whitespace, each at most `chunkChars` long. */
export const chunks = (text: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  let rest = text
  while (rest.length > chunkChars) {
    const space = rest.lastIndexOf(" ", chunkChars)
    const piece = space < chunkChars / 2 ? Limits.cut(rest, chunkChars) : rest.slice(0, space)
    out.push(piece)
    rest = rest.slice(piece.length)
  }
  if (rest.trim().length > 0) out.push(rest)
  return out
}

/** Replaces the search entries of one message. */
export const indexMessage = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  sessionDoc: Id<"sessions">,
  messageId: string,
  text: string,
  replacing: boolean
) => {
  if (replacing) {
    const old = await ctx.db
      .query("searchChunks")
      .withIndex("by_message", (q) => q.eq("sessionDoc", sessionDoc).eq("messageId", messageId))
      .collect()
    for (const doc of old) await ctx.db.delete(doc._id)
  }
  for (const chunk of chunks(text)) await ctx.db.insert("searchChunks", { userId, sessionDoc, messageId, text: chunk })
}

/** Session documents whose messages or title match `q` (at most `tuning.searchHits` of each, best matches first). */
export const searchSessions = async (
  ctx: QueryCtx,
  userId: Id<"users">,
  q: string
): Promise<ReadonlyArray<Id<"sessions">>> => {
  const words = queryWords(q)
  if (words.length === 0) return []
  // The whole query (ranked by relevance on Convex), and its longest word alone (every hit holds the rarest-looking
  // word, so common words cannot crowd the matches out of a bounded read); hits are checked against every word.
  const longest = words.reduce((a, b) => (b.length > a.length ? b : a))
  const queries = [...new Set([words.join(" "), longest])]
  const found = new Set<Id<"sessions">>()
  for (const query of queries) {
    const hits = await ctx.db
      .query("searchChunks")
      .withSearchIndex("search_text", (s) => s.search("text", query).eq("userId", userId))
      .take(Math.ceil(tuning.searchHits / queries.length))
    for (const hit of hits) if (matchesWords(hit.text, words)) found.add(hit.sessionDoc)
    const titles = await ctx.db
      .query("sessions")
      .withSearchIndex("search_title", (s) => s.search("titleText", query).eq("userId", userId))
      .take(Math.ceil(tuning.searchHits / queries.length))
    for (const doc of titles) if (titleMatches(doc.title, q)) found.add(doc._id)
  }
  return [...found]
}
