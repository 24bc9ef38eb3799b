import { Kit } from "@opensync/client"
import type { Event } from "@opensync/domain"
import { agent } from "./Agent.js"
import type { RolloutSession } from "./Rollout.js"

/** A session file's domain events with deterministic ids: the session, its messages and (when synced) tool calls. */
export const toEvents = (
  session: RolloutSession,
  options: { readonly sessionId: string; readonly syncToolCalls: boolean }
): ReadonlyArray<Event.EventEncoded> => Kit.SessionEvents.toEvents(session, { source: agent.source.id, ...options })
