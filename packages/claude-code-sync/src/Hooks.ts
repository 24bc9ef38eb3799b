import { Lenient } from "@opensync/client"
import { Event, Limits } from "@opensync/domain"
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as ToolInput from "./ToolInput.js"
import * as Messages from "./transcript/Messages.js"

/*
 * Claude Code hook payloads, "plan, then apply": `decodeHookInput` turns one hook's stdin into a decoded payload,
 * `eventsFromHook` turns the payload into domain events with deterministic ids, `transcriptToRead` and
 * `finalTextHint` tell the caller what else to read. Everything here is pure; the caller supplies `now`.
 */

// ---------------------------------------------------------------------------------------------------------------------
// Payload schema: every field optional but `session_id` and `hook_event_name`; a field of the wrong type reads as absent.

const Text = Lenient.optional(Schema.String)
const Count = Lenient.optional(Schema.Number)
const Flag = Lenient.optional(Schema.Boolean)

/** One hook invocation's stdin (the fields the plugin uses; unknown fields are ignored). */
export const HookInput = Schema.Struct({
  session_id: Schema.String.pipe(Schema.minLength(1)),
  hook_event_name: Schema.String.pipe(Schema.minLength(1)),
  transcript_path: Text,
  cwd: Text,
  prompt_id: Text,
  permission_mode: Text,
  source: Text,
  model: Text,
  prompt: Text,
  tool_name: Text,
  tool_input: Schema.optional(Schema.Unknown),
  tool_use_id: Text,
  tool_response: Schema.optional(Schema.Unknown),
  duration_ms: Count,
  error: Text,
  is_interrupt: Flag,
  reason: Text,
  agent_id: Text,
  agent_type: Text,
  agent_transcript_path: Text,
  last_assistant_message: Text,
  stop_hook_active: Flag,
  trigger: Text
})
export type HookInput = typeof HookInput.Type

/** Hook stdin that cannot be used: not JSON, not an object, or without `session_id` / `hook_event_name`. */
export class HookInputError extends Data.TaggedError("HookInputError")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

const decodePayload = Schema.decodeUnknownEither(HookInput, { onExcessProperty: "ignore", errors: "first" })

const hasText = (record: Readonly<Record<string, unknown>>, key: string): boolean =>
  typeof record[key] === "string" && record[key] !== ""

/** Parses and decodes one hook's stdin; never throws, a bad payload is a `HookInputError` with a readable reason. */
export const decodeHookInput = (stdin: string): Either.Either<HookInput, HookInputError> => {
  const fail = (reason: string) => Either.left(new HookInputError({ reason }))
  if (stdin.trim() === "") return fail("hook stdin is empty")
  let json: unknown
  try {
    json = JSON.parse(stdin)
  } catch (cause) {
    return fail(`hook stdin is not JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return fail(
      `hook stdin is not a JSON object: ${Array.isArray(json) ? "array" : json === null ? "null" : typeof json}`
    )
  }
  const record = json as Readonly<Record<string, unknown>>
  if (!hasText(record, "session_id")) return fail("hook payload has no session_id")
  if (!hasText(record, "hook_event_name")) return fail("hook payload has no hook_event_name")
  return Either.mapLeft(
    decodePayload(record),
    (error) =>
      new HookInputError({ reason: `hook payload is invalid: ${ParseResult.TreeFormatter.formatErrorSync(error)}` })
  )
}

// ---------------------------------------------------------------------------------------------------------------------
// Events

/** What `eventsFromHook` needs from the caller: the current time and whether tool calls are synced. */
export interface HookEventOptions {
  readonly now: number
  readonly syncToolCalls: boolean
}

const SOURCE = "claude-code"

type WithoutId<E> = Omit<E, "id">

const INTERRUPTED = " [interrupted by the user]"

type SessionFields = Omit<WithoutId<typeof Event.SessionEvent.Encoded>, "kind" | "source" | "sessionId" | "at">

/** The hook's session event at `now`, with what the hook tells of the session. */
const sessionEventOf = (input: HookInput, now: number, fields: SessionFields) =>
  Event.make({ kind: "session", source: SOURCE, sessionId: input.session_id, at: now, ...fields })

const sessionStartOf = (input: HookInput, now: number) => {
  const cwd = input.cwd
  return sessionEventOf(input, now, {
    ...(input.source !== undefined && input.source !== "" ? { startType: input.source } : {}),
    ...(input.model !== undefined && input.model !== "" ? { model: input.model } : {}),
    ...(cwd !== undefined && cwd !== "" ? { projectPath: cwd, projectName: Lenient.projectNameOf(cwd) } : {}),
    ...(input.source === "startup" ? { startedAt: now } : {})
  })
}

/** A prompt typed as a slash command (`/review nightly`, `/plugin:command`), as Claude Code passes it to the hook. */
const SLASH_COMMAND = /^\/[A-Za-z][\w:.-]*(?:\s|$)/

/**
 * What a UserPromptSubmit carries, classified like the transcript line of the same prompt (same id, role, subtype and
 * text): a typed prompt, a slash command, or a turn Claude Code started itself (a `<task-notification>` when a
 * background subagent finishes, 2.1.332), which is a notification and not the user's words.
 */
const classifyPrompt = (input: HookInput, text: string): Messages.Classified => {
  const classified = Messages.classify(text, { promptSource: input.source })
  if (classified.subtype === undefined && SLASH_COMMAND.test(text)) {
    const trimmed = text.trim()
    const space = trimmed.search(/\s/)
    return {
      role: "user",
      subtype: "command",
      text: trimmed,
      command: { name: space < 0 ? trimmed : trimmed.slice(0, space) }
    }
  }
  return classified
}

const promptOf = (input: HookInput, now: number) => {
  const raw = input.prompt ?? ""
  const { role, subtype, text } = classifyPrompt(input, raw)
  // A task notification absorbed into a running turn reuses that turn's prompt_id: named by its text, like in the
  // transcript, it never replaces the user's prompt.
  const messageId = Messages.isTaskNotification(raw) ? Messages.notificationId(raw) : input.prompt_id
  // Without `prompt_id` (older Claude Code) the transcript names the prompt by its line's `uuid`, which the hook cannot
  // know: a message of the hook's own under another id was stored beside the transcript's, every prompt twice. The
  // transcript, read at the turn's end, brings it.
  if (messageId === undefined || messageId === "") return undefined
  const event: WithoutId<typeof Event.MessageEvent.Encoded> = {
    kind: "message",
    source: SOURCE,
    sessionId: input.session_id,
    at: now,
    messageId,
    role,
    ...(subtype !== undefined ? { subtype } : {}),
    text,
    parts: text === "" ? [] : [{ type: "text", text }],
    ...(input.agent_id !== undefined && input.agent_id !== "" ? { agentId: input.agent_id } : {}),
    createdAt: now,
    completedAt: now
  }
  return Event.make(event)
}

const toolCallOf = (input: HookInput, now: number, failed: boolean) => {
  const callId = input.tool_use_id
  if (callId === undefined || callId === "" || callId.length > 256) return undefined
  const name = input.tool_name !== undefined && input.tool_name !== "" ? input.tool_name.slice(0, 256) : "unknown"
  const toolInput = ToolInput.summarize(name, input.tool_input)
  const durationMs = Lenient.millis(input.duration_ms)
  let output: { bytes: number; exitCode: number | null; error: string | null }
  let paths = toolInput.paths
  if (failed) {
    const raw = input.error ?? ""
    const interrupted = input.is_interrupt === true
    const text = interrupted
      ? `${Limits.truncate(raw, Limits.maxErrorChars - INTERRUPTED.length)}${INTERRUPTED}`.trimStart()
      : Limits.truncate(raw, Limits.maxErrorChars)
    output = { bytes: raw.length, exitCode: Lenient.exitCodeOfText(raw), error: text === "" ? null : text }
  } else {
    const response = input.tool_response
    let exitCode: number | null = null
    if (typeof response === "object" && response !== null && !Array.isArray(response)) {
      const record = response as Readonly<Record<string, unknown>>
      const bashLike = "stdout" in record || "stderr" in record
      if (name === "Bash" && bashLike && record["interrupted"] !== true) exitCode = 0
      const filePath = Lenient.field(record, "filePath")
      if (filePath !== undefined && !paths.includes(filePath)) paths = [...paths, filePath]
    }
    output = { bytes: Lenient.jsonLength(response), exitCode, error: null }
  }
  const event: WithoutId<typeof Event.ToolCallEvent.Encoded> = {
    kind: "tool_call",
    source: SOURCE,
    sessionId: input.session_id,
    at: now,
    callId,
    name,
    status: failed ? "error" : "completed",
    startedAt: durationMs === undefined ? now : Math.max(0, now - durationMs),
    ...(durationMs !== undefined ? { durationMs } : {}),
    input: paths === toolInput.paths ? toolInput : { ...toolInput, paths: paths.slice(0, Limits.maxPaths) },
    output,
    ...(input.agent_id !== undefined && input.agent_id !== "" ? { agentId: input.agent_id } : {})
  }
  return Event.make(event)
}

const sessionEndOf = (input: HookInput, now: number) =>
  sessionEventOf(input, now, {
    ...(input.reason !== undefined && input.reason !== "" ? { endReason: input.reason } : {}),
    endedAt: now
  })

/**
 * The domain events a hook payload carries by itself: SessionStart, UserPromptSubmit, PostToolUse(Failure) and
 * SessionEnd; every other hook (Stop, SubagentStop, PreCompact, unknown names) yields none, see `transcriptToRead`.
 */
export const eventsFromHook = (input: HookInput, options: HookEventOptions): ReadonlyArray<Event.EventEncoded> => {
  const { now } = options
  switch (input.hook_event_name) {
    case "SessionStart":
      return [sessionStartOf(input, now)]
    case "UserPromptSubmit": {
      const prompt = input.prompt === undefined ? undefined : promptOf(input, now)
      return prompt === undefined ? [] : [prompt]
    }
    case "PostToolUse":
    case "PostToolUseFailure": {
      if (!options.syncToolCalls) return []
      const event = toolCallOf(input, now, input.hook_event_name === "PostToolUseFailure")
      return event === undefined ? [] : [event]
    }
    case "SessionEnd":
      return [sessionEndOf(input, now)]
    default:
      return []
  }
}

/** The transcript a hook asks the caller to (re-)read: main for Stop/SessionEnd/PreCompact, the subagent's for SubagentStop. */
export const transcriptToRead = (
  input: HookInput
): { readonly path: string; readonly agentId?: string } | undefined => {
  switch (input.hook_event_name) {
    case "Stop":
    case "SessionEnd":
    case "PreCompact":
      return input.transcript_path !== undefined && input.transcript_path !== ""
        ? { path: input.transcript_path }
        : undefined
    case "SubagentStop": {
      const path = input.agent_transcript_path
      if (path === undefined || path === "") return undefined
      return input.agent_id !== undefined && input.agent_id !== "" ? { path, agentId: input.agent_id } : { path }
    }
    default:
      return undefined
  }
}

/** The Stop payload's final assistant text, for when the transcript has not caught up yet (Stop-hook race). */
export const finalTextHint = (input: HookInput): string | undefined =>
  input.hook_event_name === "Stop" && input.last_assistant_message !== undefined && input.last_assistant_message !== ""
    ? input.last_assistant_message
    : undefined
