import { v } from "convex/values"
import { internal } from "./_generated/api.js"
import type { Doc } from "./_generated/dataModel.js"
import { internalMutation } from "./_generated/server.js"
import { deleteSessionDocs } from "./lib/deletion.js"
import { approximateBytes } from "./lib/docs.js"
import { rollupRowsOf } from "./lib/ingest.js"
import { tuning } from "./lib/tuning.js"

/** `DELETE /api/data`: all of a user's sessions and what hangs off them, in scheduled batches. */

/** Schedules the deletion of all of the user's data; answers how many sessions it will delete. */
export const deleteAll = internalMutation({
  args: { userId: v.id("users") },
  handler: async (ctx, { userId }) => {
    const user = await ctx.db.get(userId)
    await ctx.scheduler.runAfter(0, internal.data.deleteAllStep, { userId })
    return { status: "scheduled" as const, sessions: user?.sessionCount ?? 0 }
  }
})

/**
 * Deletes a batch of the user's sessions (rollups follow at once, rows by `sessions:cleanup`) and repeats until none
 * are left. A batch stops at `tuning.sessionsPerDeleteStep` sessions, `tuning.deleteStepBytes` bytes of sessions or
 * `tuning.deleteStepRollupRows` rollup rows to update, whichever comes first (always at least one session).
 */
export const deleteAllStep = internalMutation({
  args: { userId: v.id("users") },
  handler: async (ctx, { userId }) => {
    const docs: Array<Doc<"sessions">> = []
    let bytes = 0
    let rollupRows = 0
    let more = false
    for await (const doc of ctx.db.query("sessions").withIndex("by_user", (q) => q.eq("userId", userId))) {
      const rows = rollupRowsOf(doc)
      const full =
        docs.length >= tuning.sessionsPerDeleteStep ||
        bytes >= tuning.deleteStepBytes ||
        rollupRows + rows > tuning.deleteStepRollupRows
      if (docs.length > 0 && full) {
        more = true
        break
      }
      docs.push(doc)
      bytes += approximateBytes(doc)
      rollupRows += rows
    }
    await deleteSessionDocs(ctx, userId, docs)
    if (more) await ctx.scheduler.runAfter(0, internal.data.deleteAllStep, { userId })
  }
})
