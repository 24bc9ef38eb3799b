import { Batch, type Event, type Ids, type Message, type Session, type ToolCall } from "@opensync/domain"
import { ConvexError } from "convex/values"
import type { Doc, Id } from "../_generated/dataModel.js"
import type { MutationCtx } from "../_generated/server.js"
import { approximateBytes, sessionRow, toMessage, toSession, toToolCall } from "./docs.js"
import { applyRollups } from "./rollups.js"
import { indexMessage } from "./search.js"
import { fitEvent, fitMessage, fitToolCall } from "./size.js"
import { tuning } from "./tuning.js"
import { loadRequests, toRequest, writeRequests } from "./usage.js"

/**
 * What one mutation did to each event: `deleted` are events of sessions the user deleted (tombstoned); `deferred` are
 * the indices of the events left for the next mutation.
 */
export interface IngestResult extends Batch.Outcome {
  readonly deleted: Array<Ids.EventId>
  readonly deferred: Array<number>
}

/** Largest session document written; slices beyond it would break Convex's 1 MiB per document. */
export const maxSessionBytes = 900_000

/**
 * Most rollup rows one session may contribute to (three usage tables per usage slice, two per tool slice): deleting
 * the session updates them all in one mutation, which must stay within Convex's 4,096 index reads.
 */
export const maxSessionRollupRows = 3_000

/**
 * Upper bound of the rollup rows a session contributes to (its usage slices and first day in three tables, its tool
 * slices in two).
 */
export const rollupRowsOf = (session: Pick<Session.Session, "usageSlices" | "toolSlices">): number =>
  3 * (session.usageSlices.length + 1) + 2 * session.toolSlices.length

/** The stored rows a batch touches (`ids`: session id and row id), by `Batch.rowKey`, as `find` finds them. */
const storedRows = async <Row>(
  docs: ReadonlyMap<string, Doc<"sessions">>,
  ids: Iterable<readonly [string, string]>,
  find: (sessionDoc: Id<"sessions">, id: string) => Promise<Row | null>
): Promise<Map<string, Row>> => {
  const rows = new Map<string, Row>()
  for (const [sessionId, id] of ids) {
    const doc = docs.get(sessionId)
    const k = Batch.rowKey(sessionId, id)
    if (doc === undefined || rows.has(k)) continue
    const found = await find(doc._id, id)
    if (found !== null) rows.set(k, found)
  }
  return rows
}

/**
 * The Convex adapter of the domain's ingestion (`Batch.apply`): reads the rows a batch touches, applies the events in
 * memory, writes back what changed and inserts the rollup increments, all in the calling mutation's transaction. It
 * reads and writes only documents of the sessions its events name (and inserts new ones), so batches of different
 * sessions of one user never conflict (`convex/tests/scale.test.ts`). Stored
 * sessions are read up to `tuning.mutationSessionBytes`; the events of the sessions past that are `deferred`.
 */
export const ingest = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  events: ReadonlyArray<Event.Event>
): Promise<IngestResult> => {
  const split = Batch.splitDuplicates(events.map(fitEvent))
  const result: IngestResult = { stored: [], duplicates: split.duplicates, stale: [], deleted: [], deferred: [] }
  const gone = new Set<string>()
  for (const sessionId of new Set(split.fresh.map((e) => e.sessionId))) {
    const tombstone = await ctx.db
      .query("tombstones")
      .withIndex("by_session", (q) => q.eq("userId", userId).eq("sessionId", sessionId))
      .unique()
    if (tombstone !== null) gone.add(sessionId)
  }
  const fresh = split.fresh.filter((event) => {
    if (!gone.has(event.sessionId)) return true
    result.deleted.push(event.id)
    return false
  })
  if (fresh.length === 0) return result

  const docs = new Map<string, Doc<"sessions">>()
  const deferred = new Set<string>()
  let loaded = 0
  let bytes = 0
  for (const sessionId of Batch.touched(fresh).sessions) {
    if (loaded > 0 && bytes >= tuning.mutationSessionBytes) {
      deferred.add(sessionId)
      continue
    }
    const doc = await ctx.db
      .query("sessions")
      .withIndex("by_session_id", (q) => q.eq("userId", userId).eq("id", sessionId))
      .unique()
    loaded++
    if (doc !== null) {
      docs.set(sessionId, doc)
      bytes += approximateBytes(doc)
    }
  }
  if (deferred.size > 0) {
    const first = new Set<string>()
    events.forEach((event, index) => {
      if (first.has(event.id)) return
      first.add(event.id)
      if (deferred.has(event.sessionId)) result.deferred.push(index)
    })
  }

  const todo: Array<Event.Event> = []
  for (const event of fresh) {
    if (deferred.has(event.sessionId)) continue
    const doc = docs.get(event.sessionId)
    const seen =
      doc !== undefined &&
      (
        await ctx.db
          .query("events")
          .withIndex("by_event", (q) => q.eq("userId", userId).eq("eventId", event.id))
          .take(16)
      ).some((record) => record.sessionDoc === doc._id)
    if (seen) result.duplicates.push(event.id)
    else todo.push(event)
  }
  if (todo.length === 0) return result

  const sessions = new Map<string, Session.Session>()
  for (const [sessionId, doc] of docs) sessions.set(sessionId, toSession(doc))
  const touched = Batch.touched(todo)
  const messageDocs = await storedRows(docs, touched.messages, (sessionDoc, id) =>
    ctx.db
      .query("messages")
      .withIndex("by_message", (q) => q.eq("sessionDoc", sessionDoc).eq("id", id))
      .unique()
  )
  const callDocs = await storedRows(docs, touched.toolCalls, (sessionDoc, id) =>
    ctx.db
      .query("toolCalls")
      .withIndex("by_call", (q) => q.eq("sessionDoc", sessionDoc).eq("id", id))
      .unique()
  )

  const storedMessages = new Map([...messageDocs].map(([k, doc]): [string, Message.Message] => [k, toMessage(doc)]))
  const existingDocs = new Map([...docs].map(([sessionId, doc]) => [sessionId, doc._id]))
  const requestDocs = await loadRequests(ctx, existingDocs, Batch.touchedRequests(todo, storedMessages))
  const applied = Batch.apply(
    todo,
    {
      sessions,
      messages: storedMessages,
      toolCalls: new Map([...callDocs].map(([k, doc]): [string, ToolCall.ToolCall] => [k, toToolCall(doc)])),
      requests: new Map([...requestDocs].map(([k, doc]) => [k, toRequest(doc)]))
    },
    { message: fitMessage, toolCall: fitToolCall }
  )
  result.stored.push(...applied.outcome.stored)
  result.stale.push(...applied.outcome.stale)

  const sessionDocs = new Map<string, Id<"sessions">>()
  for (const [sessionId, doc] of docs) sessionDocs.set(sessionId, doc._id)
  let created = 0
  for (const session of applied.changedSessions) {
    const row = sessionRow(session, userId)
    if (approximateBytes(row) > maxSessionBytes || rollupRowsOf(session) > maxSessionRollupRows) {
      throw new ConvexError({
        _tag: "PayloadTooLarge",
        error: `Session ${session.id} would exceed Convex's per-document limits (${session.usageSlices.length} usage and ${session.toolSlices.length} tool slices); it cannot take more days, models or tools.`
      })
    }
    const doc = docs.get(session.id)
    if (doc !== undefined) await ctx.db.replace(doc._id, row)
    else {
      sessionDocs.set(session.id, await ctx.db.insert("sessions", row))
      await ctx.db.insert("sessionIds", { userId, id: session.id })
      created++
    }
  }

  for (const [k, message] of applied.changedMessages) {
    const existing = messageDocs.get(k)
    const sessionDoc = sessionDocs.get(message.sessionId)!
    if (existing !== undefined) await ctx.db.replace(existing._id, { ...message, userId, sessionDoc })
    else await ctx.db.insert("messages", { ...message, userId, sessionDoc })
    if (existing === undefined || existing.text !== message.text) {
      await indexMessage(ctx, userId, sessionDoc, message.id, message.text, existing !== undefined)
    }
  }
  for (const [k, call] of applied.changedToolCalls) {
    const existing = callDocs.get(k)
    const sessionDoc = sessionDocs.get(call.sessionId)!
    if (existing !== undefined) await ctx.db.replace(existing._id, { ...call, userId, sessionDoc })
    else await ctx.db.insert("toolCalls", { ...call, userId, sessionDoc })
  }

  await writeRequests(ctx, userId, sessionDocs, requestDocs, applied.changedRequests)
  await applyRollups(ctx, userId, applied.deltas, created)
  for (const event of todo) {
    await ctx.db.insert("events", { userId, eventId: event.id, sessionDoc: sessionDocs.get(event.sessionId)! })
  }
  return result
}
