import { paginationOptsValidator } from "convex/server"
import { v } from "convex/values"
import { internalQuery } from "./_generated/server.js"
import { usageRowOf } from "./lib/rollups.js"

/** Rollup reads for `GET /api/stats`: pages of rows in a day range, optionally of one source. */

const maxPageBytes = 8 * 1024 * 1024

export const usagePage = internalQuery({
  args: {
    userId: v.id("users"),
    table: v.union(v.literal("usageRollup"), v.literal("usageByModel"), v.literal("usageByProject")),
    first: v.string(),
    last: v.string(),
    source: v.optional(v.string()),
    paginationOpts: paginationOptsValidator
  },
  handler: async (ctx, { userId, table, first, last, source, paginationOpts }) => {
    const query =
      source === undefined
        ? ctx.db.query(table).withIndex("by_key", (q) => q.eq("userId", userId).gte("day", first).lte("day", last))
        : ctx.db
            .query(table)
            .withIndex("by_source_day", (q) =>
              q.eq("userId", userId).eq("source", source).gte("day", first).lte("day", last)
            )
    const page = await query.paginate({ ...paginationOpts, maximumBytesRead: maxPageBytes })
    return { ...page, page: page.page.map(usageRowOf) }
  }
})

export const toolPage = internalQuery({
  args: {
    userId: v.id("users"),
    first: v.string(),
    last: v.string(),
    source: v.optional(v.string()),
    paginationOpts: paginationOptsValidator
  },
  handler: async (ctx, { userId, first, last, source, paginationOpts }) => {
    const query =
      source === undefined
        ? ctx.db
            .query("toolRollup")
            .withIndex("by_key", (q) => q.eq("userId", userId).gte("day", first).lte("day", last))
        : ctx.db
            .query("toolRollup")
            .withIndex("by_source_day", (q) =>
              q.eq("userId", userId).eq("source", source).gte("day", first).lte("day", last)
            )
    const page = await query.paginate({ ...paginationOpts, maximumBytesRead: maxPageBytes })
    return { ...page, page: page.page.map(({ _id, _creationTime, userId: _u, ...row }) => row) }
  }
})
