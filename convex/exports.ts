import { v } from "convex/values"
import { internal } from "./_generated/api.js"
import type { Id } from "./_generated/dataModel.js"
import { internalMutation, type MutationCtx } from "./_generated/server.js"
import { tuning } from "./lib/tuning.js"

/**
 * Files of exports too large for one HTTP response (`@opensync/backend/ExportFiles`): the HTTP action stores each part
 * in file storage and records it here; the sweeper deletes them once expired, and `DELETE /api/data` with the rest.
 */

/** Records a stored part of a user's export, deleted at `expiresAt`. */
export const record = internalMutation({
  args: { userId: v.id("users"), storageId: v.id("_storage"), expiresAt: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => {
    await ctx.db.insert("exportFiles", args)
    return null
  }
})

const remove = async (
  ctx: MutationCtx,
  files: ReadonlyArray<{ _id: Id<"exportFiles">; storageId: Id<"_storage"> }>
) => {
  for (const file of files) {
    if ((await ctx.db.system.get(file.storageId)) !== null) await ctx.storage.delete(file.storageId)
    await ctx.db.delete(file._id)
  }
}

/** Deletes expired export files (a bounded batch; schedules itself while more are expired). */
export const sweep = internalMutation({
  args: {},
  returns: v.number(),
  handler: async (ctx) => {
    const expired = await ctx.db
      .query("exportFiles")
      .withIndex("by_expiry", (q) => q.lt("expiresAt", Date.now()))
      .take(tuning.sweepExportFiles)
    await remove(ctx, expired)
    if (expired.length === tuning.sweepExportFiles) await ctx.scheduler.runAfter(0, internal.exports.sweep, {})
    return expired.length
  }
})

/** Deletes a user's export files (a bounded batch; schedules itself while more are left). */
export const removeAll = internalMutation({
  args: { userId: v.id("users") },
  returns: v.null(),
  handler: async (ctx, { userId }) => {
    const files = await ctx.db
      .query("exportFiles")
      .withIndex("by_user", (q) => q.eq("userId", userId))
      .take(tuning.sweepExportFiles)
    await remove(ctx, files)
    if (files.length === tuning.sweepExportFiles)
      await ctx.scheduler.runAfter(0, internal.exports.removeAll, { userId })
    return null
  }
})
