import * as Schema from "effect/Schema"
import { EpochMillis, EventId, MessageId, RequestId, SessionId, Source, ToolCallId } from "./Ids.js"
import { digestOfJson } from "./internal/hash.js"
import { Part, Role, Subtype } from "./Message.js"
import { ToolInput, ToolOutput, ToolStatus } from "./ToolCall.js"
import { CostUsd, DurationMs, maxDurationMs, Text, Tokens } from "./Units.js"
import { UsageInput } from "./Usage.js"

const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

const common = {
  id: EventId,
  source: Source,
  sessionId: SessionId,
  /** When this happened on the agent's machine (epoch ms). */
  at: EpochMillis
}

/** The schema of one kind of event, named `identifier`: its `kind`, the fields every event has, then its own. */
const eventOf = <Kind extends string, Fields extends Schema.Struct.Fields>(
  kind: Kind,
  identifier: string,
  fields: Fields
) => Schema.Struct({ kind: Schema.Literal(kind), ...common, ...fields }).annotations({ identifier })

/** The session's text fields: each is merged on its own (an absent one leaves the stored value, `null` clears it). */
export const sessionTextFields = [
  "title",
  "projectPath",
  "projectName",
  "gitBranch",
  "model",
  "provider",
  "startType",
  "endReason",
  "parentSessionId",
  "agentVersion"
] as const
export type SessionTextField = (typeof sessionTextFields)[number]

/**
 * Session metadata, merged field by field: an absent field leaves the stored value alone, `null` clears it.
 * Sent on session start, on metadata changes and on session end (`endReason`, `endedAt`).
 */
export const SessionEvent = eventOf("session", "SessionEvent", {
  ...(Object.fromEntries(sessionTextFields.map((field) => [field, optionalNullable(Text)])) as {
    readonly [K in SessionTextField]: ReturnType<typeof optionalNullable<typeof Text>>
  }),
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
})
export type SessionEvent = typeof SessionEvent.Type

/** The whole current state of one message; a later copy of the same message replaces the earlier one. */
export const MessageEvent = eventOf("message", "MessageEvent", {
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
  countUsage: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  /**
   * The API request this message's usage came from (Claude Code's `requestId`). Telemetry reports requests by this
   * id, so a request seen in both is counted once (see `Request`).
   */
  requestId: optionalNullable(RequestId)
})
export type MessageEvent = typeof MessageEvent.Type

/** The current state of one tool call; final states (`completed`, `error`) are never replaced by earlier ones. */
export const ToolCallEvent = eventOf("tool_call", "ToolCallEvent", {
  callId: ToolCallId,
  messageId: optionalNullable(MessageId),
  name: Text.pipe(Schema.minLength(1), Schema.maxLength(256)),
  status: ToolStatus,
  startedAt: EpochMillis,
  durationMs: optionalNullable(DurationMs),
  input: Schema.optionalWith(ToolInput, { default: () => ({ summary: null, paths: [], bytes: 0 }) }),
  output: Schema.optionalWith(ToolOutput, { default: () => ({ bytes: 0, exitCode: null, error: null }) }),
  agentId: optionalNullable(Text)
})
export type ToolCallEvent = typeof ToolCallEvent.Type

const shortText = (max: number) => Text.pipe(Schema.minLength(1), Schema.maxLength(max))

/**
 * One API request as the agent's telemetry reported it (Claude Code's `claude_code.api_request`): the authoritative
 * usage of that request. `reportedCostUsd` is the agent's own `cost_usd`; `querySource` says what made the request
 * (`sdk`/`repl_main_thread` for the conversation, `compact`, a title, a subagent, …).
 */
export const ApiRequestEvent = eventOf("api_request", "ApiRequestEvent", {
  requestId: RequestId,
  model: shortText(256),
  usage: UsageInput,
  reportedCostUsd: optionalNullable(CostUsd),
  durationMs: optionalNullable(DurationMs),
  querySource: optionalNullable(shortText(128)),
  promptId: optionalNullable(shortText(256))
})
export type ApiRequestEvent = typeof ApiRequestEvent.Type

/** How long a tool call took and whether it succeeded, as telemetry reported it (`claude_code.tool_result`). */
export const ToolResultEvent = eventOf("tool_result", "ToolResultEvent", {
  callId: ToolCallId,
  name: shortText(256),
  success: Schema.Boolean,
  durationMs: optionalNullable(DurationMs),
  error: optionalNullable(Text.pipe(Schema.maxLength(4096)))
})
export type ToolResultEvent = typeof ToolResultEvent.Type

/** One model's line of a `cost_state`: Claude Code's own cumulative usage and cost for that model. */
export const CostStateModel = Schema.Struct({
  model: shortText(256),
  usage: UsageInput,
  costUsd: CostUsd
})

/**
 * The agent's own cumulative figures for the whole session, subagents included (Claude Code ≥ 2.1.332 writes them
 * as `cost-state` transcript lines at the end of each turn). The latest one (by `at`) is the session's second ground
 * truth: where telemetry is off, the session's totals are reconciled against it.
 */
export const CostStateEvent = eventOf("cost_state", "CostStateEvent", {
  totalCostUsd: CostUsd,
  models: Schema.Array(CostStateModel).pipe(Schema.maxItems(64)),
  hasUnknownModelCost: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
export type CostStateEvent = typeof CostStateEvent.Type

/**
 * One data point of the agent's active-time metric (Claude Code's `claude_code.active_time.total`, in seconds, by
 * `type`: `user` typing, `cli` working). Delta points add up; a cumulative point replaces the earlier value of its
 * stream (same `startAt` and `type`).
 */
export const ActiveTimeEvent = eventOf("active_time", "ActiveTimeEvent", {
  type: shortText(64),
  seconds: Schema.Number.pipe(Schema.finite(), Schema.between(0, maxDurationMs / 1000)),
  startAt: EpochMillis,
  cumulative: Schema.Boolean
})
export type ActiveTimeEvent = typeof ActiveTimeEvent.Type

/** What the plugins and the OTLP receiver send: one of the event kinds, discriminated by `kind`. */
export const Event = Schema.Union(
  SessionEvent,
  MessageEvent,
  ToolCallEvent,
  ApiRequestEvent,
  ToolResultEvent,
  CostStateEvent,
  ActiveTimeEvent
).annotations({ identifier: "Event" })
export type Event = typeof Event.Type
export type EventEncoded = typeof Event.Encoded

export const kinds = [
  "session",
  "message",
  "tool_call",
  "api_request",
  "tool_result",
  "cost_state",
  "active_time"
] as const

type WithoutId<E> = E extends unknown ? Omit<E, "id"> : never

/**
 * The deterministic id of an event: a digest of its content, so the same event sent twice (or by a retry, or by both
 * a live hook and a later import) is recognised as a duplicate, while a changed message gets a new id. `evt_` and 32
 * hex digits always pass `EventId`'s checks, so they are not run (~1 µs of the ~9 µs an id costs, for every event an
 * import builds).
 */
export const makeId = (event: WithoutId<EventEncoded>): EventId =>
  EventId.make(`evt_${digestOfJson(event)}`, { disableValidation: true })

/**
 * Builds an encoded event with its deterministic id. `Object.assign` rather than `{ ...event, id }`: V8 (Node 20) adds
 * a property to an object built by a spread on a slow path (~1.5 µs each), and every event an import builds passes here.
 */
export const make = <E extends WithoutId<EventEncoded>>(event: E): E & { readonly id: string } =>
  Object.assign({}, event, { id: makeId(event) })

/** Where an event is decoded one by one: the batch protocol rejects bad events individually. */
export const decodeUnknown = Schema.decodeUnknownEither(Event, { errors: "first", onExcessProperty: "ignore" })
