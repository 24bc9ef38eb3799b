import * as Schema from "effect/Schema"
import { EpochMillis, EventId, MessageId, SessionId, Source, ToolCallId } from "./Ids.js"
import { canonicalJson, digest } from "./internal/hash.js"
import { Part, Role, Subtype } from "./Message.js"
import { ToolInput, ToolOutput, ToolStatus } from "./ToolCall.js"
import { CostUsd, DurationMs, Text, Tokens } from "./Units.js"
import { UsageInput } from "./Usage.js"

const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

const common = {
  id: EventId,
  source: Source,
  sessionId: SessionId,
  /** When this happened on the agent's machine (epoch ms). */
  at: EpochMillis
}

/**
 * Session metadata, merged field by field: an absent field leaves the stored value alone, `null` clears it.
 * Sent on session start, on metadata changes and on session end (`endReason`, `endedAt`).
 */
export const SessionEvent = Schema.Struct({
  kind: Schema.Literal("session"),
  ...common,
  title: optionalNullable(Text),
  projectPath: optionalNullable(Text),
  projectName: optionalNullable(Text),
  gitBranch: optionalNullable(Text),
  model: optionalNullable(Text),
  provider: optionalNullable(Text),
  startType: optionalNullable(Text),
  endReason: optionalNullable(Text),
  parentSessionId: optionalNullable(Text),
  agentVersion: optionalNullable(Text),
  startedAt: Schema.optional(EpochMillis),
  endedAt: optionalNullable(EpochMillis),
  /** Absolute totals reported by the agent (legacy protocol); a zero field means "unchanged". */
  reported: Schema.optional(
    Schema.Struct({
      promptTokens: Schema.optionalWith(Tokens, { default: () => 0 }),
      completionTokens: Schema.optionalWith(Tokens, { default: () => 0 }),
      costUsd: optionalNullable(CostUsd),
      durationMs: optionalNullable(DurationMs)
    })
  )
}).annotations({ identifier: "SessionEvent" })
export type SessionEvent = typeof SessionEvent.Type

/** The whole current state of one message; a later copy of the same message replaces the earlier one. */
export const MessageEvent = Schema.Struct({
  kind: Schema.Literal("message"),
  ...common,
  messageId: MessageId,
  role: Role,
  /** What the message is when it is not plain conversation (see `Message.Subtype`); absent for prompts and replies. */
  subtype: Schema.optionalWith(Subtype, { exact: true }),
  text: Schema.optionalWith(Text, { default: () => "" }),
  thinking: Schema.optionalWith(Schema.NullOr(Text), { default: () => null }),
  parts: Schema.optionalWith(Schema.Array(Part), { default: () => [] }),
  model: optionalNullable(Text),
  provider: optionalNullable(Text),
  agentId: optionalNullable(Text),
  createdAt: EpochMillis,
  completedAt: optionalNullable(EpochMillis),
  usage: Schema.optional(UsageInput),
  /** A cost the agent computed itself (OpenCode does); kept and labelled as reported. */
  reportedCostUsd: optionalNullable(CostUsd),
  /** False when the usage is informational and session totals come from elsewhere (legacy plugins). */
  countUsage: Schema.optionalWith(Schema.Boolean, { default: () => true })
}).annotations({ identifier: "MessageEvent" })
export type MessageEvent = typeof MessageEvent.Type

/** The current state of one tool call; final states (`completed`, `error`) are never replaced by earlier ones. */
export const ToolCallEvent = Schema.Struct({
  kind: Schema.Literal("tool_call"),
  ...common,
  callId: ToolCallId,
  messageId: optionalNullable(MessageId),
  name: Text.pipe(Schema.minLength(1), Schema.maxLength(256)),
  status: ToolStatus,
  startedAt: EpochMillis,
  durationMs: optionalNullable(DurationMs),
  input: Schema.optionalWith(ToolInput, { default: () => ({ summary: null, paths: [], bytes: 0 }) }),
  output: Schema.optionalWith(ToolOutput, { default: () => ({ bytes: 0, exitCode: null, error: null }) }),
  agentId: optionalNullable(Text)
}).annotations({ identifier: "ToolCallEvent" })
export type ToolCallEvent = typeof ToolCallEvent.Type

/** What the plugins send: one of the event kinds, discriminated by `kind`. */
export const Event = Schema.Union(SessionEvent, MessageEvent, ToolCallEvent).annotations({ identifier: "Event" })
export type Event = typeof Event.Type
export type EventEncoded = typeof Event.Encoded

export const kinds = ["session", "message", "tool_call"] as const

type WithoutId<E> = E extends unknown ? Omit<E, "id"> : never

/**
 * The deterministic id of an event: a digest of its content, so the same event sent twice (or by a retry, or by both
 * a live hook and a later import) is recognised as a duplicate, while a changed message gets a new id.
 */
export const makeId = (event: WithoutId<EventEncoded>): EventId => EventId.make(`evt_${digest(canonicalJson(event))}`)

/** Builds an encoded event with its deterministic id. */
export const make = <E extends WithoutId<EventEncoded>>(event: E): E & { readonly id: string } => ({
  ...event,
  id: makeId(event)
})

/** Where an event is decoded one by one: the batch protocol rejects bad events individually. */
export const decodeUnknown = Schema.decodeUnknownEither(Event, { errors: "first", onExcessProperty: "ignore" })
