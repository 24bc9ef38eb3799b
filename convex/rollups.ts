import { v } from "convex/values"
import { internal } from "./_generated/api.js"
import { internalMutation } from "./_generated/server.js"
import { compact as compactRows, rebuildToolsByDay as rebuild, rollupKey, toolGroup } from "./lib/rollups.js"
import { tuning } from "./lib/tuning.js"

/** Compaction of the insert-only rollups and session count (see `lib/rollups.ts`). */

/** Sums the rows of the given keys (and folds the session count changes); schedules itself for what is left. */
export const compact = internalMutation({
  args: { userId: v.id("users"), keys: v.array(rollupKey), counts: v.boolean() },
  returns: v.null(),
  handler: async (ctx, { userId, keys, counts }) => {
    const left = await compactRows(ctx, userId, keys, counts)
    if (left.keys.length > 0 || left.counts) {
      await ctx.scheduler.runAfter(0, internal.rollups.compact, { userId, keys: left.keys, counts: left.counts })
    }
    return null
  }
})

/**
 * Rebuilds one user's `toolByDay` from `toolRollup` (see `lib/rollups.ts`), about `tuning.toolRebuildRows` rows per
 * call, scheduling itself until done; then the user's stats read `toolByDay`. Started by `migrations:addToolByDay`.
 */
export const rebuildToolsByDay = internalMutation({
  args: { userId: v.id("users"), after: v.union(toolGroup, v.null()) },
  returns: v.null(),
  handler: async (ctx, { userId, after }) => {
    const stopped = await rebuild(ctx, userId, after, tuning.toolRebuildRows)
    if (stopped !== null)
      await ctx.scheduler.runAfter(0, internal.rollups.rebuildToolsByDay, { userId, after: stopped })
    return null
  }
})
