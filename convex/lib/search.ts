import { Limits } from "@opensync/domain"
import type { Id } from "../_generated/dataModel.js"
import type { MutationCtx, QueryCtx } from "../_generated/server.js"
import { tuning } from "./tuning.js"

/**
 * Full-text search over message text, with the local server's semantics (FTS5 `unicode61 remove_diacritics 2`): every
 * word, the last one as a prefix, accents and case ignored. Convex's search index ignores terms over 32 bytes, uses
 * the first 16 terms of a query and keeps accents, so what it indexes is `terms`: the folded words of the text, each
 * cut to 32 bytes; a query sends at most 16 folded, cut terms (its longest words, the last word kept last as the
 * prefix); every hit is then checked against the whole text and every word of the query.
 */

/** Longest search entry; a message's text is split at whitespace into entries of at most this many characters. */
export const chunkChars = 4_000

const wordPattern = /[\p{L}\p{N}_]+/gu

export const fold = (text: string) => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase()

/** Longest term Convex's search index keeps, in UTF-8 bytes; most terms one search query uses. */
export const maxTermBytes = 32
export const maxQueryTerms = 16

const utf8 = new TextEncoder()

/** A folded word cut to `maxTermBytes` bytes (at a character boundary). */
export const cutTerm = (word: string): string => {
  if (utf8.encode(word).length <= maxTermBytes) return word
  let out = ""
  for (const char of word) {
    if (utf8.encode(out + char).length > maxTermBytes) break
    out += char
  }
  return out
}

/** What the search index holds for a text: its folded words, each cut to `maxTermBytes`. */
export const termsOf = (text: string): string => (fold(text).match(wordPattern) ?? []).map(cutTerm).join(" ")

/**
 * The search index query for `words`: their cut terms, at most `maxQueryTerms` of them (the longest ones, which
 * select best, in their order), always ending with the last word (Convex matches the last term as a prefix).
 */
export const indexQuery = (words: ReadonlyArray<string>): string => {
  const terms = words.map(cutTerm)
  if (terms.length <= maxQueryTerms) return terms.join(" ")
  const last = terms.length - 1
  const keep = new Set(
    terms
      .slice(0, last)
      .map((term, i) => [term, i] as const)
      .sort((a, b) => b[0].length - a[0].length || a[1] - b[1])
      .slice(0, maxQueryTerms - 1)
      .map(([, i]) => i)
  )
  return [...terms.slice(0, last).filter((_, i) => keep.has(i)), terms[last]].join(" ")
}

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
  for (const chunk of chunks(text)) {
    await ctx.db.insert("searchChunks", { userId, sessionDoc, messageId, text: chunk, terms: termsOf(chunk) })
  }
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
  const longest = (terms: ReadonlyArray<string>) => terms.reduce((a, b) => (b.length > a.length ? b : a))
  const queries = [...new Set([indexQuery(words), cutTerm(longest(words))])]
  const found = new Set<Id<"sessions">>()
  for (const query of queries) {
    const hits = await ctx.db
      .query("searchChunks")
      .withSearchIndex("search_terms", (s) => s.search("terms", query).eq("userId", userId))
      .take(Math.ceil(tuning.searchHits / queries.length))
    for (const hit of hits) if (matchesWords(hit.text, words)) found.add(hit.sessionDoc)
  }
  // Titles match like SQL LIKE (accents kept), so their index is searched with the words as written, lowercased.
  const titleWords = q.toLowerCase().match(wordPattern) ?? []
  if (titleWords.length > 0) {
    for (const query of new Set([indexQuery(titleWords), cutTerm(longest(titleWords))])) {
      const titles = await ctx.db
        .query("sessions")
        .withSearchIndex("search_title", (s) => s.search("titleText", query).eq("userId", userId))
        .take(Math.ceil(tuning.searchHits / 2))
      for (const doc of titles) if (titleMatches(doc.title, q)) found.add(doc._id)
    }
  }
  return [...found]
}
