import * as Schema from "effect/Schema"
import { dayOf } from "./Ids.js"
import { effectiveUsageSlices } from "./Ingest.js"
import * as Pricing from "./Pricing.js"
import type { Session } from "./Session.js"
import { projectOf, toolCounters } from "./Session.js"
import * as Usage from "./Usage.js"

/** One row of the daily usage rollup: per user × day × source × model × project. */
export const UsageRow = Schema.Struct({
  day: Schema.String,
  source: Schema.String,
  model: Schema.String,
  project: Schema.String,
  sessions: Schema.Number,
  messages: Schema.Number,
  durationMs: Schema.Number,
  ...Usage.UsageRecord.fields,
  costUsd: Schema.Number,
  unpriced: Schema.Number,
  /**
   * Where the row's figures come from, in counted units (see `Session.UsageSlice`): requests counted with the
   * agent's telemetry, messages or requests with the transcript's figures, totals the agent reported.
   */
  fromTelemetry: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  fromTranscript: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  fromReported: Schema.optionalWith(Schema.Number, { default: () => 0 })
})
export type UsageRow = typeof UsageRow.Type

/** One row of the daily tool rollup: per user × day × source × project × tool. */
export const ToolRow = Schema.Struct({
  day: Schema.String,
  source: Schema.String,
  project: Schema.String,
  tool: Schema.String,
  ...toolCounters
})
export type ToolRow = typeof ToolRow.Type

export const usageKey = (row: Pick<UsageRow, "day" | "source" | "model" | "project">): string =>
  `${row.day}\u0000${row.source}\u0000${row.model}\u0000${row.project}`
export const toolKey = (row: Pick<ToolRow, "day" | "source" | "project" | "tool">): string =>
  `${row.day}\u0000${row.source}\u0000${row.project}\u0000${row.tool}`

/** The counters of a usage row (what its key sums), in column order. */
export const usageValueFields = [
  "sessions",
  "messages",
  "durationMs",
  ...Usage.fields,
  "costUsd",
  "unpriced",
  "fromTelemetry",
  "fromTranscript",
  "fromReported"
] as const
/** The counters of a tool row. */
export const toolValueFields = ["calls", "errors", "durationMs", "timed"] as const

/** What a session adds to the usage rollup. The session itself counts once, on its first day, under its model. */
export const usageContribution = (session: Session): ReadonlyArray<UsageRow> => {
  const project = projectOf(session)
  const rows = new Map<string, UsageRow>()
  const add = (row: UsageRow) => {
    const key = usageKey(row)
    const current = rows.get(key)
    rows.set(key, current === undefined ? row : sumUsageRows(current, row, 1))
  }
  for (const slice of effectiveUsageSlices(session)) {
    add({
      day: slice.day,
      source: session.source,
      model: slice.model === "unknown" ? (session.model ?? "unknown") : slice.model,
      project,
      sessions: 0,
      messages: slice.messages,
      durationMs: 0,
      ...slice.usage,
      costUsd: slice.costUsd,
      unpriced: slice.unpriced,
      fromTelemetry: slice.fromTelemetry ?? 0,
      fromTranscript: slice.fromTranscript ?? 0,
      fromReported: slice.fromReported ?? 0
    })
  }
  add({
    ...emptyUsageRow,
    day: dayOf(session.startedAt),
    source: session.source,
    model: session.model ?? session.usageSlices[0]?.model ?? "unknown",
    project,
    sessions: 1,
    durationMs: session.durationMs
  })
  return [...rows.values()]
}

/** What a session adds to the tool rollup. */
export const toolContribution = (session: Session): ReadonlyArray<ToolRow> => {
  const project = projectOf(session)
  return session.toolSlices.map((slice) => ({ source: session.source, project, ...slice }))
}

const zeroUsageValues = {
  sessions: 0,
  messages: 0,
  durationMs: 0,
  ...Usage.zero,
  costUsd: 0,
  unpriced: 0,
  fromTelemetry: 0,
  fromTranscript: 0,
  fromReported: 0
}

const emptyUsageRow: UsageRow = { day: "", source: "", model: "", project: "", ...zeroUsageValues }

const sumUsageRows = (a: UsageRow, b: UsageRow, sign: 1 | -1): UsageRow => {
  const out: { -readonly [K in keyof UsageRow]: UsageRow[K] } = { ...a }
  for (const field of usageValueFields) out[field] = (a[field] ?? 0) + sign * (b[field] ?? 0)
  out.costUsd = Pricing.roundUsd(out.costUsd)
  return out
}

const sumToolRows = (a: ToolRow, b: ToolRow, sign: 1 | -1): ToolRow => {
  const out: { -readonly [K in keyof ToolRow]: ToolRow[K] } = { ...a }
  for (const field of toolValueFields) out[field] = a[field] + sign * b[field]
  return out
}

/** The increments to apply to the rollups when a session changes from `before` to `after` (either may be null). */
export const delta = (
  before: Session | null,
  after: Session | null
): { readonly usage: ReadonlyArray<UsageRow>; readonly tools: ReadonlyArray<ToolRow> } => {
  const usage = new Map<string, UsageRow>()
  for (const row of after === null ? [] : usageContribution(after)) usage.set(usageKey(row), row)
  for (const row of before === null ? [] : usageContribution(before)) {
    const key = usageKey(row)
    const current = usage.get(key)
    usage.set(key, sumUsageRows(current ?? { ...row, ...zeroUsageValues }, row, -1))
  }
  const tools = new Map<string, ToolRow>()
  for (const row of after === null ? [] : toolContribution(after)) tools.set(toolKey(row), row)
  for (const row of before === null ? [] : toolContribution(before)) {
    const key = toolKey(row)
    const current = tools.get(key)
    tools.set(key, sumToolRows(current ?? { ...row, calls: 0, errors: 0, durationMs: 0, timed: 0 }, row, -1))
  }
  return {
    usage: [...usage.values()].filter((row) => !isZeroUsage(row)),
    tools: [...tools.values()].filter((row) => !isZeroTools(row))
  }
}

/**
 * True when a usage row adds up to nothing (cost within rounding): the one test of "zero" every backend uses, to skip
 * empty increments, to delete emptied rollup rows and to leave empty rows out of stats.
 */
export const isZeroUsage = (row: UsageRow): boolean =>
  usageValueFields.every((field) => (field === "costUsd" ? Math.abs(row.costUsd) < 1e-9 : (row[field] ?? 0) === 0))

/** True when a tool row adds up to nothing. */
export const isZeroTools = (row: ToolRow): boolean => toolValueFields.every((field) => row[field] === 0)

/** Adds two usage rows of the same key. */
export const sumUsage = (a: UsageRow, b: UsageRow): UsageRow => sumUsageRows(a, b, 1)

/** Adds two tool rows of the same key. */
export const sumTools = (a: ToolRow, b: ToolRow): ToolRow => sumToolRows(a, b, 1)
