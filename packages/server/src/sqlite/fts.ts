import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/**
 * Full-text search, one FTS5 table per user (`message_fts_<user rowid>`) in the search file (`search.db`, attached to
 * the server's connection as `search`, see `SearchIndex.ts`): a search reads only the searching user's index, so its
 * time never depends on another user's words. Tables are contentless (the text lives in `messages`); a row's rowid is
 * its message's rowid.
 */

/** The words of a query: runs of letters, digits and `_` holding at least one letter or digit. */
const words = (text: string) => (text.match(/[\p{L}\p{N}_]+/gu) ?? []).filter((word) => /[\p{L}\p{N}]/u.test(word))

/**
 * The last token the tokenizer makes of a word: `unicode61` splits at `_`, and a phrase's prefix (`"foo_ba"*`) applies
 * to its last token (`ba`), so that token's length decides whether the prefix has an index of its own.
 */
const lastToken = (word: string) =>
  word
    .split("_")
    .filter((token) => token.length > 0)
    .at(-1) ?? ""

/** One word as an FTS5 phrase. */
export const phrase = (word: string) => `"${word.replaceAll('"', '""')}"`

/**
 * A safe FTS5 query for free text: each word quoted, the last one as a prefix (search as you type) when it has two
 * characters or more; undefined when nothing is left. A last word of one character is matched as a whole word: as a
 * prefix it matches nearly every message, and FTS5 has to merge the entries of every word that starts with it (3–5 s
 * on 2M messages).
 */
export const ftsQuery = (text: string): string | undefined => {
  const terms = words(text)
  if (terms.length === 0) return undefined
  return terms
    .map((word, i) => `${phrase(word)}${i === terms.length - 1 && [...lastToken(word)].length > 1 ? "*" : ""}`)
    .join(" ")
}

/**
 * `ftsQuery(text)` with its last word matched whole instead of as a prefix, when it is a prefix; undefined otherwise.
 * Every message it matches, `ftsQuery(text)` matches too, and it is read lazily (one entry list per word), so counting
 * its first hits is cheap where the prefix would have to be expanded first: a lower bound of the prefix's hits.
 */
export const wholeWordQuery = (text: string): string | undefined => {
  const query = ftsQuery(text)
  return query?.endsWith("*") ? query.slice(0, -1) : undefined
}

/**
 * Whether every term of `ftsQuery(text)` is one entry list of the index: whole words, and a last-word prefix of two or
 * three characters (the prefix indexes of `createTable`). Such a query can be checked against one message at a time
 * cheaply; a longer prefix is expanded into every word it starts, again for each check (seconds over a page).
 */
export const checkablePerMessage = (text: string): boolean => {
  const terms = words(text)
  const last = terms[terms.length - 1]
  return last !== undefined && [...lastToken(last)].length <= 3
}

/**
 * The last word of `ftsQuery(text)` when it is a prefix longer than the prefix indexes' (four characters or more) that
 * the index's vocabulary may expand: not joined by `_` (the tokenizer makes a phrase of such a word, whose prefix is
 * its last token's). `others` are the words before it. Undefined for any other query. The word is folded as the index
 * folds it by the tokenizer itself (`foldWord`), and expanded only if it makes one token.
 */
export const expandablePrefix = (
  text: string
): { readonly others: ReadonlyArray<string>; readonly word: string } | undefined => {
  const terms = words(text)
  const last = terms[terms.length - 1]
  if (last === undefined || last.includes("_") || [...last].length < 4) return undefined
  return { others: terms.slice(0, -1), word: last }
}

/** The tokenizer of every search table: words folded to lower case, diacritics removed. */
export const tokenizer = "unicode61 remove_diacritics 2"

const foldStatements = {
  create: [
    `CREATE VIRTUAL TABLE IF NOT EXISTS temp.opensync_fold USING fts5(word, tokenize = '${tokenizer}')`,
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.opensync_fold_tokens USING fts5vocab('temp', 'opensync_fold', 'instance')"
  ],
  insert: "INSERT INTO temp.opensync_fold (rowid, word) VALUES (?, ?)",
  tokens: "SELECT term FROM temp.opensync_fold_tokens WHERE doc = ? ORDER BY offset",
  clear: "DELETE FROM temp.opensync_fold WHERE rowid = ?"
} as const

/** The rowid of the next word `foldWord` folds in this process: unique, so that two folds on a connection never meet. */
let folds = 0

/**
 * The tokens a search table makes of `word`, in order, made by the same tokenizer: the word is written as a row of a
 * table in the connection's `temp` schema (`tokenizer`), read back through the table's vocabulary, and deleted.
 */
export const foldWord = (sql: SqlClient.SqlClient, word: string) =>
  Effect.gen(function* () {
    for (const statement of foldStatements.create) yield* sql.unsafe(statement)
    const rowid = ++folds
    yield* sql.unsafe(foldStatements.insert, [rowid, word])
    const tokens = yield* sql.unsafe<{ term: string }>(foldStatements.tokens, [rowid])
    yield* sql.unsafe(foldStatements.clear, [rowid])
    return tokens.map((token) => token.term)
  })

/**
 * The first string after every string that starts with `prefix`, in the vocabulary's (UTF-8 byte, i.e. code point)
 * order: its last code point moved one on; undefined past the last code point.
 */
export const prefixEnd = (prefix: string): string | undefined => {
  const points = [...prefix]
  const last = points.pop()?.codePointAt(0)
  if (last === undefined || last >= 0x10ffff) return undefined
  return points.join("") + String.fromCodePoint(last + 1)
}

/**
 * `ftsQuery(text)` with its last-word prefix replaced by the words of the index it starts (`expandablePrefix`):
 * `"a" AND ("pexqua" OR "pexquab" OR …)`. It matches the same messages, and each of its terms is one entry list, read
 * lazily and sought by rowid, where FTS5 merges the prefix's lists whole before its first hit (whatever the rowids a
 * query is limited to).
 */
export const expandedQuery = (others: ReadonlyArray<string>, expansions: ReadonlyArray<string>): string =>
  [...others.map(phrase), `(${expansions.map(phrase).join(" OR ")})`].join(" AND ")

/** The `fts5vocab` table (its `row` kind) over a user's search table: one row per word of the index. */
export const vocabularyName = (table: string) => table.replace(/^message_fts_/, "message_vocab_")

export const tableName = (userRowid: number) => `message_fts_${userRowid}`

/**
 * The statement creating a user's search table `name` in the database `schema`. `prefix = '2 3'` keeps the entries of
 * two- and three-character prefixes in indexes of their own, so a short last word (`"th"*`) is one lookup instead of
 * a merge of every word starting with it (0.6 s for `th`, 0.15 s for `the` on 2M messages without them).
 */
export const createTable = (name: string, schema = "main") =>
  `CREATE VIRTUAL TABLE IF NOT EXISTS ${schema}.${name} USING fts5(
    text, content = '', contentless_delete = 1, prefix = '2 3', tokenize = '${tokenizer}'
  )`

/**
 * The rowids of users (which name their search tables), each looked up once and then remembered (a user's rowid
 * never changes); undefined for an unknown user.
 */
export const userRowids = (sql: SqlClient.SqlClient) => {
  const known = new Map<string, number>()
  return (userId: string) =>
    known.has(userId)
      ? Effect.succeed(known.get(userId))
      : Effect.map(sql<{ rowid: number }>`SELECT rowid FROM users WHERE id = ${userId}`, (rows) => {
          const rowid = rows[0]?.rowid
          if (rowid !== undefined) known.set(userId, rowid)
          return rowid
        })
}

/**
 * A user's search table by name, or undefined for a user who has none yet (tables are created by the indexer when it
 * indexes the user's first message). Known names are remembered per process.
 */
export const makeTables = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const known = new Map<string, string>()
  const rowidOf = userRowids(sql)
  const forRead = (userId: string) =>
    Effect.gen(function* () {
      const cached = known.get(userId)
      if (cached !== undefined) return cached
      const rowid = yield* rowidOf(userId)
      if (rowid === undefined) return undefined
      const name = tableName(rowid)
      const exists = yield* sql<{ n: number }>`SELECT count(*) AS n FROM search.sqlite_master WHERE name = ${name}`
      if ((exists[0]?.n ?? 0) === 0) return undefined
      known.set(userId, name)
      return name
    })
  return { forRead } as const
})
