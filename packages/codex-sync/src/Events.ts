import { Lenient } from "@opensync/client"
import { Event } from "@opensync/domain"
import { agent } from "./Agent.js"
import type { RolloutSession } from "./Rollout.js"

type WithoutId<E> = Omit<E, "id">

const SOURCE = agent.source.id

/** A session file's domain events with deterministic ids: the session, its messages and (when synced) tool calls. */
export const toEvents = (
  session: RolloutSession,
  options: { readonly sessionId: string; readonly syncToolCalls: boolean }
): ReadonlyArray<Event.EventEncoded> => {
  const events: Array<Event.EventEncoded> = []
  const base = { source: SOURCE, sessionId: options.sessionId }
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
      ...(session.cliVersion !== null ? { agentVersion: session.cliVersion } : {}),
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
