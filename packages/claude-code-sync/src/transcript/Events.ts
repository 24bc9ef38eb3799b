import * as SessionEvents from "@opensync/client/kit/SessionEvents"
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
    events.push(
      SessionEvents.sessionEvent(base, session.lastTimestamp, {
        title: session.title,
        cwd: session.cwd === "" ? null : session.cwd,
        gitBranch: session.gitBranch === "" ? null : session.gitBranch,
        model: session.model,
        agentVersion: session.version,
        startedAt: session.firstTimestamp
      })
    )
  }

  for (const message of session.messages) {
    const agentId = agentOverride ?? message.agentId
    events.push(SessionEvents.messageEvent(base, message, { agentId, requestId: message.requestId }))
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
      events.push(SessionEvents.toolCallEvent(base, call, agentOverride ?? call.agentId))
    }
  }
  return events
}
