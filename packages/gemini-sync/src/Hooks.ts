import { Kit, Lenient } from "@opensync/client"
import type { Event } from "@opensync/domain"
import { agent } from "./Agent.js"

/*
 * Gemini CLI hook payloads (`session_id`, `transcript_path`, `cwd`, `hook_event_name`, `timestamp`, …) into events.
 * The chat file is the record: hooks give the session's start and end and say when to re-read the file. Pure.
 */

const SOURCE = agent.source.id

/**
 * The hooks `setup` registers: the start and end of a session and the end of each turn. Model and tool hooks
 * (BeforeModel, AfterModel, BeforeTool, AfterTool) and PreCompress, which fires before every model call, would start
 * a process per call for nothing the chat file does not already hold.
 */
export const events = ["SessionStart", "AfterAgent", "SessionEnd"] as const

/** Events after which the chat file has something new. */
export const rereadAfter: ReadonlySet<string> = new Set(["AfterAgent", "SessionEnd", "PreCompress"])

/** The events one hook call yields; `now` is when it ran (Gemini CLI's `timestamp` when it sent one). */
export const eventsFromHook = (
  input: Kit.FileAgent.HookInput,
  receivedAt: number
): ReadonlyArray<Event.EventEncoded> => {
  const { payload, sessionId } = input
  const stamped = Date.parse(Lenient.field(payload, "timestamp") ?? "")
  const now = Number.isFinite(stamped) ? stamped : receivedAt
  const base = { source: SOURCE, sessionId, at: now }
  switch (input.event) {
    case "SessionStart":
      return [Kit.FileAgent.sessionStartEvent(base, payload)]
    case "SessionEnd":
      return [Kit.FileAgent.sessionEndEvent(base, payload)]
    default:
      return []
  }
}
