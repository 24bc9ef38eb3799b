import { v } from "convex/values"
import { internal } from "./_generated/api.js"
import { internalMutation, internalQuery } from "./_generated/server.js"
import { legacyDefaultSource } from "./lib/docs.js"
import { runStep, type Status } from "./lib/migration.js"
import { termsOf } from "./lib/search.js"

/**
 * Data migrations. Start one with `npx convex run migrations:<name>` (optionally `'{"batchSize":200}'`); it runs in
 * scheduled batches until done, and `npx convex run migrations:status '{"name":"<name>"}'` shows its progress.
 * A new migration is one more `internalMutation` calling `runStep` with its own name, table and per-document change.
 */

const stepArgs = { batchSize: v.optional(v.number()), restart: v.optional(v.boolean()) }
const stepStatus = v.object({ name: v.string(), processed: v.number(), changed: v.number(), done: v.boolean() })

/** Gives every session written before `source` existed the source the first plugin synced from: `opencode`. */
export const addSourceToExisting = internalMutation({
  args: stepArgs,
  returns: stepStatus,
  handler: (ctx, args): Promise<Status> =>
    runStep(
      ctx,
      {
        name: "addSourceToExisting",
        table: "sessions",
        self: internal.migrations.addSourceToExisting,
        migrate: async (ctx, doc) => {
          if (doc.source !== undefined) return false
          await ctx.db.patch(doc._id, { source: legacyDefaultSource })
          return true
        }
      },
      args
    )
})

/** Fills `titleText` (what the title search index reads) on sessions stored before it existed. */
export const addTitleText = internalMutation({
  args: stepArgs,
  returns: stepStatus,
  handler: (ctx, args): Promise<Status> =>
    runStep(
      ctx,
      {
        name: "addTitleText",
        table: "sessions",
        self: internal.migrations.addTitleText,
        migrate: async (ctx, doc) => {
          if (doc.titleText !== undefined) return false
          await ctx.db.patch(doc._id, { titleText: doc.title ?? "" })
          return true
        }
      },
      args
    )
})

/** Gives every session stored before `sessionIds` existed its row there (what `/sync/sessions/list` reads). */
export const addSessionIds = internalMutation({
  args: stepArgs,
  returns: stepStatus,
  handler: (ctx, args): Promise<Status> =>
    runStep(
      ctx,
      {
        name: "addSessionIds",
        table: "sessions",
        self: internal.migrations.addSessionIds,
        migrate: async (ctx, doc) => {
          const row = await ctx.db
            .query("sessionIds")
            .withIndex("by_user", (q) => q.eq("userId", doc.userId).eq("id", doc.id))
            .unique()
          if (row !== null) return false
          await ctx.db.insert("sessionIds", { userId: doc.userId, id: doc.id })
          return true
        }
      },
      args
    )
})

/** Fills `terms` (what the message search index reads) on search entries stored before it existed. */
export const addSearchTerms = internalMutation({
  args: stepArgs,
  returns: stepStatus,
  handler: (ctx, args): Promise<Status> =>
    runStep(
      ctx,
      {
        name: "addSearchTerms",
        table: "searchChunks",
        self: internal.migrations.addSearchTerms,
        migrate: async (ctx, doc) => {
          if (doc.terms !== undefined) return false
          await ctx.db.patch(doc._id, { terms: termsOf(doc.text) })
          return true
        }
      },
      args
    )
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
