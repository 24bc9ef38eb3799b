import * as Schema from "effect/Schema"
import type { ActiveTimeEvent, CostStateEvent } from "./Event.js"
import { EpochMillis } from "./Ids.js"
import type { ApiRequest } from "./Request.js"
import * as Usage from "./Usage.js"

/**
 * Where a session's figures come from, and the agent's own figures to check them against: how many requests counted
 * from telemetry (and how many of those the transcript also had), how many from the transcript alone, the usage of
 * requests only telemetry saw (compaction, titles, background calls) by `query_source`, the agent's reported cost
 * next to OpenSync's, the latest `cost-state`, and the active time. All bounded: per-request rows live elsewhere.
 */

/** Requests only telemetry saw, grouped by what made them (`query_source`). */
export const Background = Schema.Struct({
  querySource: Schema.String,
  requests: Schema.Number,
  usage: Usage.UsageRecord,
  costUsd: Schema.Number,
  reportedCostUsd: Schema.Number
})
export type Background = typeof Background.Type

/** The agent's own cumulative figures (Claude Code `cost-state`), the latest one seen. */
export const CostState = Schema.Struct({
  at: EpochMillis,
  totalCostUsd: Schema.Number,
  models: Schema.Array(Schema.Struct({ model: Schema.String, usage: Usage.UsageRecord, costUsd: Schema.Number })),
  hasUnknownModelCost: Schema.Boolean
})
export type CostState = typeof CostState.Type

/** Active time from telemetry: delta points summed by type, cumulative streams by start and type (latest value). */
export const ActiveTime = Schema.Struct({
  deltas: Schema.Array(Schema.Struct({ type: Schema.String, seconds: Schema.Number })),
  streams: Schema.Array(
    Schema.Struct({ type: Schema.String, startAt: Schema.Number, at: Schema.Number, seconds: Schema.Number })
  )
})
export type ActiveTime = typeof ActiveTime.Type

/** Rounds to 1e-9 USD like `Pricing.roundUsd` (not imported: the dashboard loads this module without the price data). */
const roundUsd = (usd: number): number => Math.round(usd * 1e9) / 1e9

export const Figures = Schema.Struct({
  /** Requests counted with telemetry's figures; `matchedRequests` of them were in the transcript too. */
  telemetryRequests: Schema.Number,
  matchedRequests: Schema.Number,
  /** Requests (with a request id) counted with the transcript's figures: telemetry never reported them. */
  transcriptRequests: Schema.Number,
  /**
   * Over the telemetry-counted requests that both priced (the agent reported a cost and OpenSync's price data knows
   * the model): the agent's reported cost and OpenSync's price of the same usage. A stale price table shows here.
   */
  reportedCostUsd: Schema.Number,
  computedCostUsd: Schema.Number,
  /** Telemetry-counted requests left out of that comparison (one of the two costs is missing). */
  uncomparedRequests: Schema.Number,
  background: Schema.Array(Background),
  costState: Schema.NullOr(CostState),
  activeTime: Schema.NullOr(ActiveTime),
  /** When telemetry about this session was last recorded by the agent (its own clock). */
  lastTelemetryAt: Schema.NullOr(EpochMillis)
}).annotations({ identifier: "Figures" })
export type Figures = typeof Figures.Type

export const empty: Figures = {
  telemetryRequests: 0,
  matchedRequests: 0,
  transcriptRequests: 0,
  reportedCostUsd: 0,
  computedCostUsd: 0,
  uncomparedRequests: 0,
  background: [],
  costState: null,
  activeTime: null,
  lastTelemetryAt: null
}

/** Most `query_source` groups kept, `other` included: the rest add up under `other`. */
export const maxBackgroundGroups = 32
/** Most cumulative active-time streams kept; the oldest fold into the delta sums. */
export const maxStreams = 64

const addBackground = (list: ReadonlyArray<Background>, entry: Background, sign: 1 | -1): ReadonlyArray<Background> => {
  // A source without a group of its own goes to `other` once the named groups are full (a removal too: it finds
  // the group its request was added to, unless that source got a group of its own since, which only shifts the split).
  let key = entry.querySource
  const named = list.filter((b) => b.querySource !== "other").length
  if (!list.some((b) => b.querySource === key) && named >= maxBackgroundGroups - 1) key = "other"
  const index = list.findIndex((b) => b.querySource === key)
  const current =
    index >= 0
      ? list[index]!
      : { ...entry, querySource: key, requests: 0, usage: Usage.zero, costUsd: 0, reportedCostUsd: 0 }
  const merged: Background = {
    querySource: key,
    requests: current.requests + sign * entry.requests,
    usage: Usage.add(current.usage, Usage.scale(entry.usage, sign)),
    costUsd: roundUsd(current.costUsd + sign * entry.costUsd),
    reportedCostUsd: roundUsd(current.reportedCostUsd + sign * entry.reportedCostUsd)
  }
  const rest = list.filter((_, i) => i !== index)
  return merged.requests === 0 ? rest : [...rest, merged].sort((a, b) => (a.querySource < b.querySource ? -1 : 1))
}

/** Adds (or, with -1, removes) what one stored request counts for in its session's figures. */
export const addRequest = (figures: Figures, request: ApiRequest, sign: 1 | -1): Figures => {
  const telemetry = request.telemetry
  if (telemetry === null) {
    return { ...figures, transcriptRequests: figures.transcriptRequests + sign }
  }
  const reported = telemetry.reportedCostUsd ?? 0
  const compared = telemetry.reportedCostUsd !== null && request.computedCostUsd !== null
  return {
    ...figures,
    telemetryRequests: figures.telemetryRequests + sign,
    matchedRequests: figures.matchedRequests + (request.transcript === null ? 0 : sign),
    reportedCostUsd: compared ? roundUsd(figures.reportedCostUsd + sign * reported) : figures.reportedCostUsd,
    computedCostUsd: compared
      ? roundUsd(figures.computedCostUsd + sign * (request.computedCostUsd ?? 0))
      : figures.computedCostUsd,
    uncomparedRequests: figures.uncomparedRequests + (compared ? 0 : sign),
    background:
      request.transcript === null
        ? addBackground(
            figures.background,
            {
              querySource: telemetry.querySource ?? "unknown",
              requests: 1,
              usage: request.usage,
              costUsd: request.costUsd,
              reportedCostUsd: reported
            },
            sign
          )
        : figures.background,
    lastTelemetryAt: Math.max(figures.lastTelemetryAt ?? 0, telemetry.at)
  }
}

/** Keeps the latest `cost-state` (by the agent's clock). */
export const applyCostState = (figures: Figures, event: CostStateEvent): Figures => {
  if (figures.costState !== null && event.at < figures.costState.at) return figures
  return {
    ...figures,
    costState: {
      at: event.at,
      totalCostUsd: event.totalCostUsd,
      models: event.models.map((m) => ({ model: m.model, usage: Usage.of(m.usage), costUsd: m.costUsd })),
      hasUnknownModelCost: event.hasUnknownModelCost
    }
  }
}

/** Adds one active-time data point: a delta adds to its type's sum, a cumulative point replaces its stream's value. */
export const applyActiveTime = (figures: Figures, event: ActiveTimeEvent): Figures => {
  const current = figures.activeTime ?? { deltas: [], streams: [] }
  let deltas = current.deltas
  let streams = current.streams
  const addDelta = (type: string, seconds: number) => {
    const found = deltas.find((d) => d.type === type)
    deltas = found
      ? deltas.map((d) => (d.type === type ? { type, seconds: d.seconds + seconds } : d))
      : [...deltas, { type, seconds }]
  }
  if (!event.cumulative) addDelta(event.type, event.seconds)
  else {
    const found = streams.find((s) => s.type === event.type && s.startAt === event.startAt)
    if (found !== undefined && found.at > event.at) return { ...figures, lastTelemetryAt: latest(figures, event.at) }
    streams = [
      ...streams.filter((s) => s !== found),
      { type: event.type, startAt: event.startAt, at: event.at, seconds: event.seconds }
    ].sort((a, b) => a.at - b.at)
    while (streams.length > maxStreams) {
      const [oldest, ...rest] = streams
      addDelta(oldest!.type, oldest!.seconds)
      streams = rest
    }
  }
  return { ...figures, activeTime: { deltas, streams }, lastTelemetryAt: latest(figures, event.at) }
}

const latest = (figures: Figures, at: number) => Math.max(figures.lastTelemetryAt ?? 0, at)

/** Notes that telemetry about the session was recorded at `at` (a tool result, say). */
export const touch = (figures: Figures, at: number): Figures => ({ ...figures, lastTelemetryAt: latest(figures, at) })

/** Total active time in milliseconds, or null when telemetry sent none. */
export const activeMs = (figures: Figures | undefined): number | null => {
  const active = figures?.activeTime
  if (active === null || active === undefined) return null
  let seconds = 0
  for (const d of active.deltas) seconds += d.seconds
  for (const s of active.streams) seconds += s.seconds
  return Math.round(seconds * 1000)
}

/** The usage a `cost-state` reports, summed over its models. */
export const costStateUsage = (state: CostState): Usage.UsageFields =>
  state.models.reduce((sum, m) => Usage.add(sum, m.usage), Usage.zero)

/** Costs further apart than this (USD) are shown side by side: more than float and per-request rounding. */
export const costTolerance = (requests: number): number => 0.000_001 * Math.max(1, requests) + 0.000_01

/** True when the agent's reported cost and OpenSync's price of the same requests differ beyond rounding. */
export const costsDiffer = (figures: Figures): boolean =>
  figures.telemetryRequests > figures.uncomparedRequests &&
  Math.abs(figures.reportedCostUsd - figures.computedCostUsd) >
    costTolerance(figures.telemetryRequests - figures.uncomparedRequests)
