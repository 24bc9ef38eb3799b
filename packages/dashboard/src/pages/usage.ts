import type { Stats } from "@opensync/domain/Api"
import type { Layer } from "../components/Chart.js"

/** Turns the stats series into chart layers: periods on x, one layer per source or model (top 7 + "other"). */

export type Metric = "tokens" | "cost"
export type Split = "source" | "model"

/** Epoch seconds of a period (`YYYY-MM-DD` or `YYYY-MM`, UTC). */
export const periodStart = (period: string) =>
  Date.UTC(
    Number(period.slice(0, 4)),
    Number(period.slice(5, 7)) - 1,
    period.length > 7 ? Number(period.slice(8, 10)) : 1
  ) / 1000

/** Every period from `from` to `to`, so days without activity show as gaps rather than disappearing. */
export const periods = (from: number, to: number, bucket: Stats["bucket"]): Array<string> => {
  const out: Array<string> = []
  const start = new Date(from)
  let d = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), bucket === "month" ? 1 : start.getUTCDate())
  if (bucket === "week") d -= ((new Date(d).getUTCDay() + 6) % 7) * 86_400_000
  for (let guard = 0; d <= to && guard < 1000; guard++) {
    out.push(new Date(d).toISOString().slice(0, bucket === "month" ? 7 : 10))
    const next = new Date(d)
    if (bucket === "day") next.setUTCDate(next.getUTCDate() + 1)
    else if (bucket === "week") next.setUTCDate(next.getUTCDate() + 7)
    else next.setUTCMonth(next.getUTCMonth() + 1)
    d = next.getTime()
  }
  return out
}

export const layers = (stats: Stats, metric: Metric, split: Split, label: (key: string) => string) => {
  const axis = periods(stats.from, stats.to, stats.bucket)
  const index = new Map(axis.map((p, i) => [p, i]))
  const value = (row: Stats["series"][number]) => (metric === "cost" ? row.costUsd : row.totalTokens)
  const totals = new Map<string, number>()
  for (const row of stats.series) totals.set(row[split], (totals.get(row[split]) ?? 0) + value(row))
  const ranked = [...totals.entries()].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1])
  const top = ranked.slice(0, 7).map(([k]) => k)
  const keys = ranked.length > 7 ? [...top, "other"] : top
  const rows = new Map(keys.map((k) => [k, axis.map(() => 0)]))
  for (const row of stats.series) {
    const key = top.includes(row[split]) ? row[split] : "other"
    const i = index.get(row.period)
    const values = rows.get(key)
    if (i !== undefined && values !== undefined) values[i] += value(row)
  }
  const result: Array<Layer> = keys.map((k) => ({ label: k === "other" ? "Other" : label(k), values: rows.get(k)! }))
  return { x: axis.map(periodStart), layers: result }
}
