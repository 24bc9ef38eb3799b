import { Lenient } from "@opensync/client"
import { Event } from "@opensync/domain"
import type { TranscriptSession } from "./Session.js"

/** Where the events go: the session they belong to (the parent's for subagent files) and what to include. */
export interface EventOptions {
  readonly sessionId: string
  readonly source: string
  readonly syncToolCalls: boolean
  readonly agentId?: string
}

type WithoutId<E> = Omit<E, "id">

/**
 * The session's domain events with deterministic ids (session, messages, tool calls, cost-states), timed by the
 * transcript. An assistant message carries its `requestId` when its usage comes from one request, so the server can
 * match it with that request's telemetry.
 */
export const toEvents = (session: TranscriptSession, options: EventOptions): ReadonlyArray<Event.EventEncoded> => {
  const events: Array<Event.EventEncoded> = []
  const base = { source: options.source, sessionId: options.sessionId }
  const agentOverride = options.agentId ?? (session.source === "subagent" ? session.agentId : null) ?? null

  if (session.source === "main" && session.lastTimestamp !== null) {
    const event: WithoutId<typeof Event.SessionEvent.Encoded> = {
      kind: "session",
      ...base,
      at: session.lastTimestamp,
      ...(session.title !== null ? { title: session.title } : {}),
      ...(session.cwd !== null && session.cwd !== ""
        ? { projectPath: session.cwd, projectName: Lenient.projectNameOf(session.cwd) }
        : {}),
      ...(session.gitBranch !== null && session.gitBranch !== "" ? { gitBranch: session.gitBranch } : {}),
      ...(session.model !== null ? { model: session.model } : {}),
      ...(session.version !== null ? { agentVersion: session.version } : {}),
      ...(session.firstTimestamp !== null ? { startedAt: session.firstTimestamp } : {})
    }
    events.push(Event.make(event))
  }

  for (const message of session.messages) {
    const agentId = agentOverride ?? message.agentId
    const event: WithoutId<typeof Event.MessageEvent.Encoded> = {
      kind: "message",
      ...base,
      at: message.completedAt,
      messageId: message.id,
      role: message.role,
      ...(message.subtype !== null ? { subtype: message.subtype } : {}),
      text: message.text,
      ...(message.thinking !== null ? { thinking: message.thinking } : {}),
      parts: message.parts,
      ...(message.model !== null ? { model: message.model } : {}),
      ...(agentId !== null ? { agentId } : {}),
      createdAt: message.createdAt,
      completedAt: message.completedAt,
      ...(message.usage !== null ? { usage: message.usage } : {}),
      ...(message.requestId !== null ? { requestId: message.requestId } : {})
    }
    events.push(Event.make(event))
  }

  for (const state of session.costStates) {
    const event: WithoutId<typeof Event.CostStateEvent.Encoded> = {
      kind: "cost_state",
      source: options.source,
      sessionId: state.sessionId ?? options.sessionId,
      at: state.at,
      totalCostUsd: state.totalCostUsd,
      models: state.models.map((model) => ({ model: model.model, usage: model.usage, costUsd: model.costUsd })),
      hasUnknownModelCost: state.hasUnknownModelCost
    }
    events.push(Event.make(event))
  }

  if (options.syncToolCalls) {
    for (const call of session.toolCalls) {
      const agentId = agentOverride ?? call.agentId
      const event: WithoutId<typeof Event.ToolCallEvent.Encoded> = {
        kind: "tool_call",
        ...base,
        at: call.completedAt ?? call.startedAt,
        callId: call.callId,
        messageId: call.messageId,
        name: call.name,
        status: call.status,
        startedAt: call.startedAt,
        ...(call.durationMs !== null ? { durationMs: call.durationMs } : {}),
        input: call.input,
        output: call.output,
        ...(agentId !== null ? { agentId } : {})
      }
      events.push(Event.make(event))
    }
  }
  return events
}
