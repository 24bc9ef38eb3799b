import type { Statement } from "@effect/sql"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { InvalidCursor } from "@opensync/backend/SessionStore"
import { type Api, type Ids, Rollup, Session } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import {
  decodeCursor,
  encodeCursor,
  parseMessage,
  parseSession,
  parseToolCall,
  sortColumns,
  summary
} from "./columns.js"
import { Writer } from "./Database.js"
import { storage } from "./errors.js"
import {
  checkablePerMessage,
  expandablePrefix,
  expandedQuery,
  foldWord,
  ftsQuery,
  makeTables,
  phrase,
  prefixEnd,
  vocabularyName,
  wholeWordQuery
} from "./fts.js"
import type { make as makeIngest } from "./ingest.js"
import * as SearchIndex from "./SearchIndex.js"

/** How many message hits a text search gathers before it checks sessions one by one instead (see `searchClause`). */
export const defaultSparseSearchHits = 2_000

/**
 * Past how many message hits a search whose terms are checkable per message (`Fts.checkablePerMessage`) checks each
 * session's messages one at a time instead of gathering the hits first (see `searchClause`).
 */
export const defaultDenseSearchHits = 100_000

/** The sort columns an index keeps in order (`listIndex`); the others are sorted when read. */
const indexOrder = new Set(["updated_at", "started_at"])

/** Sessions of the first round of `searchInCandidates`. */
export const defaultFirstRound = 500

/**
 * Past how many message hits an expanded search (`Fts.expandedQuery`) walks the sort index and checks each session
 * over its messages' rowid range instead of gathering the hits first (see `searchClause`). Such a check costs about
 * what a check of one message does, so it pays at a lower density than checking message by message: on 2M messages
 * (20 a session), a page of `fanitlin*` (95,503 hits) took 4 ms walked and ~20 ms gathered.
 */
export const defaultRangeWalkHits = 40_000

/**
 * The most words a long last-word prefix is expanded into (`Fts.expandedQuery`); a prefix that starts more is merged by
 * FTS5 as before. Reading them costs what FTS5's own expansion reads (not its merge), and a walk checks them in groups
 * from the most frequent on (`sessionMatches`): a page of `kani*` (69 words, 451,414 of 2M messages) takes 20 ms to
 * read its words and 13 to walk, against 73 for FTS5 to gather its hits.
 */
export const defaultMaxExpansions = 128

/**
 * Past this many words, an expanded search's hits are gathered with FTS5's own prefix instead of the words: it merges
 * many entry lists faster than an `OR` of them, which reads each hit through every list (`kani*`: 73 ms, against 102
 * for its 69 words; `pexqua*`: 50 ms, against 43 for its 36).
 */
export const defaultGatheredExpansions = 64

/**
 * A session whose messages' rowids span at most this many times their number is checked against an expanded search
 * in one query over that rowid range (see `searchClause`); a wider one (messages synced days apart, with everything
 * synced between them in the range) message by message.
 */
export const defaultRangeSpan = 32

/**
 * The index a page of the list is read from, so that it is read from the index alone (migration 10):
 * `sessions_by_started` holds every column but the ones an update changes, so it serves the started sort unless the
 * `from` filter (on `updated_at`) is set; `sessions_by_updated` holds them all. Left to itself, SQLite picks
 * `sessions_by_started` for any `to` filter (a range on `started_at`) and then reads each session's row for the rest.
 */
export const listIndex = (column: string, filters: Api.SessionFilters) =>
  column === "started_at" && filters.from === undefined ? "sessions_by_started" : "sessions_by_updated"

/** Reads and deletions of sessions on SQLite: lists, one session, export pages, ids, and deletion with tombstones. */
export const make = (
  ingest: Effect.Effect.Success<typeof makeIngest>,
  {
    sparseSearchHits = defaultSparseSearchHits,
    denseSearchHits = defaultDenseSearchHits,
    firstRound = defaultFirstRound,
    maxExpansions = defaultMaxExpansions,
    gatheredExpansions = defaultGatheredExpansions,
    rangeSpan = defaultRangeSpan,
    rangeWalkHits = defaultRangeWalkHits
  }: {
    readonly sparseSearchHits?: number
    readonly denseSearchHits?: number
    readonly firstRound?: number
    readonly maxExpansions?: number
    readonly gatheredExpansions?: number
    readonly rangeSpan?: number
    readonly rangeWalkHits?: number
  } = {}
) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const { write } = yield* Writer
    const search = yield* makeTables
    const index = yield* SearchIndex.SearchIndex
    const searchQueue = yield* SearchIndex.makeQueue

    /**
     * A long last-word prefix of `q` expanded from the user's vocabulary (`Fts.expandedQuery`), with a lower bound of
     * its hits for a one-word query (the most messages one of its words is in); undefined when `q` has none or it
     * starts more than `maxExpansions` words. Reading the vocabulary reads the words' entry lists once (9–15 ms for the
     * 36 words `pexqua` starts, in 335,448 of 2M messages), where FTS5's own expansion merges them (35–50 ms) for each
     * query that names the prefix.
     */
    const expand = (fts: string, q: string) =>
      Effect.gen(function* () {
        const last = expandablePrefix(q)
        if (last === undefined) return undefined
        const tokens = yield* foldWord(sql, last.word)
        const prefix = tokens.length === 1 ? tokens[0]! : undefined
        const end = prefix === undefined ? undefined : prefixEnd(prefix)
        if (prefix === undefined || end === undefined) return undefined
        const vocabulary = vocabularyName(fts)
        yield* sql.unsafe(
          `CREATE VIRTUAL TABLE IF NOT EXISTS temp.${vocabulary} USING fts5vocab('search', '${fts}', 'row')`
        )
        const words = yield* sql<{ term: string; doc: number }>`SELECT term, doc FROM temp.${sql(vocabulary)}
          WHERE term >= ${prefix} AND term < ${end} LIMIT ${maxExpansions + 1}`
        const expansions = words.filter((word) => word.term.startsWith(prefix))
        if (expansions.length === 0 || words.length > maxExpansions) return undefined
        const byHits = [...expansions].sort((a, b) => b.doc - a.doc)
        // The words in groups of 1, 1, 2, 4, 8… from the most frequent on (`sessionMatches` checks them in turn).
        const groups: Array<typeof byHits> = []
        for (let from = 0, size = 1; from < byHits.length; from += size, size = groups.length < 2 ? 1 : size * 2) {
          groups.push(byHits.slice(from, from + size))
        }
        const query = (of: ReadonlyArray<{ readonly term: string }>) =>
          expandedQuery(
            last.others,
            of.map((word) => word.term)
          )
        return {
          others: last.others,
          words: expansions.length,
          query: query(expansions),
          /** The query in parts by the groups of its words (`sessionMatches`). */
          parts: groups.map(query),
          atLeast: last.others.length === 0 ? byHits[0]!.doc : 0
        }
      })

    /**
     * Whether an expanded search (`expand`) has more than `rangeWalkHits` hits, so that a page is walked
     * (`sessionMatches`) instead of gathered; `count` gives a query's hits up to one more. A one-word query has if its
     * most frequent word has; otherwise it is taken as not (the others' hits may add up to more, but counting them
     * reads all of them, which gathering does anyway). A word before the prefix with fewer hits says not (each read
     * lazily: 3–4 ms for 100k hits); otherwise the query of the prefix's most frequent word (`parts`' first) stands for
     * the query: its hits are two lists where the whole query's are all (`fanitlinzor pexqua`, 22,026 hits, counted in
     * 17 ms, then read again by the page's query).
     */
    const manyHits = (
      expanded: {
        readonly others: ReadonlyArray<string>
        readonly parts: ReadonlyArray<string>
        readonly atLeast: number
      },
      count: (query: string) => Effect.Effect<number, SqlError>
    ) =>
      Effect.gen(function* () {
        if (expanded.atLeast > rangeWalkHits) return true
        if (expanded.others.length === 0) return false
        for (const word of expanded.others) {
          if ((yield* count(phrase(word))) <= rangeWalkHits) return false
        }
        return (yield* count(expanded.parts[0]!)) > rangeWalkHits
      })

    /**
     * Whether a session (`sessions.id`, in the walk of a sort index) has a message matching an expanded search, given
     * as `parts` whose terms are each one entry list (`expand`). A session's messages mostly sit together in rowid
     * order (synced a turn or an import at a time), so each part is run once over the range of its messages' rowids
     * and each hit in it checked to be the session's: one query per session where a check per message ran one per
     * message. A session spread wider than `rangeSpan` times its number of messages, whose range holds everything
     * synced in between, is checked message by message. Each check seeks every word's entry list, so the words are
     * checked in groups from the most frequent on, each group only for a session none of the ones before matched: the
     * most frequent word alone, the next one, then 2, 4, 8… A page on 2M messages: `pexqua` (36 words) 115 ms with
     * every word checked message by message, 15 ms by ranges, 2.7 ms by ranges in two parts (its first word, the rest);
     * `kani` (69 words, more evenly used) 34 ms in those two parts, 13 ms in groups.
     */
    const sessionMatches = (userId: string, fts: string, parts: ReadonlyArray<string>) => {
      const ofSession = sql`FROM messages WHERE messages.user_id = ${userId} AND messages.session_id = sessions.id`
      const matches = (
        query: string
      ) => sql`CASE WHEN (SELECT max(rowid) - min(rowid) < ${rangeSpan} * count(*) ${ofSession})
        THEN EXISTS (SELECT 1 FROM search.${sql(fts)} AS hit CROSS JOIN messages AS m ON m.rowid = hit.rowid
          WHERE hit.${sql(fts)} MATCH ${query}
            AND hit.rowid BETWEEN (SELECT min(rowid) ${ofSession}) AND (SELECT max(rowid) ${ofSession})
            AND m.session_id = sessions.id AND +m.user_id = ${userId})
        ELSE EXISTS (SELECT 1 ${ofSession} AND EXISTS (SELECT 1 FROM search.${sql(fts)} AS hit
          WHERE hit.${sql(fts)} MATCH ${query} AND hit.rowid = messages.rowid)) END`
      return sql.or(parts.map(matches))
    }

    /**
     * The text filter `q` as a clause: a session matches when its title contains `q` or one of its messages matches the
     * full-text query. Titles are scanned in their own index (`sessions_by_title`), never in the wide session rows.
     * Measured on 100k sessions / 2M messages: when the messages that match are few (at most `sparseSearchHits`), their
     * sessions are gathered first (a rowid lookup per hit) and the page is read from them alone (`from`: each looked up
     * by key, then sorted, instead of walking the sort index to test each session against them); when they are many, the
     * matching message rowids are gathered once and the sort index is walked, each session checked against them through
     * its messages' index entries, which finds a page quickly because matches are then dense. When they are very many
     * (more than `denseSearchHits`: gathering 2M hits took 220 ms) and every term is one entry list of the index
     * (`Fts.checkablePerMessage`), nothing is gathered: the sort index is walked and each session's messages are checked
     * one by one against the search table (3 ms for a page of `the`, in 2M messages). A longer last-word prefix is not
     * checked that way: FTS5 expands it into every word it starts again for each check (5 s for a page of `pexqua`).
     * Such a prefix is expanded once from the vocabulary instead (`expand`) where it can be, and the expanded query
     * takes the same paths, except that past `rangeWalkHits` (`manyHits`) it also offers a `walk`: each session checked
     * over its messages' rowid range (`sessionMatches`), which a page's first candidates are checked with
     * (`searchInCandidates`): for `pexqua`, 3 ms of SQL for the page where gathering its 335,448 hits took 77.
     */
    const searchClause = (userId: string, q: string) =>
      Effect.gen(function* () {
        const like = `%${q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
        const titles = sql`SELECT id FROM sessions INDEXED BY sessions_by_title
          WHERE user_id = ${userId} AND title LIKE ${like} ESCAPE '\\'`
        const match = ftsQuery(q)
        const fts = match === undefined || !index.searchable() ? undefined : yield* search.forRead(userId)
        if (match === undefined || fts === undefined) return { clause: sql`sessions.id IN (${titles})` }
        const hitsOf = (query: string) => sql`SELECT rowid FROM search.${sql(fts)} WHERE ${sql(fts)} MATCH ${query}`
        const count = (query: Statement.Fragment, limit: number) =>
          Effect.map(
            sql<{ hits: number }>`SELECT count(*) AS hits FROM (${query} LIMIT ${limit + 1})`,
            (rows) => rows[0]?.hits ?? 0
          )
        const perMessage = checkablePerMessage(q)
        const expanded = perMessage ? undefined : yield* expand(fts, q)
        const hits = hitsOf(expanded?.query ?? match)
        let probe: number
        if (expanded !== undefined) {
          probe = expanded.atLeast > sparseSearchHits ? sparseSearchHits + 1 : yield* count(hits, sparseSearchHits)
        } else {
          // A long last-word prefix that is not expanded (`expand`) is expanded by FTS5 into every word it starts before
          // its first hit (35 ms for `pexqua*`, 17 % of 2M messages), and again by the page's query. When the last word
          // is itself a word with more hits than a sparse search has (the query once it is typed out), the prefix has
          // more too: that is counted lazily instead.
          const whole = perMessage ? undefined : wholeWordQuery(q)
          const dense = whole !== undefined && (yield* count(hitsOf(whole), sparseSearchHits)) > sparseSearchHits
          probe = dense
            ? sparseSearchHits + 1
            : yield* count(hits, perMessage ? Math.max(sparseSearchHits, denseSearchHits) : sparseSearchHits)
        }
        // `+user_id`: not an index constraint, so the hits are looked up by rowid instead of scanning the user's index.
        if (probe <= sparseSearchHits) {
          const ids = sql`SELECT id AS hit FROM (${titles})
            UNION SELECT session_id FROM messages WHERE rowid IN (${hits}) AND +user_id = ${userId}`
          return {
            from: sql`(${ids}) AS found CROSS JOIN sessions ON sessions.user_id = ${userId} AND sessions.id = found.hit`
          }
        }
        if (perMessage && probe > denseSearchHits) {
          return {
            clause: sql`(title LIKE ${like} ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages
            WHERE messages.user_id = ${userId} AND messages.session_id = sessions.id AND EXISTS (SELECT 1
              FROM search.${sql(fts)} AS hit WHERE hit.${sql(fts)} MATCH ${match} AND hit.rowid = messages.rowid)))`
          }
        }
        // Many hits of an expanded search with many words are gathered as the prefix (`gatheredExpansions`).
        const many = expanded !== undefined && expanded.words > gatheredExpansions ? hitsOf(match) : hits
        const gathered = sql`(title LIKE ${like} ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages
          WHERE messages.user_id = ${userId} AND messages.session_id = sessions.id AND messages.rowid IN (${many})))`
        if (expanded !== undefined && (yield* manyHits(expanded, (query) => count(hitsOf(query), rangeWalkHits)))) {
          return {
            clause: gathered,
            walk: sql`(title LIKE ${like} ESCAPE '\\' OR ${sessionMatches(userId, fts, expanded.parts)})`
          }
        }
        return { clause: gathered }
      })

    /**
     * The filters as clauses on `sessions`, and what to read them from: the sessions a search found, or `sessions`
     * through `index` (see `listIndex`; without one, the export's pages, which read every row anyway).
     */
    const filterClauses = (userId: string, filters: Api.SessionFilters, index?: string) =>
      Effect.gen(function* () {
        const clauses: Array<Statement.Fragment> = [sql`sessions.user_id = ${userId}`]
        let from: Statement.Fragment =
          index === undefined ? sql`sessions` : sql`sessions INDEXED BY ${sql.literal(index)}`
        if (filters.source !== undefined) clauses.push(sql`source = ${filters.source}`)
        if (filters.project !== undefined) clauses.push(sql`project = ${filters.project}`)
        // `unknown`, the facet of sessions without a model (as the usage rollups name them), matches those too
        if (filters.model !== undefined)
          clauses.push(
            filters.model === Session.unknownModel
              ? sql`(model IS NULL OR model = ${filters.model})`
              : sql`model = ${filters.model}`
          )
        if (filters.from !== undefined) clauses.push(sql`updated_at >= ${filters.from}`)
        if (filters.to !== undefined) clauses.push(sql`started_at <= ${filters.to}`)
        if (filters.q !== undefined && filters.q.trim().length > 0) {
          const search = yield* storage(searchClause(userId, filters.q))
          if (search.from !== undefined) from = search.from
          return { clauses, from, matching: search.clause, walk: search.walk }
        }
        return { clauses, from, matching: undefined, walk: undefined }
      })

    /**
     * Runs a read whose filters may search text: what was synced before it is indexed first (the indexer runs beside
     * the writer, `SearchIndex.ts`), then the read runs with the search file attached.
     */
    const searching = <A, E, R>(filters: Api.SessionFilters, read: Effect.Effect<A, E, R>) =>
      filters.q === undefined || ftsQuery(filters.q) === undefined
        ? read
        : Effect.zipRight(Effect.flatMap(storage(searchQueue.position), index.caughtUp), storage(index.reading(read)))

    /**
     * A page of a text search whose sort has no index of its own (cost, tokens, messages, duration: migration 10): the
     * sessions in the page's order are taken from `sessions_by_updated` a round at a time (the first 500, then four
     * times as many after the last one), and each round's are checked against the search in that order until the page
     * is full. Checking every session and sorting the matches took 1.5 s for a word in 20,912 of 2M messages (100k
     * sessions, 18,593 of them matching); a round of 500 candidates takes ~15 ms there, checking them until 51 match
     * ~8 ms. Where the search matches densely (it reached this path because it matched many messages), one round fills
     * a page. A search that offers a `walk` (`searchClause`: each session checked on its own, no hits gathered) is
     * checked with it in a first round of twice the page, in any sort: where the page's sessions match densely, as
     * its hits suggested, that fills the page; where they do not (a filter to sessions that seldom have the words), the
     * later rounds gather the hits instead of checking on, at ~60–360 µs a session, every session the filter leaves.
     */
    const searchInCandidates = (
      userId: string,
      column: string,
      direction: Statement.Fragment,
      from: Statement.Fragment,
      clauses: ReadonlyArray<Statement.Fragment>,
      matching: Statement.Fragment,
      after: (value: unknown, id: string) => Statement.Fragment,
      limit: number,
      walk: Statement.Fragment | undefined
    ) =>
      Effect.gen(function* () {
        const rows: Array<{ data: string; sort_value: number; id: string }> = []
        let bound: Statement.Fragment | undefined
        let check = walk ?? matching
        for (let round = walk === undefined ? firstRound : 2 * (limit + 1); rows.length <= limit; round *= 4) {
          const candidates = yield* sql<{ id: string; value: number }>`
            SELECT sessions.id AS id, ${sql(column)} AS value FROM ${from}
            WHERE ${sql.and(bound === undefined ? clauses : [...clauses, bound])}
            ORDER BY ${sql(column)} ${direction}, id ${direction} LIMIT ${round}`
          if (candidates.length === 0) break
          // No ORDER BY: SQLite then walks the candidates in their order (the outer loop, the array's order) and stops
          // at the page's end; sorting by the candidates' positions would check every one of them first.
          const found = yield* sql<{ data: string; sort_value: number; id: string; position: number }>`
            SELECT sessions.data, sessions.${sql(column)} AS sort_value, sessions.id, candidate.key AS position
            FROM json_each(${JSON.stringify(candidates.map((c) => c.id))}) AS candidate
            CROSS JOIN sessions ON sessions.user_id = ${userId} AND sessions.id = candidate.value
            WHERE ${check} LIMIT ${limit + 1 - rows.length}`
          rows.push(...[...found].sort((a, b) => a.position - b.position))
          const last = candidates[candidates.length - 1]!
          if (candidates.length < round) break
          bound = after(last.value, last.id)
          check = matching
        }
        return rows
      })

    const list = (userId: Ids.UserId, params: Api.ListSessionsParams) =>
      searching(
        params,
        Effect.gen(function* () {
          const column = sortColumns[params.sort]
          const { clauses, from, matching, walk } = yield* filterClauses(userId, params, listIndex(column, params))
          const direction = params.order === "desc" ? sql.unsafe("DESC") : sql.unsafe("ASC")
          /** Sessions after `(value, id)` in the page's order. */
          const after = (value: unknown, id: string) =>
            params.order === "desc"
              ? sql`(${sql(column)} < ${value} OR (${sql(column)} = ${value} AND id < ${id}))`
              : sql`(${sql(column)} > ${value} OR (${sql(column)} = ${value} AND id > ${id}))`
          if (params.cursor !== undefined) {
            const position = decodeCursor(params.cursor)
            if (position === undefined) return yield* new InvalidCursor({ cursor: params.cursor })
            clauses.push(after(position[0], position[1]))
          }
          const rows =
            matching !== undefined && (walk !== undefined || !indexOrder.has(column))
              ? yield* storage(
                  searchInCandidates(userId, column, direction, from, clauses, matching, after, params.limit, walk)
                )
              : // The page's ids first, from an index alone (`listIndex`: it holds every sort and filter column the
                // page needs), then the rows of those ids: a filter is checked on index entries, not on the (large)
                // table rows; a sort other than the index's order reads the user's entries whole and keeps the page's
                // top. CROSS JOIN keeps the page as the outer loop; with a plain JOIN, libsql's SQLite (3.45) walks the
                // whole sort index of `s` to save sorting 51 rows (measured: 120 ms per page on 10k sessions).
                yield* storage(sql<{ data: string; sort_value: number; id: string }>`
          SELECT s.data, s.${sql(column)} AS sort_value, s.id
          FROM (SELECT sessions.id FROM ${from} WHERE ${sql.and(matching === undefined ? clauses : [...clauses, matching])}
            ORDER BY ${sql(column)} ${direction}, id ${direction} LIMIT ${params.limit + 1}) AS page
          CROSS JOIN sessions AS s ON s.user_id = ${userId} AND s.id = page.id
          ORDER BY s.${sql(column)} ${direction}, s.id ${direction}`)
          const page = rows.slice(0, params.limit)
          const last = page[page.length - 1]
          return {
            sessions: page.map((row) => summary(parseSession(row.data))),
            nextCursor:
              rows.length > params.limit && last !== undefined ? encodeCursor([last.sort_value, last.id]) : null
          } satisfies Api.SessionPage
        })
      )

    const get = (userId: Ids.UserId, id: string) =>
      Effect.gen(function* () {
        const rows = yield* sql<{ data: string }>`SELECT data FROM sessions WHERE user_id = ${userId} AND id = ${id}`
        if (rows.length === 0) return Option.none<Api.SessionDetail>()
        const messages = yield* sql<{ data: string }>`
          SELECT data FROM messages WHERE user_id = ${userId} AND session_id = ${id} ORDER BY created_at, rowid`
        const toolCalls = yield* sql<{ data: string }>`
          SELECT data FROM tool_calls WHERE user_id = ${userId} AND session_id = ${id} ORDER BY started_at, id`
        const children = yield* sql<{ data: string }>`
          SELECT data FROM sessions WHERE user_id = ${userId} AND parent_session_id = ${id} ORDER BY started_at, id`
        return Option.some<Api.SessionDetail>({
          session: summary(parseSession(rows[0]!.data)),
          messages: messages.map((row) => parseMessage(row.data)),
          toolCalls: toolCalls.map((row) => parseToolCall(row.data)),
          children: children.map((row) => summary(parseSession(row.data)))
        })
      }).pipe(storage)

    /** Deletes a session's rows, search entries and event ids, takes its share out of the rollups, keeps a tombstone. */
    const remove = (userId: Ids.UserId, id: string) =>
      Effect.gen(function* () {
        return yield* write(
          Effect.gen(function* () {
            const rows = yield* sql<{
              data: string
            }>`SELECT data FROM sessions WHERE user_id = ${userId} AND id = ${id}`
            if (rows.length === 0) return Option.none<{ messages: number; toolCalls: number }>()
            const session = parseSession(rows[0]!.data)
            yield* searchQueue.selected(
              userId,
              sql`SELECT rowid FROM messages WHERE user_id = ${userId} AND session_id = ${id}`
            )
            const messages = yield* sql<{ id: string }>`
              DELETE FROM messages WHERE user_id = ${userId} AND session_id = ${id} RETURNING id`
            const toolCalls = yield* sql<{ id: string }>`
              DELETE FROM tool_calls WHERE user_id = ${userId} AND session_id = ${id} RETURNING id`
            yield* sql`DELETE FROM events WHERE user_id = ${userId} AND session_id = ${id}`
            yield* ingest.usage.removeSession(userId, id)
            yield* sql`DELETE FROM sessions WHERE user_id = ${userId} AND id = ${id}`
            yield* sql`INSERT INTO tombstones (user_id, session_id, deleted_at) VALUES (${userId}, ${id}, ${Date.now()})
              ON CONFLICT DO NOTHING`
            const deltas = [Rollup.delta(session, null)]
            yield* ingest.applyRollups(userId, deltas)
            yield* ingest.deleteEmptiedRollups(userId, deltas)
            return Option.some({ messages: messages.length, toolCalls: toolCalls.length })
          })
        )
      }).pipe(storage)

    /** Deletes all of a user's sessions, messages, tool calls, rollups, search entries and event ids at once. */
    const removeAll = (userId: Ids.UserId) =>
      Effect.gen(function* () {
        return yield* write(
          Effect.gen(function* () {
            yield* searchQueue.all(userId)
            yield* sql`DELETE FROM messages WHERE user_id = ${userId}`
            yield* sql`DELETE FROM tool_calls WHERE user_id = ${userId}`
            yield* sql`DELETE FROM events WHERE user_id = ${userId}`
            yield* ingest.usage.removeUser(userId)
            const now = Date.now()
            yield* sql`INSERT INTO tombstones (user_id, session_id, deleted_at)
              SELECT user_id, id, ${now} FROM sessions WHERE user_id = ${userId} ON CONFLICT DO NOTHING`
            const sessions = yield* sql<{ id: string }>`DELETE FROM sessions WHERE user_id = ${userId} RETURNING id`
            for (const table of ["usage_rollup", "usage_by_model", "usage_by_project", "tool_rollup", "tool_by_day"]) {
              yield* sql`DELETE FROM ${sql(table)} WHERE user_id = ${userId}`
            }
            return { status: "deleted" as const, sessions: sessions.length }
          })
        )
      }).pipe(storage)

    const ids = (userId: Ids.UserId) =>
      Effect.map(
        sql<{ id: string }>`SELECT id FROM sessions WHERE user_id = ${userId} ORDER BY started_at, id`,
        (rows) => rows.map((row) => row.id)
      ).pipe(storage)

    /** Sessions matching filters, oldest first, one page at a time (for streaming exports). */
    const exportPage = (userId: Ids.UserId, filters: Api.SessionFilters, after: string | null, size: number) =>
      searching(
        filters,
        Effect.gen(function* () {
          const position = after === null ? null : decodeCursor(after)
          if (position === undefined) return yield* new InvalidCursor({ cursor: after ?? "" })
          const { clauses, from, matching } = yield* filterClauses(userId, filters)
          if (matching !== undefined) clauses.push(matching)
          if (position !== null) {
            clauses.push(sql`(started_at > ${position[0]} OR (started_at = ${position[0]} AND id > ${position[1]}))`)
          }
          const rows = yield* storage(sql<{ data: string; started_at: number; id: string }>`
          SELECT data, started_at, sessions.id AS id FROM ${from} WHERE ${sql.and(clauses)}
          ORDER BY started_at, sessions.id LIMIT ${size}`)
          const last = rows[rows.length - 1]
          return {
            sessions: rows.map((row) => summary(parseSession(row.data))),
            next: rows.length < size || last === undefined ? null : encodeCursor([last.started_at, last.id])
          }
        })
      )

    return { list, get, remove, removeAll, ids, exportPage } as const
  })
