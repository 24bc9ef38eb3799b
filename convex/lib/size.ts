import { type Event, Limits, type Message, type ToolCall } from "@opensync/domain"

/**
 * The size policy of stored documents on Convex (1 MiB per document). The domain already cuts text and thinking to
 * 200,000 characters each, summaries to 2,000 and errors to 4,000; on top of that, all the strings of one message
 * share a budget of `maxMessageChars` characters (at most 3 UTF-8 bytes each, so under 900 KB): text first, then
 * thinking, then the parts in order; whatever no longer fits is cut with the domain's truncation marker and the
 * message is marked `truncated`. Free-form names and ids are cut to `maxNameChars`.
 */
export const maxMessageChars = 280_000
export const maxNameChars = 1_024

const name = (text: string | null): string | null => (text === null ? null : Limits.cut(text, maxNameChars))
const optionalName = <T extends string | null | undefined>(text: T): T =>
  (typeof text === "string" && text.length > maxNameChars ? Limits.cut(text, maxNameChars) : text) as T

/**
 * An event with its free-form names cut to `maxNameChars` before ingestion, so the session, its usage slices and
 * the rollup keys derived from a message's model get the cut name too (the domain bounds every other event string).
 */
export const fitEvent = (event: Event.Event): Event.Event => {
  switch (event.kind) {
    case "message": {
      const fitted = {
        ...event,
        model: optionalName(event.model),
        provider: optionalName(event.provider),
        agentId: optionalName(event.agentId)
      }
      return fitted.model === event.model && fitted.provider === event.provider && fitted.agentId === event.agentId
        ? event
        : fitted
    }
    case "tool_call":
      return optionalName(event.agentId) === event.agentId ? event : { ...event, agentId: optionalName(event.agentId) }
    default:
      return event
  }
}

const stringChars = (value: unknown): number => {
  if (typeof value === "string") return value.length
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + stringChars(item), 0)
  if (typeof value === "object" && value !== null) {
    return Object.values(value).reduce((n: number, item) => n + stringChars(item), 0)
  }
  return 0
}

/** A message whose strings fit the budget; returned unchanged (the same object) when it already fits. */
export const fitMessage = (message: Message.Message): Message.Message => {
  const named = {
    ...message,
    model: name(message.model),
    provider: name(message.provider),
    agentId: name(message.agentId)
  }
  if (stringChars(message) <= maxMessageChars && stringChars(named) === stringChars(message)) return message
  let remaining = maxMessageChars - stringChars({ ...named, text: "", thinking: null, parts: [] })
  const take = (text: string): string => {
    const out = text.length <= remaining ? text : Limits.truncate(text, Math.max(0, remaining))
    remaining = Math.max(0, remaining - out.length)
    return out
  }
  const text = take(named.text)
  const thinking = named.thinking === null ? null : take(named.thinking)
  const parts = named.parts.map((part): Message.Part => {
    switch (part.type) {
      case "text":
      case "thinking":
        return { ...part, text: take(part.text) }
      case "tool":
        return { ...part, name: take(part.name.slice(0, maxNameChars)) }
      case "file":
        return { ...part, path: take(part.path.slice(0, maxNameChars)), mime: name(part.mime) }
      default:
        return {
          ...part,
          name: take(part.name.slice(0, maxNameChars)),
          summary: part.summary === null ? null : take(part.summary)
        }
    }
  })
  return { ...named, text, thinking, parts, truncated: true }
}

/** A tool call with its free-form agent id cut (every other string is already bounded by the domain). */
export const fitToolCall = (call: ToolCall.ToolCall): ToolCall.ToolCall =>
  call.agentId !== null && call.agentId.length > maxNameChars ? { ...call, agentId: name(call.agentId) } : call
