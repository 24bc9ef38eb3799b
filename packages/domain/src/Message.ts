import * as Schema from "effect/Schema"
import { EpochMillis, MessageId, ToolCallId } from "./Ids.js"
import { Text } from "./Units.js"
import { UsageRecord } from "./Usage.js"

export const Role = Schema.Literal("user", "assistant", "system", "tool", "unknown")
export type Role = typeof Role.Type

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
  updatedAt: EpochMillis
})
export type Message = typeof Message.Type
