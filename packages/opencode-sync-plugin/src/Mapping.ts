import { Lenient } from "@opensync/client"
import { Event, Limits, type Message, type ToolCall, Usage } from "@opensync/domain"
import { inputLength, type Json, type MessageSnapshot, outputLength, type SessionSnapshot } from "./Tracker.js"

/*
 * OpenCode sessions → OpenSync events. One pure function, `toEvents`, serves both the live plugin (snapshots it spooled
 * from bus events) and `import` (rows of OpenCode's SQLite or JSON store): the same session state always gives the same
 * events with the same deterministic ids, so a session synced live and imported later is stored once.
 *
 * OpenCode's shapes are read leniently (a field of the wrong type reads as absent): they change between releases.
 */

export const SOURCE = "opencode"

/** What to include. */
export interface MappingOptions {
  readonly syncToolCalls: boolean
  readonly syncThinking: boolean
}

type WithoutId<E> = Omit<E, "id">
type Part = typeof Message.Part.Encoded

const { isRecord: isObject, record: obj, text: str, number: num, millis, count } = Lenient

// ---------------------------------------------------------------------------------------------------------------------
// Tool calls

const summary = (text: string | undefined): string | null =>
  text === undefined ? null : Limits.truncate(text, Limits.maxSummaryChars)

/** What an OpenCode tool was asked to do: a short summary and the paths it touches, never file contents. */
export const summarizeInput = (tool: string, input: unknown): ToolCall.ToolInput => {
  const bytes = inputLength(input)
  if (!isObject(input)) return { summary: null, paths: [], bytes }
  const path = str(input.filePath) ?? str(input.path)
  const paths = path === undefined ? [] : [path]
  switch (tool) {
    case "bash":
      return { summary: summary(str(input.command)), paths: [], bytes }
    case "read":
    case "write":
    case "edit":
    case "list":
    case "lsp_diagnostics":
      return { summary: null, paths, bytes }
    case "glob":
    case "grep":
      return { summary: summary(str(input.pattern)), paths, bytes }
    case "webfetch":
      return { summary: summary(str(input.url)), paths: [], bytes }
    case "websearch":
    case "codesearch":
      return { summary: summary(str(input.query)), paths: [], bytes }
    case "task": {
      const type = str(input.subagent_type)
      const description = str(input.description)
      const text = type !== undefined && description !== undefined ? `${type}: ${description}` : (type ?? description)
      return { summary: summary(text), paths: [], bytes }
    }
    case "skill":
      return { summary: summary(str(input.name)), paths: [], bytes }
    default: {
      const keys = Object.keys(input).sort()
      return { summary: keys.length === 0 ? null : summary(keys.join(", ")), paths, bytes }
    }
  }
}

const toolCallOf = (part: Json, sessionId: string): Event.EventEncoded | undefined => {
  const callId = str(part.callID) ?? str(part.id)
  const state = obj(part.state)
  const status = state.status
  if (callId === undefined || callId.length > 256 || (status !== "completed" && status !== "error")) return undefined
  const name = (str(part.tool) ?? "unknown").slice(0, 256)
  const time = obj(state.time)
  const start = millis(time.start)
  const end = millis(time.end)
  if (start === undefined && end === undefined) return undefined
  const startedAt = start ?? (end as number)
  const metadata = obj(state.metadata)
  // A part the plugin settled (`Tracker.settle`) carries the sizes of what it no longer holds.
  const measured = obj(part.opensync)
  const summarized = summarizeInput(name, state.input)
  const inputBytes = num(measured.inputBytes)
  const input = inputBytes === undefined ? summarized : { ...summarized, bytes: inputBytes }
  const filePath = str(metadata.filepath)
  const paths = filePath !== undefined && !input.paths.includes(filePath) ? [...input.paths, filePath] : input.paths
  const error = status === "error" ? (str(state.error) ?? "error") : null
  const output = num(measured.outputBytes) ?? outputLength(state.output)
  const event: WithoutId<typeof Event.ToolCallEvent.Encoded> = {
    kind: "tool_call",
    source: SOURCE,
    sessionId,
    at: end ?? startedAt,
    callId,
    ...(str(part.messageID) !== undefined ? { messageId: str(part.messageID) as string } : {}),
    name,
    status,
    startedAt,
    ...(start !== undefined && end !== undefined ? { durationMs: Math.max(0, end - start) } : {}),
    input: { ...input, paths: paths.slice(0, Limits.maxPaths) },
    output: {
      bytes: error === null ? output : error.length,
      exitCode: Lenient.exitCode(metadata.exit),
      error: error === null ? null : Limits.truncate(error, Limits.maxErrorChars)
    }
  }
  return Event.make(event)
}

// ---------------------------------------------------------------------------------------------------------------------
// Messages

/** OpenCode token counts → domain usage (`cache.write` counts as a 5-minute write: OpenCode does not split it). */
export const usageOf = (tokens: unknown): Usage.UsageFields => {
  const t = obj(tokens)
  const cache = obj(t.cache)
  return {
    input: count(t.input),
    output: count(t.output),
    cacheRead: count(cache.read),
    cacheWrite5m: count(cache.write),
    cacheWrite1h: 0,
    reasoning: count(t.reasoning)
  }
}

const otherPart = (name: string, text: string | undefined): Part => ({
  type: "other",
  name,
  summary: summary(text)
})

/**
 * A text part nobody wrote: one OpenCode marks ignored, or one it made itself (`synthetic`): an attached file comes as
 * two such parts on the user's message ("Called the Read tool with …" and `<path>…</path><content>…</content>`, the
 * file's whole text), which were synced as the prompt. The attachment's `file` part (its path) stays.
 */
export const notWritten = (part: Json): boolean => part.ignored === true || part.synthetic === true

/** A message's parts in the domain's form; step markers and snapshots are bookkeeping and left out. */
const partOf = (part: Json, options: MappingOptions): Part | undefined => {
  const type = str(part.type) ?? "unknown"
  switch (type) {
    case "text":
      return notWritten(part) ? undefined : { type: "text", text: typeof part.text === "string" ? part.text : "" }
    case "reasoning":
      return options.syncThinking && typeof part.text === "string" && part.text !== ""
        ? { type: "thinking", text: part.text }
        : undefined
    case "tool": {
      const callId = str(part.callID) ?? str(part.id)
      return callId === undefined ? undefined : { type: "tool", callId, name: str(part.tool) ?? "unknown" }
    }
    case "file": {
      const source = obj(part.source)
      const url = str(part.url)
      const path =
        str(source.path) ?? str(part.filename) ?? (url !== undefined && !url.startsWith("data:") ? url : undefined)
      return path === undefined ? undefined : { type: "file", path, mime: str(part.mime) ?? null }
    }
    case "step-start":
    case "step-finish":
    case "snapshot":
      return undefined
    case "patch":
      return otherPart(
        "patch",
        Array.isArray(part.files) ? part.files.filter((f) => typeof f === "string").join(", ") : undefined
      )
    case "subtask":
      return otherPart("subtask", str(part.description) ?? str(part.agent))
    case "agent":
      return otherPart("agent", str(part.name))
    case "retry":
      return otherPart("retry", str(obj(obj(part.error).data).message) ?? str(obj(part.error).name))
    case "compaction":
      return otherPart("compaction", part.auto === true ? "auto" : undefined)
    default:
      return otherPart(type, undefined)
  }
}

const messageOf = (
  message: MessageSnapshot,
  sessionId: string,
  options: MappingOptions
): Event.EventEncoded | undefined => {
  const info = message.info
  const messageId = str(info.id)
  const time = obj(info.time)
  const createdAt = millis(time.created)
  if (messageId === undefined || createdAt === undefined) return undefined
  const role = info.role === "user" || info.role === "assistant" ? info.role : "unknown"
  const completed = millis(time.completed)
  const failed = isObject(info.error)
  // Still streaming: it will come again, complete (the SQLite store has such rows too).
  if (role === "assistant" && completed === undefined && !failed) return undefined
  if (role === "user" && message.parts.length === 0) return undefined

  const texts: Array<string> = []
  const thoughts: Array<string> = []
  const parts: Array<Part> = []
  let steps: Usage.UsageFields | undefined
  let stepCost = 0
  for (const raw of message.parts) {
    if (raw.type === "text" && !notWritten(raw) && typeof raw.text === "string" && raw.text !== "") {
      texts.push(raw.text)
    }
    if (raw.type === "reasoning" && options.syncThinking && typeof raw.text === "string" && raw.text !== "") {
      thoughts.push(raw.text)
    }
    if (raw.type === "step-finish") {
      steps = Usage.add(steps ?? Usage.zero, usageOf(raw.tokens))
      stepCost += num(raw.cost) ?? 0
    }
    const part = partOf(raw, options)
    if (part !== undefined && parts.length < Limits.maxParts) parts.push(part)
  }

  let usage: Usage.UsageFields | undefined
  let cost: number | undefined
  if (role === "assistant") {
    const reported = usageOf(info.tokens)
    usage = Usage.isZero(reported) && steps !== undefined ? steps : reported
    const infoCost = num(info.cost) ?? 0
    cost = infoCost > 0 ? infoCost : stepCost > 0 ? stepCost : undefined
  }
  const completedAt = role === "assistant" ? (completed ?? createdAt) : createdAt
  const error = failed ? obj(info.error) : undefined
  const errorText = error === undefined ? undefined : (str(obj(error.data).message) ?? str(error.name))
  const event: WithoutId<typeof Event.MessageEvent.Encoded> = {
    kind: "message",
    source: SOURCE,
    sessionId,
    at: completedAt,
    messageId,
    role,
    text: texts.join("\n"),
    ...(thoughts.length > 0 ? { thinking: thoughts.join("\n") } : {}),
    parts: errorText === undefined ? parts : [...parts, otherPart("error", errorText)].slice(0, Limits.maxParts),
    ...(role === "assistant" && str(info.modelID) !== undefined ? { model: str(info.modelID) as string } : {}),
    ...(role === "assistant" && str(info.providerID) !== undefined ? { provider: str(info.providerID) as string } : {}),
    createdAt,
    completedAt,
    ...(usage !== undefined && !Usage.isZero(usage) ? { usage } : {}),
    ...(cost !== undefined ? { reportedCostUsd: cost } : {})
  }
  return Event.make(event)
}

// ---------------------------------------------------------------------------------------------------------------------
// Sessions

const sessionOf = (info: Json, sessionId: string): Event.EventEncoded | undefined => {
  const time = obj(info.time)
  const created = millis(time.created)
  const at = millis(time.updated) ?? created
  if (at === undefined) return undefined
  const model = obj(info.model)
  const directory = str(info.directory)
  const event: WithoutId<typeof Event.SessionEvent.Encoded> = {
    kind: "session",
    source: SOURCE,
    sessionId,
    at,
    ...(str(info.title) !== undefined ? { title: str(info.title) as string } : {}),
    ...(directory !== undefined ? { projectPath: directory, projectName: Lenient.projectNameOf(directory) } : {}),
    ...(str(model.id) !== undefined ? { model: str(model.id) as string } : {}),
    ...(str(model.providerID) !== undefined ? { provider: str(model.providerID) as string } : {}),
    ...(str(info.parentID) !== undefined ? { parentSessionId: str(info.parentID) as string } : {}),
    ...(str(info.version) !== undefined ? { agentVersion: str(info.version) as string } : {}),
    ...(created !== undefined ? { startedAt: created } : {})
  }
  return Event.make(event)
}

/** The events of one session snapshot: its metadata, its (finished) messages and, when enabled, its finished tool calls. */
export const toEvents = (snapshot: SessionSnapshot, options: MappingOptions): ReadonlyArray<Event.EventEncoded> => {
  const events: Array<Event.EventEncoded> = []
  const sessionId = snapshot.sessionId
  if (snapshot.info !== null) {
    const session = sessionOf(snapshot.info, sessionId)
    if (session !== undefined) events.push(session)
  }
  for (const message of snapshot.messages) {
    const event = messageOf(message, sessionId, options)
    if (event !== undefined) events.push(event)
  }
  if (options.syncToolCalls) {
    for (const message of snapshot.messages) {
      for (const part of message.parts) {
        if (part.type !== "tool") continue
        const event = toolCallOf(part, sessionId)
        if (event !== undefined) events.push(event)
      }
    }
  }
  return events
}
