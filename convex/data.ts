import { v } from "convex/values"
import { internal } from "./_generated/api.js"
import type { Doc, Id } from "./_generated/dataModel.js"
import { internalMutation, internalQuery, type MutationCtx } from "./_generated/server.js"
import { deleteSessionDocs } from "./lib/deletion.js"
import { approximateBytes } from "./lib/docs.js"
import { rollupRowsOf } from "./lib/ingest.js"
import { sessionCount } from "./lib/rollups.js"
import { tuning } from "./lib/tuning.js"

/**
 * `DELETE /api/data`: all of a user's sessions and what hangs off them, in scheduled steps. Its progress is kept in
 * `dataDeletions` (one row per user): `GET /api/data` reads it, and `maintenance:sweep` restarts a deletion whose
 * steps stopped (a step that failed, a deployment that was paused).
 */

const statusValidator = v.union(v.literal("scheduled"), v.literal("running"), v.literal("done"))

const progressOf = (ctx: MutationCtx, userId: Id<"users">) =>
  ctx.db
    .query("dataDeletions")
    .withIndex("by_user", (q) => q.eq("userId", userId))
    .unique()

/** Schedules the deletion of all of the user's data; answers how many sessions it will delete. */
export const deleteAll = internalMutation({
  args: { userId: v.id("users") },
  returns: v.object({ status: v.literal("scheduled"), sessions: v.number() }),
  handler: async (ctx, { userId }) => {
    const sessions = await sessionCount(ctx, userId)
    const now = Date.now()
    const progress = await progressOf(ctx, userId)
    const fresh = { status: "scheduled" as const, startedAt: now, updatedAt: now, deleted: 0 }
    // A deletion under way goes on to the end (sessions stored meanwhile included): a second chain of steps would only
    // compete with it. One that stopped (no step for `stalledDeletionMs`) is started again, as `maintenance:sweep` does.
    const underWay =
      progress !== null && progress.status !== "done" && now - progress.updatedAt < tuning.stalledDeletionMs
    if (progress === null) await ctx.db.insert("dataDeletions", { userId, ...fresh })
    else if (progress.status === "done") await ctx.db.patch(progress._id, fresh)
    else if (!underWay) await ctx.db.patch(progress._id, { updatedAt: now }) // restarted: under way again from now
    if (!underWay) await ctx.scheduler.runAfter(0, internal.data.deleteAllStep, { userId })
    await ctx.scheduler.runAfter(0, internal.exports.removeAll, { userId })
    return { status: "scheduled" as const, sessions }
  }
})

/**
 * Deletes a batch of the user's sessions (rollups follow at once, rows by `sessions:cleanup`) and repeats until none
 * are left. A batch stops at `tuning.sessionsPerDeleteStep` sessions, `tuning.deleteStepBytes` bytes of sessions or
 * `tuning.deleteStepRollupRows` rollup rows to update, whichever comes first (always at least one session).
 */
export const deleteAllStep = internalMutation({
  args: { userId: v.id("users") },
  returns: v.null(),
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
    const progress = await progressOf(ctx, userId)
    if (progress !== null) {
      await ctx.db.patch(progress._id, {
        status: more ? "running" : "done",
        updatedAt: Date.now(),
        deleted: progress.deleted + docs.length
      })
    }
    if (more) await ctx.scheduler.runAfter(0, internal.data.deleteAllStep, { userId })
    return null
  }
})

/** `GET /api/data`: the user's last `DELETE /api/data` (done when there is none) and the sessions it has left. */
export const status = internalQuery({
  args: { userId: v.id("users") },
  returns: v.object({ status: statusValidator, sessions: v.number() }),
  handler: async (ctx, { userId }) => {
    const progress = await ctx.db
      .query("dataDeletions")
      .withIndex("by_user", (q) => q.eq("userId", userId))
      .unique()
    if (progress === null || progress.status === "done") return { status: "done" as const, sessions: 0 }
    return { status: progress.status, sessions: await sessionCount(ctx, userId) }
  }
})
