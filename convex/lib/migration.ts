import { type FunctionReference, makeFunctionReference } from "convex/server"
import { v } from "convex/values"
import type { Doc, TableNames } from "../_generated/dataModel.js"
import { internalMutation, type MutationCtx } from "../_generated/server.js"
import { tuning } from "./tuning.js"

/**
 * Batched, resumable migrations. Each step reads one page of a table (at most `batchSize` documents and
 * `tuning.migrationStepBytes` bytes, whatever the table's size: documents up to 1 MiB each would otherwise take a step
 * past the 16 MiB a function may read or write), applies `migrate` to each document, records its cursor in the `migrations` table and schedules the
 * next step. Running a migration again resumes from the recorded cursor; a finished one does nothing unless restarted.
 */

export type StepArgs = {
  readonly batchSize?: number
  readonly restart?: boolean
}

export interface Status {
  readonly name: string
  readonly processed: number
  readonly changed: number
  readonly done: boolean
}

export const defaultBatchSize = 100

export const runStep = async <Table extends TableNames>(
  ctx: MutationCtx,
  options: {
    readonly name: string
    readonly table: Table
    readonly self: FunctionReference<"mutation", "public" | "internal", StepArgs>
    /** Changes one document; returns true when it wrote something. */
    readonly migrate: (ctx: MutationCtx, doc: Doc<Table>) => Promise<boolean>
  },
  args: StepArgs
): Promise<Status> => {
  const batchSize = Math.max(1, Math.min(args.batchSize ?? defaultBatchSize, 1_000))
  let state = await ctx.db
    .query("migrations")
    .withIndex("by_name", (q) => q.eq("name", options.name))
    .unique()
  if (state !== null && args.restart === true) {
    await ctx.db.patch(state._id, { cursor: null, processed: 0, done: false, updatedAt: Date.now() })
    state = { ...state, cursor: null, processed: 0, done: false }
  }
  if (state?.done === true) return { name: options.name, processed: state.processed, changed: 0, done: true }
  const page = await ctx.db.query(options.table).paginate({
    numItems: batchSize,
    cursor: state?.cursor ?? null,
    maximumBytesRead: tuning.migrationStepBytes
  })
  let changed = 0
  for (const doc of page.page) if (await options.migrate(ctx, doc)) changed++
  const next = {
    name: options.name,
    cursor: page.continueCursor,
    processed: (state?.processed ?? 0) + page.page.length,
    done: page.isDone,
    updatedAt: Date.now()
  }
  if (state === null) await ctx.db.insert("migrations", next)
  else await ctx.db.patch(state._id, next)
  if (!page.isDone) await ctx.scheduler.runAfter(0, options.self, { batchSize })
  return { name: options.name, processed: next.processed, changed, done: next.done }
}

/** What a migration changes: each document of `table`, by `migrate` (which returns true when it wrote something). */
export interface Change<Table extends TableNames> {
  readonly table: Table
  readonly migrate: (ctx: MutationCtx, doc: Doc<Table>) => Promise<boolean>
}

/**
 * The migration `migrations:<name>` (so it must be exported as `name` from `convex/migrations.ts`): an internal
 * mutation that runs one step of `change` per call and schedules the next.
 */
export const migration = <Table extends TableNames>(name: string, change: Change<Table>) =>
  internalMutation({
    args: { batchSize: v.optional(v.number()), restart: v.optional(v.boolean()) },
    returns: v.object({ name: v.string(), processed: v.number(), changed: v.number(), done: v.boolean() }),
    handler: (ctx, args): Promise<Status> =>
      runStep(ctx, { name, ...change, self: makeFunctionReference<"mutation", StepArgs>(`migrations:${name}`) }, args)
  })

/** A change that gives the documents stored before `field` existed its value, `valueOf` the document. */
export const fillMissing = <Table extends TableNames, Field extends keyof Doc<Table> & string>(
  table: Table,
  field: Field,
  valueOf: (doc: Doc<Table>) => NonNullable<Doc<Table>[Field]>
): Change<Table> => ({
  table,
  migrate: async (ctx, doc) => {
    if (doc[field] !== undefined) return false
    // Typed per table, `patch`'s value is a union of every table's fields, too large for the checker to compare.
    await ctx.db.patch(doc._id, { [field]: valueOf(doc) } as never)
    return true
  }
})
