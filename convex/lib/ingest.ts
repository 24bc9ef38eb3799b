import { type Event, type Ids, Ingest, type Message, Rollup, type Session, type ToolCall } from "@opensync/domain"
import { ConvexError } from "convex/values"
import type { Doc, Id } from "../_generated/dataModel.js"
import type { MutationCtx } from "../_generated/server.js"
import { approximateBytes, sessionRow, toMessage, toSession, toToolCall } from "./docs.js"
import { applyRollups } from "./rollups.js"
import { indexMessage } from "./search.js"
import { fitMessage, fitToolCall } from "./size.js"

/** What one batch did to each event (the `rejected` part is decided before, by decoding). */
export interface IngestResult {
  readonly stored: Array<Ids.EventId>
  readonly duplicates: Array<Ids.EventId>
  readonly stale: Array<Ids.EventId>
}

/** Largest session document written; slices beyond it would break Convex's 1 MiB per document. */
export const maxSessionBytes = 900_000

const key = (sessionId: string, id: string) => `${sessionId}\u0000${id}`

/**
 * The Convex adapter of the domain's ingestion: reads the rows a batch touches, applies `Ingest.*` to them in memory,
 * writes back what changed and adds `Rollup.delta` to the rollups, all in the calling mutation's transaction.
 */
export const ingest = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  events: ReadonlyArray<Event.Event>
): Promise<IngestResult> => {
  const result: IngestResult = { stored: [], duplicates: [], stale: [] }
  const inBatch = new Set<string>()
  const fresh: Array<Event.Event> = []
  for (const event of events) {
    if (inBatch.has(event.id)) result.duplicates.push(event.id)
    else {
      inBatch.add(event.id)
      fresh.push(event)
    }
  }
  if (fresh.length === 0) return result

  const docs = new Map<string, Doc<"sessions">>()
  for (const sessionId of new Set(fresh.map((e) => e.sessionId))) {
    const doc = await ctx.db
      .query("sessions")
      .withIndex("by_session_id", (q) => q.eq("userId", userId).eq("id", sessionId))
      .unique()
    if (doc !== null) docs.set(sessionId, doc)
  }

  const todo: Array<Event.Event> = []
  for (const event of fresh) {
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

  const before = new Map<string, Session.Session>()
  for (const [sessionId, doc] of docs) before.set(sessionId, toSession(doc))
  const messages = new Map<string, { doc: Doc<"messages"> | null; value: Message.Message }>()
  const calls = new Map<string, { doc: Doc<"toolCalls"> | null; value: ToolCall.ToolCall }>()
  for (const event of todo) {
    const doc = docs.get(event.sessionId)
    if (doc === undefined) continue
    if (event.kind === "message" && !messages.has(key(event.sessionId, event.messageId))) {
      const found = await ctx.db
        .query("messages")
        .withIndex("by_message", (q) => q.eq("sessionDoc", doc._id).eq("id", event.messageId))
        .unique()
      if (found !== null) messages.set(key(event.sessionId, event.messageId), { doc: found, value: toMessage(found) })
    }
    if (event.kind === "tool_call" && !calls.has(key(event.sessionId, event.callId))) {
      const found = await ctx.db
        .query("toolCalls")
        .withIndex("by_call", (q) => q.eq("sessionDoc", doc._id).eq("id", event.callId))
        .unique()
      if (found !== null) calls.set(key(event.sessionId, event.callId), { doc: found, value: toToolCall(found) })
    }
  }

  const current = new Map(before)
  const changedMessages = new Set<string>()
  const changedCalls = new Set<string>()
  for (const event of todo) {
    const session = current.get(event.sessionId) ?? null
    switch (event.kind) {
      case "session": {
        current.set(event.sessionId, Ingest.applySessionEvent(session, event))
        result.stored.push(event.id)
        break
      }
      case "message": {
        const k = key(event.sessionId, event.messageId)
        const existing = messages.get(k)
        const applied = Ingest.applyMessageEvent(session, existing?.value ?? null, event)
        current.set(event.sessionId, applied.session)
        if (applied.outcome === "applied") {
          messages.set(k, { doc: existing?.doc ?? null, value: fitMessage(applied.message) })
          changedMessages.add(k)
          result.stored.push(event.id)
        } else result.stale.push(event.id)
        break
      }
      case "tool_call": {
        const k = key(event.sessionId, event.callId)
        const existing = calls.get(k)
        const applied = Ingest.applyToolCallEvent(session, existing?.value ?? null, event)
        current.set(event.sessionId, applied.session)
        if (applied.outcome === "applied") {
          calls.set(k, { doc: existing?.doc ?? null, value: fitToolCall(applied.toolCall) })
          changedCalls.add(k)
          result.stored.push(event.id)
        } else result.stale.push(event.id)
        break
      }
    }
  }

  const sessionDocs = new Map<string, Id<"sessions">>()
  let created = 0
  const changedSessions: Array<Session.Session> = []
  for (const session of current.values()) {
    const doc = docs.get(session.id)
    if (doc !== undefined) sessionDocs.set(session.id, doc._id)
    if (before.get(session.id) === session) continue
    changedSessions.push(session)
    const row = sessionRow(session, userId)
    if (approximateBytes(row) > maxSessionBytes) {
      throw new ConvexError({
        _tag: "PayloadTooLarge",
        error: `Session ${session.id} would exceed Convex's 1 MiB document limit (${session.usageSlices.length} usage and ${session.toolSlices.length} tool slices); it cannot take more days, models or tools.`
      })
    }
    if (doc !== undefined) await ctx.db.replace(doc._id, row)
    else {
      sessionDocs.set(session.id, await ctx.db.insert("sessions", row))
      created++
    }
  }

  for (const k of changedMessages) {
    const entry = messages.get(k)!
    const sessionDoc = sessionDocs.get(entry.value.sessionId)!
    if (entry.doc !== null) await ctx.db.replace(entry.doc._id, { ...entry.value, userId, sessionDoc })
    else await ctx.db.insert("messages", { ...entry.value, userId, sessionDoc })
    if (entry.doc === null || entry.doc.text !== entry.value.text) {
      await indexMessage(ctx, userId, sessionDoc, entry.value.id, entry.value.text, entry.doc !== null)
    }
  }
  for (const k of changedCalls) {
    const entry = calls.get(k)!
    const sessionDoc = sessionDocs.get(entry.value.sessionId)!
    if (entry.doc !== null) await ctx.db.replace(entry.doc._id, { ...entry.value, userId, sessionDoc })
    else await ctx.db.insert("toolCalls", { ...entry.value, userId, sessionDoc })
  }

  await applyRollups(
    ctx,
    userId,
    changedSessions.map((s) => Rollup.delta(before.get(s.id) ?? null, s))
  )
  for (const event of todo) {
    await ctx.db.insert("events", { userId, eventId: event.id, sessionDoc: sessionDocs.get(event.sessionId)! })
  }
  if (created > 0) {
    const user = await ctx.db.get(userId)
    if (user !== null) await ctx.db.patch(userId, { sessionCount: (user.sessionCount ?? 0) + created })
  }
  return result
}
