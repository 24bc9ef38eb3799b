import { v } from "convex/values"
import { internal } from "./_generated/api.js"
import { internalQuery } from "./_generated/server.js"
import { legacyDefaultSource } from "./lib/docs.js"
import { fillMissing, migration } from "./lib/migration.js"
import { termsOf } from "./lib/search.js"
import { publicIdOf } from "./signIns.js"

/**
 * Data migrations. Start one with `npx convex run migrations:<name>` (optionally `'{"batchSize":200}'`); it runs in
 * scheduled batches until done, and `npx convex run migrations:status '{"name":"<name>"}'` shows its progress.
 * A new migration is one more `migration(name, change)` exported here under its name, with its table and
 * per-document change.
 */

/** Gives every session written before `source` existed the source the first plugin synced from: `opencode`. */
export const addSourceToExisting = migration(
  "addSourceToExisting",
  fillMissing("sessions", "source", () => legacyDefaultSource)
)

/** Fills `titleText` (what the title search index reads) on sessions stored before it existed. */
export const addTitleText = migration(
  "addTitleText",
  fillMissing("sessions", "titleText", (doc) => doc.title ?? "")
)

/** Gives every session stored before `sessionIds` existed its row there (what `/sync/sessions/list` reads). */
export const addSessionIds = migration("addSessionIds", {
  table: "sessions",
  migrate: async (ctx, doc) => {
    const row = await ctx.db
      .query("sessionIds")
      .withIndex("by_user", (q) => q.eq("userId", doc.userId).eq("id", doc.id))
      .unique()
    if (row !== null) return false
    await ctx.db.insert("sessionIds", { userId: doc.userId, id: doc.id })
    return true
  }
})

/** Fills `terms` (what the message search index reads) on search entries stored before it existed. */
export const addSearchTerms = migration(
  "addSearchTerms",
  fillMissing("searchChunks", "terms", (doc) => termsOf(doc.text))
)

/** Gives sign-ins made before Settings listed them the id they are listed (and revoked) under. */
export const addSignInPublicIds = migration("addSignInPublicIds", fillMissing("authSessions", "publicId", publicIdOf))

/**
 * Fills `toolByDay` (the tools of a period with the project summed out) for users made before it existed: schedules
 * `rollups:rebuildToolsByDay` for each, which rebuilds it from `toolRollup` a day at a time and then sets
 * `users.toolsByDay`; until then the user's stats read `toolRollup`, as before.
 */
export const addToolByDay = migration("addToolByDay", {
  table: "users",
  migrate: async (ctx, doc) => {
    if (doc.toolsByDay === true) return false
    await ctx.scheduler.runAfter(0, internal.rollups.rebuildToolsByDay, { userId: doc._id, after: null })
    return true
  }
})

/** Progress of a migration: documents processed so far and whether it finished. */
export const status = internalQuery({
  args: { name: v.string() },
  returns: v.object({ name: v.string(), started: v.boolean(), processed: v.number(), done: v.boolean() }),
  handler: async (ctx, { name }) => {
    const state = await ctx.db
      .query("migrations")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique()
    return state === null
      ? { name, started: false, processed: 0, done: false }
      : { name, started: true, processed: state.processed, done: state.done }
  }
})
