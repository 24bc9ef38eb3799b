import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Event from "./Event.js"
import type { EventId } from "./Ids.js"
import * as Ingest from "./Ingest.js"
import { decodeEvent } from "./internal/fastEvent.js"
import * as Legacy from "./Legacy.js"
import type { Message } from "./Message.js"
import type * as Pricing from "./Pricing.js"
import * as Request from "./Request.js"
import * as Rollup from "./Rollup.js"
import type { Session } from "./Session.js"
import type { ToolCall } from "./ToolCall.js"

/**
 * A batch of events from request to storage writes, as pure functions both backends share: per-event decoding, the
 * legacy `/sync/batch` body, in-batch duplicates, the in-memory application of `Ingest` to the rows a batch touches,
 * and the rollup increments the batch adds. Each backend only reads the touched rows and writes the results.
 */

/** Why an event of a batch was not stored (`rejected` of `/sync/events`). */
export interface Rejection {
  readonly index: number
  readonly id: string | null
  readonly error: string
}

const describe = (error: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return "invalid event"
  return issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`
}

/**
 * Decodes each event on its own: a bad one is rejected with a reason, the rest go on. Events in the usual shapes are
 * decoded by a hand-written equivalent of the schema (`internal/fastEvent.ts`); the schema decides the rest.
 */
export const decodeEvents = (raw: ReadonlyArray<unknown>) => {
  const events: Array<Event.Event> = []
  const rejected: Array<Rejection> = []
  for (const [index, value] of raw.entries()) {
    const fast = decodeEvent(value)
    if (fast !== undefined) {
      events.push(fast as unknown as Event.Event)
      continue
    }
    const record =
      typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null
    const id = typeof record?.id === "string" ? record.id : null
    if (record === null) {
      rejected.push({ index, id, error: "event must be a JSON object" })
      continue
    }
    if (!Event.kinds.includes(record.kind as never)) {
      const error = `unknown event kind ${JSON.stringify(record.kind ?? null)}; expected one of ${Event.kinds.join(", ")}`
      rejected.push({ index, id, error })
      continue
    }
    const decoded = Event.decodeUnknown(value)
    if (Either.isLeft(decoded)) rejected.push({ index, id, error: describe(decoded.left) })
    else events.push(decoded.right)
  }
  return { events, rejected }
}

/** Rejections, at their index in the request, of events a store refused (by id; the first occurrence of each). */
export const rejections = (
  raw: ReadonlyArray<unknown>,
  refused: ReadonlyArray<{ readonly id: string; readonly error: string }>
): Array<Rejection> => {
  if (refused.length === 0) return []
  const reasons = new Map(refused.map((r) => [r.id, r.error]))
  const out: Array<Rejection> = []
  for (const [index, value] of raw.entries()) {
    const id = typeof value === "object" && value !== null ? (value as { id?: unknown }).id : undefined
    if (typeof id !== "string") continue
    const error = reasons.get(id)
    if (error === undefined) continue
    reasons.delete(id)
    out.push({ index, id, error })
  }
  return out
}

/** The events of a legacy `/sync/batch` body, with the counts and per-item errors its answer reports. */
export const fromLegacyBatch = (body: typeof Legacy.LegacyBatch.Type, now: number) => {
  const errors: Array<string> = []
  const events: Array<Event.Event> = []
  /** Maps one list of the body, keeping its valid items' events and its errors; returns how many were valid. */
  const take = (
    name: string,
    items: ReadonlyArray<unknown> | undefined,
    toEvent: (item: unknown, now: number) => Either.Either<Event.Event, string>
  ) => {
    let valid = 0
    ;(items ?? []).forEach((item, i) => {
      const event = toEvent(item, now)
      if (Either.isLeft(event)) errors.push(`${name}[${i}]: ${event.left}`)
      else {
        events.push(event.right)
        valid++
      }
    })
    return valid
  }
  const sessions = take("sessions", body.sessions, Legacy.sessionEvent)
  const messages = take("messages", body.messages, Legacy.messageEvent)
  return { events, sessions, messages, errors }
}

/** What a batch did to each event (`rejected` is decided before, by decoding). */
export interface Outcome {
  readonly stored: Array<EventId>
  readonly duplicates: Array<EventId>
  readonly stale: Array<EventId>
}

/** The first copy of each event id; later copies in the same batch are duplicates. */
export const splitDuplicates = (events: ReadonlyArray<Event.Event>) => {
  const seen = new Set<string>()
  const fresh: Array<Event.Event> = []
  const duplicates: Array<EventId> = []
  for (const event of events) {
    if (seen.has(event.id)) duplicates.push(event.id)
    else {
      seen.add(event.id)
      fresh.push(event)
    }
  }
  return { fresh, duplicates }
}

/** The key of a message or tool call within a batch: its session id and its own id. */
export const rowKey = (sessionId: string, id: string): string => `${sessionId}\u0000${id}`

/** The keys of the messages and tool calls a batch touches, to read before `apply`. */
export const touched = (events: ReadonlyArray<Event.Event>) => ({
  sessions: [...new Set(events.map((e) => e.sessionId))],
  messages: events.flatMap((e) => (e.kind === "message" ? [[e.sessionId, e.messageId] as const] : [])),
  toolCalls: events.flatMap((e) =>
    e.kind === "tool_call" || e.kind === "tool_result" ? [[e.sessionId, e.callId] as const] : []
  )
})

/**
 * The keys of the API requests a batch touches, to read before `apply` (after the messages): those telemetry
 * reports, those the batch's messages name, and those the stored copies of these messages named.
 */
export const touchedRequests = (
  events: ReadonlyArray<Event.Event>,
  messages: ReadonlyMap<string, Message>
): ReadonlyArray<readonly [string, string]> => {
  const out = new Map<string, readonly [string, string]>()
  const add = (sessionId: string, id: string | null | undefined) => {
    if (id !== null && id !== undefined) out.set(rowKey(sessionId, id), [sessionId, id])
  }
  for (const event of events) {
    if (event.kind === "api_request") add(event.sessionId, event.requestId)
    else if (event.kind === "message") {
      add(event.sessionId, event.requestId)
      add(event.sessionId, messages.get(rowKey(event.sessionId, event.messageId))?.requestId)
    }
  }
  return [...out.values()]
}

/** Storage-specific size policies applied to what is stored (identity by default). */
export interface Fit {
  readonly message?: (message: Message) => Message
  readonly toolCall?: (toolCall: ToolCall) => ToolCall
}

/**
 * Applies new (not yet seen) events, in order, to the stored state they touch: sessions by id, messages and tool
 * calls by `rowKey`. Returns the changed rows, each session's state before and after, and each event's outcome.
 * Messages are priced with the local price `overrides` over the bundled price data.
 */
export const apply = (
  events: ReadonlyArray<Event.Event>,
  stored: {
    readonly sessions: ReadonlyMap<string, Session>
    readonly messages: ReadonlyMap<string, Message>
    readonly toolCalls: ReadonlyMap<string, ToolCall>
    /** By `rowKey(sessionId, requestId)`: the rows `touchedRequests` names (absent ones are new). */
    readonly requests?: ReadonlyMap<string, Request.ApiRequest>
  },
  fit: Fit = {},
  overrides: ReadonlyArray<Pricing.Override> = []
) => {
  const outcome: Outcome = { stored: [], duplicates: [], stale: [] }
  const current = new Map(stored.sessions)
  const messages = new Map(stored.messages)
  const toolCalls = new Map(stored.toolCalls)
  const requests = new Map<string, Request.ApiRequest | null>(stored.requests ?? [])
  const changedMessages = new Map<string, Message>()
  const changedToolCalls = new Map<string, ToolCall>()
  /** Changed request rows; null: the row is to be deleted (nothing is left of it). */
  const changedRequests = new Map<string, Request.ApiRequest | null>()
  const setRequest = (sessionId: string, id: string, next: Request.ApiRequest | null) => {
    const k = rowKey(sessionId, id)
    const before = requests.get(k) ?? null
    const session = current.get(sessionId)
    if (session !== undefined) current.set(sessionId, Ingest.applyRequest(session, before, next))
    requests.set(k, next)
    changedRequests.set(k, next)
  }
  /**
   * Records what applying an event to a row did: the session it leaves, and when applied, the row (fitted to the
   * storage) under `k` in `rows` and `changed`; returns that row, or undefined when the event was stale.
   */
  const keep =
    <Row>(rows: Map<string, Row>, changed: Map<string, Row>, fitRow: ((row: Row) => Row) | undefined) =>
    (
      event: Event.Event,
      k: string,
      applied: { readonly outcome: Ingest.Outcome; readonly session: Session },
      row: Row
    ) => {
      current.set(event.sessionId, applied.session)
      if (applied.outcome !== "applied") {
        outcome.stale.push(event.id)
        return undefined
      }
      const kept = fitRow === undefined ? row : fitRow(row)
      rows.set(k, kept)
      changed.set(k, kept)
      outcome.stored.push(event.id)
      return kept
    }
  const keepMessage = keep(messages, changedMessages, fit.message)
  const keepToolCall = keep(toolCalls, changedToolCalls, fit.toolCall)
  const applyEvent = (event: Event.Event) => {
    const session = current.get(event.sessionId) ?? null
    switch (event.kind) {
      case "session": {
        current.set(event.sessionId, Ingest.applySessionEvent(session, event))
        outcome.stored.push(event.id)
        break
      }
      case "message": {
        const k = rowKey(event.sessionId, event.messageId)
        const previous = messages.get(k) ?? null
        const applied = Ingest.applyMessageEvent(session, previous, event, overrides)
        const message = keepMessage(event, k, applied, applied.message)
        if (message !== undefined) {
          const before = previous?.requestId ?? null
          const after = message.requestId ?? null
          if (before !== null && before !== after) {
            const row = requests.get(rowKey(event.sessionId, before)) ?? null
            if (row?.transcript?.messageId === message.id) {
              setRequest(
                event.sessionId,
                before,
                Request.applyTranscript(row, before, event.sessionId, null, event.at, overrides)
              )
            }
          }
          if (after !== null) {
            const row = requests.get(rowKey(event.sessionId, after)) ?? null
            setRequest(
              event.sessionId,
              after,
              Request.applyTranscript(row, after, event.sessionId, Request.transcriptOf(message), event.at, overrides)
            )
          }
        }
        break
      }
      case "api_request": {
        const base = session ?? Ingest.emptySession(event.sessionId, event.source, event.at)
        current.set(event.sessionId, base)
        const row = requests.get(rowKey(event.sessionId, event.requestId)) ?? null
        const next = Request.applyTelemetry(row, event, overrides)
        if (next === null) outcome.stale.push(event.id)
        else {
          setRequest(event.sessionId, event.requestId, next)
          outcome.stored.push(event.id)
        }
        break
      }
      case "tool_call":
      case "tool_result": {
        const k = rowKey(event.sessionId, event.callId)
        const previous = toolCalls.get(k) ?? null
        const applied =
          event.kind === "tool_call"
            ? Ingest.applyToolCallEvent(session, previous, event)
            : Ingest.applyToolResultEvent(session, previous, event)
        keepToolCall(event, k, applied, applied.toolCall)
        break
      }
      case "cost_state":
      case "active_time": {
        current.set(
          event.sessionId,
          event.kind === "cost_state"
            ? Ingest.applyCostStateEvent(session, event)
            : Ingest.applyActiveTimeEvent(session, event)
        )
        outcome.stored.push(event.id)
        break
      }
    }
  }
  // Each changed session's totals are derived once, after its last event (see `Ingest.deferringTotals`)
  Ingest.deferringTotals(() => {
    for (const event of events) applyEvent(event)
  })
  const changedSessions = [...current.values()]
    .filter((s) => stored.sessions.get(s.id) !== s)
    .map((s) => Ingest.withTotals(s))
  return {
    outcome,
    changedSessions,
    changedMessages,
    changedToolCalls,
    changedRequests,
    deltas: changedSessions.map((s) => Rollup.delta(stored.sessions.get(s.id) ?? null, s))
  }
}

/** Adds up rows that share a key (`keyOf`), each re-keyed first (`rekey`, e.g. summing out the project). */
const sumByKey = <Row>(
  rows: ReadonlyArray<Row>,
  rekey: (row: Row) => Row,
  keyOf: (row: Row) => string,
  sum: (a: Row, b: Row) => Row
): Array<Row> => {
  const out = new Map<string, Row>()
  for (const row of rows.map(rekey)) {
    const k = keyOf(row)
    const prev = out.get(k)
    out.set(k, prev === undefined ? row : sum(prev, row))
  }
  return [...out.values()]
}

/** Re-keys usage rows (e.g. sums out the project) and adds the rows that then share a key. */
export const regroup = (
  rows: ReadonlyArray<Rollup.UsageRow>,
  rekey: (row: Rollup.UsageRow) => Rollup.UsageRow
): Array<Rollup.UsageRow> => sumByKey(rows, rekey, Rollup.usageKey, Rollup.sumUsage)

/** Re-keys tool rows (e.g. sums out the project) and adds the rows that then share a key. */
const regroupTools = (
  rows: ReadonlyArray<Rollup.ToolRow>,
  rekey: (row: Rollup.ToolRow) => Rollup.ToolRow
): Array<Rollup.ToolRow> => sumByKey(rows, rekey, Rollup.toolKey, Rollup.sumTools)

/**
 * The increments several sessions' rollup deltas add to each rollup table, one row per key: the full usage rollup,
 * the same with the project summed out (`project: "*"`), with the model summed out (`model: "*"`), the tools, and the
 * tools with the project summed out (`project: "*"`).
 */
export const rollupIncrements = (deltas: ReadonlyArray<ReturnType<typeof Rollup.delta>>) => {
  const usage = regroup(
    deltas.flatMap((d) => d.usage),
    (row) => row
  )
  const tools = regroupTools(
    deltas.flatMap((d) => d.tools),
    (row) => row
  )
  return {
    usage,
    usageByModel: regroup(usage, (row) => ({ ...row, project: "*" })),
    usageByProject: regroup(usage, (row) => ({ ...row, model: "*" })),
    tools,
    toolsBySource: regroupTools(tools, (row) => ({ ...row, project: "*" }))
  }
}

/** True when a usage rollup row adds up to nothing (cost within rounding), so it can be deleted. */
export const isZeroUsage = Rollup.isZeroUsage

/** True when a tool rollup row adds up to nothing. */
export const isZeroTools = Rollup.isZeroTools
