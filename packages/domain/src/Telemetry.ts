import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Event from "./Event.js"
import * as Redaction from "./Redaction.js"

/**
 * Claude Code's OpenTelemetry export, turned into domain events: pure functions over OTLP log records and metric
 * data points already decoded from JSON or protobuf (`@opensync/backend/Otlp`). What OpenSync uses becomes an event
 * (`api_request`, `tool_result`, `active_time`); every other record is accepted and ignored.
 */

/** An OTLP attribute value, as plain data (int64 values arrive as numbers, strings or bigints). */
export type Value =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | ReadonlyArray<Value>
  | { readonly [key: string]: Value }

export type Attributes = ReadonlyMap<string, Value>

/** One log record with its resource and scope. Times in epoch milliseconds (null when the exporter sent none). */
export interface LogRecord {
  readonly timeMs: number | null
  readonly observedMs: number | null
  readonly body: Value
  readonly attributes: Attributes
  readonly resource: Attributes
  readonly scope: string | null
}

/** One number data point of a metric. */
export interface MetricPoint {
  readonly metric: string
  readonly temporality: "delta" | "cumulative" | "unspecified"
  readonly startMs: number | null
  readonly timeMs: number | null
  readonly value: number
  readonly attributes: Attributes
  readonly resource: Attributes
}

/** The source of sessions Claude Code's telemetry describes (the plugin's `source`). */
export const source = "claude-code"

const text = (value: Value): string | undefined =>
  typeof value === "string"
    ? value
    : typeof value === "number" || typeof value === "bigint" || typeof value === "boolean"
      ? String(value)
      : undefined

const number = (value: Value): number | undefined => {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "bigint"
        ? Number(value)
        : typeof value === "string" && value.trim() !== ""
          ? Number(value)
          : Number.NaN
  return Number.isFinite(n) ? n : undefined
}

const bool = (value: Value): boolean | undefined =>
  typeof value === "boolean" ? value : value === "true" ? true : value === "false" ? false : undefined

/** The event name of a Claude Code log record (`api_request`, …), or undefined for anyone else's record. */
export const eventName = (record: LogRecord): string | undefined => {
  const body = text(record.body)
  const claude = body?.startsWith("claude_code.") === true || record.scope?.startsWith("com.anthropic.claude_code")
  if (!claude) return undefined
  return text(record.attributes.get("event.name")) ?? body?.slice("claude_code.".length)
}

/** An ISO 8601 date and time with its offset, as Claude Code writes `event.timestamp`; fractions past ms are dropped. */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:(\.\d{1,3})\d*)?(Z|[+-]\d{2}:\d{2})$/

/**
 * The epoch ms of an ISO 8601 time, or NaN. `Date.parse` alone reads whatever V8 makes of a text (`"0"` is the year
 * 2000, `"12"` December 2001), and a session's start only ever moves earlier: such a time stayed its start for good.
 */
export const isoTimeMs = (stamp: string): number => {
  const match = ISO_TIME.exec(stamp)
  return match === null ? Number.NaN : Date.parse(`${match[1]}${match[2] ?? ""}${match[3]}`)
}

const timeOf = (record: LogRecord): number | undefined => {
  const stamp = text(record.attributes.get("event.timestamp"))
  const parsed = stamp === undefined ? Number.NaN : isoTimeMs(stamp)
  if (Number.isFinite(parsed)) return parsed
  return record.timeMs ?? record.observedMs ?? undefined
}

/** The attributes named by `keys` (field → attribute) as text, or the names of those that are missing. */
const requiredText = <K extends string>(
  attributes: Attributes,
  keys: Record<K, string>
): { readonly ids: Record<K, string> } | { readonly missing: ReadonlyArray<string> } => {
  const ids = {} as Record<K, string>
  const missing: Array<string> = []
  for (const [field, attribute] of Object.entries(keys) as Array<[K, string]>) {
    const value = text(attributes.get(attribute))
    if (value === undefined) missing.push(attribute)
    else ids[field] = value
  }
  return missing.length > 0 ? { missing } : { ids }
}

const redacted = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : Redaction.redactText(value).text

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }

/** What a record became: an event, a record OpenSync uses but cannot take (and why), or nothing (not one it uses). */
type Outcome = Event.EventEncoded | { readonly refused: string } | undefined

/** The event kinds OpenSync takes from Claude Code's log records. */
const USED = new Set(["api_request", "tool_result"])

/**
 * A token count: the attribute's number, 0 when it is absent; undefined when it is there but no count (`"many"`,
 * `-5`, `1.5`): such a record is refused, not stored with a count that telemetry would let win over the transcript.
 */
const count = (value: Value): number | undefined => {
  if (value === undefined) return 0
  const n = number(value)
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined
}

const logOutcome = (record: LogRecord): Outcome => {
  const name = eventName(record)
  if (name === undefined || !USED.has(name)) return undefined
  const a = record.attributes
  const sessionId = text(a.get("session.id"))
  const at = timeOf(record)
  if (sessionId === undefined) return { refused: `${name} without session.id` }
  if (at === undefined) return { refused: `${name} without a time (event.timestamp or timeUnixNano)` }
  /** The kind, session and time of the event with the text attributes `keys` names; which one is missing, if one is. */
  const head = <Kind extends string, K extends string>(kind: Kind, keys: Record<K, string>) => {
    const found = requiredText(a, keys)
    if ("missing" in found) return { refused: `${kind} without ${found.missing.join(" and ")}` }
    return { kind, source, sessionId, at: Math.round(at), ...found.ids }
  }
  switch (name) {
    case "api_request": {
      const event = head("api_request", { requestId: "request_id", model: "model" })
      if ("refused" in event) return event
      const tokens = {
        input: "input_tokens",
        output: "output_tokens",
        cacheRead: "cache_read_tokens",
        cacheWrite5m: "cache_creation_tokens"
      } as const
      const usage = { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0 }
      for (const [field, attribute] of Object.entries(tokens) as Array<[keyof typeof tokens, string]>) {
        const value = count(a.get(attribute))
        if (value === undefined) {
          return {
            refused: `api_request: ${attribute} is not a token count (${JSON.stringify(text(a.get(attribute)))})`
          }
        }
        usage[field] = value
      }
      return Event.make({
        ...event,
        usage,
        ...optional("reportedCostUsd", number(a.get("cost_usd"))),
        ...optional("durationMs", number(a.get("duration_ms"))),
        ...optional("querySource", text(a.get("query_source"))),
        ...optional("promptId", text(a.get("prompt.id")))
      })
    }
    default: {
      const event = head("tool_result", { callId: "tool_use_id", name: "tool_name" })
      if ("refused" in event) return event
      return Event.make({
        ...event,
        success: bool(a.get("success")) ?? true,
        ...optional("durationMs", number(a.get("duration_ms"))),
        // Claude Code exports the error's class (`error_type`); an exporter may send its text, which can print a
        // secret. Nothing redacted it on the way (the agent sends its telemetry itself): it is redacted here.
        ...optional("error", redacted(text(a.get("error")) ?? text(a.get("error_type"))))
      })
    }
  }
}

/** The encoded event a log record stands for, or undefined when OpenSync does not use it or cannot take it. */
export const logEvent = (record: LogRecord): Event.EventEncoded | undefined => {
  const outcome = logOutcome(record)
  return outcome === undefined || "refused" in outcome ? undefined : outcome
}

/** The metric Claude Code reports active time in (seconds, by `type`). */
export const activeTimeMetric = "claude_code.active_time.total"

/** The encoded event a metric data point stands for, or undefined when OpenSync does not use it. */
export const metricEvent = (point: MetricPoint): Event.EventEncoded | undefined => {
  if (point.metric !== activeTimeMetric || point.temporality === "unspecified") return undefined
  const sessionId = text(point.attributes.get("session.id"))
  const at = point.timeMs
  if (sessionId === undefined || at === null || point.value < 0) return undefined
  return Event.make({
    kind: "active_time",
    source,
    sessionId,
    at: Math.round(at),
    type: text(point.attributes.get("type")) ?? "unknown",
    seconds: point.value,
    startAt: Math.round(point.startMs ?? at),
    cumulative: point.temporality === "cumulative"
  })
}

/** What a batch of records became: valid events, and how many records OpenSync uses but could not accept. */
export interface Converted {
  readonly events: Array<Event.Event>
  readonly rejected: number
  readonly errors: Array<string>
}

const convert = <A>(items: ReadonlyArray<A>, toEvent: (item: A) => Outcome): Converted => {
  const out = { events: [] as Array<Event.Event>, rejected: 0, errors: [] as Array<string> }
  const refuse = (error: string) => {
    out.rejected++
    if (out.errors.length < 3 && !out.errors.includes(error)) out.errors.push(error)
  }
  for (const item of items) {
    const encoded = toEvent(item)
    if (encoded === undefined) continue
    if ("refused" in encoded) {
      refuse(encoded.refused)
      continue
    }
    const decoded = Event.decodeUnknown(encoded)
    if (Either.isRight(decoded)) out.events.push(decoded.right)
    else {
      // Where and what: `api_request: usage.input: Expected a non-negative number, actual -5`
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
      refuse(
        issue === undefined
          ? `${encoded.kind}: ${decoded.left.message.split("\n")[0]}`
          : `${encoded.kind}: ${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`
      )
    }
  }
  return out
}

/** The events of a batch of log records; the Claude Code records OpenSync uses but cannot take are counted, with why. */
export const fromLogs = (records: ReadonlyArray<LogRecord>): Converted => convert(records, logOutcome)

/** The events of a batch of metric data points. */
export const fromMetrics = (points: ReadonlyArray<MetricPoint>): Converted => convert(points, metricEvent)
