import * as Schema from "effect/Schema"
import { EpochMillis, MessageId, Source, ToolCallId } from "./Ids.js"
import { Bytes, DurationMs, ExitCode, Text } from "./Units.js"

/** Lifecycle of a tool call; `completed` and `error` are final. */
export const ToolStatus = Schema.Literal("pending", "running", "completed", "error")
export type ToolStatus = typeof ToolStatus.Type

export const isFinal = (status: ToolStatus): boolean => status === "completed" || status === "error"

/** What a tool was asked to do, without file contents: paths, a short summary (a command, a pattern) and sizes. */
export const ToolInput = Schema.Struct({
  summary: Schema.optionalWith(Schema.NullOr(Text), { default: () => null }),
  paths: Schema.optionalWith(Schema.Array(Text), { default: () => [] }),
  bytes: Schema.optionalWith(Bytes, { default: () => 0 })
})
export type ToolInput = typeof ToolInput.Type

/** What a tool returned, without its content: size, exit code and error text. */
export const ToolOutput = Schema.Struct({
  bytes: Schema.optionalWith(Bytes, { default: () => 0 }),
  exitCode: Schema.optionalWith(Schema.NullOr(ExitCode), { default: () => null }),
  error: Schema.optionalWith(Schema.NullOr(Text), { default: () => null })
})
export type ToolOutput = typeof ToolOutput.Type

/** A stored tool call. */
export const ToolCall = Schema.Struct({
  id: ToolCallId,
  sessionId: Schema.String,
  source: Source,
  messageId: Schema.NullOr(MessageId),
  /** The name the agent gave the tool (`bash`, `exec_command`, `run_shell_command`, `Task`). */
  name: Schema.String,
  /**
   * The name the call is counted under across agents (`ToolNames.canonical`: `Bash`, `Agent`, …). Absent on calls
   * stored before names were normalised: those count under `name`.
   */
  canonicalName: Schema.optionalWith(Schema.String, { exact: true }),
  status: ToolStatus,
  startedAt: EpochMillis,
  durationMs: Schema.NullOr(DurationMs),
  input: ToolInput,
  output: ToolOutput,
  agentId: Schema.NullOr(Schema.String),
  updatedAt: EpochMillis,
  /**
   * What telemetry reported (`tool_result`): its duration is the call's duration. `only`: no transcript or hook has
   * described the call yet, so their first report replaces everything but the timing, whatever its time.
   */
  telemetry: Schema.optionalWith(
    Schema.NullOr(
      Schema.Struct({
        durationMs: Schema.NullOr(Schema.Number),
        success: Schema.Boolean,
        at: EpochMillis,
        only: Schema.Boolean
      })
    ),
    { exact: true }
  )
})
export type ToolCall = typeof ToolCall.Type

/** The name a stored call is counted under: its canonical name, or its own for calls stored before there was one. */
export const countedName = (toolCall: Pick<ToolCall, "name" | "canonicalName">): string =>
  toolCall.canonicalName ?? toolCall.name
