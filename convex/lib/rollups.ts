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
export type ToolTable = "toolRollup" | "toolByDay"

const isToolTable = (table: UsageTable | ToolTable): table is ToolTable =>
  table === "toolRollup" || table === "toolByDay"

/** A rollup key: the table and the key fields (`model` for usage tables, `tool` for tools). */
export const rollupKey = v.object({
  table: v.union(
    v.literal("usageRollup"),
    v.literal("usageByModel"),
    v.literal("usageByProject"),
    v.literal("toolRollup"),
    v.literal("toolByDay")
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
  const tools: ReadonlyArray<readonly [ToolTable, ReadonlyArray<Rollup.ToolRow>]> = [
    ["toolRollup", increments.tools],
    ["toolByDay", increments.toolsBySource]
  ]
  for (const [table, rows] of tools) {
    for (const row of rows) {
      if (Batch.isZeroTools(row)) continue
      await ctx.db.insert(table, { userId, ...row })
      keys.push({ table, day: row.day, source: row.source, project: row.project, tool: row.tool })
    }
  }
  if (sessions !== 0) await ctx.db.insert("sessionCounts", { userId, delta: sessions })
  await scheduleCompaction(ctx, userId, keys, sessions !== 0)
}

const groupOf = (ctx: MutationCtx, userId: Id<"users">, key: RollupKey) =>
  isToolTable(key.table)
    ? ctx.db
        .query(key.table)
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
    if (isToolTable(key.table)) {
      const sum = (rows as Array<Rollup.ToolRow>).map(toolRowOf).reduce(Rollup.sumTools)
      if (rest.length === 0 && !Batch.isZeroTools(sum)) continue
      if (Batch.isZeroTools(sum)) await ctx.db.delete(first._id)
      else await ctx.db.patch(first._id as Id<ToolTable>, sum)
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

/** A day and source of a user's tool rollup: the unit `rebuildToolsByDay` rebuilds. */
export const toolGroup = v.object({ day: v.string(), source: v.string() })
export type ToolGroup = Infer<typeof toolGroup>

/** The user's rows of one day and source in `table`. */
const groupDocs = (ctx: MutationCtx, table: ToolTable, userId: Id<"users">, group: ToolGroup) =>
  ctx.db
    .query(table)
    .withIndex("by_key", (q) => q.eq("userId", userId).eq("day", group.day).eq("source", group.source))
    .collect()

/** The user's first (day, source) in `table` after `after` (or the first of all), or null. */
const nextGroupIn = async (
  ctx: MutationCtx,
  table: ToolTable,
  userId: Id<"users">,
  after: ToolGroup | null
): Promise<ToolGroup | null> => {
  const sameDay =
    after === null
      ? null
      : await ctx.db
          .query(table)
          .withIndex("by_key", (q) => q.eq("userId", userId).eq("day", after.day).gt("source", after.source))
          .first()
  const next =
    sameDay ??
    (await ctx.db
      .query(table)
      .withIndex("by_key", (q) =>
        after === null ? q.eq("userId", userId) : q.eq("userId", userId).gt("day", after.day)
      )
      .first())
  return next === null ? null : { day: next.day, source: next.source }
}

const groupOrder = (a: ToolGroup, b: ToolGroup) =>
  a.day < b.day ? -1 : a.day > b.day ? 1 : a.source < b.source ? -1 : a.source > b.source ? 1 : 0

/**
 * The user's first (day, source) after `after` in either tool table: `toolByDay` may hold a day `toolRollup` has none
 * of left (a session deleted before the rebuild took its share out of both; only `toolByDay` was short of it).
 */
const nextToolGroup = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  after: ToolGroup | null
): Promise<ToolGroup | null> => {
  const groups = [
    await nextGroupIn(ctx, "toolRollup", userId, after),
    await nextGroupIn(ctx, "toolByDay", userId, after)
  ].filter((group): group is ToolGroup => group !== null)
  return groups.sort(groupOrder)[0] ?? null
}

/**
 * Rebuilds the user's `toolByDay` rows from `toolRollup`, one day and source at a time after `after`, until about
 * `budget` rows were read; answers where it stopped, or null once every day is rebuilt and `users.toolsByDay` set.
 * Each day and source is replaced whole in this transaction: a batch that wrote to both tables before it is counted
 * once (in `toolRollup`, which the rebuild sums), and one after it adds to both, so nothing is counted twice.
 */
export const rebuildToolsByDay = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  after: ToolGroup | null,
  budget: number
): Promise<ToolGroup | null> => {
  let position = after
  let read = 0
  while (read < budget) {
    const group = await nextToolGroup(ctx, userId, position)
    if (group === null) {
      if ((await ctx.db.get(userId)) !== null) await ctx.db.patch(userId, { toolsByDay: true })
      return null
    }
    const rows = await groupDocs(ctx, "toolRollup", userId, group)
    const stale = await groupDocs(ctx, "toolByDay", userId, group)
    for (const doc of stale) await ctx.db.delete(doc._id)
    for (const row of sumToolRows(rows.map((doc) => ({ ...toolRowOf(doc), project: "*" })))) {
      await ctx.db.insert("toolByDay", { userId, ...row })
    }
    read += rows.length + stale.length
    position = group
  }
  return position
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
