import * as Cursor from "@opensync/backend/Cursor"
import { Api, Session } from "@opensync/domain"
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
  (filters.model === undefined || (doc.model ?? Session.unknownModel) === filters.model) &&
  (filters.from === undefined || doc.updatedAt >= filters.from) &&
  (filters.to === undefined || doc.startedAt <= filters.to) &&
  (q === "none" || titleMatches(doc.title, filters.q ?? ""))

const compare = (a: Position, b: Position) => (a[0] !== b[0] ? a[0] - b[0] : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)

type Facet = "source" | "project" | "model"

/**
 * The index families of `sessions`: by user, by one filter, or by two filters. One- and no-filter families have an
 * index per sort field (`by_project_costUsd`, …; `by_project` is the one by `updatedAt`); two-filter families only
 * by `updatedAt` (`by_source_project`, …), which Convex's 32 indexes per table leave room for.
 */
type Family = "user" | Facet | "source_project" | "source_model" | "project_model"

const familyFields: Record<Family, ReadonlyArray<Facet>> = {
  user: [],
  source: ["source"],
  project: ["project"],
  model: ["model"],
  source_project: ["source", "project"],
  source_model: ["source", "model"],
  project_model: ["project", "model"]
}

const pairs = ["project_model", "source_project", "source_model"] as const

/** The index of a family in a sort order, or undefined when the family has none for that field. */
const indexOf = (family: Family, sort: SortField): string | undefined =>
  sort === "updatedAt" ? `by_${family}` : familyFields[family].length < 2 ? `by_${family}_${sort}` : undefined

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

type ListFilters = Pick<Api.ListSessionsParams, keyof Api.SessionFilters | "sort" | "order" | "cursor" | "limit">

/** The equality prefix of a family's index for these filters. */
const prefixOf = (family: Family, userId: Id<"users">, params: ListFilters) => (q: AnyRange) =>
  familyFields[family].reduce((range, field) => range.eq(field, params[field]), q.eq("userId", userId))

/** Documents and bytes one list call has read, against `tuning.listScanDocuments` and `listScanBytes`. */
interface Budget {
  scanned: number
  bytes: number
}

const spent = (budget: Budget, docs = tuning.listScanDocuments, bytes = tuning.listScanBytes) =>
  budget.scanned >= docs || budget.bytes >= bytes

/** The probe's share of the budget: never more than half of the whole. */
const probeDocuments = () => Math.min(tuning.listProbeDocuments, Math.floor(tuning.listScanDocuments / 2))
const probeBytes = () => Math.min(tuning.listProbeBytes, Math.floor(tuning.listScanBytes / 2))

const charge = (budget: Budget, doc: Doc<"sessions">) => {
  budget.scanned++
  budget.bytes += approximateBytes(doc)
}

const pageOf = (matched: ReadonlyArray<Doc<"sessions">>, params: ListFilters): Page => {
  const page = matched.slice(0, params.limit)
  const tail = page[page.length - 1]
  return {
    sessions: page.map(toSummary),
    nextCursor:
      matched.length > params.limit && tail !== undefined ? encodeCursor([sortValue(tail, params.sort), tail.id]) : null
  }
}

/**
 * A range narrower than the ordered scan's, in another order, if there is one: the two-filter index when the ordered
 * scan can use only one filter; else the index by `updatedAt` from `from` when sorting by another field; else, without
 * `from`, the index by `startedAt` up to `to` when sorting by another field. A range that turns out larger than the
 * probe budget costs that budget once per call; the ordered scan then has the rest.
 */
const candidateRange = (
  userId: Id<"users">,
  params: ListFilters,
  pair: Family | undefined,
  ordered: Family,
  single: Family
): { readonly index: string; readonly range: (q: AnyRange) => AnyRange } | undefined => {
  const { from, to, sort } = params
  if (pair !== undefined && ordered !== pair) {
    const prefix = prefixOf(pair, userId, params)
    return { index: `by_${pair}`, range: (q) => (from === undefined ? prefix(q) : prefix(q).gte("updatedAt", from)) }
  }
  const prefix = prefixOf(single, userId, params)
  if (from !== undefined && sort !== "updatedAt") {
    return { index: `by_${single}`, range: (q) => prefix(q).gte("updatedAt", from) }
  }
  if (to !== undefined && from === undefined && sort !== "startedAt") {
    return { index: `by_${single}_startedAt`, range: (q) => prefix(q).lte("startedAt", to) }
  }
  return undefined
}

/**
 * One page of the caller's sessions, filtered and sorted like the local server's list, reading at most
 * `tuning.listScanDocuments` documents and `listScanBytes` bytes, in one of two ways:
 *
 * - an ordered scan of the index in the requested order: the family that holds the most filters and has an index for
 *   the sort field, its range bounded by the date filter on the sort field (`from` on `updatedAt`, `to` on
 *   `startedAt`); filters outside the index are checked per document, so a call may end with a short page and a
 *   cursor where its budget ran out;
 * - a candidate set, when a narrower range exists in another order (two filters, or a date filter on another field
 *   than the sort field), tried first: that range is read whole if it holds at most `tuning.listProbeDocuments`
 *   documents and `listProbeBytes` (and half the budget), then sorted in memory: an exact page. A larger range falls
 *   back to the ordered scan, which has the rest of the budget.
 */
export const listSessions = async (ctx: QueryCtx, userId: Id<"users">, params: ListFilters): Promise<Page> => {
  const after = params.cursor === undefined ? null : decodeCursor(params.cursor)
  if (params.q !== undefined && params.q.trim().length > 0 && queryWords(params.q).length > 0) {
    return searchPage(ctx, userId, params, after)
  }
  const textFilter = params.q !== undefined && params.q.trim().length > 0 ? "title" : "none"
  // `model=unknown` finds sessions without a model, which the model indexes hold under no value: that filter is
  // checked per document (`passes`), on an index of the other filters
  const indexed = (field: Facet) =>
    params[field] !== undefined && !(field === "model" && params.model === Session.unknownModel)
  const single: Family = indexed("project")
    ? "project"
    : indexed("model")
      ? "model"
      : indexed("source")
        ? "source"
        : "user"
  const pair = pairs.find((family) => familyFields[family].every(indexed))
  const ordered: Family = pair !== undefined && params.sort === "updatedAt" ? pair : single
  const budget: Budget = { scanned: 0, bytes: 0 }

  const candidate = candidateRange(userId, params, pair, ordered, single)
  if (candidate !== undefined) {
    const candidates: Array<Doc<"sessions">> = []
    let complete = true
    const query = ctx.db.query("sessions").withIndex(candidate.index as AnyRange, candidate.range)
    for await (const doc of query) {
      if (spent(budget, probeDocuments(), probeBytes())) {
        complete = false
        break
      }
      charge(budget, doc)
      if (passes(doc, params, textFilter)) candidates.push(doc)
    }
    if (complete) {
      const sign = params.order === "desc" ? -1 : 1
      const position = (doc: Doc<"sessions">): Position => [sortValue(doc, params.sort), doc.id]
      const sorted = candidates
        .sort((a, b) => sign * compare(position(a), position(b)))
        .filter((doc) => after === null || sign * compare(position(doc), after) > 0)
      return pageOf(sorted.slice(0, params.limit + 1), params)
    }
  }
  return orderedScan(ctx, userId, params, ordered, after, textFilter, budget)
}

/** The ordered scan of `listSessions`, continuing `budget`. */
const orderedScan = async (
  ctx: QueryCtx,
  userId: Id<"users">,
  params: ListFilters,
  family: Family,
  after: Position | null,
  textFilter: "title" | "none",
  budget: Budget
): Promise<Page> => {
  const index = indexOf(family, params.sort) as string
  const desc = params.order === "desc"
  const sort = params.sort
  const prefix = prefixOf(family, userId, params)
  // The date filter on the sort field bounds the range (`from` on updatedAt, `to` on startedAt); past the cursor's tie
  // group, the scan continues strictly beyond the cursor's value.
  type Bound = { readonly value: number; readonly strict: boolean }
  const from: Bound | undefined =
    sort === "updatedAt" && params.from !== undefined ? { value: params.from, strict: false } : undefined
  const to: Bound | undefined =
    sort === "startedAt" && params.to !== undefined ? { value: params.to, strict: false } : undefined
  const range = (past?: number) => (q: AnyRange) => {
    let low = from
    let high = to
    if (past !== undefined && desc && (high === undefined || past <= high.value)) high = { value: past, strict: true }
    if (past !== undefined && !desc && (low === undefined || past >= low.value)) low = { value: past, strict: true }
    let r = prefix(q)
    if (low !== undefined) r = low.strict ? r.gt(sort, low.value) : r.gte(sort, low.value)
    if (high !== undefined) r = high.strict ? r.lt(sort, high.value) : r.lte(sort, high.value)
    return r
  }
  // Phase 1 finishes the cursor's tie group (same sort value, ids past the cursor); phase 2 continues past the value.
  const ranges: Array<(q: AnyRange) => AnyRange> = []
  if (after !== null) {
    ranges.push((q: AnyRange) => {
      const tied = prefix(q).eq(sort, after[0])
      return desc ? tied.lt("id", after[1]) : tied.gt("id", after[1])
    })
    ranges.push(range(after[0]))
  } else ranges.push(range())

  const matched: Array<Doc<"sessions">> = []
  let last: Position | null = null
  let exhausted = true
  outer: for (const r of ranges) {
    const query = ctx.db
      .query("sessions")
      .withIndex(index as AnyRange, r)
      .order(desc ? "desc" : "asc")
    for await (const doc of query) {
      // always at least one document, so that a page whose budget a candidate probe used up still moves on
      if (last !== null && spent(budget)) {
        exhausted = false
        break outer
      }
      charge(budget, doc)
      last = [sortValue(doc, sort), doc.id]
      if (!passes(doc, params, textFilter)) continue
      matched.push(doc)
      if (matched.length > params.limit) break outer
    }
  }
  if (matched.length > params.limit || exhausted || last === null) return pageOf(matched, params)
  return { sessions: matched.map(toSummary), nextCursor: encodeCursor(last) }
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
