/**
 * A session as an agent's own file describes it (prompts, replies with their usage, tool calls), and its domain
 * events with deterministic ids: what every reader of a session file (Codex's rollouts, Gemini CLI's chats) turns
 * into. Reading the same file twice gives the same events, so a re-read or an `import` after live sync adds nothing.
 */
import { Event, Limits, type Message, type ToolCall, type Usage } from "@opensync/domain"
import * as Lenient from "../Lenient.js"

type Part = typeof Message.Part.Encoded

/** What a message event says of a message, whichever agent's file it was read from. */
export interface MessageFields {
  readonly id: string
  /** `system` for what the agent puts in the conversation itself (a compaction summary), with its `subtype`. */
  readonly role: "user" | "assistant" | "system"
  readonly text: string
  readonly thinking: string | null
  readonly parts: ReadonlyArray<Part>
  readonly model: string | null
  readonly createdAt: number
  readonly completedAt: number
  /** The API response's usage (assistant messages), in OpenSync's terms. */
  readonly usage: Usage.UsageFields | null
}

export interface SessionMessage extends MessageFields {
  readonly subtype?: Message.Subtype
}

export interface SessionToolCall {
  readonly callId: string
  readonly messageId: string
  readonly name: string
  readonly status: ToolCall.ToolStatus
  readonly startedAt: number
  readonly completedAt: number | null
  readonly input: ToolCall.ToolInput
  readonly output: ToolCall.ToolOutput
}

export interface SessionRecord {
  readonly title: string | null
  readonly cwd: string | null
  readonly gitBranch: string | null
  readonly model: string | null
  readonly provider: string | null
  readonly agentVersion: string | null
  /** The session that started this one (a subagent's parent). */
  readonly parentId: string | null
  readonly startedAt: number | null
  readonly lastAt: number | null
  readonly messages: ReadonlyArray<SessionMessage>
  readonly toolCalls: ReadonlyArray<SessionToolCall>
  /**
   * For a session read on from a memo (`Kit.Memo`): the messages (by id) and tool calls (by call id) the read took
   * from the memo and left as they were, so their events are the ones the read that left the memo made. Undefined for
   * a session read from its file's start.
   */
  readonly unchanged?: Unchanged
}

/** What a read on from a memo left as the memo had it (see `SessionRecord.unchanged`). */
export interface Unchanged {
  readonly messages: ReadonlySet<string>
  readonly toolCalls: ReadonlySet<string>
}

type WithoutId<E> = Omit<E, "id">

/** Where an event goes: its source and the session it belongs to. */
export interface EventBase {
  readonly source: string
  readonly sessionId: string
}

/** A session event's metadata; a null field is left out. */
export interface SessionFields {
  readonly title: string | null
  readonly cwd: string | null
  readonly gitBranch: string | null
  readonly model: string | null
  readonly provider?: string | null
  readonly agentVersion: string | null
  readonly parentId?: string | null
  readonly startedAt: number | null
}

/** The session event at `at`, with what is known of the session. */
export const sessionEvent = (base: EventBase, at: number, session: SessionFields) => {
  const event: WithoutId<typeof Event.SessionEvent.Encoded> = {
    kind: "session",
    ...base,
    at,
    ...(session.title !== null ? { title: session.title } : {}),
    ...(session.cwd !== null ? { projectPath: session.cwd, projectName: Lenient.projectNameOf(session.cwd) } : {}),
    ...(session.gitBranch !== null ? { gitBranch: session.gitBranch } : {}),
    ...(session.model !== null ? { model: session.model } : {}),
    ...(session.provider != null ? { provider: session.provider } : {}),
    ...(session.agentVersion !== null ? { agentVersion: session.agentVersion } : {}),
    ...(session.parentId != null ? { parentSessionId: session.parentId } : {}),
    ...(session.startedAt !== null ? { startedAt: session.startedAt } : {})
  }
  return Event.make(event)
}

/** A message event, completed when the message is: with its provider, agent and API request when known. */
export const messageEvent = (
  base: EventBase,
  message: MessageFields & { readonly subtype?: Message.Subtype | null },
  more: { readonly provider?: string | null; readonly agentId?: string | null; readonly requestId?: string | null } = {}
) => {
  // Optional fields set after the literal, not spread into it: V8 (Node 20) builds a literal with spreads in it property
  // by property on a slow path (~3 µs an event; `Ingest.messageFromEvent`). Ids digest sorted keys: order is free.
  const event: {
    -readonly [K in keyof WithoutId<typeof Event.MessageEvent.Encoded>]: (typeof Event.MessageEvent.Encoded)[K]
  } = {
    kind: "message",
    source: base.source,
    sessionId: base.sessionId,
    at: message.completedAt,
    messageId: message.id,
    role: message.role,
    text: message.text,
    parts: message.parts,
    createdAt: message.createdAt,
    completedAt: message.completedAt
  }
  if (message.subtype != null) event.subtype = message.subtype
  if (message.thinking !== null) event.thinking = message.thinking
  if (message.model !== null) event.model = message.model
  if (more.provider != null) event.provider = more.provider
  if (more.agentId != null) event.agentId = more.agentId
  if (message.usage !== null) event.usage = message.usage
  if (more.requestId != null) event.requestId = more.requestId
  return Event.make(event)
}

/** A tool call event, timed by its result when it has one. */
export const toolCallEvent = (
  base: EventBase,
  call: SessionToolCall & { readonly durationMs: number | null },
  agentId: string | null = null
) => {
  const event: {
    -readonly [K in keyof WithoutId<typeof Event.ToolCallEvent.Encoded>]: (typeof Event.ToolCallEvent.Encoded)[K]
  } = {
    kind: "tool_call",
    source: base.source,
    sessionId: base.sessionId,
    at: call.completedAt ?? call.startedAt,
    callId: call.callId,
    messageId: call.messageId,
    name: call.name,
    status: call.status,
    startedAt: call.startedAt,
    input: call.input,
    output: call.output
  }
  // (set after the literal: see `messageEvent`)
  if (call.durationMs !== null) event.durationMs = call.durationMs
  if (agentId !== null) event.agentId = agentId
  return Event.make(event)
}

const TITLE_MAX = 120

/**
 * The title a text gives a session: its first non-empty line, cut to 120 characters (never through a run a secret could
 * be made of: the title is redacted after the cut, see `Limits.cutWhole`); undefined when empty.
 */
export const titleOf = (text: string): string | undefined => {
  const trimmed = text.trim()
  if (trimmed === "" || trimmed.startsWith("[Request interrupted")) return undefined
  const newline = trimmed.indexOf("\n")
  const first = (newline < 0 ? trimmed : trimmed.slice(0, newline)).trim()
  return first.length > TITLE_MAX ? `${Limits.cutWhole(first, TITLE_MAX - 1).trimEnd()}…` : first
}

/** The session's title: the agent's own (a thread's name), else what its first prompt gives (`titleOf`). */
const titleOfSession = (session: SessionRecord): string | null => {
  if (session.title !== null) return session.title
  for (const message of session.messages) {
    if (message.role !== "user" || message.subtype !== undefined) continue
    const title = titleOf(message.text)
    if (title !== undefined) return title
  }
  return null
}

/**
 * The session's events: its metadata, its messages and (when synced) its tool calls; with `skip`, none of the messages
 * and tool calls it names (what a read on from a memo left unchanged: `SessionRecord.unchanged`).
 */
export const toEvents = (
  session: SessionRecord,
  options: {
    readonly source: string
    readonly sessionId: string
    readonly syncToolCalls: boolean
    readonly skip?: Unchanged | undefined
  }
): ReadonlyArray<Event.EventEncoded> => {
  const events: Array<Event.EventEncoded> = []
  const base = { source: options.source, sessionId: options.sessionId }
  const skip = options.skip
  const at = session.lastAt ?? session.startedAt
  if (at !== null) events.push(sessionEvent(base, at, { ...session, title: titleOfSession(session) }))
  for (const message of session.messages) {
    if (skip?.messages.has(message.id) === true) continue
    events.push(messageEvent(base, message, { provider: message.role === "assistant" ? session.provider : null }))
  }
  if (options.syncToolCalls) {
    for (const call of session.toolCalls) {
      if (skip?.toolCalls.has(call.callId) === true) continue
      const durationMs = call.completedAt !== null ? Math.max(0, call.completedAt - call.startedAt) : null
      events.push(toolCallEvent(base, Object.assign({}, call, { durationMs }))) // (not a spread: see Event.make)
    }
  }
  return events
}
