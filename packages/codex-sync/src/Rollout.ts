import { type Kit, Lenient } from "@opensync/client"
import { Limits, type Message, type ToolCall, type Usage } from "@opensync/domain"
import * as ToolInput from "./ToolInput.js"
import * as CodexUsage from "./Usage.js"

/*
 * A Codex session file (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<ts>-<id>.jsonl`), read into the session's prompts,
 * replies (one assistant message per API response), tool calls and tokens. Each line is `{timestamp, type, payload}`.
 * The traps other readers fell into, and what this one does:
 * - `token_count` events repeat cumulative totals: usage comes from `token_usage_record` lines, one per API response,
 *   counted once per `response_id`; lines before the first of them (an older Codex, also in a session it began and a
 *   newer Codex resumed in the same file) count the growth of `total_token_usage`.
 * - A forked session's file may replay its parent's lines (the parent's `session_meta`, turns, tokens) before its own
 *   turns: the first `session_meta` is the file's own, and a fork's lines count from its first turn started at or after
 *   the fork (turn ids are UUIDv7, minted when the turn ran).
 * - Cached input is part of Codex's input and reasoning part of its output: see `Usage.fromCodex`.
 */

type Json = Lenient.Json
type Part = typeof Message.Part.Encoded

export type RolloutMessage = Kit.SessionEvents.SessionMessage
export type RolloutToolCall = Kit.SessionEvents.SessionToolCall

/** A session file's session: what every session file gives, and Codex's own lineage. */
export interface RolloutSession extends Kit.SessionEvents.SessionRecord {
  /** The session's id (the first `session_meta`'s), null when the file has none. */
  readonly id: string | null
  readonly forkedFrom: string | null
}

const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-/i

/** When a UUIDv7 was minted (epoch ms), or undefined for any other id. */
export const uuidV7Time = (id: string | undefined): number | undefined => {
  const match = id === undefined ? null : UUID_V7.exec(id)
  return match === null ? undefined : Number.parseInt(`${match[1]}${match[2]}`, 16)
}

/** Texts Codex puts in user-role messages itself (context, instructions), in files without provenance metadata. */
const INJECTED =
  /^\s*(<environment_context>|<user_instructions>|<permissions instructions>|<skills_instructions>|<turn_aborted>|<user_shell_command>|# AGENTS\.md instructions)/

/** Whether a user-role `message` item is something the user typed (not context Codex added). */
const isPrompt = (payload: Json, text: string): boolean => {
  const kinds = Lenient.record(payload.internal_chat_message_metadata_passthrough).content_item_kinds
  if (Array.isArray(kinds)) return kinds.some((kind) => typeof kind === "string" && kind.startsWith("user."))
  return text.trim() !== "" && !INJECTED.test(text)
}

/**
 * A prompt without what was piped into `codex exec` (`cat notes.txt | codex exec "…"`), which Codex appends to the
 * typed prompt as a `<stdin>` block in the same text: a file's contents, sent as its length. Only a block that ends the
 * text is taken for it.
 */
export const withoutStdin = (text: string): string => {
  const start = text.lastIndexOf("\n\n<stdin>\n")
  if (start === -1 || !text.endsWith("\n</stdin>")) return text
  const piped = text.length - start - "\n\n<stdin>\n".length - "\n</stdin>".length
  return `${text.slice(0, start)}\n\n[stdin: ${Math.max(0, piped).toLocaleString("en-US")} characters, not synced]`
}

/** The text of a message item's content (`input_text` / `output_text` parts). */
const textOf = (content: unknown): ReadonlyArray<string> =>
  (Array.isArray(content) ? content : []).flatMap((part) => {
    const record = Lenient.record(part)
    const text = typeof record.text === "string" ? record.text : undefined
    return text !== undefined && text !== "" && (record.type === "input_text" || record.type === "output_text")
      ? [text]
      : []
  })

export interface Group {
  id: string
  createdAt: number
  lastAt: number
  texts: Array<string>
  thinking: Array<string>
  parts: Array<Part>
  model: string | null
}

export interface Call {
  callId: string
  messageId: string
  name: string
  startedAt: number
  input: ToolCall.ToolInput
  completedAt: number | null
  outputText: string | null
  outputBytes: number
  exitCode: number | null
  failed: boolean
  paths: ReadonlyArray<string> | null
}

const failedCall = (call: Call): boolean => call.failed || (call.exitCode !== null && call.exitCode !== 0)

const TOOL_ITEMS = new Set(["function_call", "custom_tool_call", "local_shell_call", "web_search_call"])
const OUTPUT_ITEMS = new Set(["function_call_output", "custom_tool_call_output", "local_shell_call_output"])

/** A tool output's text: a string, or `{content}` / `{output}` of the structured forms. */
const outputText = (output: unknown): string => {
  if (typeof output === "string") return output
  const record = Lenient.record(output)
  return Lenient.field(record, "content") ?? Lenient.field(record, "output") ?? JSON.stringify(output ?? "")
}

/** What a `reader` has read, as plain JSON: saved between reads of a session file that grows, and given back to go on. */
export interface ReaderState {
  /** Whether a `token_usage_record` line was read: usage is counted from them from then on (see `reader`). */
  readonly byRecords: boolean
  readonly id: string | null
  readonly parentId: string | null
  readonly forkedFrom: string | null
  readonly cwd: string | null
  readonly gitBranch: string | null
  readonly model: string | null
  readonly provider: string | null
  readonly agentVersion: string | null
  readonly title: string | null
  readonly startedAt: number | null
  readonly lastAt: number | null
  readonly open: boolean
  readonly forkTime: number | null
  readonly at: number
  /** How many records were read: the next one's ordinal when it has none. */
  readonly index: number
  readonly baseline: Usage.UsageFields
  /** The response being read: its items so far. */
  readonly group: Group | null
  readonly messages: ReadonlyArray<RolloutMessage>
  readonly calls: ReadonlyArray<Call>
  readonly seenResponses: ReadonlyArray<string>
}

/**
 * Reads a session file's records one at a time (`add`), from the start or on from a saved `state`. Usage is counted
 * from the growth of `token_count` totals until a `token_usage_record` line is read, and from those lines after it
 * (Codex writes each response's record before its `token_count`; the totals still grow with every response, so the
 * earlier responses of a file an older Codex began keep what they used). `syncThinking` keeps the reasoning summaries
 * Codex wrote. `session()` ends the read: the state is not taken after it.
 */
export const reader = (options: { readonly syncThinking: boolean }, saved?: ReaderState) => {
  let id = saved?.id ?? null
  let parentId = saved?.parentId ?? null
  let forkedFrom = saved?.forkedFrom ?? null
  let cwd = saved?.cwd ?? null
  let gitBranch = saved?.gitBranch ?? null
  let model = saved?.model ?? null
  let provider = saved?.provider ?? null
  let agentVersion = saved?.agentVersion ?? null
  let title = saved?.title ?? null
  let startedAt = saved?.startedAt ?? null
  let lastAt = saved?.lastAt ?? null
  let open = saved?.open ?? true
  let forkTime: number | undefined = saved?.forkTime ?? undefined
  const messages: Array<RolloutMessage> = [...(saved?.messages ?? [])]
  const calls = new Map<string, Call>((saved?.calls ?? []).map((call) => [call.callId, call]))
  const seenResponses = new Set<string>(saved?.seenResponses ?? [])
  const seenMessages = new Set<string>(messages.map((message) => message.id))
  let byRecords = saved?.byRecords ?? false
  let baseline: Usage.UsageFields = saved?.baseline ?? CodexUsage.fromCodex({})
  let group: Group | null = saved?.group ?? null
  let at = saved?.at ?? 0
  let index = saved?.index ?? 0
  // What the saved state held, to tell which of its messages and calls the read leaves as they were (`unchanged`):
  // messages are never changed once made; a call is, in place, by its output and the events after it.
  const savedMessages = messages.length
  const savedCalls = new Map((saved?.calls ?? []).map((call) => [call.callId, JSON.stringify(call)]))
  /** Ends the current response (its items so far) with its usage; usage without items gets a message of its own. */
  const close = (usage: Usage.UsageFields | null, responseId: string | null, fallback: string) => {
    if (group === null && usage === null) return
    const current: Group = group ?? {
      id: responseId ?? fallback,
      createdAt: at,
      lastAt: at,
      texts: [],
      thinking: [],
      parts: [],
      model
    }
    group = null
    if (seenMessages.has(current.id)) return
    seenMessages.add(current.id)
    messages.push({
      id: current.id,
      role: "assistant",
      text: current.texts.join("\n"),
      thinking: options.syncThinking && current.thinking.length > 0 ? current.thinking.join("\n") : null,
      parts: current.parts.slice(0, Limits.maxParts),
      model: current.model,
      createdAt: current.createdAt,
      completedAt: Math.max(current.lastAt, usage === null ? current.lastAt : at),
      usage
    })
  }

  const groupFor = (itemId: string | undefined, fallback: string): Group => {
    if (group === null) {
      group = { id: itemId ?? fallback, createdAt: at, lastAt: at, texts: [], thinking: [], parts: [], model }
    }
    group.lastAt = at
    return group
  }

  const visit = (line: Json, index: number) => {
    const time = typeof line.timestamp === "string" ? Date.parse(line.timestamp) : Number.NaN
    if (Number.isFinite(time)) at = time
    if (lastAt === null || at > lastAt) lastAt = at
    const payload = Lenient.record(line.payload)
    const ordinal = typeof line.ordinal === "number" ? line.ordinal : index
    switch (line.type) {
      case "session_meta": {
        if (id !== null) return // a parent's, replayed into a fork
        id = Lenient.field(payload, "id") ?? Lenient.field(payload, "session_id") ?? null
        cwd = Lenient.field(payload, "cwd") ?? null
        agentVersion = Lenient.field(payload, "cli_version") ?? null
        provider = Lenient.field(payload, "model_provider") ?? null
        gitBranch = Lenient.field(Lenient.record(payload.git), "branch") ?? null
        const spawn = Lenient.record(Lenient.record(Lenient.record(payload.source).subagent).thread_spawn)
        parentId = Lenient.field(spawn, "parent_thread_id") ?? null
        forkedFrom = Lenient.field(payload, "forked_from_id") ?? null
        const metaTime = Date.parse(Lenient.field(payload, "timestamp") ?? "")
        startedAt = Number.isFinite(metaTime) ? metaTime : at
        if (forkedFrom !== null) {
          open = false
          forkTime = uuidV7Time(id ?? undefined) ?? startedAt
        }
        return
      }
      case "turn_context": {
        const turn = uuidV7Time(Lenient.field(payload, "turn_id"))
        if (!open && (turn === undefined || forkTime === undefined || turn >= forkTime)) open = true
        if (!open) return
        model = Lenient.field(payload, "model") ?? model
        cwd = Lenient.field(payload, "cwd") ?? cwd
        return
      }
      case "token_usage_record": {
        byRecords = true
        if (!open) return
        const thread = Lenient.field(payload, "thread_id") ?? Lenient.field(payload, "session_id")
        if (id !== null && thread !== undefined && thread !== id) return
        const responseId = Lenient.field(payload, "response_id") ?? `${id ?? "codex"}:${ordinal}`
        if (seenResponses.has(responseId)) return
        seenResponses.add(responseId)
        close(CodexUsage.fromCodex(Lenient.record(payload.usage)), responseId, responseId)
        return
      }
      case "event_msg":
        eventMessage(payload, ordinal)
        return
      case "response_item":
        if (open) responseItem(payload, ordinal)
        return
      default:
        return
    }
  }

  function eventMessage(payload: Json, ordinal: number) {
    switch (payload.type) {
      case "task_started": {
        const turn = uuidV7Time(Lenient.field(payload, "turn_id"))
        if (!open && (turn === undefined || forkTime === undefined || turn >= forkTime)) open = true
        return
      }
      case "thread_name_updated":
        if (open) title = Lenient.field(payload, "thread_name") ?? title
        return
      case "token_count": {
        if (byRecords) return
        const total = Lenient.record(Lenient.record(payload.info).total_token_usage)
        if (Object.keys(total).length === 0) return
        const mapped = CodexUsage.fromCodex(total)
        const grown = CodexUsage.sum(mapped) > CodexUsage.sum(baseline)
        const usage = CodexUsage.delta(mapped, baseline)
        if (CodexUsage.sum(mapped) !== CodexUsage.sum(baseline)) baseline = mapped
        // The same totals again (Codex re-emits them) add nothing; a fork's replayed totals only set the baseline.
        if (grown && open) close(usage, null, `${id ?? "codex"}:${ordinal}`)
        return
      }
      case "item_completed": {
        if (!open) return
        const item = Lenient.record(payload.item)
        const call = calls.get(Lenient.field(item, "id") ?? "")
        if (call === undefined) return
        if (item.type === "CommandExecution") {
          const code = Lenient.exitCode(item.exit_code)
          if (code !== null) call.exitCode = code
          if (item.status === "failed") call.failed = true
        } else if (item.type === "FileChange") {
          if (item.status === "failed") call.failed = true
          const changed = Object.keys(Lenient.record(item.changes))
          if (changed.length > 0) call.paths = changed
        }
        return
      }
      case "exec_command_end": {
        const call = calls.get(Lenient.field(payload, "call_id") ?? "")
        const code = Lenient.exitCode(payload.exit_code)
        if (call !== undefined && code !== null) call.exitCode = code
        return
      }
      case "patch_apply_end": {
        const call = calls.get(Lenient.field(payload, "call_id") ?? "")
        if (call !== undefined && payload.success === false) call.failed = true
        return
      }
      default:
        return
    }
  }

  function responseItem(payload: Json, ordinal: number) {
    const itemId = Lenient.field(payload, "id")
    const fallback = `${id ?? "codex"}:${ordinal}`
    const type = payload.type
    if (type === "message") {
      const texts = textOf(payload.content)
      if (payload.role === "assistant") {
        const current = groupFor(itemId, fallback)
        for (const text of texts) {
          current.texts.push(text)
          current.parts.push({ type: "text", text })
        }
        return
      }
      if (payload.role !== "user") return
      const typed = texts.join("\n")
      if (!isPrompt(payload, typed)) return
      const text = withoutStdin(typed)
      close(null, null, fallback)
      const messageId = itemId ?? fallback
      if (seenMessages.has(messageId)) return
      seenMessages.add(messageId)
      messages.push({
        id: messageId,
        role: "user",
        text,
        thinking: null,
        parts: text === "" ? [] : [{ type: "text", text }],
        model: null,
        createdAt: at,
        completedAt: at,
        usage: null
      })
      return
    }
    if (type === "reasoning") {
      const current = groupFor(itemId, fallback)
      for (const part of Array.isArray(payload.summary) ? payload.summary : []) {
        const text = Lenient.field(Lenient.record(part), "text")
        if (text !== undefined) current.thinking.push(text)
      }
      return
    }
    if (typeof type === "string" && TOOL_ITEMS.has(type)) {
      const callId = Lenient.field(payload, "call_id") ?? itemId ?? fallback
      const name =
        type === "local_shell_call" ? "local_shell" : type === "web_search_call" ? "web_search" : payload.name
      const toolName = typeof name === "string" && name !== "" ? name.slice(0, 256) : "unknown"
      const input =
        type === "custom_tool_call"
          ? payload.input
          : type === "local_shell_call" || type === "web_search_call"
            ? Lenient.record(payload.action)
            : ToolInput.argumentsOf(payload.arguments)
      const current = groupFor(itemId, fallback)
      current.parts.push({ type: "tool", callId, name: toolName })
      if (!calls.has(callId)) {
        calls.set(callId, {
          callId,
          messageId: current.id,
          name: toolName,
          startedAt: at,
          input: ToolInput.summarize(toolName, input, cwd),
          completedAt: type === "web_search_call" ? at : null,
          outputText: null,
          outputBytes: 0,
          exitCode: null,
          failed: false,
          paths: null
        })
      }
      return
    }
    if (typeof type === "string" && OUTPUT_ITEMS.has(type)) {
      const call = calls.get(Lenient.field(payload, "call_id") ?? "")
      if (call === undefined) return
      const text = outputText(payload.output)
      call.completedAt = at
      call.outputBytes = text.length
      const structured = ToolInput.argumentsOf(text)
      const metadata = Lenient.isRecord(structured) ? Lenient.record(structured.metadata) : {}
      call.exitCode ??= Lenient.exitCode(metadata.exit_code) ?? ToolInput.exitCodeOfOutput(text)
      if (Lenient.record(payload.output).success === false) call.failed = true
      // Only a failed call's output is kept (its error is synced, never its output): a session's outputs are most of
      // its file. A call found failed stays failed, and the error is made of its last output, as before.
      call.outputText = failedCall(call) ? text : null
    }
  }

  const add = (line: Json) => visit(line, index++)

  /** What the session record and the state both hold. */
  const record = () => ({
    id,
    parentId,
    forkedFrom,
    cwd,
    gitBranch,
    model,
    provider,
    agentVersion,
    title,
    startedAt,
    lastAt,
    messages
  })

  const state = (): ReaderState => ({
    ...record(),
    byRecords,
    open,
    forkTime: forkTime ?? null,
    at,
    index,
    baseline,
    group,
    calls: [...calls.values()],
    seenResponses: [...seenResponses]
  })

  /**
   * The messages and calls of the saved state the read left as they were. Their events are the ones the read that
   * saved the state made, unless what the events take from the session changed: its id, or the provider (of every
   * assistant message).
   */
  const unchanged = (): Kit.SessionEvents.Unchanged | undefined => {
    if (saved === undefined || saved.id !== id) return undefined
    const same = new Set<string>()
    if (saved.provider === provider) for (let i = 0; i < savedMessages; i++) same.add(messages[i].id)
    const sameCalls = new Set<string>()
    for (const [callId, json] of savedCalls) {
      const call = calls.get(callId)
      if (call !== undefined && JSON.stringify(call) === json) sameCalls.add(callId)
    }
    return { messages: same, toolCalls: sameCalls }
  }

  const session = (): RolloutSession => {
    const kept = unchanged()
    close(null, null, "")
    const toolCalls = [...calls.values()].map((call): RolloutToolCall => {
      const failed = failedCall(call)
      const done = call.completedAt !== null
      return {
        callId: call.callId,
        messageId: call.messageId,
        name: call.name,
        status: !done ? "running" : failed ? "error" : "completed",
        startedAt: call.startedAt,
        completedAt: call.completedAt,
        input: call.paths === null ? call.input : { ...call.input, paths: call.paths.slice(0, Limits.maxPaths) },
        output: {
          bytes: call.outputBytes,
          exitCode: call.exitCode,
          error:
            failed && call.outputText !== null
              ? Limits.truncate(ToolInput.printedOutput(call.outputText).trim(), Limits.maxErrorChars) || null
              : null
        }
      }
    })
    return { ...record(), toolCalls, ...(kept !== undefined ? { unchanged: kept } : {}) }
  }

  return { add, state, session }
}

/**
 * Reads a session file's parsed lines, in one pass: `lines` may be produced as it goes (`SessionFiles.jsonObjectsOf`).
 * `syncThinking` keeps the reasoning summaries Codex wrote.
 */
export const read = (lines: Iterable<Json>, options: { readonly syncThinking: boolean }): RolloutSession => {
  const rollout = reader({ syncThinking: options.syncThinking })
  for (const line of lines) rollout.add(line)
  return rollout.session()
}
