import type { Bucket, Facet, Facets, Stats, ToolStats, Totals } from "./Api.js"
import { dayOf } from "./Ids.js"
import { maxFacetValues } from "./Limits.js"
import * as Pricing from "./Pricing.js"
import { isZeroTools, isZeroUsage, type ToolRow, type UsageRow } from "./Rollup.js"

/** Turns rollup rows into the `/api/stats` answer; both backends feed it the rows of the requested range. */

const emptyTotals = (): { -readonly [K in keyof Totals]: Totals[K] } => ({
  sessions: 0,
  messages: 0,
  durationMs: 0,
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  reasoning: 0,
  totalTokens: 0,
  costUsd: 0,
  unpriced: 0
})

const addRow = (totals: ReturnType<typeof emptyTotals>, row: UsageRow) => {
  totals.sessions += row.sessions
  totals.messages += row.messages
  totals.durationMs += row.durationMs
  totals.input += row.input
  totals.output += row.output
  totals.cacheRead += row.cacheRead
  totals.cacheWrite5m += row.cacheWrite5m
  totals.cacheWrite1h += row.cacheWrite1h
  totals.reasoning += row.reasoning
  totals.totalTokens += row.input + row.output + row.cacheRead + row.cacheWrite5m + row.cacheWrite1h + row.reasoning
  totals.costUsd = Pricing.roundUsd(totals.costUsd + row.costUsd)
  totals.unpriced += row.unpriced
}

/** The period a UTC day falls in: the day itself, the Monday starting its ISO week, or its month (`YYYY-MM`). */
export const periodOf = (day: string, bucket: Bucket): string => {
  if (bucket === "day") return day
  if (bucket === "month") return day.slice(0, 7)
  const date = new Date(`${day}T00:00:00Z`)
  const weekday = (date.getUTCDay() + 6) % 7
  return new Date(date.getTime() - weekday * 86_400_000).toISOString().slice(0, 10)
}

const byKey = <K extends string>(
  rows: ReadonlyArray<UsageRow>,
  key: (row: UsageRow) => string,
  name: K
): Array<{ [P in K]: string } & Totals> => {
  const groups = new Map<string, ReturnType<typeof emptyTotals>>()
  for (const row of rows) {
    const k = key(row)
    const totals = groups.get(k) ?? emptyTotals()
    groups.set(k, totals)
    addRow(totals, row)
  }
  return [...groups.entries()]
    .map(([k, totals]) => ({ [name]: k, ...totals }) as { [P in K]: string } & Totals)
    .sort((a, b) => b.costUsd - a.costUsd || b.totalTokens - a.totalTokens || b.sessions - a.sessions)
}

/** The range a stats request covers: epoch-ms bounds, the UTC days they fall on, and the bucket. */
export interface Range {
  readonly from: number
  readonly to: number
  readonly firstDay: string
  readonly lastDay: string
  readonly bucket: Bucket
}

/** Stats cover the last 30 days when no `from` is given. */
export const defaultSpanMs = 30 * 86_400_000

/** The range of a stats request (`to` defaults to now, `from` to 30 days before `to`), or why it is invalid. */
export const rangeOf = (
  params: { readonly from?: number | undefined; readonly to?: number | undefined; readonly bucket: Bucket },
  now: number
): Range | string => {
  if (params.from !== undefined && params.to !== undefined && params.from > params.to) {
    return "from must not be after to"
  }
  const to = params.to ?? now
  const from = params.from ?? Math.max(0, to - defaultSpanMs)
  return { from, to, firstDay: dayOf(from), lastDay: dayOf(to), bucket: params.bucket }
}

/** Builds the stats answer for a range from its usage and tool rollup rows. */
export const fromRows = (
  range: { readonly from: number; readonly to: number; readonly bucket: Bucket },
  allUsageRows: ReadonlyArray<UsageRow>,
  allToolRows: ReadonlyArray<ToolRow>,
  /** Rows already grouped by project (backends that group in their query); by default taken from `allUsageRows`. */
  projectRows?: ReadonlyArray<UsageRow>
): Stats => {
  const usageRows = allUsageRows.filter((row) => !isZeroUsage(row))
  const toolRows = allToolRows.filter((row) => !isZeroTools(row))
  const totals = emptyTotals()
  for (const row of usageRows) addRow(totals, row)
  const series = new Map<string, { period: string; source: string; model: string } & ReturnType<typeof emptyTotals>>()
  for (const row of usageRows) {
    const period = periodOf(row.day, range.bucket)
    const key = `${period}\u0000${row.source}\u0000${row.model}`
    const entry = series.get(key) ?? { period, source: row.source, model: row.model, ...emptyTotals() }
    series.set(key, entry)
    addRow(entry, row)
  }
  const tools = new Map<string, { calls: number; errors: number; durationMs: number; timed: number }>()
  const toolSeries = new Map<string, { period: string; tool: string; calls: number; errors: number }>()
  for (const row of toolRows) {
    const tool = tools.get(row.tool) ?? { calls: 0, errors: 0, durationMs: 0, timed: 0 }
    tool.calls += row.calls
    tool.errors += row.errors
    tool.durationMs += row.durationMs
    tool.timed += row.timed
    tools.set(row.tool, tool)
    const period = periodOf(row.day, range.bucket)
    const key = `${period}\u0000${row.tool}`
    const point = toolSeries.get(key) ?? { period, tool: row.tool, calls: 0, errors: 0 }
    point.calls += row.calls
    point.errors += row.errors
    toolSeries.set(key, point)
  }
  const toolStats: Array<ToolStats> = [...tools.entries()]
    .map(([tool, t]) => ({
      tool,
      calls: t.calls,
      errors: t.errors,
      failureRate: t.calls === 0 ? 0 : t.errors / t.calls,
      totalDurationMs: t.durationMs,
      avgDurationMs: t.timed === 0 ? null : t.durationMs / t.timed
    }))
    .filter((t) => t.calls > 0)
    .sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool))
  const provenance = { fromTelemetry: 0, fromTranscript: 0, fromReported: 0 }
  for (const row of usageRows) {
    provenance.fromTelemetry += row.fromTelemetry ?? 0
    provenance.fromTranscript += row.fromTranscript ?? 0
    provenance.fromReported += row.fromReported ?? 0
  }
  return {
    from: range.from,
    to: range.to,
    bucket: range.bucket,
    totals,
    provenance,
    series: [...series.values()].sort(
      (a, b) => a.period.localeCompare(b.period) || a.source.localeCompare(b.source) || a.model.localeCompare(b.model)
    ),
    bySource: byKey(usageRows, (row) => row.source, "source"),
    byModel: byKey(usageRows, (row) => row.model, "model"),
    byProject: byKey(
      projectRows === undefined ? usageRows : projectRows.filter((row) => !isZeroUsage(row)),
      (row) => row.project,
      "project"
    ),
    tools: toolStats,
    toolSeries: [...toolSeries.values()].sort(
      (a, b) => a.period.localeCompare(b.period) || a.tool.localeCompare(b.tool)
    )
  }
}

/** Most sessions first, then by value (code units, the same on every backend). */
const byCount = (a: Facet, b: Facet) => b.sessions - a.sessions || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)

/**
 * The filter values of `GET /api/facets` from usage rollup rows of all time: sources and models from rows with the
 * project summed out, projects from rows with the model summed out (rows may be pre-grouped by the backend; only
 * `source`, `model`, `project` and the values are read). A value is listed when one of its rows is not zero.
 */
export const facets = (
  modelRows: ReadonlyArray<UsageRow>,
  projectRows: ReadonlyArray<UsageRow>,
  max: number = maxFacetValues
): Facets => {
  const count = (rows: ReadonlyArray<UsageRow>, key: (row: UsageRow) => string) => {
    const out = new Map<string, number>()
    for (const row of rows) {
      if (isZeroUsage(row)) continue
      out.set(key(row), (out.get(key(row)) ?? 0) + row.sessions)
    }
    return [...out].map(([value, sessions]) => ({ value, sessions })).sort(byCount)
  }
  const lists = [
    count(modelRows, (row) => row.source),
    count(projectRows, (row) => row.project),
    count(modelRows, (row) => row.model)
  ]
  return {
    sources: lists[0]!.slice(0, max),
    projects: lists[1]!.slice(0, max),
    models: lists[2]!.slice(0, max),
    truncated: lists.some((list) => list.length > max)
  }
}
