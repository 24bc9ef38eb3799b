import { Batch, Rollup } from "@opensync/domain"
import { type Infer, v } from "convex/values"
import type * as Schema from "effect/Schema"
import { internal } from "../_generated/api.js"
import type { Id } from "../_generated/dataModel.js"
import type { MutationCtx, QueryCtx } from "../_generated/server.js"
import { tuning } from "./tuning.js"

/**
 * Daily rollups and the session count, written without a read: a mutation inserts its increments as new rows and
 * schedules `rollups:compact` for the keys it touched, which sums the rows of each key into one (and deletes rows
 * that add up to nothing). Two batches of one user never write, nor read, the same rollup document, so they cannot
 * conflict; only the compaction may conflict (with a batch inserting into a key it is summing) and then retries.
 */

export type UsageTable = "usageRollup" | "usageByModel" | "usageByProject"

/** A rollup key: the table and the key fields (`model` for usage tables, `tool` for tools). */
export const rollupKey = v.object({
  table: v.union(
    v.literal("usageRollup"),
    v.literal("usageByModel"),
    v.literal("usageByProject"),
    v.literal("toolRollup")
  ),
  day: v.string(),
  source: v.string(),
  project: v.string(),
  model: v.optional(v.string()),
  tool: v.optional(v.string())
})
export type RollupKey = Infer<typeof rollupKey>

/**
 * The domain row of a stored rollup document: the fields of the row's schema, without the document's own (`_id`,
 * `userId`, ...). A counter the document predates (rows written before provenance was kept) counts 0, as the schema's
 * default says.
 */
const rowOf = <Fields extends Schema.Struct.Fields>(row: Schema.Struct<Fields>) => {
  const names = Object.keys(row.fields)
  return (doc: Schema.Struct.Encoded<Fields>): Schema.Struct.Type<Fields> => {
    const stored: Record<string, unknown> = doc
    return Object.fromEntries(names.map((name) => [name, stored[name] ?? 0])) as Schema.Struct.Type<Fields>
  }
}

/** A stored usage row as the domain's row. */
export const usageRowOf = rowOf(Rollup.UsageRow)
const toolRowOf = rowOf(Rollup.ToolRow)

/** Sums rows that share a key (as stored before compaction) and drops sums of nothing; keeps the first-seen order. */
const sumRowsBy =
  <Row>(
    rowOf: (doc: Row) => Row,
    keyOf: (row: Row) => string,
    sum: (a: Row, b: Row) => Row,
    isZero: (row: Row) => boolean
  ) =>
  (rows: ReadonlyArray<Row>): Array<Row> => {
    const out = new Map<string, Row>()
    for (const doc of rows) {
      const row = rowOf(doc)
      const k = keyOf(row)
      const prev = out.get(k)
      out.set(k, prev === undefined ? row : sum(prev, row))
    }
    return [...out.values()].filter((row) => !isZero(row))
  }

export const sumUsageRows = sumRowsBy(usageRowOf, Rollup.usageKey, Rollup.sumUsage, Batch.isZeroUsage)
export const sumToolRows = sumRowsBy(toolRowOf, Rollup.toolKey, Rollup.sumTools, Batch.isZeroTools)

/** Schedules the compaction of `keys` (and of the session count), in calls of at most `tuning.compactKeys` keys. */
const scheduleCompaction = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  keys: ReadonlyArray<RollupKey>,
  counts: boolean
) => {
  for (let i = 0; i < keys.length || (i === 0 && counts); i += tuning.compactKeys) {
    await ctx.scheduler.runAfter(0, internal.rollups.compact, {
      userId,
      keys: keys.slice(i, i + tuning.compactKeys),
      counts: counts && i === 0
    })
  }
}

/**
 * Adds several sessions' rollup deltas as increment rows in every rollup table, and `sessions` to the user's session
 * count (both without reading anything), then schedules their compaction.
 */
export const applyRollups = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  deltas: ReadonlyArray<ReturnType<typeof Rollup.delta>>,
  sessions = 0
) => {
  const increments = Batch.rollupIncrements(deltas)
  const keys: Array<RollupKey> = []
  const usage: ReadonlyArray<readonly [UsageTable, ReadonlyArray<Rollup.UsageRow>]> = [
    ["usageRollup", increments.usage],
    ["usageByModel", increments.usageByModel],
    ["usageByProject", increments.usageByProject]
  ]
  for (const [table, rows] of usage) {
    for (const row of rows) {
      if (Batch.isZeroUsage(row)) continue
      await ctx.db.insert(table, { userId, ...row })
      keys.push({ table, day: row.day, source: row.source, project: row.project, model: row.model })
    }
  }
  for (const row of increments.tools) {
    if (Batch.isZeroTools(row)) continue
    await ctx.db.insert("toolRollup", { userId, ...row })
    keys.push({ table: "toolRollup", day: row.day, source: row.source, project: row.project, tool: row.tool })
  }
  if (sessions !== 0) await ctx.db.insert("sessionCounts", { userId, delta: sessions })
  await scheduleCompaction(ctx, userId, keys, sessions !== 0)
}

const groupOf = (ctx: MutationCtx, userId: Id<"users">, key: RollupKey) =>
  key.table === "toolRollup"
    ? ctx.db
        .query("toolRollup")
        .withIndex("by_key", (q) =>
          q
            .eq("userId", userId)
            .eq("day", key.day)
            .eq("source", key.source)
            .eq("project", key.project)
            .eq("tool", key.tool ?? "")
        )
        .take(tuning.compactGroupRows)
    : ctx.db
        .query(key.table)
        .withIndex("by_key", (q) =>
          q
            .eq("userId", userId)
            .eq("day", key.day)
            .eq("source", key.source)
            .eq("model", key.model ?? "")
            .eq("project", key.project)
        )
        .take(tuning.compactGroupRows)

/**
 * Sums the rows of each key into its first row (deleting the others, and the first when the sum is nothing), and
 * folds pending session count changes into the user's document. Returns the keys left for another call (a key with
 * more rows than one call takes) and whether count changes remain.
 */
export const compact = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  keys: ReadonlyArray<RollupKey>,
  counts: boolean
): Promise<{ readonly keys: Array<RollupKey>; readonly counts: boolean }> => {
  const left: Array<RollupKey> = []
  const seen = new Set<string>()
  for (const key of keys) {
    const k = JSON.stringify([key.table, key.day, key.source, key.project, key.model ?? null, key.tool ?? null])
    if (seen.has(k)) continue
    seen.add(k)
    const rows = await groupOf(ctx, userId, key)
    if (rows.length === tuning.compactGroupRows) left.push(key)
    const [first, ...rest] = rows
    if (first === undefined) continue
    if (key.table === "toolRollup") {
      const sum = (rows as Array<Rollup.ToolRow>).map(toolRowOf).reduce(Rollup.sumTools)
      if (rest.length === 0 && !Batch.isZeroTools(sum)) continue
      if (Batch.isZeroTools(sum)) await ctx.db.delete(first._id)
      else await ctx.db.patch(first._id as Id<"toolRollup">, sum)
    } else {
      const sum = (rows as Array<Rollup.UsageRow>).map(usageRowOf).reduce(Rollup.sumUsage)
      if (rest.length === 0 && !Batch.isZeroUsage(sum)) continue
      if (Batch.isZeroUsage(sum)) await ctx.db.delete(first._id)
      else await ctx.db.patch(first._id as Id<UsageTable>, sum)
    }
    for (const row of rest) await ctx.db.delete(row._id)
  }
  let countsLeft = false
  if (counts) {
    const pending = await ctx.db
      .query("sessionCounts")
      .withIndex("by_user", (q) => q.eq("userId", userId))
      .take(tuning.compactGroupRows)
    countsLeft = pending.length === tuning.compactGroupRows
    const user = await ctx.db.get(userId)
    if (pending.length > 0 && user !== null) {
      const sum = pending.reduce((n, row) => n + row.delta, 0)
      await ctx.db.patch(userId, { sessionCount: Math.max(0, (user.sessionCount ?? 0) + sum) })
      for (const row of pending) await ctx.db.delete(row._id)
    }
  }
  return { keys: left, counts: countsLeft }
}

/** The user's session count: the compacted count plus the changes not yet folded in (at most `sessionCountReads`). */
export const sessionCount = async (ctx: QueryCtx, userId: Id<"users">): Promise<number> => {
  const user = await ctx.db.get(userId)
  const pending = await ctx.db
    .query("sessionCounts")
    .withIndex("by_user", (q) => q.eq("userId", userId))
    .take(tuning.sessionCountReads)
  return Math.max(0, (user?.sessionCount ?? 0) + pending.reduce((n, row) => n + row.delta, 0))
}
