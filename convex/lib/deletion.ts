import { Rollup } from "@opensync/domain"
import { internal } from "../_generated/api.js"
import type { Doc, Id } from "../_generated/dataModel.js"
import type { MutationCtx } from "../_generated/server.js"
import { approximateBytes, toSession } from "./docs.js"
import { applyRollups } from "./rollups.js"
import { tuning } from "./tuning.js"

/**
 * Deletes session documents of one user, keeps a tombstone of each (their events are never stored again), and takes
 * them out of the rollups at once (one rollup update for all);
 * their messages, tool calls, search entries and event ids (keyed by the document id, so unreachable from now on)
 * are deleted by scheduled `sessions:cleanup` steps. Answers each session's message and tool call counts.
 */
export const deleteSessionDocs = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  docs: ReadonlyArray<Doc<"sessions">>
): Promise<Array<{ readonly messages: number; readonly toolCalls: number }>> => {
  if (docs.length === 0) return []
  const sessions = docs.map(toSession)
  await applyRollups(
    ctx,
    userId,
    sessions.map((session) => Rollup.delta(session, null)),
    -docs.length
  )
  const now = Date.now()
  for (const doc of docs) {
    await ctx.db.delete(doc._id)
    await ctx.scheduler.runAfter(0, internal.sessions.cleanup, { sessionDoc: doc._id })
    const tombstone = await ctx.db
      .query("tombstones")
      .withIndex("by_session", (q) => q.eq("userId", userId).eq("sessionId", doc.id))
      .unique()
    if (tombstone === null) await ctx.db.insert("tombstones", { userId, sessionId: doc.id, deletedAt: now })
    const slim = await ctx.db
      .query("sessionIds")
      .withIndex("by_user", (q) => q.eq("userId", userId).eq("id", doc.id))
      .unique()
    if (slim !== null) await ctx.db.delete(slim._id)
  }
  return sessions.map((session) => ({ messages: session.messageCount, toolCalls: session.toolCallCount }))
}

/** Deletes one session document (see `deleteSessionDocs`). */
export const deleteSessionDoc = async (ctx: MutationCtx, doc: Doc<"sessions">) =>
  (await deleteSessionDocs(ctx, doc.userId, [doc]))[0]!

/** The rows hanging off a session document, per table, and the index that finds them. */
const rowsOf = (ctx: MutationCtx, sessionDoc: Id<"sessions">) => [
  ctx.db.query("messages").withIndex("by_session_doc", (q) => q.eq("sessionDoc", sessionDoc)),
  ctx.db.query("toolCalls").withIndex("by_session_doc", (q) => q.eq("sessionDoc", sessionDoc)),
  ctx.db.query("apiRequests").withIndex("by_request", (q) => q.eq("sessionDoc", sessionDoc)),
  ctx.db.query("events").withIndex("by_session_doc", (q) => q.eq("sessionDoc", sessionDoc)),
  ctx.db.query("searchChunks").withIndex("by_message", (q) => q.eq("sessionDoc", sessionDoc))
]

/**
 * One cleanup step for a deleted session document: deletes its rows until `tuning.cleanupBatch` rows or
 * `tuning.cleanupBytes` bytes (messages may be close to 1 MiB each); true when rows remain.
 */
export const cleanupStep = async (ctx: MutationCtx, sessionDoc: Id<"sessions">): Promise<boolean> => {
  const doomed: Array<Id<"messages"> | Id<"toolCalls"> | Id<"apiRequests"> | Id<"events"> | Id<"searchChunks">> = []
  let bytes = 0
  let remaining = false
  collect: for (const query of rowsOf(ctx, sessionDoc)) {
    for await (const row of query) {
      if (doomed.length >= tuning.cleanupBatch || bytes >= tuning.cleanupBytes) {
        remaining = true
        break collect
      }
      doomed.push(row._id)
      bytes += approximateBytes(row)
    }
  }
  for (const id of doomed) await ctx.db.delete(id)
  return remaining
}
