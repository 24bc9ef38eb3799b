import * as Schema from "effect/Schema"
import type { ApiRequestEvent } from "./Event.js"
import { dayOf, EpochMillis } from "./Ids.js"
import type { Message } from "./Message.js"
import * as Pricing from "./Pricing.js"
import * as Usage from "./Usage.js"

/**
 * One API request of a session, as two witnesses saw it: the agent's telemetry (`api_request`, authoritative) and the
 * transcript (an assistant message carrying the request id). Each request counts once in its session's totals: with
 * the telemetry figures when there are any, else with the transcript's. Rows live in their own table (a long session
 * makes thousands), keyed by session and request id; the session keeps only aggregates (see `Figures`).
 */

/** What telemetry reported for a request. */
export const TelemetrySide = Schema.Struct({
  at: EpochMillis,
  model: Schema.String,
  usage: Usage.UsageRecord,
  reportedCostUsd: Schema.NullOr(Schema.Number),
  durationMs: Schema.NullOr(Schema.Number),
  querySource: Schema.NullOr(Schema.String),
  promptId: Schema.NullOr(Schema.String)
})
export type TelemetrySide = typeof TelemetrySide.Type

/** What the transcript had for a request: the message its usage was on. */
export const TranscriptSide = Schema.Struct({
  messageId: Schema.String,
  at: EpochMillis,
  model: Schema.NullOr(Schema.String),
  usage: Usage.UsageRecord
})
export type TranscriptSide = typeof TranscriptSide.Type

/** Where a request's counted figures come from. */
export const Basis = Schema.Literal("telemetry", "transcript")
export type Basis = typeof Basis.Type

/** A stored request: both sides, and what it counts for (derived when a side changes, stored so it can be undone). */
export const ApiRequest = Schema.Struct({
  id: Schema.String,
  sessionId: Schema.String,
  telemetry: Schema.NullOr(TelemetrySide),
  transcript: Schema.NullOr(TranscriptSide),
  basis: Basis,
  day: Schema.String,
  model: Schema.String,
  usage: Usage.UsageRecord,
  /** The effective cost: OpenSync's price of the counted usage, else the agent's reported cost, else 0 (unpriced). */
  costUsd: Schema.Number,
  computedCostUsd: Schema.NullOr(Schema.Number),
  reportedCostUsd: Schema.NullOr(Schema.Number),
  unpriced: Schema.Boolean,
  priceVersion: Schema.NullOr(Schema.String),
  updatedAt: EpochMillis
}).annotations({ identifier: "ApiRequest" })
export type ApiRequest = typeof ApiRequest.Type

/**
 * The usage telemetry reports splits cache writes only in total; when the transcript's split adds up to the same
 * total it is kept (1 h writes cost more). Without it (a request only telemetry saw: a `/compact` summary), the writes
 * are 1-hour ones when that prices the request at the cost Claude Code reported and 5-minute ones do not; else they
 * count as 5-minute writes.
 */
const telemetryUsage = (
  telemetry: TelemetrySide,
  transcript: TranscriptSide | null,
  priceOf: (usage: Usage.UsageFields) => number | undefined
): Usage.UsageFields => {
  const writes = telemetry.usage.cacheWrite5m + telemetry.usage.cacheWrite1h
  if (transcript !== null && transcript.usage.cacheWrite5m + transcript.usage.cacheWrite1h === writes) {
    return {
      ...telemetry.usage,
      cacheWrite5m: transcript.usage.cacheWrite5m,
      cacheWrite1h: transcript.usage.cacheWrite1h
    }
  }
  return splitByReportedCost(telemetry.usage, telemetry.reportedCostUsd, priceOf) ?? telemetry.usage
}

/** How far a price may be from the reported cost and still be the same (floating point, rounding to 1e-9 USD). */
const costTolerance = (usd: number) => Math.max(2e-6, usd * 1e-6)

/**
 * `usage` with all its cache writes as 1-hour writes, when `priceOf` prices that at `reported` and not the 5-minute
 * writes; else undefined (no writes, no reported cost, or no such match). Only the two whole splits are tried: a
 * mixed one can be found for any cost between their prices, so a price table that differs from Claude Code's would
 * have been taken for 1-hour writes (and the difference hidden).
 */
export const splitByReportedCost = (
  usage: Usage.UsageFields,
  reported: number | null,
  priceOf: (usage: Usage.UsageFields) => number | undefined
): Usage.UsageFields | undefined => {
  const writes = usage.cacheWrite5m + usage.cacheWrite1h
  if (writes === 0 || reported === null) return undefined
  const tolerance = costTolerance(reported)
  const short = priceOf({ ...usage, cacheWrite5m: writes, cacheWrite1h: 0 })
  const long = { ...usage, cacheWrite5m: 0, cacheWrite1h: writes }
  const longPrice = priceOf(long)
  if (short === undefined || longPrice === undefined || Math.abs(short - reported) <= tolerance) return undefined
  return Math.abs(longPrice - reported) <= tolerance ? long : undefined
}

/** A request row with its counted figures derived from its sides, priced at the rates in force at its date. */
export const settle = (
  base: {
    readonly id: string
    readonly sessionId: string
    readonly telemetry: TelemetrySide | null
    readonly transcript: TranscriptSide | null
    readonly updatedAt: number
  },
  overrides: ReadonlyArray<Pricing.Override> = []
): ApiRequest => {
  const { telemetry, transcript } = base
  const at = telemetry?.at ?? transcript?.at ?? base.updatedAt
  const model = telemetry?.model ?? transcript?.model ?? "unknown"
  const usage =
    telemetry !== null
      ? telemetryUsage(telemetry, transcript, (usage) => Pricing.price(model, usage, { at, overrides })?.usd)
      : Usage.of(transcript?.usage)
  const priced = Usage.isZero(usage) ? undefined : Pricing.price(model, usage, { at, overrides })
  const reported = telemetry?.reportedCostUsd ?? null
  // Written out, not `{ ...base, basis, … }`: V8 (Node 20) builds an object spread first and then given new properties
  // on a slow path, ~1.5 µs per property added (this row took ~20 µs, 0.2 written out: docs/benchmarks.md).
  return {
    id: base.id,
    sessionId: base.sessionId,
    telemetry,
    transcript,
    updatedAt: base.updatedAt,
    basis: telemetry !== null ? "telemetry" : "transcript",
    day: dayOf(at),
    model,
    usage,
    costUsd: Pricing.roundUsd(priced?.usd ?? reported ?? 0),
    computedCostUsd: priced?.usd ?? null,
    reportedCostUsd: reported,
    unpriced: priced === undefined && reported === null && !Usage.isZero(usage),
    priceVersion: priced?.priceVersion ?? null
  }
}

/** The telemetry side of an `api_request` event. */
export const telemetryOf = (event: ApiRequestEvent): TelemetrySide => ({
  at: event.at,
  model: event.model,
  usage: Usage.of(event.usage),
  reportedCostUsd: event.reportedCostUsd ?? null,
  durationMs: event.durationMs ?? null,
  querySource: event.querySource ?? null,
  promptId: event.promptId ?? null
})

/** The transcript side a stored message gives its request, or null when it names none (or its usage is not counted). */
export const transcriptOf = (message: Message): TranscriptSide | null =>
  message.requestId === undefined || message.requestId === null || !message.usageCounted
    ? null
    : { messageId: message.id, at: message.createdAt, model: message.model, usage: message.usage }

/** Applies a telemetry report to a request (a newer report of the same request replaces an older one). */
export const applyTelemetry = (
  existing: ApiRequest | null,
  event: ApiRequestEvent,
  overrides: ReadonlyArray<Pricing.Override> = []
): ApiRequest | null => {
  if (existing?.telemetry != null && event.at < existing.telemetry.at) return null
  return settle(
    {
      id: event.requestId,
      sessionId: event.sessionId,
      telemetry: telemetryOf(event),
      transcript: existing?.transcript ?? null,
      updatedAt: Math.max(existing?.updatedAt ?? 0, event.at)
    },
    overrides
  )
}

/** Sets (or, with null, clears) the transcript side of a request; null when nothing is left of the request. */
export const applyTranscript = (
  existing: ApiRequest | null,
  id: string,
  sessionId: string,
  transcript: TranscriptSide | null,
  at: number,
  overrides: ReadonlyArray<Pricing.Override> = []
): ApiRequest | null => {
  const telemetry = existing?.telemetry ?? null
  if (telemetry === null && transcript === null) return null
  return settle({ id, sessionId, telemetry, transcript, updatedAt: Math.max(existing?.updatedAt ?? 0, at) }, overrides)
}
