import { Event, Ingest, type Message, type Session, type ToolCall } from "@opensync/domain"
import * as Either from "effect/Either"

/** Applies encoded events the way a backend does (domain `Ingest`), keeping messages and tool calls by id. */
export const ingest = (encoded: ReadonlyArray<Event.EventEncoded>) => {
  let session: Session.Session | null = null
  const messages = new Map<string, Message.Message>()
  const tools = new Map<string, ToolCall.ToolCall>()
  for (const raw of encoded) {
    const decoded = Event.decodeUnknown(raw)
    if (Either.isLeft(decoded)) throw new Error(`event rejected: ${decoded.left.message}`)
    const event = decoded.right
    if (event.kind === "session") session = Ingest.applySessionEvent(session, event)
    else if (event.kind === "message") {
      const r = Ingest.applyMessageEvent(session, messages.get(event.messageId) ?? null, event)
      session = r.session
      messages.set(event.messageId, r.message)
    } else if (event.kind === "tool_call") {
      const r = Ingest.applyToolCallEvent(session, tools.get(event.callId) ?? null, event)
      session = r.session
      tools.set(event.callId, r.toolCall)
    }
  }
  if (session === null) throw new Error("no event made a session")
  return { session, messages, tools }
}
