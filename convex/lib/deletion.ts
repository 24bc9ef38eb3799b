import { Rollup } from "@opensync/domain"
import { internal } from "../_generated/api.js"
import type { Doc, Id } from "../_generated/dataModel.js"
import type { MutationCtx } from "../_generated/server.js"
import { toSession } from "./docs.js"
import { applyRollups } from "./rollups.js"
import { tuning } from "./tuning.js"

const cleanupBatch = () => tuning.cleanupBatch

/**
 * Deletes a session document and takes it out of the rollups at once; its messages, tool calls, search entries and
 * event ids (keyed by the document id, so unreachable from now on) are deleted by scheduled `sessions:cleanup` steps.
 */
export const deleteSessionDoc = async (ctx: MutationCtx, doc: Doc<"sessions">) => {
  const session = toSession(doc)
  await applyRollups(ctx, doc.userId, [Rollup.delta(session, null)])
  await ctx.db.delete(doc._id)
  const user = await ctx.db.get(doc.userId)
  if (user !== null) await ctx.db.patch(doc.userId, { sessionCount: Math.max(0, (user.sessionCount ?? 1) - 1) })
  await ctx.scheduler.runAfter(0, internal.sessions.cleanup, { sessionDoc: doc._id })
  return { messages: session.messageCount, toolCalls: session.toolCallCount }
}

/** One cleanup step for a deleted session document; true when rows remain. */
export const cleanupStep = async (ctx: MutationCtx, sessionDoc: Id<"sessions">): Promise<boolean> => {
  let remaining = false
  const tables = ["messages", "toolCalls", "events"] as const
  for (const table of tables) {
    const rows = await ctx.db
      .query(table)
      .withIndex("by_session_doc", (q) => q.eq("sessionDoc", sessionDoc))
      .take(cleanupBatch() + 1)
    for (const row of rows.slice(0, cleanupBatch())) await ctx.db.delete(row._id)
    remaining ||= rows.length > cleanupBatch()
  }
  const chunks = await ctx.db
    .query("searchChunks")
    .withIndex("by_message", (q) => q.eq("sessionDoc", sessionDoc))
    .take(cleanupBatch() + 1)
  for (const row of chunks.slice(0, cleanupBatch())) await ctx.db.delete(row._id)
  return remaining || chunks.length > cleanupBatch()
}
