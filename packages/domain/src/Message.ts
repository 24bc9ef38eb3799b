import * as Schema from "effect/Schema"
import { EpochMillis, MessageId, ToolCallId } from "./Ids.js"
import { Text } from "./Units.js"
import { UsageRecord } from "./Usage.js"

export const Role = Schema.Literal("user", "assistant", "system", "tool", "unknown")
export type Role = typeof Role.Type

/**
 * What a message is when it is not plain conversation (a prompt the user wrote, a reply): text the agent put in the
 * conversation itself (`notification`: a background task finished; `reminder`: a system reminder; `summary`: a
 * compaction summary; `command-output`: what a local command printed), a command the user ran (`command`, text
 * `/name args`), or a subagent's task written by its parent agent (`delegation`). Absent for plain conversation.
 */
export const Subtype = Schema.Literal("notification", "reminder", "summary", "command", "command-output", "delegation")
export type Subtype = typeof Subtype.Type

/** One ordered piece of a message. Tool parts reference a tool call; file parts carry a path, never contents. */
const nullableText = Schema.optionalWith(Schema.NullOr(Text), { default: () => null })
export const Part = Schema.Union(
  Schema.Struct({ type: Schema.Literal("text"), text: Text }),
  Schema.Struct({ type: Schema.Literal("thinking"), text: Text }),
  Schema.Struct({ type: Schema.Literal("tool"), callId: ToolCallId, name: Text }),
  Schema.Struct({ type: Schema.Literal("file"), path: Text, mime: nullableText }),
  Schema.Struct({ type: Schema.Literal("other"), name: Text, summary: nullableText })
).annotations({ identifier: "Part" })
export type Part = typeof Part.Type

/** Where a message's cost came from: priced by OpenSync's table, reported by the agent, or unknown. */
export const CostBasis = Schema.Literal("computed", "reported", "unpriced", "none")
export type CostBasis = typeof CostBasis.Type

/** A stored message. `costUsd` is the effective cost: the agent-reported one when present, else the computed one. */
export const Message = Schema.Struct({
  id: MessageId,
  sessionId: Schema.String,
  role: Role,
  subtype: Schema.optionalWith(Subtype, { exact: true }),
  text: Schema.String,
  thinking: Schema.NullOr(Schema.String),
  parts: Schema.Array(Part),
  model: Schema.NullOr(Schema.String),
  provider: Schema.NullOr(Schema.String),
  agentId: Schema.NullOr(Schema.String),
  createdAt: EpochMillis,
  completedAt: Schema.NullOr(EpochMillis),
  usage: UsageRecord,
  /** False for usage that is shown but not summed (legacy plugins send session totals separately). */
  usageCounted: Schema.Boolean,
  costUsd: Schema.Number,
  computedCostUsd: Schema.NullOr(Schema.Number),
  reportedCostUsd: Schema.NullOr(Schema.Number),
  costBasis: CostBasis,
  priceVersion: Schema.NullOr(Schema.String),
  truncated: Schema.Boolean,
  updatedAt: EpochMillis,
  /** The API request the usage came from (Claude Code `requestId`); its usage then counts through the request. */
  requestId: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true })
})
export type Message = typeof Message.Type
