import { Rollup } from "@opensync/domain"
import { paginationOptsValidator } from "convex/server"
import { v } from "convex/values"
import { internalQuery } from "./_generated/server.js"
import { usageRowOf } from "./lib/rollups.js"
import { compile, paginated } from "./lib/validators.js"

/**
 * Rollup reads for `GET /api/stats`: pages of rows in a day range through the index that matches the filter (by key,
 * by source, by project or by model, each with the day), so a filtered read never touches another filter's rows.
 * Rows are returned as stored (several may share a key until compacted); the caller sums them.
 */

const maxPageBytes = 8 * 1024 * 1024

/** Which index bounds the read: none (by day), or one filter's value then the day. */
export const statsFilter = v.union(
  v.object({ by: v.literal("day") }),
  v.object({ by: v.literal("source"), value: v.string() }),
  v.object({ by: v.literal("project"), value: v.string() }),
  v.object({ by: v.literal("model"), value: v.string() })
)

const strip = <T extends { _id: unknown; _creationTime: unknown; userId: unknown }>(doc: T) => {
  const { _id, _creationTime, userId: _u, ...row } = doc
  return row
}

export const usagePage = internalQuery({
  args: {
    userId: v.id("users"),
    table: v.union(v.literal("usageRollup"), v.literal("usageByModel"), v.literal("usageByProject")),
    filter: statsFilter,
    first: v.string(),
    last: v.string(),
    paginationOpts: paginationOptsValidator
  },
  returns: paginated(compile(Rollup.UsageRow)),
  handler: async (ctx, { userId, table, filter, first, last, paginationOpts }) => {
    const rows = ctx.db.query(table)
    const query =
      filter.by === "day"
        ? rows.withIndex("by_key", (q) => q.eq("userId", userId).gte("day", first).lte("day", last))
        : filter.by === "source"
          ? rows.withIndex("by_source_day", (q) =>
              q.eq("userId", userId).eq("source", filter.value).gte("day", first).lte("day", last)
            )
          : filter.by === "project"
            ? rows.withIndex("by_project_day", (q) =>
                q.eq("userId", userId).eq("project", filter.value).gte("day", first).lte("day", last)
              )
            : rows.withIndex("by_model_day", (q) =>
                q.eq("userId", userId).eq("model", filter.value).gte("day", first).lte("day", last)
              )
    const result = await query.paginate({ ...paginationOpts, maximumBytesRead: maxPageBytes })
    return { ...result, page: result.page.map(usageRowOf) }
  }
})

const toolTable = v.union(v.literal("toolRollup"), v.literal("toolByDay"))

/**
 * A page of tool rows: by day or by source from `toolByDay` (the project summed out) once it holds all of the user's
 * tool use (`users.toolsByDay`), else from `toolRollup`; by project from `toolRollup`. The first page (no `table`)
 * chooses and answers its table, which the next pages are read from.
 */
export const toolPage = internalQuery({
  args: {
    userId: v.id("users"),
    table: v.optional(toolTable),
    filter: statsFilter,
    first: v.string(),
    last: v.string(),
    paginationOpts: paginationOptsValidator
  },
  returns: v.object({ ...paginated(compile(Rollup.ToolRow)).fields, table: toolTable }),
  handler: async (ctx, { userId, table: chosen, filter, first, last, paginationOpts }) => {
    const table =
      chosen ??
      (filter.by !== "project" && (await ctx.db.get(userId))?.toolsByDay === true ? "toolByDay" : "toolRollup")
    const rows = ctx.db.query(table)
    const query =
      filter.by === "source"
        ? rows.withIndex("by_source_day", (q) =>
            q.eq("userId", userId).eq("source", filter.value).gte("day", first).lte("day", last)
          )
        : filter.by === "project"
          ? ctx.db
              .query("toolRollup")
              .withIndex("by_project_day", (q) =>
                q.eq("userId", userId).eq("project", filter.value).gte("day", first).lte("day", last)
              )
          : rows.withIndex("by_key", (q) => q.eq("userId", userId).gte("day", first).lte("day", last))
    const result = await query.paginate({ ...paginationOpts, maximumBytesRead: maxPageBytes })
    return { ...result, page: result.page.map(strip), table }
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
  returns: paginated(compile(Rollup.UsageRow)),
  handler: async (ctx, { userId, table, paginationOpts }) => {
    const page = await ctx.db
      .query(table)
      .withIndex("by_key", (q) => q.eq("userId", userId))
      .paginate({ ...paginationOpts, maximumBytesRead: maxPageBytes })
    const sums = new Map<string, Rollup.UsageRow>()
    for (const { _id, _creationTime, userId: _u, ...row } of page.page) {
      const keyed = usageRowOf(
        table === "usageByModel" ? { ...row, day: "", project: "*" } : { ...row, day: "", source: "", model: "*" }
      )
      const key = Rollup.usageKey(keyed)
      const prev = sums.get(key)
      sums.set(key, prev === undefined ? keyed : Rollup.sumUsage(prev, keyed))
    }
    return { ...page, page: [...sums.values()] }
  }
})
