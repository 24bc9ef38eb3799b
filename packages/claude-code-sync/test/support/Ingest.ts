import { Batch, Event, type Message, type Request, type Session, type ToolCall } from "@opensync/domain"
import * as Either from "effect/Either"

/**
 * Applies encoded events the way both backends do (`Batch.apply` over the rows each event touches, API requests
 * included, a repeated event id stored once), one at a time in the given order. Messages and tool calls are kept by
 * their own id, requests by request id; `session` is the session the events made (the first, when several).
 */
export const ingest = (encoded: ReadonlyArray<Event.EventEncoded>) => {
  const sessions = new Map<string, Session.Session>()
  const messages = new Map<string, Message.Message>()
  const tools = new Map<string, ToolCall.ToolCall>()
  const requests = new Map<string, Request.ApiRequest>()
  const seen = new Set<string>()
  const pick = <A>(rows: Map<string, A>, keys: ReadonlyArray<readonly [string, string]>) =>
    new Map(
      keys.flatMap(([session, id]) =>
        rows.has(Batch.rowKey(session, id))
          ? [[Batch.rowKey(session, id), rows.get(Batch.rowKey(session, id)) as A] as const]
          : []
      )
    )
  const byKey = {
    messages: new Map<string, Message.Message>(),
    tools: new Map<string, ToolCall.ToolCall>()
  }
  for (const raw of encoded) {
    const decoded = Event.decodeUnknown(raw)
    if (Either.isLeft(decoded)) throw new Error(`event rejected: ${decoded.left.message}`)
    const event = decoded.right
    if (seen.has(event.id)) continue
    seen.add(event.id)
    const keys = Batch.touched([event])
    const storedMessages = pick(byKey.messages, keys.messages)
    const applied = Batch.apply([event], {
      sessions: new Map(
        keys.sessions.flatMap((id) => (sessions.has(id) ? [[id, sessions.get(id) as Session.Session] as const] : []))
      ),
      messages: storedMessages,
      toolCalls: pick(byKey.tools, keys.toolCalls),
      requests: pick(requests, Batch.touchedRequests([event], storedMessages))
    })
    for (const session of applied.changedSessions) sessions.set(session.id, session)
    for (const [key, message] of applied.changedMessages) {
      byKey.messages.set(key, message)
      messages.set(message.id, message)
    }
    for (const [key, call] of applied.changedToolCalls) {
      byKey.tools.set(key, call)
      tools.set(call.id, call)
    }
    for (const [key, request] of applied.changedRequests) {
      if (request === null) requests.delete(key)
      else requests.set(key, request)
    }
  }
  const session = sessions.values().next().value
  if (session === undefined) throw new Error("no event made a session")
  return { session, sessions, messages, tools, requests }
}
