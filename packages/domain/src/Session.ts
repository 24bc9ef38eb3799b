import * as Schema from "effect/Schema"
import { Figures } from "./Figures.js"
import { EpochMillis, SessionId, Source } from "./Ids.js"
import { UsageRecord } from "./Usage.js"

/** How a session began (Claude Code `SessionStart.source`: startup, resume, clear, compact; or agent-specific). */
export const StartType = Schema.String.pipe(Schema.maxLength(64))

/** Usage attributed to one UTC day and model: the unit the daily rollups are built from. */
export const UsageSlice = Schema.Struct({
  day: Schema.String,
  model: Schema.String,
  messages: Schema.Number,
  usage: UsageRecord,
  costUsd: Schema.Number,
  unpriced: Schema.Number,
  /**
   * Where the slice's usage comes from, in counted units: requests with telemetry's figures, messages or requests
   * with the transcript's (the agent's own record of each reply), and totals the agent reported (legacy plugins).
   */
  fromTelemetry: Schema.optionalWith(Schema.Number, { exact: true }),
  fromTranscript: Schema.optionalWith(Schema.Number, { exact: true }),
  fromReported: Schema.optionalWith(Schema.Number, { exact: true })
})
export type UsageSlice = typeof UsageSlice.Type

/** What is counted of tool calls: calls, failed calls, and the duration of the `timed` calls that report one. */
export const toolCounters = {
  calls: Schema.Number,
  errors: Schema.Number,
  durationMs: Schema.Number,
  timed: Schema.Number
}

/** Tool calls attributed to one UTC day and tool. */
export const ToolSlice = Schema.Struct({
  day: Schema.String,
  tool: Schema.String,
  ...toolCounters
})
export type ToolSlice = typeof ToolSlice.Type

/** Totals reported by the agent itself (legacy OpenSync plugins send absolute session totals). */
export const ReportedTotals = Schema.Struct({
  promptTokens: Schema.Number,
  completionTokens: Schema.Number,
  costUsd: Schema.NullOr(Schema.Number),
  durationMs: Schema.NullOr(Schema.Number)
})
export type ReportedTotals = typeof ReportedTotals.Type

/** A stored session with its running totals. Totals derive from `usageSlices` / `toolSlices`. */
export const Session = Schema.Struct({
  id: SessionId,
  source: Source,
  title: Schema.NullOr(Schema.String),
  projectPath: Schema.NullOr(Schema.String),
  projectName: Schema.NullOr(Schema.String),
  gitBranch: Schema.NullOr(Schema.String),
  model: Schema.NullOr(Schema.String),
  provider: Schema.NullOr(Schema.String),
  startType: Schema.NullOr(Schema.String),
  endReason: Schema.NullOr(Schema.String),
  parentSessionId: Schema.NullOr(Schema.String),
  agentVersion: Schema.NullOr(Schema.String),
  startedAt: EpochMillis,
  updatedAt: EpochMillis,
  /** The latest moment the agent recorded activity (a message, a tool call, the end); duration runs up to it. */
  lastActivityAt: EpochMillis,
  endedAt: Schema.NullOr(EpochMillis),
  durationMs: Schema.Number,
  messageCount: Schema.Number,
  toolCallCount: Schema.Number,
  toolErrorCount: Schema.Number,
  usage: UsageRecord,
  totalTokens: Schema.Number,
  costUsd: Schema.Number,
  unpricedMessages: Schema.Number,
  reported: Schema.NullOr(ReportedTotals),
  usageSlices: Schema.Array(UsageSlice),
  toolSlices: Schema.Array(ToolSlice),
  /** Where the figures come from and the agent's own figures to check them against; absent before any were kept. */
  figures: Schema.optionalWith(Figures, { exact: true })
})
export type Session = typeof Session.Type

/**
 * What usage rollups, facets and filters call the model of a session (or a reply) that names none: `/api/facets` lists
 * it, and `model=unknown` finds those sessions in `/api/sessions` as in `/api/stats`.
 */
export const unknownModel = "unknown"

/** The project label of a session: its name, else the last segment of its path, else `"(none)"`. */
export const projectOf = (session: Pick<Session, "projectName" | "projectPath">): string =>
  session.projectName ??
  session.projectPath
    ?.split(/[\\/]/)
    .filter((s) => s.length > 0)
    .pop() ??
  "(none)"
