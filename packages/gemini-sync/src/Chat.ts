import { isAbsolute, join } from "node:path"
import { Kit, Lenient } from "@opensync/client"
import { Limits, type ToolCall, type Usage } from "@opensync/domain"

/*
 * A Gemini CLI chat file into its session: `~/.gemini/tmp/<project>/chats/session-<ts>-<id>.jsonl` (a header line
 * `{sessionId, projectHash, startTime, lastUpdated, kind}`, then `{"$set": {...}}` patches and message records) or the
 * older `session-….json` (one object with a `messages` array). Message records are written again as they change (a
 * reply gains its tool calls), so they are upserted by `id`: the last copy wins, in the place of the first. A rewind
 * (`{"$rewindTo": id}`) or a `$set` of the whole message list (a rolled-back turn) takes messages out of the
 * conversation but not out of the record: they were sent, billed and possibly synced already, so they are kept. Tokens:
 * Gemini's `input` includes the `cached` tokens and `tool` prompt tokens come on top, `thoughts` are apart from
 * `output`; OpenSync keeps input, cache reads, output and reasoning apart, each counted once.
 */

type Json = Lenient.Json
type Part = Kit.SessionEvents.SessionMessage["parts"][number]

export interface ChatSession extends Kit.SessionEvents.SessionRecord {
  readonly id: string | null
  /** `main`, or `subagent` for an agent's own chat. */
  readonly kind: string | null
  readonly projectHash: string | null
}

/** Gemini's token counts (`tokens {input, output, cached, thoughts, tool, total}`) in OpenSync's terms. */
export const usageOf = (tokens: Json): Usage.UsageFields => {
  const input = Lenient.count(tokens.input)
  const cached = Math.min(Lenient.count(tokens.cached), input)
  return {
    input: input - cached + Lenient.count(tokens.tool),
    output: Lenient.count(tokens.output),
    cacheRead: cached,
    cacheWrite5m: 0,
    cacheWrite1h: 0,
    reasoning: Lenient.count(tokens.thoughts)
  }
}

/**
 * The records of a chat file: the header, then patches and messages (`.jsonl`), or the header and its `messages` (the
 * older `.json`); how many lines were not JSON objects; and, for a `.json` document that is not JSON at all (cut short,
 * or read while Gemini CLI rewrites it), why: such a file is unreadable for now, not "not a chat".
 */
export const parse = (
  text: string,
  form: "jsonl" | "json"
): { readonly records: ReadonlyArray<Json>; readonly malformed: number; readonly invalid?: string } => {
  if (form === "json") {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause)
      return { records: [], malformed: 1, invalid: `not valid JSON (cut short, or being written): ${reason}` }
    }
    if (!Lenient.isRecord(value)) return { records: [], malformed: 1 }
    const { messages, ...header } = value
    return { records: [header, ...(Array.isArray(messages) ? messages.filter(Lenient.isRecord) : [])], malformed: 0 }
  }
  const { lines, malformed } = Kit.SessionFiles.parseJsonLines(text)
  return { records: lines, malformed }
}

const partsOf = (content: unknown): ReadonlyArray<Json> =>
  typeof content === "string" ? [{ text: content }] : Array.isArray(content) ? content.filter(Lenient.isRecord) : []

const textOf = (content: unknown): string =>
  partsOf(content)
    .flatMap((part) => (typeof part.text === "string" && part.thought !== true ? [part.text] : []))
    .join("")

/** Where Gemini CLI appends the files an `@path` in the prompt names, whole (`read_many_files`). */
const REFERENCED_FILES = "\n--- Content from referenced files ---"

/**
 * The words of a user record: what the user typed (`displayContent`, which Gemini CLI keeps beside the query it sent),
 * else the query without the files an `@path` appended. File contents are never synced: the query held them whole.
 */
const userTextOf = (record: Json): string => {
  const shown = record.displayContent === undefined ? "" : textOf(record.displayContent)
  if (shown !== "") return shown
  const text = textOf(record.content)
  const cut = text.indexOf(REFERENCED_FILES)
  return cut === -1 ? text : text.slice(0, cut)
}

/** Context Gemini CLI puts in the conversation itself, not the user's words. */
const isContext = (text: string) => /^\s*<session_context>/.test(text)

/** The summary that replaces the history when Gemini CLI compresses it (a `<state_snapshot>`, sent as the user's). */
const isSummary = (text: string) => /^\s*<state_snapshot>/.test(text)

const { summary } = Kit.ToolInput

/** What a Gemini CLI tool was asked to do: a command, a pattern or query, the files it touches (never contents). */
export const summarize = (name: string, args: unknown, cwd: string | null): ToolCall.ToolInput => {
  const bytes = Lenient.jsonLength(args)
  if (!Lenient.isRecord(args)) return { summary: null, paths: [], bytes }
  const path = (...keys: Array<string>) => {
    for (const key of keys) {
      const value = Lenient.field(args, key)
      if (value !== undefined) return [isAbsolute(value) || cwd === null ? value : join(cwd, value)]
    }
    return []
  }
  switch (name) {
    case "run_shell_command":
      return { summary: summary(Lenient.field(args, "command")), paths: path("dir_path", "directory"), bytes }
    case "read_file":
    case "write_file":
    case "replace":
    case "edit":
      return { summary: null, paths: path("file_path", "absolute_path", "path"), bytes }
    case "read_many_files":
      return {
        summary: null,
        paths: (Array.isArray(args.paths) ? args.paths : [])
          .filter((p) => typeof p === "string")
          .slice(0, Limits.maxPaths),
        bytes
      }
    case "list_directory":
      return { summary: null, paths: path("dir_path", "path"), bytes }
    case "glob":
    case "grep_search":
    case "search_file_content":
      return { summary: summary(Lenient.field(args, "pattern")), paths: path("dir_path", "path"), bytes }
    case "google_web_search":
      return { summary: summary(Lenient.field(args, "query")), paths: [], bytes }
    case "web_fetch":
      return { summary: summary(Lenient.field(args, "url") ?? Lenient.field(args, "prompt")), paths: [], bytes }
    default:
      return Kit.ToolInput.otherTool(args, bytes)
  }
}

/** A shell tool's reply: `Output: …` then `Exit Code: N` (absent on success). */
const exitCodeOf = (output: string): number | null => {
  const match = /(?:^|\n)Exit Code: (-?\d{1,9})(?:\n|$)/.exec(output)
  // `|| 0`: "-0" is 0 (a saved reader state keeps no negative zero).
  return match === null ? null : Number(match[1]) || 0
}

/** What a shell command printed, without the wrapper Gemini CLI adds around it. */
const printed = (output: string): string => {
  const body = output.replace(/^<untrusted_context>\n?|\n?<\/untrusted_context>\s*$/g, "")
  const start = body.startsWith("Output: ") ? "Output: ".length : 0
  const end = body.search(/\n(?:Exit Code|Error|Signal|Background PIDs|Process Group PGID): /)
  return body.slice(start, end < 0 ? undefined : end)
}

/** One tool call of a reply: its status, input and result. */
const toolCallOf = (call: Json, messageId: string, startedAt: number, cwd: string | null) => {
  const callId = Lenient.field(call, "id")
  if (callId === undefined) return undefined
  const name = (Lenient.field(call, "name") ?? "unknown").slice(0, 256)
  const results = (Array.isArray(call.result) ? call.result : []).filter(Lenient.isRecord)
  const response = Lenient.record(Lenient.record(results[0]?.functionResponse).response)
  const output = typeof response.output === "string" ? response.output : ""
  const error = Lenient.field(response, "error")
  const completed = Date.parse(Lenient.field(call, "timestamp") ?? "")
  const exitCode = exitCodeOf(output)
  const status = Lenient.field(call, "status")
  const failed =
    status === "error" || status === "cancelled" || error !== undefined || (exitCode !== null && exitCode !== 0)
  const done = status === "success" || status === "error" || status === "cancelled" || results.length > 0
  const errorText = error ?? (failed ? printed(output).trim() || (status === "cancelled" ? "cancelled" : "") : "")
  const toolCall: Kit.SessionEvents.SessionToolCall = {
    callId,
    messageId,
    name,
    status: !done ? "running" : failed ? "error" : "completed",
    startedAt,
    completedAt: done ? (Number.isFinite(completed) ? Math.max(completed, startedAt) : startedAt) : null,
    input: summarize(name, call.args, cwd),
    output: {
      bytes: Lenient.jsonLength(call.result),
      exitCode,
      error: errorText === "" ? null : Limits.truncate(errorText, Limits.maxErrorChars)
    }
  }
  return toolCall
}

/** What `read` keeps of a message record's last copy: its time, and the message and tool calls it gives, if any. */
export interface Kept {
  readonly at: number
  readonly message: Kit.SessionEvents.SessionMessage | null
  readonly toolCalls: ReadonlyArray<Kit.SessionEvents.SessionToolCall>
}

/**
 * A message record (`id`) as `read` keeps it: what it syncs, made as it is read, so that neither a tool call's result
 * and display (file contents, diffs) nor a function response outlives the record's line.
 */
const keep = (
  id: string,
  record: Json,
  options: { readonly syncThinking: boolean; readonly cwd: string | null }
): Kept => {
  const at = Date.parse(Lenient.field(record, "timestamp") ?? "")
  const none = { at, message: null, toolCalls: [] }
  if (!Number.isFinite(at)) return none
  if (record.type === "user") {
    const text = userTextOf(record)
    // Tool results come back as user-role records of function responses; the context is Gemini CLI's own.
    if (text === "" || isContext(text)) return none
    return {
      at,
      message: {
        id,
        ...(isSummary(text) ? ({ role: "system", subtype: "summary" } as const) : ({ role: "user" } as const)),
        text,
        thinking: null,
        parts: [{ type: "text", text }],
        model: null,
        createdAt: at,
        completedAt: at,
        usage: null
      },
      toolCalls: []
    }
  }
  if (record.type !== "gemini") return none
  // A reply Gemini CLI wrote itself (no model, no usage: the acknowledgement after a compression summary).
  if (record.model === undefined && record.tokens === undefined && record.toolCalls === undefined) return none
  const text = textOf(record.content)
  const thoughts = !options.syncThinking
    ? []
    : (Array.isArray(record.thoughts) ? record.thoughts : []).filter(Lenient.isRecord).flatMap((thought) => {
        const subject = Lenient.field(thought, "subject")
        const description = Lenient.field(thought, "description")
        const line =
          subject !== undefined && description !== undefined ? `${subject}: ${description}` : (subject ?? description)
        return line === undefined ? [] : [line]
      })
  const toolCalls = (Array.isArray(record.toolCalls) ? record.toolCalls : [])
    .filter(Lenient.isRecord)
    .flatMap((call) => toolCallOf(call, id, at, options.cwd) ?? [])
  const parts: Array<Part> = [
    ...(text === "" ? [] : [{ type: "text" as const, text }]),
    ...toolCalls.map((call) => ({ type: "tool" as const, callId: call.callId, name: call.name }))
  ]
  return {
    at,
    message: {
      id,
      role: "assistant",
      text,
      thinking: thoughts.length > 0 ? thoughts.join("\n") : null,
      parts: parts.slice(0, Limits.maxParts),
      model: Lenient.field(record, "model") ?? null,
      createdAt: at,
      completedAt: Math.max(at, ...toolCalls.map((call) => call.completedAt ?? at)),
      usage: Lenient.isRecord(record.tokens) ? usageOf(record.tokens) : null
    },
    toolCalls
  }
}

/** What a `reader` has read, as plain JSON: saved between reads of a chat that grows, and given back to go on. */
export interface ReaderState {
  readonly header: Json | null
  readonly title: string | null
  /** The kept message records by id, in the order of their first copies. */
  readonly kept: ReadonlyArray<readonly [string, Kept]>
}

/**
 * Reads a chat file's records one at a time (`add`), from the start or on from a saved `state`: of each message
 * record only what it syncs is kept (`keep`), so a long chat's tool results are never held at once. `cwd` is the
 * project the chat belongs to (see `Projects`); `parentId` the session that started a subagent's chat.
 */
export const reader = (
  options: { readonly syncThinking: boolean; readonly cwd: string | null; readonly parentId?: string | null },
  saved?: ReaderState
) => {
  let header: Json | undefined = saved?.header ?? undefined
  // Upsert by id: the last copy of a record wins, in the place its first copy had.
  const latest = new Map<string, Kept>(saved?.kept ?? [])
  // The saved state's records: one the read did not write again is still the same object (`unchanged`).
  const savedKept = saved === undefined ? undefined : new Map(latest)
  const savedSessionId = saved === undefined ? undefined : (Lenient.field(saved.header ?? {}, "sessionId") ?? null)
  let title: string | null = saved?.title ?? null
  const upsert = (record: Json) => {
    const id = Lenient.field(record, "id")
    if (id === undefined || typeof record.type !== "string") return
    // A Map keeps the order keys were first set in: deleting first would move the record to the end.
    latest.set(id, keep(id, record, options))
  }
  const add = (record: Json) => {
    if (header === undefined && Lenient.field(record, "sessionId") !== undefined) header = record
    if (Lenient.isRecord(record.$set)) {
      const patch = record.$set
      for (const message of Array.isArray(patch.messages) ? patch.messages : []) {
        if (Lenient.isRecord(message)) upsert(message)
      }
      title = Lenient.field(patch, "summary") ?? title
      return
    }
    upsert(record)
  }
  const state = (): ReaderState => ({ header: header ?? null, title, kept: [...latest] })
  /**
   * The messages and tool calls of records the read took from the saved state and did not see again: their events are
   * the ones the read that saved the state made (unless the session they belong to is another one).
   */
  const unchanged = (): Kit.SessionEvents.Unchanged | undefined => {
    if (savedKept === undefined || savedSessionId !== (Lenient.field(header ?? {}, "sessionId") ?? null))
      return undefined
    const messages = new Set<string>()
    const toolCalls = new Set<string>()
    const changedCalls = new Set<string>()
    for (const [id, kept] of latest) {
      const same = savedKept.get(id) === kept
      if (same && kept.message !== null) messages.add(kept.message.id)
      for (const call of kept.toolCalls) (same ? toolCalls : changedCalls).add(call.callId)
    }
    // A call id written again under another record is not left out.
    for (const callId of changedCalls) toolCalls.delete(callId)
    return { messages, toolCalls }
  }
  const session = (): ChatSession => {
    const kept = unchanged()
    const head = header ?? {}
    const messages: Array<Kit.SessionEvents.SessionMessage> = []
    const toolCalls: Array<Kit.SessionEvents.SessionToolCall> = []
    let model: string | null = null
    // Only the messages date the session: `lastUpdated` patches move without anything to sync.
    let lastAt: number | null = null
    for (const { at, message, toolCalls: calls } of latest.values()) {
      // A saved state has `null` for a record without a valid time.
      if (!Number.isFinite(at)) continue
      lastAt = lastAt === null ? at : Math.max(lastAt, at)
      if (message === null) continue
      if (message.model !== null) model = message.model
      messages.push(message)
      toolCalls.push(...calls)
      lastAt = Math.max(lastAt, message.completedAt)
    }
    const started = Date.parse(Lenient.field(head, "startTime") ?? "")
    return {
      id: Lenient.field(head, "sessionId") ?? null,
      kind: Lenient.field(head, "kind") ?? null,
      projectHash: Lenient.field(head, "projectHash") ?? null,
      title: Lenient.field(head, "summary") ?? title,
      cwd: options.cwd,
      gitBranch: null,
      model,
      provider: null,
      agentVersion: null,
      parentId: options.parentId ?? null,
      startedAt: Number.isFinite(started) ? started : (messages[0]?.createdAt ?? null),
      lastAt,
      messages,
      toolCalls,
      ...(kept !== undefined ? { unchanged: kept } : {})
    }
  }
  return { add, state, session }
}

/** Reads a chat file's records (`records` may be a file's lines parsed as they are read) into its session. */
export const read = (
  records: Iterable<Json>,
  options: { readonly syncThinking: boolean; readonly cwd: string | null; readonly parentId?: string | null }
): ChatSession => {
  const chat = reader(options)
  for (const record of records) chat.add(record)
  return chat.session()
}
