import { Lenient } from "@opensync/client"
import type * as SessionEvents from "@opensync/client/kit/SessionEvents"
import { type Message, type ToolCall, Usage } from "@opensync/domain"
import * as ToolInput from "../ToolInput.js"
import type { TranscriptLine } from "./Lines.js"
import * as Messages from "./Messages.js"
import * as Subagents from "./Subagents.js"
import * as ToolCalls from "./ToolCalls.js"
import * as Ledger from "./Usage.js"

/*
 * One transcript file folded into a session summary: responses merged by `message.id` (usage counted once through the
 * ledger), prompts classified (typed prompts, commands, notifications, summaries, …), tool uses paired with their
 * results. The fold takes one decoded line at a time (`makeFold` → `feed` → `finish`), so lines can come from a whole
 * file or from chunks of one; `readSession` folds an array. Pure: the same lines always give the same session.
 *
 * A fold can also go on from where an earlier read of the same file stopped (`Resume.ts` saves and restores what it
 * needs: session fields, the prompt ids used, title candidates, the last responses whole, the tool calls still waiting
 * for their result). Such a fold's `finish` gives only what the new lines changed, and sets `needsWholeRead` when a
 * line continues a response it no longer holds: the caller then reads the file from the start.
 */

type Part = typeof Message.Part.Encoded

/**
 * One message: an API response (all lines sharing `message.id`), or a user-role line (a prompt, a command, …). Its `id`
 * is `message.id` for assistant messages, the prompt's `promptId` or the line's `uuid` for user-role lines; `thinking`
 * (concatenated thinking blocks) is null unless `syncThinking`; `model` is that of a real API response, null for
 * prompts, `<synthetic>` and API-error messages; `usage` is counted once per `message.id` + `requestId`, null when the
 * message carries none.
 */
export interface TranscriptMessage extends SessionEvents.MessageFields {
  /** What a user-role line is when it is not a typed prompt (notification, command, summary, …). */
  readonly subtype: Message.Subtype | null
  /** The API request the usage comes from, when it comes from exactly one (see `Usage.requestIdOf`). */
  readonly requestId: string | null
  readonly agentId: string | null
  readonly isSidechain: boolean
}

/** One model's line of a cost-state. */
export interface CostStateModel {
  readonly model: string
  readonly usage: Usage.UsageFields
  readonly costUsd: number
}

/**
 * A `cost-state` line (2.1.332+): Claude Code's own cumulative figures for the session, subagents included. It has no
 * timestamp: `at` is the latest timestamp of the lines before it, and later than the previous cost-state's, so the
 * last one in the file is the latest.
 */
export interface CostState {
  readonly sessionId: string | null
  readonly at: number
  readonly totalCostUsd: number
  readonly models: ReadonlyArray<CostStateModel>
  readonly hasUnknownModelCost: boolean
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
  readonly toolCalls: ReadonlyArray<ToolCalls.TranscriptToolCall>
  /** Sum of the messages' deduplicated usage. */
  readonly usage: Usage.UsageFields
  /** The file's cost-state lines, in file order. */
  readonly costStates: ReadonlyArray<CostState>
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

export interface ResponseEntry {
  readonly kind: "response"
  readonly id: string
  readonly items: Array<Item>
  hasMain: boolean
  /** Whether the message must be sent: false only for a response restored from an earlier read and not continued. */
  fresh: boolean
}

interface PromptEntry {
  readonly kind: "prompt"
  readonly id: string
  readonly classified: Messages.Classified
  readonly parts: ReadonlyArray<Part>
  readonly item: Item
}

/** A tool call of a response sent by an earlier read, still waiting for its result. */
export interface PendingCall {
  readonly name: string
  readonly input: ToolCall.ToolInput
  readonly messageId: string
  readonly startedAt: number
  readonly agentId: string | null
}

/** What an earlier read left of the responses it sent (their lines are gone). */
export interface Earlier {
  /** Response ids, and whether a main-thread line of each was seen. */
  readonly responses: Map<string, boolean>
  /** Counted responses per model, for the session's model. */
  readonly models: Map<string, number>
  /** Tool call ids of those responses: `pending` (no result yet), `sidechain` or `main` (where its result came from). */
  readonly calls: Map<string, "pending" | "sidechain" | "main">
  /** The pending calls, to send when their result comes. */
  readonly pending: Map<string, PendingCall>
  /** When the last cost state of the earlier reads was recorded (the next one is recorded after it). */
  costStateAt: number | undefined
}

export interface TitleCandidate {
  readonly text: string
  readonly promptId: string | undefined
  readonly command: boolean
  /** A command answered by local output (`/model`, `/compact`): Claude Code ran it, no conversation followed. */
  local: boolean
}

/** A running fold over one transcript's lines. */
export interface Fold {
  readonly options: ReadOptions
  readonly subagent: boolean
  readonly entries: Array<ResponseEntry | PromptEntry>
  readonly responses: Map<string, ResponseEntry>
  readonly results: Map<string, ToolCalls.ToolResult>
  readonly seenUuids: Set<string>
  readonly usedPromptIds: Set<string>
  /** Prompt ids of local commands (`/compact`, `/model`): such a command does not title the session. */
  readonly localPromptIds: Set<string>
  /** Candidate titles in file order: typed prompts and slash commands. */
  readonly titles: Array<TitleCandidate>
  /** Usage copies of every response seen so far (see `Usage.ts`). */
  readonly ledger: Ledger.Ledger
  /** What earlier reads sent, when this fold goes on from one (empty otherwise). */
  readonly earlier: Earlier
  /** Tool call ids whose result this read recorded. */
  readonly newResults: Set<string>
  /** Lines fed to this fold (by this read). */
  fed: number
  /** A line continued a response an earlier read sent: the file must be read from the start. */
  needsWholeRead: boolean
  readonly costStates: Array<CostState>
  sessionId: string | undefined
  agentId: string | undefined
  cwd: string | undefined
  gitBranch: string | undefined
  version: string | undefined
  first: number | undefined
  last: number | undefined
  lastAt: number | undefined
  summaryTitle: string | undefined
  /** Whether the last entry pushed is the last title candidate. */
  lastEntryIsTitle: boolean
}

export const makeFold = (options: ReadOptions): Fold => ({
  options,
  subagent: options.source === "subagent",
  entries: [],
  responses: new Map(),
  results: new Map(),
  seenUuids: new Set(),
  usedPromptIds: new Set(),
  localPromptIds: new Set(),
  titles: [],
  ledger: Ledger.emptyLedger(),
  earlier: { responses: new Map(), models: new Map(), calls: new Map(), pending: new Map(), costStateAt: undefined },
  newResults: new Set(),
  fed: 0,
  needsWholeRead: false,
  costStates: [],
  sessionId: undefined,
  agentId: options.agentId,
  cwd: undefined,
  gitBranch: undefined,
  version: undefined,
  first: undefined,
  last: undefined,
  lastAt: undefined,
  summaryTitle: undefined,
  lastEntryIsTitle: false
})

const isSynthetic = (line: TranscriptLine): boolean =>
  line.message?.model === "<synthetic>" || line.isApiErrorMessage === true

/** Records a response line's usage in the ledger (also used to rebuild the ledger of restored responses). */
export const recordUsage = (fold: Fold, line: TranscriptLine): void => {
  const messageId = line.message?.id
  if (messageId === undefined) return
  const raw = line.message?.usage
  const usage = isSynthetic(line) || raw === undefined ? null : Ledger.usageOf(raw)
  Ledger.record(fold.ledger, messageId, line.requestId, usage, line.isSidechain === true)
}

const feedResponse = (fold: Fold, line: TranscriptLine, item: Item) => {
  const id = line.message?.id ?? line.uuid
  if (id === undefined) return
  const sidechain = line.isSidechain === true
  let entry = fold.responses.get(id)
  if (entry === undefined) {
    const earlier = fold.earlier.responses.get(id)
    if (earlier !== undefined) {
      // A sidechain copy of a main-thread response is a replay, dropped whole; anything else would change a message
      // whose lines this fold no longer holds.
      if (!(sidechain && earlier && !fold.subagent)) fold.needsWholeRead = true
      return
    }
    entry = { kind: "response", id, items: [], hasMain: false, fresh: true }
    fold.responses.set(id, entry)
    fold.entries.push(entry)
    fold.lastEntryIsTitle = false
  }
  entry.items.push(item)
  entry.fresh = true
  if (!sidechain) entry.hasMain = true
  recordUsage(fold, line)
}

/** Records a line's tool results: those of calls an earlier read sent complete them, once. */
const feedResults = (fold: Fold, results: ToolCalls.LineResults, at: number | undefined, sidechain: boolean) => {
  const earlier = fold.earlier.calls
  const fresh: ToolCalls.LineResults =
    earlier.size === 0
      ? results
      : {
          ...results,
          blocks: results.blocks.filter((block) => {
            const state = block.toolUseId === undefined ? undefined : earlier.get(block.toolUseId)
            if (state === undefined || state === "pending") return true
            // A main-thread result replacing a sidechain one that was sent: re-read to send the call again.
            if (state === "sidechain" && !sidechain) fold.needsWholeRead = true
            return false
          })
        }
  for (const id of ToolCalls.recordResults(fold.results, fresh, at, sidechain)) fold.newResults.add(id)
}

const feedUserLine = (fold: Fold, line: TranscriptLine, item: Item) => {
  const content = line.message?.content
  const sidechain = line.isSidechain === true
  if (line.toolResults !== undefined) {
    feedResults(fold, line.toolResults, item.at, sidechain)
    return
  }
  if (line.isMeta === true) {
    // Hidden lines (caveats, a command's expanded prompt) are not synced; a caveat marks its command as local.
    if (typeof content === "string" && content.trimStart().startsWith("<local-command-caveat>")) {
      if (line.promptId !== undefined) fold.localPromptIds.add(line.promptId)
    }
    return
  }
  if (content === undefined || line.uuid === undefined) return
  const { text, parts } = Messages.contentOf(content)
  const classified = Messages.classify(text, {
    compactSummary: line.isCompactSummary === true,
    originKind: line.origin?.kind,
    promptSource: line.promptSource,
    fromParentAgent: fold.subagent || sidechain
  })
  // The first line of a prompt takes its `promptId`, the id the UserPromptSubmit hook reports, so a prompt synced
  // live by the hook and later from the transcript is one message. A task notification is named by its text instead
  // (see `Messages.notificationId`).
  const notification = classified.subtype === "notification" && Messages.isTaskNotification(text, line.origin?.kind)
  const ownPrompt = !fold.subagent && !sidechain && !notification && line.promptId !== undefined
  const promptId = ownPrompt && !fold.usedPromptIds.has(line.promptId ?? "") ? line.promptId : undefined
  if (promptId !== undefined) fold.usedPromptIds.add(promptId)
  if (classified.subtype === "command-output") {
    // Output of a local command: its command (same prompt id, or the line just before) is not a title.
    if (line.promptId !== undefined) fold.localPromptIds.add(line.promptId)
    const previous = fold.titles.at(-1)
    if (previous?.command === true && fold.lastEntryIsTitle) previous.local = true
  }
  fold.lastEntryIsTitle = false
  fold.entries.push({
    kind: "prompt",
    id: notification ? Messages.notificationId(text) : (promptId ?? line.uuid),
    classified,
    parts: Messages.partsOf(classified, parts, text),
    item
  })
  const titled =
    classified.subtype === undefined ||
    classified.command !== undefined ||
    (fold.subagent && classified.subtype === "delegation")
  if (titled && (fold.subagent || !sidechain)) {
    fold.titles.push({
      text: classified.text,
      promptId: line.promptId,
      command: classified.command !== undefined,
      local: false
    })
    fold.lastEntryIsTitle = true
  }
}

/** A `queued_command` attachment: a task notification absorbed into the running turn (2.1.332). */
const feedQueuedCommand = (fold: Fold, line: TranscriptLine, item: Item) => {
  const attachment = line.attachment
  const prompt = attachment?.prompt
  if (prompt === undefined || line.uuid === undefined) return
  const originKind =
    attachment?.origin?.kind ?? (attachment?.commandMode === "task-notification" ? "task-notification" : undefined)
  // Other queued commands (a message the user typed during the turn) are left to the prompt line or hook that has them.
  if (!Messages.isTaskNotification(prompt, originKind)) return
  const classified = Messages.classify(prompt, { originKind: "task-notification" })
  fold.lastEntryIsTitle = false
  fold.entries.push({
    kind: "prompt",
    id: Messages.notificationId(prompt),
    classified,
    parts: classified.text === "" ? [] : [{ type: "text", text: classified.text }],
    item
  })
}

/** The most models one cost-state keeps (the domain's bound). */
const MAX_COST_STATE_MODELS = 64

const finiteCost = (value: number | undefined): number =>
  value !== undefined && Number.isFinite(value) && value > 0 ? value : 0

/** A `cost-state` line: kept with the time of the lines before it; one without a total or before any timestamp is not. */
const feedCostState = (fold: Fold, line: TranscriptLine) => {
  if (line.totalCostUSD === undefined || fold.last === undefined) return
  const previousAt = fold.costStates.at(-1)?.at ?? fold.earlier.costStateAt
  const models: Array<CostStateModel> = []
  for (const [model, raw] of Object.entries(line.modelUsage ?? {})) {
    if (model === "" || models.length >= MAX_COST_STATE_MODELS) continue
    const write = Lenient.count(raw.cacheCreationInputTokens)
    const write1h = Lenient.count(raw.cacheCreationEphemeral1hInputTokens)
    const split5m = Lenient.count(raw.cacheCreationEphemeral5mInputTokens)
    models.push({
      model,
      usage: {
        input: Lenient.count(raw.inputTokens),
        output: Lenient.count(raw.outputTokens),
        cacheRead: Lenient.count(raw.cacheReadInputTokens),
        cacheWrite5m: split5m + write1h < write ? write - write1h : split5m,
        cacheWrite1h: write1h,
        reasoning: 0
      },
      costUsd: finiteCost(raw.costUSD)
    })
  }
  fold.costStates.push({
    sessionId: line.sessionId ?? null,
    at: previousAt === undefined ? fold.last : Math.max(fold.last, previousAt + 1),
    totalCostUsd: finiteCost(line.totalCostUSD),
    models,
    hasUnknownModelCost: line.hasUnknownModelCost === true
  })
}

/** Folds one decoded line into the session (mutates the fold). */
export const feed = (fold: Fold, line: TranscriptLine): void => {
  fold.fed++
  if (line.type === "cost-state") {
    feedCostState(fold, line)
    return
  }
  if (line.type === "summary") {
    if (fold.summaryTitle === undefined && line.summary !== undefined)
      fold.summaryTitle = Messages.titleOf(line.summary)
    return
  }
  if (line.uuid !== undefined) {
    if (fold.seenUuids.has(line.uuid)) return
    fold.seenUuids.add(line.uuid)
  }
  const parsed = line.timestamp === undefined ? Number.NaN : Date.parse(line.timestamp)
  if (Number.isFinite(parsed)) {
    fold.lastAt = parsed
    if (fold.first === undefined || parsed < fold.first) fold.first = parsed
    if (fold.last === undefined || parsed > fold.last) fold.last = parsed
  }
  const item: Item = { line, at: Number.isFinite(parsed) ? parsed : fold.lastAt }
  if (line.sessionId !== undefined) fold.sessionId ??= line.sessionId
  if (line.cwd !== undefined) fold.cwd ??= line.cwd
  if (line.gitBranch !== undefined && (line.gitBranch !== "" || fold.gitBranch === undefined)) {
    fold.gitBranch = line.gitBranch
  }
  if (line.version !== undefined) fold.version = line.version
  if (fold.subagent && line.agentId !== undefined) fold.agentId ??= line.agentId
  if (line.type === "assistant") feedResponse(fold, line, item)
  else if (line.type === "attachment") feedQueuedCommand(fold, line, item)
  else feedUserLine(fold, line, item)
}

/** A response as `finish` built it. */
export interface BuiltResponse {
  readonly entry: ResponseEntry
  /** Undefined when the response has nothing to show (only replayed lines, no time). */
  readonly message: TranscriptMessage | undefined
  readonly calls: ReadonlyArray<ToolCalls.TranscriptToolCall>
}

/** A response's lines merged: text, thinking and parts in file order, its tool calls, its model and counted usage. */
const responseMessage = (fold: Fold, entry: ResponseEntry, seenCalls: Set<string>): BuiltResponse => {
  const file = { subagent: fold.subagent, agentId: fold.agentId }
  const toolCalls: Array<ToolCalls.TranscriptToolCall> = []
  // In the main file, a sidechain copy of a main-thread response is a replay (`/btw`): drop it.
  const items =
    !fold.subagent && entry.hasMain ? entry.items.filter((item) => item.line.isSidechain !== true) : entry.items
  if (items.length === 0) return { entry, message: undefined, calls: toolCalls }
  const createdAt = items[0].at ?? fold.first
  if (createdAt === undefined) return { entry, message: undefined, calls: toolCalls }
  let completedAt = createdAt
  let text = ""
  let thinking: string | null = null
  const parts: Array<Part> = []
  let model: string | null = null
  for (const { line, at } of items) {
    if (at !== undefined && at > completedAt) completedAt = at
    const message = line.message
    if (!isSynthetic(line) && model === null && message?.model !== undefined && message.model !== "") {
      model = message.model
    }
    const content = message?.content
    if (typeof content === "string") {
      if (content !== "") {
        text += content
        parts.push({ type: "text", text: content })
      }
      continue
    }
    for (const block of content ?? []) {
      if (block === undefined) continue
      switch (block.type) {
        case "text":
          if (block.text !== undefined && block.text !== "") {
            text += block.text
            parts.push({ type: "text", text: block.text })
          }
          break
        case "thinking":
          if (fold.options.syncThinking && block.thinking !== undefined && block.thinking !== "") {
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
          const name = ToolCalls.nameOf(block.name)
          const call = ToolCalls.toolCallOf(
            name,
            ToolInput.summarize(name, block.input),
            callId,
            entry.id,
            at ?? createdAt,
            fold.results.get(callId),
            Subagents.agentOf(file, line)
          )
          parts.push({ type: "tool", callId, name: call.name })
          toolCalls.push(call)
          break
        }
        default:
          if (block.type !== undefined) parts.push({ type: "other", name: block.type, summary: block.name ?? null })
      }
    }
  }
  const usage = Ledger.counted(fold.ledger, entry.id, !fold.subagent)
  const requestId = usage === null ? undefined : Ledger.requestIdOf(fold.ledger, entry.id, !fold.subagent)
  const message: TranscriptMessage = {
    id: entry.id,
    role: "assistant",
    subtype: null,
    text,
    thinking,
    parts,
    model,
    createdAt,
    completedAt,
    usage,
    requestId: requestId ?? null,
    agentId: Subagents.agentOf(file, items[0].line),
    isSidechain: items[0].line.isSidechain === true
  }
  return { entry, message, calls: toolCalls }
}

/** A finished fold: the session, and every response as built (what `Resume.save` keeps of them). */
export interface Completed {
  readonly session: TranscriptSession
  readonly responses: ReadonlyArray<BuiltResponse>
}

/**
 * The session the lines fed so far describe. For a fold that goes on from an earlier read, `messages` and `toolCalls`
 * hold only what this read changed (its new messages, a restored response it continued, the calls whose result came),
 * `usage` their usage; the session's fields (times, title, model) always describe the whole file.
 */
export const complete = (fold: Fold): Completed => {
  const file = { subagent: fold.subagent, agentId: fold.agentId }
  const messages: Array<TranscriptMessage> = []
  const toolCalls: Array<ToolCalls.TranscriptToolCall> = []
  const responses: Array<BuiltResponse> = []
  const seenCalls = new Set<string>(fold.earlier.calls.keys())
  const modelCounts = new Map<string, number>(fold.earlier.models)
  let total = Usage.zero

  for (const entry of fold.entries) {
    if (entry.kind === "prompt") {
      const at = entry.item.at ?? fold.first
      if (at === undefined) continue
      messages.push({
        id: entry.id,
        role: entry.classified.role,
        subtype: entry.classified.subtype ?? null,
        text: entry.classified.text,
        thinking: null,
        parts: entry.parts,
        model: null,
        createdAt: at,
        completedAt: at,
        usage: null,
        requestId: null,
        agentId: Subagents.agentOf(file, entry.item.line),
        isSidechain: entry.item.line.isSidechain === true
      })
      continue
    }
    const built = responseMessage(fold, entry, seenCalls)
    responses.push(built)
    const message = built.message
    if (message === undefined) continue
    if (message.usage !== null && message.model !== null) {
      modelCounts.set(message.model, (modelCounts.get(message.model) ?? 0) + 1)
    }
    if (!entry.fresh && !built.calls.some((call) => fold.newResults.has(call.callId))) continue
    if (message.usage !== null) total = Usage.add(total, message.usage)
    messages.push(message)
    for (const call of built.calls) toolCalls.push(call)
  }
  for (const [callId, pending] of fold.earlier.pending) {
    if (!fold.newResults.has(callId)) continue
    toolCalls.push(
      ToolCalls.toolCallOf(
        pending.name,
        pending.input,
        callId,
        pending.messageId,
        pending.startedAt,
        fold.results.get(callId),
        pending.agentId
      )
    )
  }

  let model: string | null = null
  let best = 0
  for (const [name, uses] of modelCounts) {
    if (uses > best) {
      model = name
      best = uses
    }
  }

  let title: string | undefined
  for (const candidate of fold.titles) {
    const local = candidate.local || (candidate.promptId !== undefined && fold.localPromptIds.has(candidate.promptId))
    if (candidate.command && local) continue
    title = Messages.titleOf(candidate.text)
    if (title !== undefined) break
  }

  const session: TranscriptSession = {
    source: fold.subagent ? "subagent" : "main",
    sessionId: fold.sessionId ?? null,
    agentId: fold.subagent ? (fold.agentId ?? null) : null,
    cwd: fold.cwd ?? null,
    gitBranch: fold.gitBranch ?? null,
    version: fold.version ?? null,
    firstTimestamp: fold.first ?? null,
    lastTimestamp: fold.last ?? null,
    title: title ?? fold.summaryTitle ?? null,
    model,
    messages,
    toolCalls,
    usage: total,
    costStates: fold.costStates
  }
  return { session, responses }
}

/** The session the lines fed so far describe (see `complete`). */
export const finish = (fold: Fold): TranscriptSession => complete(fold).session

/** Folds decoded lines into a session: responses merged by `message.id`, usage once per `message.id` + `requestId`. */
export const readSession = (lines: ReadonlyArray<TranscriptLine>, options: ReadOptions): TranscriptSession => {
  const fold = makeFold(options)
  for (const line of lines) feed(fold, line)
  return finish(fold)
}
