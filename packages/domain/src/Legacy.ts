import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { Event as EventSchema, type MessageEvent, type SessionEvent } from "./Event.js"
import type { EventId, MessageId, SessionId, ToolCallId } from "./Ids.js"
import { maxEpochMillis } from "./Ids.js"
import { digestOfJson } from "./internal/hash.js"
import * as Limits from "./Limits.js"
import type { Part, Role } from "./Message.js"
import { maxCostUsd, maxDurationMs, maxTokens } from "./Units.js"

/** Bodies of the existing OpenSync plugin protocol (`/sync/session`, `/sync/message`, `/sync/batch`). */

const Str = Schema.String

/**
 * The protocol's numbers, held to the ranges of the events they become (`Units`, `Ids`) here, where the error can name
 * the body's field (`promptTokens: …`); fractions are taken, and rounded as the protocol's plugins round them.
 */
const upTo = (max: number, what: string) =>
  Schema.Number.pipe(
    Schema.finite({ message: () => `${what} must be finite numbers` }),
    Schema.between(0, max, { message: () => `${what} must be between 0 and ${max}` })
  )
const LegacyTokens = upTo(maxTokens, "token counts")
const LegacyDurationMs = upTo(maxDurationMs, "durations (ms)")
const LegacyCostUsd = upTo(maxCostUsd, "costs (USD)")
const LegacyTime = upTo(maxEpochMillis, "timestamps (epoch ms, up to the end of 9999)")

/** What both bodies say of the agent and of the tokens. */
const counted = {
  source: Schema.optional(Str),
  promptTokens: Schema.optional(LegacyTokens),
  completionTokens: Schema.optional(LegacyTokens)
}

export const LegacySession = Schema.Struct({
  externalId: Schema.optional(Str),
  sessionId: Schema.optional(Str),
  title: Schema.optional(Schema.NullOr(Str)),
  projectPath: Schema.optional(Schema.NullOr(Str)),
  projectName: Schema.optional(Schema.NullOr(Str)),
  model: Schema.optional(Schema.NullOr(Str)),
  provider: Schema.optional(Schema.NullOr(Str)),
  ...counted,
  cost: Schema.optional(LegacyCostUsd),
  durationMs: Schema.optional(LegacyDurationMs),
  createdAt: Schema.optional(LegacyTime),
  endReason: Schema.optional(Schema.NullOr(Str))
})
export type LegacySession = typeof LegacySession.Type

export const LegacyMessage = Schema.Struct({
  sessionExternalId: Str,
  externalId: Str,
  role: Schema.Literal("user", "assistant", "system", "tool", "unknown").annotations({
    message: (issue) => ({
      message: `Expected "user", "assistant", "system", "tool" or "unknown", actual ${JSON.stringify(issue.actual)}`,
      override: true
    })
  }),
  textContent: Schema.optional(Schema.NullOr(Str)),
  model: Schema.optional(Schema.NullOr(Str)),
  ...counted,
  durationMs: Schema.optional(LegacyDurationMs),
  parts: Schema.optional(Schema.Array(Schema.Struct({ type: Str, content: Schema.optional(Schema.Unknown) }))),
  createdAt: Schema.optional(LegacyTime)
})
export type LegacyMessage = typeof LegacyMessage.Type

const AnArray = Schema.Array(Schema.Unknown).annotations({ identifier: "an array" })

export const LegacyBatch = Schema.Struct({
  sessions: Schema.optional(AnArray),
  messages: Schema.optional(AnArray)
}).annotations({ identifier: "an object with sessions and messages arrays" })

const options = { errors: "first", onExcessProperty: "ignore" } as const

/**
 * The first problem of a body, with the field it is in: `promptTokens: Expected a number, actual "x"` (not the whole
 * schema written as a TypeScript type).
 */
const formatError = (error: ParseResult.ParseError): string => {
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (first === undefined) return "Invalid body"
  const message = first.message.replace(/^Expected (number|string)\b/, "Expected a $1")
  return first.path.length === 0 ? message : `${first.path.join(".")}: ${message}`
}

/** Legacy `source` values: default `opencode`, `cursor` stored as `cursor-sync`. */
export const legacySource = (source: string | undefined): string => {
  const value = (source ?? "opencode").trim().toLowerCase()
  if (value === "cursor") return "cursor-sync"
  return /^[a-z][a-z0-9-]{0,39}$/.test(value) ? value : "unknown"
}

const validate = Schema.validateEither(EventSchema, { errors: "first" })

/** The event a legacy body maps to, held to the same rules as every event (ids, text, number ranges). */
const checked = <E extends SessionEvent | MessageEvent>(event: E): Either.Either<E, string> =>
  Either.mapBoth(validate(event), {
    onLeft: (error) => {
      // (what the body's fields became: a message's end is its `createdAt` + `durationMs`)
      const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
      if (first === undefined) return "invalid"
      const field = first.path.join(".")
      return field === "completedAt" ? `createdAt + durationMs: ${first.message}` : first.message
    },
    onRight: () => event
  })

const eventId = (kind: string, body: unknown) => `evt_legacy_${kind}_${digestOfJson(body)}` as EventId

/**
 * Decodes a legacy body: a JSON object whose ids are present (`missing` names the first one absent), held to `schema`,
 * then mapped by `toEvent` to an event that must pass the event rules.
 */
const decodeBody = <A, I, E extends SessionEvent | MessageEvent>(
  body: unknown,
  schema: Schema.Schema<A, I>,
  missing: (record: Record<string, unknown>) => string | undefined,
  toEvent: (value: A) => Either.Either<E, string>
): Either.Either<E, string> => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return Either.left("Body must be a JSON object")
  const absent = missing(body as Record<string, unknown>)
  if (absent !== undefined) return Either.left(absent)
  return Schema.decodeUnknownEither(
    schema,
    options
  )(body).pipe(Either.mapLeft(formatError), Either.flatMap(toEvent), Either.flatMap(checked))
}

/** Decodes a `/sync/session` body into a session event; `now` stands in for the timestamps the protocol lacks. */
export const sessionEvent = (body: unknown, now: number): Either.Either<SessionEvent, string> =>
  decodeBody(
    body,
    LegacySession,
    (record) =>
      record.externalId === undefined && record.sessionId === undefined ? "Missing externalId or sessionId" : undefined,
    (s) => {
      const id = (s.externalId ?? s.sessionId ?? "").trim()
      if (id.length === 0 || id.length > 256) return Either.left("externalId must be 1 to 256 characters")
      const event: SessionEvent = {
        kind: "session",
        id: eventId("session", body),
        source: legacySource(s.source),
        sessionId: id as SessionId,
        at: now,
        ...pick(s, ["title", "projectPath", "projectName", "model", "provider", "endReason"]),
        ...(s.createdAt !== undefined ? { startedAt: Math.floor(s.createdAt) } : {}),
        reported: {
          promptTokens: Math.floor(s.promptTokens ?? 0),
          completionTokens: Math.floor(s.completionTokens ?? 0),
          costUsd: s.cost ?? null,
          durationMs: s.durationMs === undefined ? null : Math.round(s.durationMs)
        }
      }
      return Either.right(event)
    }
  )

const pick = <T extends object, K extends keyof T>(value: T, keys: ReadonlyArray<K>): Partial<Pick<T, K>> => {
  const out: Partial<Pick<T, K>> = {}
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key]
  return out
}

const contentText = (content: unknown, keys: ReadonlyArray<string>): string | undefined => {
  if (typeof content === "string") return content
  if (typeof content === "object" && content !== null) {
    for (const key of keys) {
      const value = (content as Record<string, unknown>)[key]
      if (typeof value === "string") return value
    }
  }
  return undefined
}

const legacyPart = (
  part: { readonly type: string; readonly content?: unknown },
  index: number,
  messageId: string
): Part => {
  switch (part.type) {
    case "text":
      return { type: "text", text: contentText(part.content, ["text", "content"]) ?? "" }
    case "thinking":
    case "reasoning":
      return { type: "thinking", text: contentText(part.content, ["text", "thinking", "content"]) ?? "" }
    case "tool-call":
    case "tool_use": {
      const content = (typeof part.content === "object" && part.content !== null ? part.content : {}) as Record<
        string,
        unknown
      >
      const name =
        typeof content.toolName === "string"
          ? content.toolName
          : typeof content.name === "string"
            ? content.name
            : "unknown"
      const callId = typeof content.id === "string" ? content.id : `${messageId}#${index}`
      return { type: "tool", callId: callId as ToolCallId, name }
    }
    default: {
      const text = contentText(part.content, ["result", "output", "content", "text"])
      return { type: "other", name: part.type, summary: text === undefined ? null : Limits.cut(text, 2000) }
    }
  }
}

/** Decodes a `/sync/message` body into a message event. Per-message tokens are kept but not summed (protocol rule). */
export const messageEvent = (body: unknown, now: number): Either.Either<MessageEvent, string> =>
  decodeBody(
    body,
    LegacyMessage,
    (record) =>
      record.sessionExternalId === undefined
        ? "Missing sessionExternalId"
        : record.externalId === undefined
          ? "Missing externalId"
          : undefined,
    (m) => {
      if (m.sessionExternalId.length === 0 || m.externalId.length === 0) {
        return Either.left("sessionExternalId and externalId must not be empty")
      }
      const parts = (m.parts ?? []).map((part, index) => legacyPart(part, index, m.externalId))
      const text =
        m.textContent ??
        parts
          .filter((part) => part.type === "text")
          .map((part) => part.text)
          .join("\n")
      const role: Role = m.role
      const event: MessageEvent = {
        kind: "message",
        id: eventId("message", body),
        source: legacySource(m.source),
        sessionId: m.sessionExternalId as SessionId,
        at: now,
        messageId: m.externalId as MessageId,
        role,
        text,
        thinking: null,
        parts,
        model: m.model ?? null,
        createdAt: Math.floor(m.createdAt ?? now),
        completedAt:
          m.durationMs !== undefined && m.createdAt !== undefined ? Math.floor(m.createdAt + m.durationMs) : null,
        usage: {
          input: Math.floor(m.promptTokens ?? 0),
          output: Math.floor(m.completionTokens ?? 0),
          cacheRead: 0,
          cacheWrite5m: 0,
          cacheWrite1h: 0,
          reasoning: 0
        },
        countUsage: false
      }
      return Either.right(event)
    }
  )

/** Splits a `/sync/batch` body; a body that is not `{sessions?, messages?}` is one error for the whole request. */
export const batch = (body: unknown): Either.Either<typeof LegacyBatch.Type, string> =>
  Schema.decodeUnknownEither(LegacyBatch, options)(body).pipe(Either.mapLeft(formatError))
