import { Rollup } from "@opensync/domain"
import type { Id } from "../_generated/dataModel.js"
import type { MutationCtx } from "../_generated/server.js"

/** Applies `Rollup.delta` increments to the rollup tables; a row that drops to zero is deleted. */

const usageValues = [
  "sessions",
  "messages",
  "durationMs",
  "input",
  "output",
  "cacheRead",
  "cacheWrite5m",
  "cacheWrite1h",
  "reasoning",
  "costUsd",
  "unpriced"
] as const

const isZeroUsage = (row: Rollup.UsageRow) =>
  usageValues.every((field) => (field === "costUsd" ? Math.abs(row.costUsd) < 1e-9 : row[field] === 0))

const regroup = (rows: ReadonlyArray<Rollup.UsageRow>, rekey: (row: Rollup.UsageRow) => Rollup.UsageRow) => {
  const out = new Map<string, Rollup.UsageRow>()
  for (const row of rows.map(rekey)) {
    const key = Rollup.usageKey(row)
    const prev = out.get(key)
    out.set(key, prev === undefined ? row : Rollup.sumUsage(prev, row))
  }
  return [...out.values()]
}

const usageRowOf = (doc: Rollup.UsageRow): Rollup.UsageRow => ({
  day: doc.day,
  source: doc.source,
  model: doc.model,
  project: doc.project,
  sessions: doc.sessions,
  messages: doc.messages,
  durationMs: doc.durationMs,
  input: doc.input,
  output: doc.output,
  cacheRead: doc.cacheRead,
  cacheWrite5m: doc.cacheWrite5m,
  cacheWrite1h: doc.cacheWrite1h,
  reasoning: doc.reasoning,
  costUsd: doc.costUsd,
  unpriced: doc.unpriced
})

const upsertUsage = async (
  ctx: MutationCtx,
  table: "usageRollup" | "usageByModel" | "usageByProject",
  userId: Id<"users">,
  rows: ReadonlyArray<Rollup.UsageRow>
) => {
  for (const row of rows) {
    const existing = await ctx.db
      .query(table)
      .withIndex("by_key", (q) =>
        q
          .eq("userId", userId)
          .eq("day", row.day)
          .eq("source", row.source)
          .eq("model", row.model)
          .eq("project", row.project)
      )
      .unique()
    const next = existing === null ? row : Rollup.sumUsage(usageRowOf(existing), row)
    if (isZeroUsage(next)) {
      if (existing !== null) await ctx.db.delete(existing._id)
    } else if (existing === null) await ctx.db.insert(table, { userId, ...next })
    else await ctx.db.patch(existing._id, next)
  }
}

/** Adds the increments of a batch (several sessions' deltas) into every rollup table. */
export const applyRollups = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  deltas: ReadonlyArray<ReturnType<typeof Rollup.delta>>
) => {
  const usage = new Map<string, Rollup.UsageRow>()
  const tools = new Map<string, Rollup.ToolRow>()
  for (const delta of deltas) {
    for (const row of delta.usage) {
      const key = Rollup.usageKey(row)
      const prev = usage.get(key)
      usage.set(key, prev === undefined ? row : Rollup.sumUsage(prev, row))
    }
    for (const row of delta.tools) {
      const key = Rollup.toolKey(row)
      const prev = tools.get(key)
      tools.set(key, prev === undefined ? row : Rollup.sumTools(prev, row))
    }
  }
  const all = [...usage.values()]
  await upsertUsage(ctx, "usageRollup", userId, all)
  await upsertUsage(
    ctx,
    "usageByModel",
    userId,
    regroup(all, (row) => ({ ...row, project: "*" }))
  )
  await upsertUsage(
    ctx,
    "usageByProject",
    userId,
    regroup(all, (row) => ({ ...row, model: "*" }))
  )
  for (const row of tools.values()) {
    const existing = await ctx.db
      .query("toolRollup")
      .withIndex("by_key", (q) =>
        q
          .eq("userId", userId)
          .eq("day", row.day)
          .eq("source", row.source)
          .eq("project", row.project)
          .eq("tool", row.tool)
      )
      .unique()
    const next =
      existing === null
        ? row
        : Rollup.sumTools(
            {
              day: existing.day,
              source: existing.source,
              project: existing.project,
              tool: existing.tool,
              calls: existing.calls,
              errors: existing.errors,
              durationMs: existing.durationMs,
              timed: existing.timed
            },
            row
          )
    const zero = next.calls === 0 && next.errors === 0 && next.durationMs === 0 && next.timed === 0
    if (zero) {
      if (existing !== null) await ctx.db.delete(existing._id)
    } else if (existing === null) await ctx.db.insert("toolRollup", { userId, ...next })
    else await ctx.db.patch(existing._id, next)
  }
}
