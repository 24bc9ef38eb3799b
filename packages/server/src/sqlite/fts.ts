import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/**
 * Full-text search, one FTS5 table per user (`message_fts_<user rowid>`): a search reads only the searching user's
 * index, so its time never depends on another user's words. Tables are contentless (the text lives in `messages`);
 * a row's rowid is its message's rowid.
 */

/** A safe FTS5 query for free text: each word quoted, the last one as a prefix; undefined when nothing is left. */
export const ftsQuery = (text: string): string | undefined => {
  const words = text.match(/[\p{L}\p{N}_]+/gu) ?? []
  if (words.length === 0) return undefined
  return words.map((word, i) => `"${word}"${i === words.length - 1 ? "*" : ""}`).join(" ")
}

export const tableName = (userRowid: number) => `message_fts_${userRowid}`

export const createTable = (name: string) =>
  `CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING fts5(
    text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
  )`

/**
 * A user's search table by name: `forWrite` creates it when missing; `forRead` answers undefined for a user who has
 * none yet (a read never writes, so searches keep working on a full disk). Known names are remembered per process.
 */
export const makeTables = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const known = new Map<string, string>()
  const rowidOf = (userId: string) =>
    Effect.map(sql<{ rowid: number }>`SELECT rowid FROM users WHERE id = ${userId}`, (rows) => rows[0]?.rowid)
  const forRead = (userId: string) =>
    Effect.gen(function* () {
      const cached = known.get(userId)
      if (cached !== undefined) return cached
      const rowid = yield* rowidOf(userId)
      if (rowid === undefined) return undefined
      const name = tableName(rowid)
      const exists = yield* sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_master WHERE name = ${name}`
      if ((exists[0]?.n ?? 0) === 0) return undefined
      known.set(userId, name)
      return name
    })
  const forWrite = (userId: string) =>
    Effect.gen(function* () {
      const existing = yield* forRead(userId)
      if (existing !== undefined) return existing
      const rowid = yield* rowidOf(userId)
      if (rowid === undefined) return yield* Effect.dieMessage(`search index of an unknown user ${userId}`)
      const name = tableName(rowid)
      yield* sql.unsafe(createTable(name))
      known.set(userId, name)
      return name
    })
  return { forRead, forWrite } as const
})
