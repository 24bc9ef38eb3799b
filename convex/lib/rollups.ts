import { Batch, Rollup } from "@opensync/domain"
import type { Id } from "../_generated/dataModel.js"
import type { MutationCtx } from "../_generated/server.js"

/** Adds rollup increments (`Batch.rollupIncrements`) to the rollup tables; a row that drops to zero is deleted. */

type UsageTable = "usageRollup" | "usageByModel" | "usageByProject"

type StoredUsageRow = Omit<Rollup.UsageRow, "fromTelemetry" | "fromTranscript" | "fromReported"> &
  Partial<Pick<Rollup.UsageRow, "fromTelemetry" | "fromTranscript" | "fromReported">>

/** A stored usage row as the domain's row (rows written before provenance was kept count none). */
export const usageRowOf = (doc: StoredUsageRow): Rollup.UsageRow => ({
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
  unpriced: doc.unpriced,
  fromTelemetry: doc.fromTelemetry ?? 0,
  fromTranscript: doc.fromTranscript ?? 0,
  fromReported: doc.fromReported ?? 0
})

const toolRowOf = (doc: Rollup.ToolRow): Rollup.ToolRow => ({
  day: doc.day,
  source: doc.source,
  project: doc.project,
  tool: doc.tool,
  calls: doc.calls,
  errors: doc.errors,
  durationMs: doc.durationMs,
  timed: doc.timed
})

/** Adds `increment` to the stored row (found by `existing`), inserting, patching or deleting as the sum requires. */
const upsert = async <Row extends object, Table extends UsageTable | "toolRollup">(
  ctx: MutationCtx,
  table: Table,
  userId: Id<"users">,
  increment: Row,
  existing: { readonly id: Id<Table>; readonly row: Row } | null,
  sum: (a: Row, b: Row) => Row,
  isZero: (row: Row) => boolean
) => {
  const next = existing === null ? increment : sum(existing.row, increment)
  if (isZero(next)) {
    if (existing !== null) await ctx.db.delete(existing.id)
  } else if (existing === null) await ctx.db.insert(table, { userId, ...next } as never)
  else await ctx.db.patch(existing.id, next as never)
}

const upsertUsage = async (ctx: MutationCtx, table: UsageTable, userId: Id<"users">, row: Rollup.UsageRow) => {
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
  const stored = existing === null ? null : { id: existing._id, row: usageRowOf(existing) }
  await upsert(ctx, table, userId, row, stored, Rollup.sumUsage, Batch.isZeroUsage)
}

const upsertTool = async (ctx: MutationCtx, userId: Id<"users">, row: Rollup.ToolRow) => {
  const existing = await ctx.db
    .query("toolRollup")
    .withIndex("by_key", (q) =>
      q.eq("userId", userId).eq("day", row.day).eq("source", row.source).eq("project", row.project).eq("tool", row.tool)
    )
    .unique()
  const stored = existing === null ? null : { id: existing._id, row: toolRowOf(existing) }
  await upsert(ctx, "toolRollup", userId, row, stored, Rollup.sumTools, Batch.isZeroTools)
}

/** Adds the increments of several sessions' deltas into every rollup table, one read and write per key. */
export const applyRollups = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  deltas: ReadonlyArray<ReturnType<typeof Rollup.delta>>
) => {
  const increments = Batch.rollupIncrements(deltas)
  for (const row of increments.usage) await upsertUsage(ctx, "usageRollup", userId, row)
  for (const row of increments.usageByModel) await upsertUsage(ctx, "usageByModel", userId, row)
  for (const row of increments.usageByProject) await upsertUsage(ctx, "usageByProject", userId, row)
  for (const row of increments.tools) await upsertTool(ctx, userId, row)
}
