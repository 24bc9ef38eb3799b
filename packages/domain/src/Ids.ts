import * as Schema from "effect/Schema"
import { Text } from "./Units.js"

/** Ids are 1–256 characters of whole code points without control characters (no NUL, newline, …). */
const hasNoControlCharacters = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return false
  }
  return true
}

const idString = (brand: string, description: string) =>
  Text.pipe(
    Schema.minLength(1, { message: () => `${description} must not be empty` }),
    Schema.maxLength(256, { message: () => `${description} must be at most 256 characters` }),
    Schema.filter(hasNoControlCharacters, { message: () => `${description} must not contain control characters` }),
    Schema.brand(brand),
    Schema.annotations({ description })
  )

/** The server-side id of a user; every stored row is scoped to one. */
export const UserId = idString("UserId", "user id")
export type UserId = typeof UserId.Type

/** A session id as the agent knows it (Claude Code UUID, OpenCode `ses_…`); unique per user and source. */
export const SessionId = idString("SessionId", "session id")
export type SessionId = typeof SessionId.Type

/** A message id as the agent knows it (`msg_…`, transcript uuid); unique within its session. */
export const MessageId = idString("MessageId", "message id")
export type MessageId = typeof MessageId.Type

/** A tool call id as the agent knows it (`toolu_…`, `call_…`); unique within its session. */
export const ToolCallId = idString("ToolCallId", "tool call id")
export type ToolCallId = typeof ToolCallId.Type

/** An API request id as the agent knows it (Claude Code `req_…`); telemetry and transcript share it. */
export const RequestId = idString("RequestId", "request id")
export type RequestId = typeof RequestId.Type

/** A deterministic event id (see `Event.makeId`): the same event always gets the same id. */
export const EventId = idString("EventId", "event id")
export type EventId = typeof EventId.Type

/** The id of a stored API key (not the secret). */
export const ApiKeyId = idString("ApiKeyId", "API key id")
export type ApiKeyId = typeof ApiKeyId.Type

/** Agents OpenSync knows; `Source` accepts others in the same shape so new agents need no schema change. */
export const KnownSources = [
  "claude-code",
  "opencode",
  "codex-cli",
  "gemini-cli",
  "cursor-sync",
  "factory-droid",
  "pi"
] as const

/** The agent that produced a session: lower-case kebab-case, e.g. `"claude-code"` or `"opencode"`. */
export const Source = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9-]{0,39}$/, {
    message: () => 'source must be lower-case kebab-case such as "claude-code" or "opencode"'
  }),
  Schema.annotations({ identifier: "Source", examples: ["claude-code", "opencode"] })
)
export type Source = typeof Source.Type

/**
 * The last millisecond of the year 9999: later timestamps have day strings (`+010000-…`) that no longer sort as
 * dates, and no coding session happens then.
 */
export const maxEpochMillis = 253_402_300_799_999

/** Epoch milliseconds: every timestamp in OpenSync is the time the agent recorded, never the time of arrival. */
export const EpochMillis = Schema.Number.pipe(
  Schema.int({ message: () => "timestamp must be an integer number of epoch milliseconds" }),
  Schema.between(0, maxEpochMillis, { message: () => "timestamp must be between 1970 and the end of 9999" }),
  Schema.annotations({ identifier: "EpochMillis", description: "epoch milliseconds" })
)
export type EpochMillis = typeof EpochMillis.Type

const DAY_MS = 86_400_000
/** The last millisecond a JavaScript date can hold. */
const LAST_DATE_MS = 8.64e15
// The day the last call fell on, from its first millisecond: a batch's events fall on a few days, and formatting a
// date was the largest single cost of applying one on the server (~2 µs, for every slice of every event)
let lastDayStart = Number.NaN
let lastDay = ""

/** The UTC calendar day (`YYYY-MM-DD`) of an epoch-millis timestamp. */
export const dayOf = (at: number): string => {
  // (a date drops a time's fraction toward zero: -0.5 is in 1970-01-01)
  const ms = Math.trunc(at)
  if (ms >= lastDayStart && ms < lastDayStart + DAY_MS && Math.abs(ms) <= LAST_DATE_MS) return lastDay
  // (throws for a time no date has, as it always did)
  const day = new Date(at).toISOString().slice(0, 10)
  lastDayStart = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS)
  lastDay = day
  return day
}
