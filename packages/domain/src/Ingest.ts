import type {
  ActiveTimeEvent,
  CostStateEvent,
  MessageEvent,
  SessionEvent,
  ToolCallEvent,
  ToolResultEvent
} from "./Event.js"
import { sessionTextFields } from "./Event.js"
import * as Figures from "./Figures.js"
import { dayOf, maxEpochMillis } from "./Ids.js"
import * as Limits from "./Limits.js"
import type { Message } from "./Message.js"
import * as Pricing from "./Pricing.js"
import type { ApiRequest } from "./Request.js"
import type { Session, ToolSlice, UsageSlice } from "./Session.js"
import type { ToolCall } from "./ToolCall.js"
import { countedName, isFinal } from "./ToolCall.js"
import * as ToolNames from "./ToolNames.js"
import * as Usage from "./Usage.js"

/**
 * Pure ingestion: each function takes the stored state an event touches (or null) and returns the new state.
 * Backends read the rows, call these, and write what comes back; rollups follow from `Rollup.delta(before, after)`.
 * Every function is idempotent: applying the same event twice yields the same state.
 */

/** What applying an event did: `applied`, or `stale` when a newer state was already stored (nothing changes). */
export type Outcome = "applied" | "stale"

const sessionFields = sessionTextFields

/** A session row for an id seen for the first time (created by whichever event arrives first). */
export const emptySession = (id: string, source: string, at: number): Session => ({
  id: id as Session["id"],
  source,
  title: null,
  projectPath: null,
  projectName: null,
  gitBranch: null,
  model: null,
  provider: null,
  startType: null,
  endReason: null,
  parentSessionId: null,
  agentVersion: null,
  startedAt: at,
  updatedAt: at,
  lastActivityAt: at,
  endedAt: null,
  durationMs: 0,
  messageCount: 0,
  toolCallCount: 0,
  toolErrorCount: 0,
  usage: Usage.zero,
  totalTokens: 0,
  costUsd: 0,
  unpricedMessages: 0,
  reported: null,
  usageSlices: [],
  toolSlices: []
})

/** Merges session metadata field by field. An older event only fills fields that are still empty. */
export const applySessionEvent = (existing: Session | null, event: SessionEvent): Session => {
  const base = existing ?? emptySession(event.sessionId, event.source, event.startedAt ?? event.at)
  const newer = existing === null || event.at >= existing.updatedAt
  const next: { -readonly [K in keyof Session]: Session[K] } = { ...base }
  for (const field of sessionFields) {
    const value = event[field]
    if (value === undefined) continue
    if (newer || next[field] === null) next[field] = value === null ? null : Limits.cut(value, 4096)
  }
  if (event.startedAt !== undefined) next.startedAt = Math.min(next.startedAt, event.startedAt)
  if (event.endedAt !== undefined && (newer || next.endedAt === null)) next.endedAt = event.endedAt
  if (event.reported !== undefined) next.reported = mergeReported(next.reported, event.reported)
  next.updatedAt = Math.max(base.updatedAt, event.at, next.endedAt ?? 0)
  next.lastActivityAt = Math.max(base.lastActivityAt, next.startedAt, next.endedAt ?? 0)
  return totalled(next)
}

const mergeReported = (
  current: Session["reported"],
  reported: NonNullable<SessionEvent["reported"]>
): NonNullable<Session["reported"]> => ({
  promptTokens: reported.promptTokens > 0 ? reported.promptTokens : (current?.promptTokens ?? 0),
  completionTokens: reported.completionTokens > 0 ? reported.completionTokens : (current?.completionTokens ?? 0),
  costUsd: reported.costUsd ?? current?.costUsd ?? null,
  durationMs: reported.durationMs ?? current?.durationMs ?? null
})

/**
 * A message event's texts (its text, thinking, text and thinking parts) cut to what a server keeps, and its parts to
 * `maxParts`: what the server would store of it anyway. A plugin fits what it sends so a long paste goes out cut (the
 * server marks it truncated) instead of too large for any request and never sent. The same object when it fits.
 */
export const fitMessage = <
  M extends {
    readonly text?: string | undefined
    readonly thinking?: string | null | undefined
    readonly parts?: ReadonlyArray<{ readonly type: string; readonly text?: string }> | undefined
  }
>(
  message: M
): M => {
  const fit = (text: string) => Limits.truncate(text, Limits.maxTextChars, Limits.cut)
  const long = (text: string | null | undefined) => text != null && text.length > Limits.maxTextChars
  const parts = message.parts ?? []
  const partsFit =
    parts.length <= Limits.maxParts &&
    parts.every((part) => (part.type !== "text" && part.type !== "thinking") || !long(part.text))
  if (!long(message.text) && !long(message.thinking) && partsFit) return message
  return {
    ...message,
    ...(message.text !== undefined ? { text: fit(message.text) } : {}),
    ...(message.thinking != null ? { thinking: fit(message.thinking) } : {}),
    ...(message.parts !== undefined
      ? {
          parts: message.parts
            .slice(0, Limits.maxParts)
            .map((part) =>
              (part.type === "text" || part.type === "thinking") && part.text !== undefined
                ? { ...part, text: fit(part.text) }
                : part
            )
        }
      : {})
  }
}

/**
 * The stored form of a message event: text cut to the size policy, usage priced at the rates in force at its
 * `createdAt` (local `overrides` over the bundled price data).
 */
export const messageFromEvent = (
  event: MessageEvent,
  sessionModel: string | null,
  overrides: ReadonlyArray<Pricing.Override> = []
): Message => {
  const usage = Usage.of(event.usage)
  const model = event.model ?? null
  const priced =
    event.role === "assistant" && !Usage.isZero(usage)
      ? Pricing.price(model ?? sessionModel, usage, {
          at: event.createdAt,
          provider: event.provider ?? null,
          overrides
        })
      : undefined
  const reported = event.reportedCostUsd ?? null
  const hasUsage = !Usage.isZero(usage)
  // Texts arrive redacted (by the plugin, or the legacy protocol's handler): cut where the limit falls.
  const fitted = fitMessage(event)
  const { text, thinking } = fitted
  // The optional fields are set after the literal, not spread into it: with a spread in it (`...(x ? { x } : {})`)
  // V8 (Node 20) builds the object property by property on a slow path, ~4 µs a message (docs/benchmarks.md).
  const message: { -readonly [K in keyof Message]: Message[K] } = {
    id: event.messageId,
    sessionId: event.sessionId,
    role: event.role,
    text,
    thinking,
    parts: fitted.parts,
    model,
    provider: event.provider ?? null,
    agentId: event.agentId ?? null,
    createdAt: event.createdAt,
    completedAt: event.completedAt ?? null,
    usage,
    usageCounted: event.countUsage,
    costUsd: Pricing.roundUsd(reported ?? priced?.usd ?? 0),
    computedCostUsd: priced?.usd ?? null,
    reportedCostUsd: reported,
    costBasis: reported !== null ? "reported" : priced !== undefined ? "computed" : hasUsage ? "unpriced" : "none",
    priceVersion: priced?.priceVersion ?? null,
    // Cut here, or by the plugin before it was sent (`fitMessage` there too): its texts then end with the cut's mark.
    truncated: fitted !== event || Limits.isTruncated(text) || (thinking !== null && Limits.isTruncated(thinking)),
    updatedAt: event.at
  }
  if (event.subtype !== undefined) message.subtype = event.subtype
  if (event.requestId != null && event.role === "assistant") message.requestId = event.requestId
  return message
}

/** Applies the whole new state of a message; a copy older than the stored one is ignored. */
export const applyMessageEvent = (
  session: Session | null,
  existing: Message | null,
  event: MessageEvent,
  overrides: ReadonlyArray<Pricing.Override> = []
): { readonly outcome: Outcome; readonly session: Session; readonly message: Message } => {
  const base = session ?? seedSession(event.sessionId, event.source, event.createdAt, event.model ?? null)
  if (existing !== null && event.at < existing.updatedAt) {
    return { outcome: "stale", session: base, message: existing }
  }
  const message = messageFromEvent(event, base.model, overrides)
  let slices = base.usageSlices
  if (existing !== null) slices = addUsageSlice(slices, usageSliceOf(existing, base.model), -1)
  slices = addUsageSlice(slices, usageSliceOf(message, base.model), 1)
  const next: Session = {
    ...base,
    model: base.model ?? (message.role === "assistant" ? message.model : null),
    startedAt: Math.min(base.startedAt, message.createdAt),
    updatedAt: Math.max(base.updatedAt, event.at, message.completedAt ?? message.createdAt),
    lastActivityAt: Math.max(base.lastActivityAt, message.completedAt ?? message.createdAt),
    usageSlices: slices
  }
  return { outcome: "applied", session: totalled(next), message }
}

const seedSession = (id: string, source: string, at: number, model: string | null): Session => ({
  ...emptySession(id, source, at),
  model
})

/** Applies the state of a tool call; a final state is never replaced by a non-final one. */
export const applyToolCallEvent = (
  session: Session | null,
  existing: ToolCall | null,
  event: ToolCallEvent
): { readonly outcome: Outcome; readonly session: Session; readonly toolCall: ToolCall } => {
  const base = session ?? emptySession(event.sessionId, event.source, event.startedAt)
  const telemetry = existing?.telemetry ?? null
  const described = existing !== null && telemetry?.only !== true
  if (
    described &&
    ((isFinal(existing.status) && !isFinal(event.status)) ||
      (event.at < existing.updatedAt && !(isFinal(event.status) && !isFinal(existing.status))))
  ) {
    return { outcome: "stale", session: base, toolCall: existing }
  }
  const toolCall: ToolCall = {
    id: event.callId,
    sessionId: event.sessionId,
    source: event.source,
    messageId: event.messageId ?? null,
    name: event.name,
    canonicalName: ToolNames.canonical(event.source, event.name),
    status: event.status,
    startedAt: event.startedAt,
    durationMs: event.durationMs ?? null,
    input: {
      summary: event.input.summary === null ? null : Limits.truncate(event.input.summary, Limits.maxSummaryChars),
      paths: event.input.paths.slice(0, Limits.maxPaths).map((path) => Limits.cut(path, 1024)),
      bytes: event.input.bytes
    },
    output: {
      bytes: event.output.bytes,
      exitCode: event.output.exitCode,
      error: event.output.error === null ? null : Limits.truncate(event.output.error, Limits.maxErrorChars)
    },
    agentId: event.agentId ?? null,
    updatedAt: described ? event.at : Math.max(event.at, existing?.updatedAt ?? 0)
  }
  // (set after the literal: see `messageFromEvent`)
  if (telemetry !== null) Object.assign(toolCall, { telemetry: { ...telemetry, only: false } })
  if (telemetry?.durationMs != null) Object.assign(toolCall, { durationMs: telemetry.durationMs })
  let slices = base.toolSlices
  if (existing !== null) slices = addToolSlice(slices, toolSliceOf(existing), -1)
  slices = addToolSlice(slices, toolSliceOf(toolCall), 1)
  const next: Session = {
    ...base,
    startedAt: Math.min(base.startedAt, toolCall.startedAt),
    updatedAt: Math.max(base.updatedAt, event.at, endOf(toolCall)),
    lastActivityAt: Math.max(base.lastActivityAt, endOf(toolCall)),
    toolSlices: slices
  }
  return { outcome: "applied", session: totalled(next), toolCall }
}

/** When a tool call ended: its start plus its duration, never past the last representable timestamp. */
const endOf = (toolCall: Pick<ToolCall, "startedAt" | "durationMs">): number =>
  Math.min(maxEpochMillis, toolCall.startedAt + (toolCall.durationMs ?? 0))

/** A tool call failed when the agent said so or its command exited non-zero. */
export const isFailure = (toolCall: Pick<ToolCall, "status" | "output">): boolean =>
  toolCall.status === "error" || (toolCall.output.exitCode !== null && toolCall.output.exitCode !== 0)

/**
 * What a message adds to its session's usage. A message that names its API request counts only as a message: its
 * usage counts through the request (see `applyRequest`), so telemetry and transcript never both count it.
 */
const usageSliceOf = (message: Message, sessionModel: string | null): UsageSlice => {
  const counted = message.usageCounted && (message.requestId === undefined || message.requestId === null)
  return {
    day: dayOf(message.createdAt),
    model: message.model ?? sessionModel ?? "unknown",
    messages: 1,
    usage: counted ? message.usage : Usage.zero,
    costUsd: counted ? message.costUsd : 0,
    unpriced: counted && message.costBasis === "unpriced" ? 1 : 0,
    fromTranscript: counted && !Usage.isZero(message.usage) ? 1 : 0
  }
}

/** What a stored API request adds to its session's usage. */
const requestSliceOf = (request: ApiRequest): UsageSlice => ({
  day: request.day,
  model: request.model,
  messages: 0,
  usage: request.usage,
  costUsd: request.costUsd,
  unpriced: request.unpriced ? 1 : 0,
  fromTelemetry: request.basis === "telemetry" ? 1 : 0,
  fromTranscript: request.basis === "transcript" ? 1 : 0
})

/**
 * Replaces what one API request counts for in its session (`before` → `after`, either may be null): its usage slice
 * and its share of the session's figures. Pure and reversible, so arrival order does not matter.
 */
export const applyRequest = (session: Session, before: ApiRequest | null, after: ApiRequest | null): Session => {
  let slices = session.usageSlices
  let figures = session.figures ?? Figures.empty
  if (before !== null) {
    slices = addUsageSlice(slices, requestSliceOf(before), -1)
    figures = Figures.addRequest(figures, before, -1)
  }
  if (after !== null) {
    slices = addUsageSlice(slices, requestSliceOf(after), 1)
    figures = Figures.addRequest(figures, after, 1)
  }
  const at = after?.telemetry?.at ?? after?.transcript?.at ?? session.lastActivityAt
  return totalled({
    ...session,
    startedAt: Math.min(session.startedAt, at),
    updatedAt: Math.max(session.updatedAt, after?.updatedAt ?? 0),
    lastActivityAt: Math.max(session.lastActivityAt, at),
    usageSlices: slices,
    figures
  })
}

/**
 * The session after telemetry about it recorded at `at`: it spans from `startedAt` at the latest, has been active
 * until `at`, takes the `changes` and keeps the figures `figures` makes of the ones it had.
 */
const afterTelemetry = (
  base: Session,
  startedAt: number,
  at: number,
  figures: (before: Figures.Figures) => Figures.Figures,
  changes: Partial<Session> = {}
): Session =>
  totalled({
    ...base,
    startedAt: Math.min(base.startedAt, startedAt),
    updatedAt: Math.max(base.updatedAt, at),
    lastActivityAt: Math.max(base.lastActivityAt, at),
    ...changes,
    figures: figures(base.figures ?? Figures.empty)
  })

/** Keeps the agent's latest `cost-state` on the session. */
export const applyCostStateEvent = (session: Session | null, event: CostStateEvent): Session =>
  afterTelemetry(session ?? emptySession(event.sessionId, event.source, event.at), event.at, event.at, (figures) =>
    Figures.applyCostState(figures, event)
  )

/** Adds one active-time data point to the session: its time spent is then the active time. */
export const applyActiveTimeEvent = (session: Session | null, event: ActiveTimeEvent): Session =>
  afterTelemetry(
    session ?? emptySession(event.sessionId, event.source, event.startAt),
    event.startAt,
    event.at,
    (figures) => Figures.applyActiveTime(figures, event)
  )

/**
 * Applies telemetry's report of a tool call: its duration becomes the call's duration. A call no transcript or hook
 * described yet is recorded from the report alone (`telemetry.only`), to be completed by their first report.
 */
export const applyToolResultEvent = (
  session: Session | null,
  existing: ToolCall | null,
  event: ToolResultEvent
): { readonly outcome: Outcome; readonly session: Session; readonly toolCall: ToolCall } => {
  const durationMs = event.durationMs ?? null
  const startedAt = Math.max(0, event.at - (durationMs ?? 0))
  const base = session ?? emptySession(event.sessionId, event.source, startedAt)
  const previous = existing?.telemetry ?? null
  if (previous !== null && previous.at > event.at) return { outcome: "stale", session: base, toolCall: existing! }
  const telemetry = {
    durationMs,
    success: event.success,
    at: event.at,
    only: existing === null || previous?.only === true
  }
  const toolCall: ToolCall =
    existing !== null && !telemetry.only
      ? { ...existing, durationMs: durationMs ?? existing.durationMs, telemetry }
      : {
          id: event.callId,
          sessionId: event.sessionId,
          source: event.source,
          messageId: existing?.messageId ?? null,
          name: event.name,
          canonicalName: ToolNames.canonical(event.source, event.name),
          status: event.success ? "completed" : "error",
          startedAt,
          durationMs,
          input: existing?.input ?? { summary: null, paths: [], bytes: 0 },
          output: {
            bytes: 0,
            exitCode: null,
            error: event.error == null ? null : Limits.truncate(event.error, Limits.maxErrorChars)
          },
          agentId: null,
          updatedAt: event.at,
          telemetry
        }
  let slices = base.toolSlices
  if (existing !== null) slices = addToolSlice(slices, toolSliceOf(existing), -1)
  slices = addToolSlice(slices, toolSliceOf(toolCall), 1)
  const next = afterTelemetry(base, toolCall.startedAt, event.at, (figures) => Figures.touch(figures, event.at), {
    toolSlices: slices
  })
  return { outcome: "applied", session: next, toolCall }
}

const toolSliceOf = (toolCall: ToolCall): ToolSlice => ({
  day: dayOf(toolCall.startedAt),
  tool: countedName(toolCall),
  calls: 1,
  errors: isFailure(toolCall) ? 1 : 0,
  durationMs: toolCall.durationMs ?? 0,
  timed: toolCall.durationMs === null ? 0 : 1
})

const addUsageSlice = (
  slices: ReadonlyArray<UsageSlice>,
  slice: UsageSlice,
  sign: 1 | -1
): ReadonlyArray<UsageSlice> => {
  const index = slices.findIndex((s) => s.day === slice.day && s.model === slice.model)
  const current: UsageSlice =
    index >= 0
      ? slices[index]!
      : { day: slice.day, model: slice.model, messages: 0, usage: Usage.zero, costUsd: 0, unpriced: 0 }
  const fromTelemetry = (current.fromTelemetry ?? 0) + sign * (slice.fromTelemetry ?? 0)
  const fromTranscript = (current.fromTranscript ?? 0) + sign * (slice.fromTranscript ?? 0)
  const fromReported = (current.fromReported ?? 0) + sign * (slice.fromReported ?? 0)
  // (optional fields set after the literal: see `messageFromEvent`)
  const merged: { -readonly [K in keyof UsageSlice]: UsageSlice[K] } = {
    day: slice.day,
    model: slice.model,
    messages: current.messages + sign * slice.messages,
    usage: Usage.add(current.usage, Usage.scale(slice.usage, sign)),
    costUsd: Pricing.roundUsd(current.costUsd + sign * slice.costUsd),
    unpriced: current.unpriced + sign * slice.unpriced
  }
  if (fromTelemetry !== 0) merged.fromTelemetry = fromTelemetry
  if (fromTranscript !== 0) merged.fromTranscript = fromTranscript
  if (fromReported !== 0) merged.fromReported = fromReported
  const rest = slices.filter((_, i) => i !== index)
  const empty =
    merged.messages === 0 && Usage.isZero(merged.usage) && !fromTelemetry && !fromTranscript && !fromReported
  return empty ? rest : sortSlices([...rest, merged])
}

const addToolSlice = (slices: ReadonlyArray<ToolSlice>, slice: ToolSlice, sign: 1 | -1): ReadonlyArray<ToolSlice> => {
  const index = slices.findIndex((s) => s.day === slice.day && s.tool === slice.tool)
  const current = index >= 0 ? slices[index] : { ...slice, calls: 0, errors: 0, durationMs: 0, timed: 0 }
  const merged: ToolSlice = {
    day: slice.day,
    tool: slice.tool,
    calls: current.calls + sign * slice.calls,
    errors: current.errors + sign * slice.errors,
    durationMs: current.durationMs + sign * slice.durationMs,
    timed: current.timed + sign * slice.timed
  }
  const rest = slices.filter((_, i) => i !== index)
  return merged.calls === 0 ? rest : sortSlices([...rest, merged])
}

const sortSlices = <S extends { readonly day: string }>(slices: Array<S>): ReadonlyArray<S> =>
  slices.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))

/**
 * The usage slices that count for a session: those of its messages, or, when its messages carry no usage and the
 * agent reported absolute totals (legacy plugins), one slice holding the reported totals on the session's first day.
 */
export const effectiveUsageSlices = (session: Session): ReadonlyArray<UsageSlice> => {
  const measured = session.usageSlices.some((slice) => !Usage.isZero(slice.usage))
  const reported = session.reported
  if (
    measured ||
    reported === null ||
    (reported.promptTokens === 0 && reported.completionTokens === 0 && !reported.costUsd)
  ) {
    return costStateGap(session).reduce((slices, gap) => addUsageSlice(slices, gap, 1), session.usageSlices)
  }
  const usage = { ...Usage.zero, input: reported.promptTokens, output: reported.completionTokens }
  const model = session.model ?? "unknown"
  const priced = reported.costUsd === null ? Pricing.price(model, usage, { at: session.startedAt }) : undefined
  const slice: UsageSlice = {
    day: dayOf(session.startedAt),
    model,
    messages: 0,
    usage,
    costUsd: reported.costUsd ?? priced?.usd ?? 0,
    unpriced: reported.costUsd === null && priced === undefined ? 1 : 0,
    fromReported: 1
  }
  return addUsageSlice(session.usageSlices, slice, 1)
}

/**
 * The agent's latest `cost-state` is a floor under the totals: what it counts beyond the session's own slices (per
 * model and token kind: requests neither the transcript nor telemetry recorded, such as a `/compact` summary with
 * telemetry off, or whose telemetry was lost) is added as one slice per model on the day of the `cost-state`, marked as
 * reported by the agent. Derived on every read of the totals, so it shrinks as the requests arrive, from the transcript
 * or from telemetry, in any order, and is gone once they are all counted. (It once applied only while no telemetry
 * request was counted: one request's telemetry then dropped the whole gap, and the totals fell below the billed.)
 */
export const costStateGap = (session: Session): ReadonlyArray<UsageSlice> => {
  const state = session.figures?.costState ?? null
  if (state === null) return []
  const out: Array<UsageSlice> = []
  for (const line of state.models) {
    let counted = Usage.zero
    let countedCost = 0
    for (const slice of session.usageSlices) {
      if (slice.model !== line.model) continue
      counted = Usage.add(counted, slice.usage)
      countedCost += slice.costUsd
    }
    // Cache writes are compared in total: a request only telemetry saw may count as 5-minute writes what the
    // cost-state knows were 1-hour ones (telemetry gives one number), and compared by kind they were counted twice.
    // What is missing is added as 1-hour writes as far as the cost-state has more of those, the rest as 5-minute.
    const writes = Math.max(
      0,
      line.usage.cacheWrite5m + line.usage.cacheWrite1h - counted.cacheWrite5m - counted.cacheWrite1h
    )
    const hour = Math.min(writes, Math.max(0, line.usage.cacheWrite1h - counted.cacheWrite1h))
    const gap = {
      input: Math.max(0, line.usage.input - counted.input),
      output: Math.max(0, line.usage.output - counted.output),
      cacheRead: Math.max(0, line.usage.cacheRead - counted.cacheRead),
      cacheWrite5m: writes - hour,
      cacheWrite1h: hour,
      reasoning: Math.max(0, line.usage.reasoning - counted.reasoning)
    }
    if (Usage.isZero(gap)) continue
    const priced = Pricing.price(line.model, gap, { at: state.at })
    out.push({
      day: dayOf(state.at),
      model: line.model,
      messages: 0,
      usage: gap,
      costUsd: priced?.usd ?? Pricing.roundUsd(Math.max(0, line.costUsd - countedCost)),
      unpriced: 0,
      fromReported: 1
    })
  }
  return out
}

// While `deferringTotals` runs, the apply functions above leave the totals as they were, for the caller to derive once.
let deferred = false

/** The session with its totals derived, unless they are deferred. */
const totalled = (session: Session): Session => (deferred ? session : withTotals(session))

/**
 * Runs `apply` with the apply functions above leaving a session's totals (usage, cost, counts, duration) as they were:
 * a batch applies hundreds of events to the same few sessions, and derived them again after each (copying the session
 * and summing all its slices); it derives them once per session at its end (`Batch.apply`). The totals are derived from
 * the other fields only and no apply function reads them, so the result is the same. Synchronous: nothing else runs
 * in between.
 */
export const deferringTotals = <A>(apply: () => A): A => {
  const before = deferred
  deferred = true
  try {
    return apply()
  } finally {
    deferred = before
  }
}

/** Recomputes a session's totals from its slices; the only place totals are derived. */
export const withTotals = (session: Session): Session => {
  const slices = effectiveUsageSlices(session)
  let usage = Usage.zero
  let costUsd = 0
  let unpriced = 0
  let messages = 0
  for (const slice of slices) {
    usage = Usage.add(usage, slice.usage)
    costUsd += slice.costUsd
    unpriced += slice.unpriced
    messages += slice.messages
  }
  let calls = 0
  let errors = 0
  for (const slice of session.toolSlices) {
    calls += slice.calls
    errors += slice.errors
  }
  const activeUntil = session.endedAt ?? session.lastActivityAt
  return {
    ...session,
    usage,
    totalTokens: Usage.total(usage),
    costUsd: Pricing.roundUsd(costUsd),
    unpricedMessages: unpriced,
    messageCount: messages,
    toolCallCount: calls,
    toolErrorCount: errors,
    durationMs:
      Figures.activeMs(session.figures) ?? session.reported?.durationMs ?? Math.max(0, activeUntil - session.startedAt)
  }
}
