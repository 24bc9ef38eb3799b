import { v } from "convex/values"
import { internal } from "./_generated/api.js"
import { internalMutation } from "./_generated/server.js"
import { deleteSessionDoc } from "./lib/deletion.js"
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

/** Deletes a batch of the user's sessions (rollups follow at once, rows by `sessions:cleanup`); repeats until none. */
export const deleteAllStep = internalMutation({
  args: { userId: v.id("users") },
  handler: async (ctx, { userId }) => {
    const sessionsPerStep = tuning.sessionsPerDeleteStep
    const docs = await ctx.db
      .query("sessions")
      .withIndex("by_user", (q) => q.eq("userId", userId))
      .take(sessionsPerStep + 1)
    for (const doc of docs.slice(0, sessionsPerStep)) await deleteSessionDoc(ctx, doc)
    if (docs.length > sessionsPerStep) await ctx.scheduler.runAfter(0, internal.data.deleteAllStep, { userId })
  }
})
