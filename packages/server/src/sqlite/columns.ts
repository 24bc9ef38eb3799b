import type { Api, Message, Rollup, Session, ToolCall } from "@opensync/domain"

/**
 * Column of each sort field, for keyset pagination. Every one is in `sessions_by_updated` with the filter columns
 * (migration 10): `updated_at` is its order, the others are read from it whole and sorted.
 */
export const sortColumns: Record<Api.SortField, string> = {
  updatedAt: "updated_at",
  startedAt: "started_at",
  costUsd: "cost_usd",
  totalTokens: "total_tokens",
  messageCount: "message_count",
  durationMs: "duration_ms"
}

export { decode as decodeCursor, encode as encodeCursor } from "@opensync/backend/Cursor"

/** Rows keep each record as JSON in `data`; the other columns are what the indexes need. */
export const parseSession = (data: string): Session.Session => JSON.parse(data)
export const parseMessage = (data: string): Message.Message => JSON.parse(data)
export const parseToolCall = (data: string): ToolCall.ToolCall => JSON.parse(data)

/** A session as listed: everything but the per-day slices the rollups are built from. */
export const summary = (session: Session.Session): Api.SessionSummary => {
  const { toolSlices: _t, usageSlices: _u, ...rest } = session
  return rest
}

/** Splits `items` into chunks of at most `size`. */
export const chunk = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Rows per multi-row statement. SQLite binds at most 32,766 parameters per statement (16 columns x 1,000 = 16,000), so
 * a batch of up to 1,000 events is written with one statement per table.
 */
export const rowsPerStatement = 1_000

/** A usage rollup table's row as SQLite returns it. */
export interface UsageColumns {
  readonly day: string
  readonly source: string
  readonly model: string
  readonly project: string
  readonly sessions: number
  readonly messages: number
  readonly duration_ms: number
  readonly input: number
  readonly output: number
  readonly cache_read: number
  readonly cache_write_5m: number
  readonly cache_write_1h: number
  readonly reasoning: number
  readonly cost_usd: number
  readonly unpriced: number
  readonly from_telemetry: number
  readonly from_transcript: number
  readonly from_reported: number
}

export const usageRowOf = (row: UsageColumns): Rollup.UsageRow => ({
  day: row.day,
  source: row.source,
  model: row.model,
  project: row.project,
  sessions: row.sessions,
  messages: row.messages,
  durationMs: row.duration_ms,
  input: row.input,
  output: row.output,
  cacheRead: row.cache_read,
  cacheWrite5m: row.cache_write_5m,
  cacheWrite1h: row.cache_write_1h,
  reasoning: row.reasoning,
  costUsd: row.cost_usd,
  unpriced: row.unpriced,
  fromTelemetry: row.from_telemetry ?? 0,
  fromTranscript: row.from_transcript ?? 0,
  fromReported: row.from_reported ?? 0
})
