import { Rollup } from "@opensync/domain"
import { paginationOptsValidator } from "convex/server"
import { v } from "convex/values"
import { internalQuery } from "./_generated/server.js"

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
    return { ...page, page: page.page.map(({ _id, _creationTime, userId: _u, ...row }) => row) }
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

/**
 * One page of a coarse usage rollup of all time for `GET /api/facets`, summed by source and model (`usageByModel`) or
 * by project (`usageByProject`): each call reads at most one page of rows, and returns a few.
 */
export const facetsPage = internalQuery({
  args: {
    userId: v.id("users"),
    table: v.union(v.literal("usageByModel"), v.literal("usageByProject")),
    paginationOpts: paginationOptsValidator
  },
  handler: async (ctx, { userId, table, paginationOpts }) => {
    const page = await ctx.db
      .query(table)
      .withIndex("by_key", (q) => q.eq("userId", userId))
      .paginate({ ...paginationOpts, maximumBytesRead: maxPageBytes })
    const sums = new Map<string, Rollup.UsageRow>()
    for (const { _id, _creationTime, userId: _u, ...row } of page.page) {
      const keyed =
        table === "usageByModel" ? { ...row, day: "", project: "*" } : { ...row, day: "", source: "", model: "*" }
      const key = Rollup.usageKey(keyed)
      const prev = sums.get(key)
      sums.set(key, prev === undefined ? keyed : Rollup.sumUsage(prev, keyed))
    }
    return { ...page, page: [...sums.values()] }
  }
})
