import { Kit, Lenient } from "@opensync/client"
import { Event } from "@opensync/domain"
import { agent } from "./Agent.js"
import * as Rollout from "./Rollout.js"

/*
 * Codex hook payloads (Claude-Code-shaped: `session_id`, `transcript_path`, `cwd`, `hook_event_name`, …) into events.
 * The session file is the record: hooks give the session's start and end and say when to re-read the file. A session
 * without a file (`codex exec --ephemeral`: `transcript_path` is null) keeps what the hooks carry, the prompt and the
 * final reply of each turn. Pure; the caller supplies `now`.
 */

type WithoutId<E> = Omit<E, "id">

const SOURCE = agent.source.id

/** The hooks `setup` registers: what starts and ends a session and a turn (tool hooks would only cost time). */
export const events = ["SessionStart", "UserPromptSubmit", "Stop", "PreCompact", "SessionEnd"] as const

/** Events after which the session file has something new. */
export const rereadAfter: ReadonlySet<string> = new Set(["Stop", "SessionEnd", "PreCompact", "PostCompact"])

type HookInput = Kit.FileAgent.HookInput

/** The events one hook call yields. */
export const eventsFromHook = (input: HookInput, now: number): ReadonlyArray<Event.EventEncoded> => {
  const { payload, sessionId } = input
  const base = { source: SOURCE, sessionId, at: now }
  const ephemeral = payload.transcript_path === null
  switch (input.event) {
    case "SessionStart":
      return [
        Kit.FileAgent.sessionStartEvent(base, payload, {
          model: Lenient.field(payload, "model"),
          startedAt: ephemeral ? now : undefined
        })
      ]
    case "SessionEnd":
      return [Kit.FileAgent.sessionEndEvent(base, payload)]
    case "UserPromptSubmit":
    case "Stop": {
      const turn = Lenient.field(payload, "turn_id")
      const field = Lenient.field(payload, input.event === "Stop" ? "last_assistant_message" : "prompt")
      if (!ephemeral || turn === undefined || field === undefined) return []
      const text = input.event === "Stop" ? field : Rollout.withoutStdin(field)
      const model = Lenient.field(payload, "model")
      const event: WithoutId<typeof Event.MessageEvent.Encoded> = {
        kind: "message",
        ...base,
        messageId: `${turn}:${input.event === "Stop" ? "reply" : "prompt"}`,
        role: input.event === "Stop" ? "assistant" : "user",
        text,
        parts: [{ type: "text", text }],
        ...(input.event === "Stop" && model !== undefined ? { model } : {}),
        createdAt: now,
        completedAt: now
      }
      return [Event.make(event)]
    }
    default:
      return []
  }
}
