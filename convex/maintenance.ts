import { v } from "convex/values"
import { internal } from "./_generated/api.js"
import type { Id } from "./_generated/dataModel.js"
import { internalMutation } from "./_generated/server.js"
import { tuning } from "./lib/tuning.js"

/**
 * The sweeper (`crons.ts`, every few minutes): folds recorded last uses into their key, sign-in or user (when its
 * telemetry last arrived) and deletes them, and
 * restarts a `DELETE /api/data` whose steps stopped without finishing (a failed step, a paused deployment).
 */
export const sweep = internalMutation({
  args: {},
  returns: v.object({ uses: v.number(), restarted: v.number() }),
  handler: async (ctx) => {
    const uses = await ctx.db.query("lastUses").withIndex("by_at").take(tuning.sweepUses)
    const latest = new Map<string, number>()
    for (const use of uses) latest.set(use.doc, Math.max(latest.get(use.doc) ?? 0, use.at))
    for (const [doc, at] of latest) {
      const key = ctx.db.normalizeId("apiKeys", doc)
      if (key !== null) {
        const found = await ctx.db.get(key)
        if (found !== null && (found.lastUsedAt ?? 0) < at) await ctx.db.patch(key, { lastUsedAt: at })
        continue
      }
      const user = ctx.db.normalizeId("users", doc)
      if (user !== null) {
        const found = await ctx.db.get(user)
        if (found !== null && (found.lastTelemetryAt ?? 0) < at) await ctx.db.patch(user, { lastTelemetryAt: at })
        continue
      }
      const signIn = ctx.db.normalizeId("authSessions", doc)
      const found = signIn === null ? null : await ctx.db.get(signIn)
      if (found !== null && (found.lastSeenAt ?? 0) < at) await ctx.db.patch(found._id, { lastSeenAt: at })
    }
    for (const use of uses) await ctx.db.delete(use._id)
    if (uses.length === tuning.sweepUses) await ctx.scheduler.runAfter(0, internal.maintenance.sweep, {})

    const stalledBefore = Date.now() - tuning.stalledDeletionMs
    let restarted = 0
    for (const status of ["scheduled", "running"] as const) {
      const stalled = await ctx.db
        .query("dataDeletions")
        .withIndex("by_status", (q) => q.eq("status", status).lt("updatedAt", stalledBefore))
        .take(100)
      for (const deletion of stalled) {
        await ctx.db.patch(deletion._id, { updatedAt: Date.now() })
        await ctx.scheduler.runAfter(0, internal.data.deleteAllStep, { userId: deletion.userId as Id<"users"> })
        restarted++
      }
    }
    return { uses: uses.length, restarted }
  }
})
