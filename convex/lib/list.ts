import * as Cursor from "@opensync/backend/Cursor"
import { Api } from "@opensync/domain"
import { ConvexError } from "convex/values"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { Doc, Id } from "../_generated/dataModel.js"
import type { QueryCtx } from "../_generated/server.js"
import { approximateBytes, toSummary } from "./docs.js"
import { queryWords, searchSessions, titleMatches } from "./search.js"
import { tuning } from "./tuning.js"

/** Session lists: keyset pagination over `(user, [filter], sort field, id)` indexes, within a per-call read budget. */

type SortField = Api.SortField
type Position = readonly [number, string]

// biome-ignore lint/suspicious/noExplicitAny: the index and its equality field are chosen at run time
type AnyRange = any

/** The opaque cursor, shared with the local server (`@opensync/backend/Cursor`). */
export const encodeCursor = Cursor.encode

export const decodeCursor = (cursor: string): Position => {
  const position = Cursor.decode(cursor)
  if (position !== undefined) return position
  throw new ConvexError({
    _tag: "BadRequest",
    error: "Invalid cursor: pass back the nextCursor of a previous page unchanged."
  })
}

const sortValue = (doc: Doc<"sessions">, sort: SortField): number => doc[sort]

/** True when a session passes the filters that its index did not already apply. */
const passes = (doc: Doc<"sessions">, filters: Api.SessionFilters, q: "title" | "none"): boolean =>
  (filters.source === undefined || (doc.source ?? "opencode") === filters.source) &&
  (filters.project === undefined || doc.project === filters.project) &&
  (filters.model === undefined || doc.model === filters.model) &&
  (filters.from === undefined || doc.updatedAt >= filters.from) &&
  (filters.to === undefined || doc.startedAt <= filters.to) &&
  (q === "none" || titleMatches(doc.title, filters.q ?? ""))

const compare = (a: Position, b: Position) => (a[0] !== b[0] ? a[0] - b[0] : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)

type IndexName =
  | "by_user"
  | `by_user_${Exclude<SortField, "updatedAt">}`
  | "by_source"
  | `by_source_${Exclude<SortField, "updatedAt">}`
  | "by_project"
  | `by_project_${Exclude<SortField, "updatedAt">}`
  | "by_model"
  | `by_model_${Exclude<SortField, "updatedAt">}`

export interface Page {
  readonly sessions: Array<Api.SessionSummary>
  readonly nextCursor: string | null
}

/** The decoded side of `Api.ListSessionsParams`: what `sessions:list` and `sessions:page` take. */
export const ListParams = Schema.typeSchema(Api.ListSessionsParams)
export type ListParams = typeof ListParams.Type

const decodeParams = Schema.decodeUnknownEither(ListParams, { errors: "all", onExcessProperty: "error" })

/**
 * Checks list parameters that came from a client without the HTTP layer's decoding (the validator of a public query
 * checks only their shape): a limit of 1 to 200 and a cursor of a previous page; a failure is a `BadRequest`.
 */
export const checkParams = (params: unknown): ListParams => {
  const decoded = decodeParams(params)
  if (Either.isLeft(decoded)) {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
    const where = issue === undefined || issue.path.length === 0 ? "params" : `params.${issue.path.join(".")}`
    throw new ConvexError({ _tag: "BadRequest", error: `Invalid ${where}: ${issue?.message ?? "does not match"}` })
  }
  if (decoded.right.cursor !== undefined) decodeCursor(decoded.right.cursor)
  return decoded.right
}

/** One page of the caller's sessions, filtered and sorted like the local server's list. */
export const listSessions = async (
  ctx: QueryCtx,
  userId: Id<"users">,
  params: Pick<Api.ListSessionsParams, keyof Api.SessionFilters | "sort" | "order" | "cursor" | "limit">
): Promise<Page> => {
  const after = params.cursor === undefined ? null : decodeCursor(params.cursor)
  if (params.q !== undefined && params.q.trim().length > 0 && queryWords(params.q).length > 0) {
    return searchPage(ctx, userId, params, after)
  }
  const textFilter = params.q !== undefined && params.q.trim().length > 0 ? "title" : "none"
  const base =
    params.project !== undefined
      ? "project"
      : params.model !== undefined
        ? "model"
        : params.source !== undefined
          ? "source"
          : "user"
  const index = (params.sort === "updatedAt" ? `by_${base}` : `by_${base}_${params.sort}`) as IndexName
  const equal =
    base === "user" ? undefined : base === "project" ? params.project : base === "model" ? params.model : params.source
  const desc = params.order === "desc"
  const sort = params.sort
  // Phase 1 finishes the cursor's tie group (same sort value, ids past the cursor); phase 2 continues past the value.
  const ranges: Array<(q: AnyRange) => AnyRange> = []
  const prefix = (q: AnyRange) =>
    equal === undefined ? q.eq("userId", userId) : q.eq("userId", userId).eq(base, equal)
  if (after !== null) {
    ranges.push((q: AnyRange) => {
      const tied = prefix(q).eq(sort, after[0])
      return desc ? tied.lt("id", after[1]) : tied.gt("id", after[1])
    })
    ranges.push((q: AnyRange) => (desc ? prefix(q).lt(sort, after[0]) : prefix(q).gt(sort, after[0])))
  } else ranges.push(prefix)

  const matched: Array<Doc<"sessions">> = []
  let scanned = 0
  let bytes = 0
  let last: Position | null = null
  let exhausted = true
  outer: for (const range of ranges) {
    const query = ctx.db
      .query("sessions")
      .withIndex(index, range)
      .order(desc ? "desc" : "asc")
    for await (const doc of query) {
      if (scanned >= tuning.listScanDocuments || bytes >= tuning.listScanBytes) {
        exhausted = false
        break outer
      }
      scanned++
      bytes += approximateBytes(doc)
      last = [sortValue(doc, sort), doc.id]
      if (!passes(doc, params, textFilter)) continue
      matched.push(doc)
      if (matched.length > params.limit) break outer
    }
  }
  const page = matched.slice(0, params.limit)
  const tail = page[page.length - 1]
  const nextCursor =
    matched.length > params.limit && tail !== undefined
      ? encodeCursor([sortValue(tail, sort), tail.id])
      : !exhausted && last !== null
        ? encodeCursor(last)
        : null
  return { sessions: page.map(toSummary), nextCursor }
}

/** A page of the sessions matching `q` (a bounded candidate set from the search indexes), sorted in memory. */
const searchPage = async (
  ctx: QueryCtx,
  userId: Id<"users">,
  params: Pick<Api.ListSessionsParams, keyof Api.SessionFilters | "sort" | "order" | "limit">,
  after: Position | null
): Promise<Page> => {
  const ids = await searchSessions(ctx, userId, params.q ?? "")
  const docs: Array<Doc<"sessions">> = []
  for (const id of ids) {
    const doc = await ctx.db.get(id)
    if (doc !== null && doc.userId === userId && passes(doc, params, "none")) docs.push(doc)
  }
  const sign = params.order === "desc" ? -1 : 1
  const position = (doc: Doc<"sessions">): Position => [sortValue(doc, params.sort), doc.id]
  const sorted = docs
    .sort((a, b) => sign * compare(position(a), position(b)))
    .filter((doc) => after === null || sign * compare(position(doc), after) > 0)
  const page = sorted.slice(0, params.limit)
  const tail = page[page.length - 1]
  return {
    sessions: page.map(toSummary),
    nextCursor: sorted.length > params.limit && tail !== undefined ? encodeCursor(position(tail)) : null
  }
}
