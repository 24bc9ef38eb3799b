/**
 * A session as an agent's own file describes it (prompts, replies with their usage, tool calls), and its domain
 * events with deterministic ids: what every reader of a session file (Codex's rollouts, Gemini CLI's chats) turns
 * into. Reading the same file twice gives the same events, so a re-read or an `import` after live sync adds nothing.
 */
import { Event, type Message, type ToolCall, type Usage } from "@opensync/domain"
import * as Lenient from "../Lenient.js"

type Part = typeof Message.Part.Encoded

export interface SessionMessage {
  readonly id: string
  /** `system` for what the agent puts in the conversation itself (a compaction summary), with its `subtype`. */
  readonly role: "user" | "assistant" | "system"
  readonly subtype?: Message.Subtype
  readonly text: string
  readonly thinking: string | null
  readonly parts: ReadonlyArray<Part>
  readonly model: string | null
  readonly createdAt: number
  readonly completedAt: number
  /** The API response's usage (assistant messages), in OpenSync's terms. */
  readonly usage: Usage.UsageFields | null
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
}

type WithoutId<E> = Omit<E, "id">

/** The session's events: its metadata, its messages and (when synced) its tool calls. */
export const toEvents = (
  session: SessionRecord,
  options: { readonly source: string; readonly sessionId: string; readonly syncToolCalls: boolean }
): ReadonlyArray<Event.EventEncoded> => {
  const events: Array<Event.EventEncoded> = []
  const base = { source: options.source, sessionId: options.sessionId }
  const at = session.lastAt ?? session.startedAt
  if (at !== null) {
    const event: WithoutId<typeof Event.SessionEvent.Encoded> = {
      kind: "session",
      ...base,
      at,
      ...(session.title !== null ? { title: session.title } : {}),
      ...(session.cwd !== null ? { projectPath: session.cwd, projectName: Lenient.projectNameOf(session.cwd) } : {}),
      ...(session.gitBranch !== null ? { gitBranch: session.gitBranch } : {}),
      ...(session.model !== null ? { model: session.model } : {}),
      ...(session.provider !== null ? { provider: session.provider } : {}),
      ...(session.agentVersion !== null ? { agentVersion: session.agentVersion } : {}),
      ...(session.parentId !== null ? { parentSessionId: session.parentId } : {}),
      ...(session.startedAt !== null ? { startedAt: session.startedAt } : {})
    }
    events.push(Event.make(event))
  }
  for (const message of session.messages) {
    const event: WithoutId<typeof Event.MessageEvent.Encoded> = {
      kind: "message",
      ...base,
      at: message.completedAt,
      messageId: message.id,
      role: message.role,
      ...(message.subtype !== undefined ? { subtype: message.subtype } : {}),
      text: message.text,
      ...(message.thinking !== null ? { thinking: message.thinking } : {}),
      parts: message.parts,
      ...(message.model !== null ? { model: message.model } : {}),
      ...(message.role === "assistant" && session.provider !== null ? { provider: session.provider } : {}),
      createdAt: message.createdAt,
      completedAt: message.completedAt,
      ...(message.usage !== null ? { usage: message.usage } : {})
    }
    events.push(Event.make(event))
  }
  if (options.syncToolCalls) {
    for (const call of session.toolCalls) {
      const event: WithoutId<typeof Event.ToolCallEvent.Encoded> = {
        kind: "tool_call",
        ...base,
        at: call.completedAt ?? call.startedAt,
        callId: call.callId,
        messageId: call.messageId,
        name: call.name,
        status: call.status,
        startedAt: call.startedAt,
        ...(call.completedAt !== null ? { durationMs: Math.max(0, call.completedAt - call.startedAt) } : {}),
        input: call.input,
        output: call.output
      }
      events.push(Event.make(event))
    }
  }
  return events
}
