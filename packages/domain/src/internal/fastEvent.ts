import { maxEpochMillis } from "../Ids.js"
import { isWellFormed, maxCostUsd, maxDurationMs, maxTokens } from "../Units.js"

/**
 * The `Event` schema's decoding written out by hand for the shapes clients send: about ten times faster than
 * interpreting the schema, which was the largest share of the server's JavaScript per event. It answers the decoded
 * event only when it is certain the schema would decode the input to the same value, and `undefined` otherwise (an
 * invalid event, or anything unusual such as an inherited or `undefined` property): the caller then decodes with the
 * schema, which also says what is wrong. `test/Event.test.ts` checks both against each other on random events.
 */

class Bail {}
const bail = new Bail()
const fail = (): never => {
  throw bail
}

type Rec = Record<string, unknown>

const record = (value: unknown): Rec =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype
    ? (value as Rec)
    : fail()

/** A property's value, `undefined` when absent; a property present with `undefined` is left to the schema. */
const field = (r: Rec, key: string): unknown => {
  if (!Object.hasOwn(r, key)) return undefined
  const value = r[key]
  return value === undefined ? fail() : value
}

const text = (value: unknown): string => (typeof value === "string" && isWellFormed(value) ? value : fail())

const hasNoControlCharacters = (value: string): boolean => {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return false
  }
  return true
}

const id = (value: unknown): string =>
  typeof value === "string" &&
  value.length >= 1 &&
  value.length <= 256 &&
  isWellFormed(value) &&
  hasNoControlCharacters(value)
    ? value
    : fail()

const sourcePattern = /^[a-z][a-z0-9-]{0,39}$/
const source = (value: unknown): string => (typeof value === "string" && sourcePattern.test(value) ? value : fail())

const int = (value: unknown, min: number, max: number): number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max ? value : fail()

const epoch = (value: unknown) => int(value, 0, maxEpochMillis)
const tokens = (value: unknown) => int(value, 0, maxTokens)
const bytes = (value: unknown) => int(value, 0, Number.MAX_SAFE_INTEGER)

const finite = (value: unknown, max: number): number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= max ? value : fail()
const cost = (value: unknown) => finite(value, maxCostUsd)
const duration = (value: unknown) => Math.round(finite(value, maxDurationMs))

const literal = <L extends string>(value: unknown, allowed: ReadonlyArray<L>): L =>
  allowed.includes(value as L) ? (value as L) : fail()

const array = <A>(value: unknown, item: (v: unknown) => A): Array<A> => {
  if (!Array.isArray(value)) return fail()
  const out: Array<A> = []
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) fail()
    out.push(item(value[i]))
  }
  return out
}

/** `Schema.optional(X)`: absent stays absent. */
const optional = (out: Rec, r: Rec, key: string, decode: (v: unknown) => unknown) => {
  const value = field(r, key)
  if (value !== undefined) out[key] = decode(value)
}
/** `Schema.optional(Schema.NullOr(X))`. */
const optionalNullable = (out: Rec, r: Rec, key: string, decode: (v: unknown) => unknown) =>
  optional(out, r, key, (v) => (v === null ? null : decode(v)))
/** `Schema.optionalWith(X, { default })`. */
const withDefault = <A>(r: Rec, key: string, decode: (v: unknown) => A, fallback: () => A): A => {
  const value = field(r, key)
  return value === undefined ? fallback() : decode(value)
}
const nullable =
  <A>(decode: (v: unknown) => A) =>
  (v: unknown): A | null =>
    v === null ? null : decode(v)

const common = (r: Rec, kind: string): Rec => ({
  kind,
  id: id(field(r, "id")),
  source: source(field(r, "source")),
  sessionId: id(field(r, "sessionId")),
  at: epoch(field(r, "at"))
})

const sessionTexts = [
  "title",
  "projectPath",
  "projectName",
  "gitBranch",
  "model",
  "provider",
  "startType",
  "endReason",
  "parentSessionId",
  "agentVersion"
] as const

const session = (r: Rec): Rec => {
  const out = common(r, "session")
  for (const key of sessionTexts) optionalNullable(out, r, key, text)
  optional(out, r, "startedAt", epoch)
  optionalNullable(out, r, "endedAt", epoch)
  optional(out, r, "reported", (v) => {
    const reported = record(v)
    const decoded: Rec = {
      promptTokens: withDefault(reported, "promptTokens", tokens, () => 0),
      completionTokens: withDefault(reported, "completionTokens", tokens, () => 0)
    }
    optionalNullable(decoded, reported, "costUsd", cost)
    optionalNullable(decoded, reported, "durationMs", duration)
    return decoded
  })
  return out
}

const part = (value: unknown): Rec => {
  const r = record(value)
  const type = field(r, "type")
  switch (type) {
    case "text":
    case "thinking":
      return { type, text: text(field(r, "text")) }
    case "tool":
      return { type, callId: id(field(r, "callId")), name: text(field(r, "name")) }
    case "file":
      return { type, path: text(field(r, "path")), mime: withDefault(r, "mime", nullable(text), () => null) }
    case "other":
      return { type, name: text(field(r, "name")), summary: withDefault(r, "summary", nullable(text), () => null) }
    default:
      return fail()
  }
}

const usageKeys = ["input", "output", "cacheRead", "cacheWrite5m", "cacheWrite1h", "reasoning"] as const

const message = (r: Rec): Rec => {
  const out = common(r, "message")
  out.messageId = id(field(r, "messageId"))
  out.role = literal(field(r, "role"), ["user", "assistant", "system", "tool", "unknown"])
  optional(out, r, "subtype", (v) =>
    literal(v, ["notification", "reminder", "summary", "command", "command-output", "delegation"])
  )
  out.text = withDefault(r, "text", text, () => "")
  out.thinking = withDefault(r, "thinking", nullable(text), () => null)
  out.parts = withDefault(
    r,
    "parts",
    (v) => array(v, part),
    () => []
  )
  optionalNullable(out, r, "model", text)
  optionalNullable(out, r, "provider", text)
  optionalNullable(out, r, "agentId", text)
  out.createdAt = epoch(field(r, "createdAt"))
  optionalNullable(out, r, "completedAt", epoch)
  optional(out, r, "usage", (v) => {
    const usage = record(v)
    const decoded: Rec = {}
    for (const key of usageKeys) decoded[key] = withDefault(usage, key, tokens, () => 0)
    return decoded
  })
  optionalNullable(out, r, "reportedCostUsd", cost)
  out.countUsage = withDefault(
    r,
    "countUsage",
    (v) => (typeof v === "boolean" ? v : fail()),
    () => true
  )
  optionalNullable(out, r, "requestId", id)
  return out
}

const toolCall = (r: Rec): Rec => {
  const out = common(r, "tool_call")
  out.callId = id(field(r, "callId"))
  optionalNullable(out, r, "messageId", id)
  const name = text(field(r, "name"))
  out.name = name.length >= 1 && name.length <= 256 ? name : fail()
  out.status = literal(field(r, "status"), ["pending", "running", "completed", "error"])
  out.startedAt = epoch(field(r, "startedAt"))
  optionalNullable(out, r, "durationMs", duration)
  out.input = withDefault(
    r,
    "input",
    (v) => {
      const input = record(v)
      return {
        summary: withDefault(input, "summary", nullable(text), () => null),
        paths: withDefault(
          input,
          "paths",
          (p) => array(p, text),
          () => []
        ),
        bytes: withDefault(input, "bytes", bytes, () => 0)
      }
    },
    () => ({ summary: null, paths: [], bytes: 0 })
  )
  out.output = withDefault(
    r,
    "output",
    (v) => {
      const output = record(v)
      return {
        bytes: withDefault(output, "bytes", bytes, () => 0),
        exitCode: withDefault(
          output,
          "exitCode",
          nullable((c) => int(c, -(2 ** 31), 2 ** 32)),
          () => null
        ),
        error: withDefault(output, "error", nullable(text), () => null)
      }
    },
    () => ({ bytes: 0, exitCode: null, error: null })
  )
  optionalNullable(out, r, "agentId", text)
  return out
}

/** The kinds decoded here: what clients send on every turn. The telemetry kinds are left to the schema. */
export const fastKinds: ReadonlyArray<string> = ["session", "message", "tool_call"]

/** The event the schema would decode `value` to, or `undefined` when the schema has to decide. */
export const decodeEvent = (value: unknown): Rec | undefined => {
  try {
    const r = record(value)
    const kind = field(r, "kind")
    return kind === "message"
      ? message(r)
      : kind === "tool_call"
        ? toolCall(r)
        : kind === "session"
          ? session(r)
          : fail()
  } catch (error) {
    if (error instanceof Bail) return undefined
    throw error
  }
}
