import type { ToolCall } from "@opensync/domain"
import type { TranscriptLine } from "./Lines.js"
import * as Session from "./Session.js"
import type * as ToolCalls from "./ToolCalls.js"

/*
 * What a fold keeps between two reads of a growing transcript, as plain JSON: the session's fields, the prompt ids
 * used and the title candidates, the last responses whole (their lines: the next read may continue them), and of the
 * earlier ones only their ids, counted models and tool calls (those still waiting for a result in full). A turn's sync
 * then reads the lines the turn added and sends what they changed, whatever the transcript's size.
 */

/** How many of the last responses are kept whole: a later line may still belong to them. */
const OPEN_RESPONSES = 2
/** Title candidates kept: the title is decided by the first typed prompt, but commands before it may turn out local. */
const MAX_TITLES = 200
/** A candidate's text is kept only as far as its title could reach. */
const TITLE_TEXT_CHARS = 2_000

type CallState = "pending" | "sidechain" | "main"

interface Item {
  readonly line: TranscriptLine
  readonly at: number | null
}

/** The saved state (version 1). */
interface State {
  readonly v: 1
  readonly sessionId: string | null
  readonly agentId: string | null
  readonly cwd: string | null
  readonly gitBranch: string | null
  readonly version: string | null
  readonly first: number | null
  readonly last: number | null
  readonly lastAt: number | null
  readonly summaryTitle: string | null
  readonly usedPromptIds: ReadonlyArray<string>
  readonly localPromptIds: ReadonlyArray<string>
  readonly titles: ReadonlyArray<Session.TitleCandidate>
  readonly lastEntryIsTitle: boolean
  readonly responses: ReadonlyArray<readonly [string, boolean]>
  readonly models: ReadonlyArray<readonly [string, number]>
  readonly calls: ReadonlyArray<readonly [string, CallState]>
  readonly pending: ReadonlyArray<readonly [string, Session.PendingCall]>
  readonly open: ReadonlyArray<{ readonly id: string; readonly hasMain: boolean; readonly items: ReadonlyArray<Item> }>
  readonly results: ReadonlyArray<readonly [string, ToolCalls.ToolResult]>
  /** When the last cost state was recorded (optional: states saved before cost states were read lack it). */
  readonly costStateAt?: number | null
}

const orNull = <A>(value: A | undefined): A | null => (value === undefined ? null : value)
const orUndefined = <A>(value: A | null): A | undefined => (value === null ? undefined : value)

/** The candidates that can still decide the title: up to the first typed prompt that gives one. */
const keptTitles = (titles: ReadonlyArray<Session.TitleCandidate>): Array<Session.TitleCandidate> => {
  const kept: Array<Session.TitleCandidate> = []
  for (const candidate of titles) {
    if (kept.length >= MAX_TITLES) break
    const text = candidate.text.trimStart()
    kept.push({ ...candidate, text: text.length > TITLE_TEXT_CHARS ? text.slice(0, TITLE_TEXT_CHARS) : text })
    if (!candidate.command && text.trim() !== "" && !text.startsWith("[Request interrupted")) break
  }
  return kept
}

/**
 * The state to save after `complete`: what the next read of the same file needs to go on from where this one stopped.
 * Plain JSON.
 */
export const save = (fold: Session.Fold, completed: Session.Completed): unknown => {
  const responses = new Map(fold.earlier.responses)
  const models = new Map(fold.earlier.models)
  const calls = new Map(fold.earlier.calls)
  const pending = new Map(fold.earlier.pending)
  const resultState = (callId: string): CallState => (fold.results.get(callId)?.sidechain ? "sidechain" : "main")
  for (const callId of pending.keys()) {
    if (fold.newResults.has(callId)) {
      pending.delete(callId)
      calls.set(callId, resultState(callId))
    }
  }
  const built = completed.responses
  const openFrom = Math.max(0, built.length - OPEN_RESPONSES)
  for (const { entry, message, calls: entryCalls } of built.slice(0, openFrom)) {
    responses.set(entry.id, entry.hasMain)
    if (message !== undefined && message.usage !== null && message.model !== null) {
      models.set(message.model, (models.get(message.model) ?? 0) + 1)
    }
    for (const call of entryCalls) {
      if (call.status !== "running") {
        calls.set(call.callId, resultState(call.callId))
        continue
      }
      calls.set(call.callId, "pending")
      const kept: Session.PendingCall = {
        name: call.name,
        input: call.input as ToolCall.ToolInput,
        messageId: call.messageId,
        startedAt: call.startedAt,
        agentId: call.agentId
      }
      pending.set(call.callId, kept)
    }
  }
  const results: Array<readonly [string, ToolCalls.ToolResult]> = []
  for (const [callId, result] of fold.results) if (!calls.has(callId)) results.push([callId, result])
  const state: State = {
    v: 1,
    sessionId: orNull(fold.sessionId),
    agentId: orNull(fold.agentId),
    cwd: orNull(fold.cwd),
    gitBranch: orNull(fold.gitBranch),
    version: orNull(fold.version),
    first: orNull(fold.first),
    last: orNull(fold.last),
    lastAt: orNull(fold.lastAt),
    summaryTitle: orNull(fold.summaryTitle),
    usedPromptIds: [...fold.usedPromptIds],
    localPromptIds: [...fold.localPromptIds],
    titles: keptTitles(fold.titles),
    lastEntryIsTitle: fold.lastEntryIsTitle,
    responses: [...responses],
    models: [...models],
    calls: [...calls],
    pending: [...pending],
    open: built.slice(openFrom).map(({ entry }) => ({
      id: entry.id,
      hasMain: entry.hasMain,
      items: entry.items.map((item) => ({ line: item.line, at: orNull(item.at) }))
    })),
    results,
    costStateAt: orNull(fold.costStates.at(-1)?.at ?? fold.earlier.costStateAt)
  }
  return state
}

const isState = (json: unknown): json is State => {
  if (typeof json !== "object" || json === null) return false
  const state = json as Partial<State>
  return (
    state.v === 1 &&
    [
      state.usedPromptIds,
      state.localPromptIds,
      state.titles,
      state.responses,
      state.models,
      state.calls,
      state.pending,
      state.open,
      state.results
    ].every(Array.isArray)
  )
}

/**
 * A fold that goes on from a saved state, or undefined when the state cannot be used (another version, damaged): the
 * caller then reads the file from the start.
 */
export const restore = (options: Session.ReadOptions, json: unknown): Session.Fold | undefined => {
  if (!isState(json)) return undefined
  try {
    const fold = Session.makeFold(options)
    fold.sessionId = orUndefined(json.sessionId)
    fold.agentId = orUndefined(json.agentId) ?? options.agentId
    fold.cwd = orUndefined(json.cwd)
    fold.gitBranch = orUndefined(json.gitBranch)
    fold.version = orUndefined(json.version)
    fold.first = orUndefined(json.first)
    fold.last = orUndefined(json.last)
    fold.lastAt = orUndefined(json.lastAt)
    fold.summaryTitle = orUndefined(json.summaryTitle)
    for (const id of json.usedPromptIds) fold.usedPromptIds.add(id)
    for (const id of json.localPromptIds) fold.localPromptIds.add(id)
    for (const title of json.titles) fold.titles.push({ ...title })
    fold.lastEntryIsTitle = json.lastEntryIsTitle === true
    for (const [id, hasMain] of json.responses) fold.earlier.responses.set(id, hasMain)
    for (const [model, count] of json.models) fold.earlier.models.set(model, count)
    for (const [callId, state] of json.calls) fold.earlier.calls.set(callId, state)
    for (const [callId, call] of json.pending) fold.earlier.pending.set(callId, call)
    for (const [callId, result] of json.results) fold.results.set(callId, result)
    fold.earlier.costStateAt = typeof json.costStateAt === "number" ? json.costStateAt : undefined
    for (const open of json.open) {
      const entry: Session.ResponseEntry = {
        kind: "response",
        id: open.id,
        items: open.items.map((item) => ({ line: item.line, at: orUndefined(item.at) })),
        hasMain: open.hasMain,
        fresh: false
      }
      fold.responses.set(entry.id, entry)
      fold.entries.push(entry)
      for (const item of entry.items) {
        if (item.line.uuid !== undefined) fold.seenUuids.add(item.line.uuid)
        Session.recordUsage(fold, item.line)
      }
    }
    return fold
  } catch {
    return undefined
  }
}
