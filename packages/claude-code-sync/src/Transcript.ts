import { readFileSync } from "node:fs"
import { Event, Limits, type Message, Usage } from "@opensync/domain"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as ToolInput from "./ToolInput.js"

/*
 * The Claude Code transcript reader, "plan, then apply": `parseLines` turns JSONL text into decoded lines,
 * `readSession` folds them into a summary (messages merged by `message.id`, usage deduplicated, tool calls paired with
 * their results), `toEvents` turns the summary into domain events with deterministic ids. Everything but
 * `readTranscriptFile` is pure, so the same transcript always yields the same events.
 */

// ---------------------------------------------------------------------------------------------------------------------
// Line schema: only the fields the reader needs, every one optional, a field of the wrong type reads as absent.

const orUndefined = <S extends Schema.Schema.AnyNoContext>(schema: S) =>
  Schema.UndefinedOr(schema).annotations({ decodingFallback: () => Either.right(undefined) })

const lenient = <S extends Schema.Schema.AnyNoContext>(schema: S) => Schema.optional(orUndefined(schema))

const Text = lenient(Schema.String)
const Count = lenient(Schema.Number)
const Flag = lenient(Schema.Boolean)

const RawUsage = Schema.Struct({
  input_tokens: Count,
  output_tokens: Count,
  cache_read_input_tokens: Count,
  cache_creation_input_tokens: Count,
  cache_creation: lenient(Schema.Struct({ ephemeral_5m_input_tokens: Count, ephemeral_1h_input_tokens: Count }))
})
type RawUsage = typeof RawUsage.Type

const RawTextBlock = Schema.Struct({ type: Text, text: Text })

const RawBlock = Schema.Struct({
  type: Text,
  text: Text,
  thinking: Text,
  id: Text,
  name: Text,
  input: Schema.optional(Schema.Unknown),
  tool_use_id: Text,
  content: lenient(Schema.Union(Schema.String, Schema.Array(orUndefined(RawTextBlock)))),
  is_error: Flag
})
type RawBlock = typeof RawBlock.Type

const RawMessage = Schema.Struct({
  id: Text,
  role: Text,
  model: Text,
  content: lenient(Schema.Union(Schema.String, Schema.Array(orUndefined(RawBlock)))),
  usage: lenient(RawUsage)
})

/** What a tool reported besides its result text; only sizes and paths are read, never file contents. */
const RawToolUseResult = Schema.Union(
  Schema.String,
  Schema.Struct({ stdout: Text, stderr: Text, filePath: Text, interrupted: Flag })
)
type RawToolUseResult = typeof RawToolUseResult.Type

/** One decoded transcript line (the fields the reader uses). */
export const TranscriptLine = Schema.Struct({
  type: Text,
  uuid: Text,
  promptId: Text,
  timestamp: Text,
  sessionId: Text,
  cwd: Text,
  gitBranch: Text,
  version: Text,
  agentId: Text,
  requestId: Text,
  summary: Text,
  isSidechain: Flag,
  isMeta: Flag,
  isCompactSummary: Flag,
  isApiErrorMessage: Flag,
  message: lenient(RawMessage),
  toolUseResult: lenient(RawToolUseResult)
})
export type TranscriptLine = typeof TranscriptLine.Type

// The same shape with exact optional fields: no fallback machinery, about twice as fast to decode. Lines that fail it
// (a field of an unexpected type) are decoded again with the lenient schema above.
const exact = <S extends Schema.Schema.AnyNoContext>(schema: S) => Schema.optionalWith(schema, { exact: true })
const ExactText = exact(Schema.String)
const ExactCount = exact(Schema.Number)
const ExactFlag = exact(Schema.Boolean)

const ExactUsage = Schema.Struct({
  input_tokens: ExactCount,
  output_tokens: ExactCount,
  cache_read_input_tokens: ExactCount,
  cache_creation_input_tokens: ExactCount,
  cache_creation: exact(Schema.Struct({ ephemeral_5m_input_tokens: ExactCount, ephemeral_1h_input_tokens: ExactCount }))
})

const ExactBlock = Schema.Struct({
  type: ExactText,
  text: ExactText,
  thinking: ExactText,
  id: ExactText,
  name: ExactText,
  input: exact(Schema.Unknown),
  tool_use_id: ExactText,
  content: exact(Schema.Union(Schema.String, Schema.Array(Schema.Struct({ type: ExactText, text: ExactText })))),
  is_error: ExactFlag
})

const ExactLine = Schema.Struct({
  type: ExactText,
  uuid: ExactText,
  promptId: ExactText,
  timestamp: ExactText,
  sessionId: ExactText,
  cwd: ExactText,
  gitBranch: ExactText,
  version: ExactText,
  agentId: ExactText,
  requestId: ExactText,
  summary: ExactText,
  isSidechain: ExactFlag,
  isMeta: ExactFlag,
  isCompactSummary: ExactFlag,
  isApiErrorMessage: ExactFlag,
  message: exact(
    Schema.Struct({
      id: ExactText,
      role: ExactText,
      model: ExactText,
      content: exact(Schema.Union(Schema.String, Schema.Array(ExactBlock))),
      usage: exact(ExactUsage)
    })
  ),
  toolUseResult: exact(
    Schema.Union(
      Schema.String,
      Schema.Struct({ stdout: ExactText, stderr: ExactText, filePath: ExactText, interrupted: ExactFlag })
    )
  )
})

const decodeExact = Schema.decodeUnknownEither(ExactLine, { onExcessProperty: "ignore", errors: "first" })
const decodeLenient = Schema.decodeUnknownEither(TranscriptLine, { onExcessProperty: "ignore", errors: "first" })

/** Decodes one parsed line: the exact schema first, the lenient one when a field has an unexpected type. */
const decodeLine = (json: unknown): Either.Either<TranscriptLine, unknown> => {
  const exactly = decodeExact(json)
  return Either.isRight(exactly) ? exactly : decodeLenient(json)
}

// ---------------------------------------------------------------------------------------------------------------------
// parseLines

/** The decoded lines of a transcript, with counts of the lines that were malformed or of no interest. */
export interface ParsedTranscript {
  readonly lines: ReadonlyArray<TranscriptLine>
  /** Lines that are not JSON objects (typically the last line, cut mid-write). */
  readonly malformed: number
  /** Well-formed lines of types the reader ignores (snapshots, progress, queue operations, attachments, …). */
  readonly skipped: number
}

const TYPE_KEY = '"type":"'

/**
 * Whether a raw line may be a `user`, `assistant` or `summary` line, without parsing it. Claude Code writes compact
 * JSON, so the top-level `"type":"…"` appears verbatim; quotes inside strings are escaped and never match. A line
 * without any compact `"type":"` is parsed anyway.
 */
const mayBeWanted = (line: string): boolean => {
  let at = line.indexOf(TYPE_KEY)
  if (at < 0) return true
  while (at >= 0) {
    const from = at + TYPE_KEY.length
    if (line.startsWith('user"', from) || line.startsWith('assistant"', from) || line.startsWith('summary"', from)) {
      return true
    }
    at = line.indexOf(TYPE_KEY, from)
  }
  return false
}

const isWantedType = (type: unknown): boolean => type === "user" || type === "assistant" || type === "summary"

/** Splits transcript JSONL into decoded lines; never throws: a malformed or truncated line is skipped and counted. */
export const parseLines = (text: string): ParsedTranscript => {
  const lines: Array<TranscriptLine> = []
  let malformed = 0
  let skipped = 0
  let start = 0
  const length = text.length
  while (start < length) {
    let end = text.indexOf("\n", start)
    if (end < 0) end = length
    const line = text.slice(start, end).trim()
    start = end + 1
    if (line === "") continue
    if (!mayBeWanted(line)) {
      // A truncated line can lose its type marker; it still counts as malformed.
      if (line.charCodeAt(0) === 123 && line.charCodeAt(line.length - 1) === 125) skipped++
      else malformed++
      continue
    }
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      malformed++
      continue
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      malformed++
      continue
    }
    if (!isWantedType((json as { readonly type?: unknown }).type)) {
      skipped++
      continue
    }
    const decoded = decodeLine(json)
    if (Either.isLeft(decoded)) malformed++
    else lines.push(decoded.right)
  }
  return { lines, malformed, skipped }
}

// ---------------------------------------------------------------------------------------------------------------------
// readSession

type Part = typeof Message.Part.Encoded

/** A tool call paired with its result; input and output keep sizes, paths and short summaries, never contents. */
export interface TranscriptToolCall {
  readonly callId: string
  readonly messageId: string
  readonly name: string
  readonly status: "running" | "completed" | "error"
  readonly startedAt: number
  readonly completedAt: number | null
  readonly durationMs: number | null
  readonly input: { readonly summary: string | null; readonly paths: ReadonlyArray<string>; readonly bytes: number }
  readonly output: { readonly bytes: number; readonly exitCode: number | null; readonly error: string | null }
  readonly agentId: string | null
}

/** One message: an API response (all lines sharing `message.id`), a user prompt or a compact summary (`system`). */
export interface TranscriptMessage {
  /** `message.id` for assistant messages, the line `uuid` for prompts. */
  readonly id: string
  readonly role: "user" | "assistant" | "system"
  readonly text: string
  /** Concatenated thinking blocks; null unless `syncThinking`. */
  readonly thinking: string | null
  readonly parts: ReadonlyArray<Part>
  /** The model of a real API response; null for prompts, `<synthetic>` and API-error messages. */
  readonly model: string | null
  readonly createdAt: number
  readonly completedAt: number
  /** Usage counted once per `message.id` + `requestId`; null when the message carries none. */
  readonly usage: Usage.UsageFields | null
  readonly agentId: string | null
  readonly isSidechain: boolean
}

/** The summary of one transcript file. */
export interface TranscriptSession {
  readonly source: "main" | "subagent"
  readonly sessionId: string | null
  readonly agentId: string | null
  readonly cwd: string | null
  readonly gitBranch: string | null
  readonly version: string | null
  readonly firstTimestamp: number | null
  readonly lastTimestamp: number | null
  readonly title: string | null
  readonly model: string | null
  readonly messages: ReadonlyArray<TranscriptMessage>
  readonly toolCalls: ReadonlyArray<TranscriptToolCall>
  /** Sum of the messages' deduplicated usage. */
  readonly usage: Usage.UsageFields
}

/** What `readSession` keeps: thinking only when asked; `subagent` for `subagents/agent-<id>.jsonl` files. */
export interface ReadOptions {
  readonly syncThinking: boolean
  readonly source?: "main" | "subagent"
  readonly agentId?: string
}

interface Item {
  readonly line: TranscriptLine
  readonly at: number | undefined
}

interface ResponseEntry {
  readonly kind: "response"
  readonly id: string
  readonly items: Array<Item>
  hasMain: boolean
}

interface PromptEntry {
  readonly kind: "prompt"
  readonly id: string
  readonly role: "user" | "system"
  readonly text: string
  readonly parts: ReadonlyArray<Part>
  readonly item: Item
}

interface ToolResult {
  readonly at: number | undefined
  readonly block: RawBlock
  readonly toolUseResult: RawToolUseResult | undefined
  readonly sidechain: boolean
}

const TITLE_MAX = 120

/** The title a prompt gives a session: its first non-empty line, or undefined for command and system lines. */
const titleOf = (text: string): string | undefined => {
  const trimmed = text.trim()
  if (
    trimmed === "" ||
    trimmed.startsWith("<command-") ||
    trimmed.startsWith("<local-command-") ||
    trimmed.startsWith("<bash-") ||
    trimmed.startsWith("[Request interrupted")
  ) {
    return undefined
  }
  const newline = trimmed.indexOf("\n")
  const first = (newline < 0 ? trimmed : trimmed.slice(0, newline)).trim()
  return first.length > TITLE_MAX ? `${first.slice(0, TITLE_MAX - 1).trimEnd()}…` : first
}

const count = (n: number | undefined): number => (n !== undefined && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0)

/** Claude usage → domain usage; without a `cache_creation` split every cache write is a 5-minute write. */
const usageOf = (raw: RawUsage): Usage.UsageFields => {
  const cacheWrite = count(raw.cache_creation_input_tokens)
  let cacheWrite5m = cacheWrite
  let cacheWrite1h = 0
  if (raw.cache_creation !== undefined) {
    cacheWrite1h = count(raw.cache_creation.ephemeral_1h_input_tokens)
    cacheWrite5m = count(raw.cache_creation.ephemeral_5m_input_tokens)
    if (cacheWrite5m + cacheWrite1h < cacheWrite) cacheWrite5m = cacheWrite - cacheWrite1h
  }
  return {
    input: count(raw.input_tokens),
    output: count(raw.output_tokens),
    cacheRead: count(raw.cache_read_input_tokens),
    cacheWrite5m,
    cacheWrite1h,
    reasoning: 0
  }
}

const resultText = (content: RawBlock["content"]): string => {
  if (typeof content === "string") return content
  if (content === undefined) return ""
  let text = ""
  for (const block of content) if (block?.text !== undefined) text += block.text
  return text
}

/** `Exit code N` at the start of a Bash error (`Error: Exit code N` in `toolUseResult`). */
const exitCodeOf = (text: string): number | null => {
  const at = text.indexOf("Exit code ")
  if (at < 0 || at > 7) return null
  let code = 0
  let digits = 0
  for (let i = at + 10; i < text.length && digits < 10; i++, digits++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) break
    code = code * 10 + (c - 48)
  }
  return digits === 0 ? null : code
}

const toolInputOf = ToolInput.summarize

const toolCallOf = (
  block: RawBlock,
  callId: string,
  messageId: string,
  startedAt: number,
  result: ToolResult | undefined,
  agentId: string | null
): TranscriptToolCall => {
  const name = block.name !== undefined && block.name !== "" ? block.name.slice(0, 256) : "unknown"
  const input = toolInputOf(name, block.input)
  if (result === undefined) {
    return {
      callId,
      messageId,
      name,
      status: "running",
      startedAt,
      completedAt: null,
      durationMs: null,
      input,
      output: { bytes: 0, exitCode: null, error: null },
      agentId
    }
  }
  const text = resultText(result.block.content)
  const isError = result.block.is_error === true
  const reported = result.toolUseResult
  let bytes = text.length
  let exitCode: number | null = null
  let paths = input.paths
  if (typeof reported === "object") {
    if (reported.stdout !== undefined || reported.stderr !== undefined) {
      bytes = (reported.stdout?.length ?? 0) + (reported.stderr?.length ?? 0)
      if (!isError && name === "Bash" && reported.interrupted !== true) exitCode = 0
    }
    if (reported.filePath !== undefined && reported.filePath !== "" && !paths.includes(reported.filePath)) {
      paths = [...paths, reported.filePath]
    }
  }
  let error: string | null = null
  if (isError) {
    const message = text !== "" ? text : typeof reported === "string" ? reported : ""
    exitCode = exitCodeOf(message) ?? (typeof reported === "string" ? exitCodeOf(reported) : null)
    error = message === "" ? null : Limits.truncate(message, Limits.maxErrorChars)
  }
  const completedAt = result.at ?? null
  return {
    callId,
    messageId,
    name,
    status: isError ? "error" : "completed",
    startedAt,
    completedAt,
    durationMs: completedAt === null ? null : Math.max(0, completedAt - startedAt),
    input: paths === input.paths ? input : { ...input, paths },
    output: { bytes, exitCode, error },
    agentId
  }
}

/** A prompt's text and parts: string content, or the text blocks (and placeholders for images) of an array. */
const promptOf = (content: NonNullable<RawMessageContent>): { text: string; parts: ReadonlyArray<Part> } => {
  if (typeof content === "string")
    return { text: content, parts: content === "" ? [] : [{ type: "text", text: content }] }
  let text = ""
  const parts: Array<Part> = []
  for (const block of content) {
    if (block === undefined) continue
    if (block.type === "text" && block.text !== undefined) {
      text += block.text
      parts.push({ type: "text", text: block.text })
    } else if (block.type !== undefined) {
      parts.push({ type: "other", name: block.type, summary: null })
    }
  }
  return { text, parts }
}
type RawMessageContent = NonNullable<TranscriptLine["message"]>["content"]

const hasToolResult = (content: RawMessageContent): boolean => {
  if (!Array.isArray(content)) return false
  for (const block of content) if (block?.type === "tool_result") return true
  return false
}

/** Folds decoded lines into a session: responses merged by `message.id`, usage once per `message.id` + `requestId`. */
export const readSession = (lines: ReadonlyArray<TranscriptLine>, options: ReadOptions): TranscriptSession => {
  const source = options.source ?? "main"
  const subagent = source === "subagent"
  const entries: Array<ResponseEntry | PromptEntry> = []
  const responses = new Map<string, ResponseEntry>()
  const results = new Map<string, ToolResult>()
  const seenUuids = new Set<string>()
  const usedPromptIds = new Set<string>()
  let sessionId: string | undefined
  let agentId: string | undefined = options.agentId
  let cwd: string | undefined
  let gitBranch: string | undefined
  let version: string | undefined
  let first: number | undefined
  let last: number | undefined
  let lastAt: number | undefined
  let title: string | undefined
  let summaryTitle: string | undefined

  // One pass over the lines: metadata, prompts, response groups and tool results.
  for (const line of lines) {
    if (line.type === "summary") {
      if (summaryTitle === undefined && line.summary !== undefined) summaryTitle = titleOf(line.summary)
      continue
    }
    if (line.uuid !== undefined) {
      if (seenUuids.has(line.uuid)) continue
      seenUuids.add(line.uuid)
    }
    const parsed = line.timestamp === undefined ? Number.NaN : Date.parse(line.timestamp)
    if (Number.isFinite(parsed)) {
      lastAt = parsed
      if (first === undefined || parsed < first) first = parsed
      if (last === undefined || parsed > last) last = parsed
    }
    const item: Item = { line, at: Number.isFinite(parsed) ? parsed : lastAt }
    if (line.sessionId !== undefined) sessionId ??= line.sessionId
    if (line.cwd !== undefined) cwd ??= line.cwd
    if (line.gitBranch !== undefined && (line.gitBranch !== "" || gitBranch === undefined)) gitBranch = line.gitBranch
    if (line.version !== undefined) version = line.version
    if (subagent && line.agentId !== undefined) agentId ??= line.agentId
    const sidechain = line.isSidechain === true

    if (line.type === "assistant") {
      const id = line.message?.id ?? line.uuid
      if (id === undefined) continue
      let entry = responses.get(id)
      if (entry === undefined) {
        entry = { kind: "response", id, items: [], hasMain: false }
        responses.set(id, entry)
        entries.push(entry)
      }
      entry.items.push(item)
      if (!sidechain) entry.hasMain = true
      continue
    }

    // user lines: tool results or prompts
    const content = line.message?.content
    if (hasToolResult(content)) {
      const blocks = content as ReadonlyArray<RawBlock | undefined>
      let resultCount = 0
      for (const block of blocks) if (block?.type === "tool_result") resultCount++
      for (const block of blocks) {
        if (block?.type !== "tool_result" || block.tool_use_id === undefined) continue
        const existing = results.get(block.tool_use_id)
        if (existing !== undefined && !(existing.sidechain && !sidechain)) continue
        results.set(block.tool_use_id, {
          at: item.at,
          block,
          toolUseResult: resultCount === 1 ? line.toolUseResult : undefined,
          sidechain
        })
      }
      continue
    }
    if (line.isMeta === true || content === undefined || line.uuid === undefined) continue
    const prompt = promptOf(content)
    const compactSummary = line.isCompactSummary === true
    // The first line of a prompt takes its `promptId`, the id the UserPromptSubmit hook reports, so a prompt synced
    // live by the hook and later from the transcript is one message.
    const ownPrompt = source === "main" && line.isSidechain !== true && line.promptId !== undefined
    const promptId = ownPrompt && !usedPromptIds.has(line.promptId ?? "") ? line.promptId : undefined
    if (promptId !== undefined) usedPromptIds.add(promptId)
    entries.push({
      kind: "prompt",
      id: promptId ?? line.uuid,
      role: compactSummary ? "system" : "user",
      text: prompt.text,
      parts: prompt.parts,
      item
    })
    if (title === undefined && !compactSummary && (subagent || !sidechain)) title = titleOf(prompt.text)
  }

  // Assembly: merge each response's lines, count its usage once, pair its tool uses with their results.
  const messages: Array<TranscriptMessage> = []
  const toolCalls: Array<TranscriptToolCall> = []
  const seenCalls = new Set<string>()
  const modelCounts = new Map<string, number>()
  let total = Usage.zero
  const fallbackAt = first
  const agentOf = (line: TranscriptLine): string | null =>
    subagent ? (agentId ?? null) : line.isSidechain === true ? (line.agentId ?? null) : null

  for (const entry of entries) {
    if (entry.kind === "prompt") {
      const at = entry.item.at ?? fallbackAt
      if (at === undefined) continue
      messages.push({
        id: entry.id,
        role: entry.role,
        text: entry.text,
        thinking: null,
        parts: entry.parts,
        model: null,
        createdAt: at,
        completedAt: at,
        usage: null,
        agentId: agentOf(entry.item.line),
        isSidechain: entry.item.line.isSidechain === true
      })
      continue
    }
    // In the main file, a sidechain copy of a main-thread response is a replay (`/btw`): drop it.
    const items =
      !subagent && entry.hasMain ? entry.items.filter((item) => item.line.isSidechain !== true) : entry.items
    if (items.length === 0) continue
    const createdAt = items[0].at ?? fallbackAt
    if (createdAt === undefined) continue
    let completedAt = createdAt
    let text = ""
    let thinking: string | null = null
    const parts: Array<Part> = []
    let model: string | null = null
    const copies = new Map<string, { usage: Usage.UsageFields; sidechain: boolean; total: number }>()
    for (const { line, at } of items) {
      if (at !== undefined && at > completedAt) completedAt = at
      const message = line.message
      const synthetic = message?.model === "<synthetic>" || line.isApiErrorMessage === true
      if (!synthetic && model === null && message?.model !== undefined && message.model !== "") model = message.model
      const content = message?.content
      if (typeof content === "string") {
        if (content !== "") {
          text += content
          parts.push({ type: "text", text: content })
        }
      } else if (content !== undefined) {
        for (const block of content) {
          if (block === undefined) continue
          switch (block.type) {
            case "text":
              if (block.text !== undefined && block.text !== "") {
                text += block.text
                parts.push({ type: "text", text: block.text })
              }
              break
            case "thinking":
              if (options.syncThinking && block.thinking !== undefined && block.thinking !== "") {
                thinking = thinking === null ? block.thinking : thinking + block.thinking
                parts.push({ type: "thinking", text: block.thinking })
              }
              break
            case "redacted_thinking":
              break
            case "tool_use": {
              const callId = block.id
              if (callId === undefined || callId === "" || callId.length > 256 || seenCalls.has(callId)) break
              seenCalls.add(callId)
              const call = toolCallOf(block, callId, entry.id, at ?? createdAt, results.get(callId), agentOf(line))
              parts.push({ type: "tool", callId, name: call.name })
              toolCalls.push(call)
              break
            }
            default:
              if (block.type !== undefined) parts.push({ type: "other", name: block.type, summary: block.name ?? null })
          }
        }
      }
      if (synthetic || message?.id === undefined || message.usage === undefined) continue
      const usage = usageOf(message.usage)
      const copy = { usage, sidechain: line.isSidechain === true, total: Usage.total(usage) }
      const key = line.requestId ?? ""
      const previous = copies.get(key)
      if (
        previous === undefined ||
        (previous.sidechain && !copy.sidechain) ||
        (previous.sidechain === copy.sidechain && copy.total > previous.total)
      ) {
        copies.set(key, copy)
      }
    }
    let usage: Usage.UsageFields | null = null
    for (const copy of copies.values()) usage = usage === null ? copy.usage : Usage.add(usage, copy.usage)
    if (usage !== null) {
      total = Usage.add(total, usage)
      if (model !== null) modelCounts.set(model, (modelCounts.get(model) ?? 0) + 1)
    }
    messages.push({
      id: entry.id,
      role: "assistant",
      text,
      thinking,
      parts,
      model,
      createdAt,
      completedAt,
      usage,
      agentId: agentOf(items[0].line),
      isSidechain: items[0].line.isSidechain === true
    })
  }

  let model: string | null = null
  let best = 0
  for (const [name, uses] of modelCounts) {
    if (uses > best) {
      model = name
      best = uses
    }
  }

  return {
    source,
    sessionId: sessionId ?? null,
    agentId: subagent ? (agentId ?? null) : null,
    cwd: cwd ?? null,
    gitBranch: gitBranch ?? null,
    version: version ?? null,
    firstTimestamp: first ?? null,
    lastTimestamp: last ?? null,
    title: title ?? summaryTitle ?? null,
    model,
    messages,
    toolCalls,
    usage: total
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// toEvents

/** Where the events go: the session they belong to (the parent's for subagent files) and what to include. */
export interface EventOptions {
  readonly sessionId: string
  readonly source: string
  readonly syncToolCalls: boolean
  readonly agentId?: string
}

type WithoutId<E> = Omit<E, "id">

/** The last segment of a path (`/home/dev/projects/demo` → `demo`), for POSIX and Windows paths. */
export const projectNameOf = (path: string): string => {
  let end = path.length
  while (end > 1 && (path[end - 1] === "/" || path[end - 1] === "\\")) end--
  const trimmed = path.slice(0, end)
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"))
  return cut < 0 ? trimmed : trimmed.slice(cut + 1)
}

/** The session's domain events with deterministic ids (session, messages, tool calls), timed by the transcript. */
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
        ? { projectPath: session.cwd, projectName: projectNameOf(session.cwd) }
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
      text: message.text,
      ...(message.thinking !== null ? { thinking: message.thinking } : {}),
      parts: message.parts,
      ...(message.model !== null ? { model: message.model } : {}),
      ...(agentId !== null ? { agentId } : {}),
      createdAt: message.createdAt,
      completedAt: message.completedAt,
      ...(message.usage !== null ? { usage: message.usage } : {})
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

// ---------------------------------------------------------------------------------------------------------------------
// Files

/** The agent id of a subagent transcript path (`…/subagents/agent-<id>.jsonl`), or undefined for other files. */
export const subagentIdOf = (path: string): string | undefined => {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"))
  const name = path.slice(slash + 1)
  if (!name.startsWith("agent-") || !name.endsWith(".jsonl")) return undefined
  const parent = path.slice(0, Math.max(0, slash))
  if (!parent.endsWith("subagents")) return undefined
  const id = name.slice("agent-".length, -".jsonl".length)
  return id === "" ? undefined : id
}

/** A transcript file could not be read. */
export class TranscriptReadError extends Data.TaggedError("TranscriptReadError")<{
  readonly path: string
  readonly cause: unknown
}> {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `cannot read the transcript ${this.path}: ${reason}`
  }
}

/**
 * Reads and parses one transcript file: the module's only I/O. The read is synchronous on purpose: files are read one
 * at a time anyway, and one `readFileSync` + one UTF-8 decode is about a quarter faster on a backfill than the chunked
 * promise-based read (which decodes through a StringDecoder and waits on the thread pool per 512 KiB chunk).
 */
export const readTranscriptFile = (path: string): Effect.Effect<ParsedTranscript, TranscriptReadError> =>
  Effect.map(
    Effect.try({
      try: () => readFileSync(path, "utf8"),
      catch: (cause) => new TranscriptReadError({ path, cause })
    }),
    parseLines
  )
