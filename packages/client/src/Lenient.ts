import { maxTokens } from "@opensync/domain/Units"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/*
 * Reading untyped JSON from the agents (hook payloads, transcript lines, OpenCode events and storage rows) leniently:
 * a value of the wrong type reads as absent instead of failing the whole record, because the agents change their
 * shapes between releases. Shared by every reader of a foreign format: plain accessors, and the same rule for
 * Schema-decoded records (`orUndefined`, `optional`).
 */

/** A JSON object as read from an agent, fields unknown. */
export type Json = Readonly<Record<string, unknown>>

/** True for a plain JSON object (not null, not an array). */
export const isRecord = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The value as an object, or an empty one. */
export const record = (value: unknown): Json => (isRecord(value) ? value : {})

/** A non-empty string, else undefined. */
export const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined

/** The non-empty string field `key` of `json`, else undefined. */
export const field = (json: Json, key: string): string | undefined => text(json[key])

/** A finite number, else undefined. */
export const number = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined

/** A time or duration in milliseconds: a non-negative number, rounded; else undefined. */
export const millis = (value: unknown): number | undefined => {
  const n = number(value)
  return n !== undefined && n >= 0 ? Math.round(n) : undefined
}

/**
 * A token or item count: a positive number up to `maxTokens`, rounded down; anything else counts 0. (A count past it
 * is a damaged record, not a count: kept, it had the server refuse the whole message for good.)
 */
export const count = (value: unknown): number => {
  const n = number(value)
  return n !== undefined && n > 0 && n <= maxTokens ? Math.floor(n) : 0
}

/** The length of a value's JSON text (0 for undefined): how big a tool's input or output was, without keeping it. */
export const jsonLength = (value: unknown): number => (value === undefined ? 0 : (JSON.stringify(value)?.length ?? 0))

/** A process exit code reported as a number (OpenCode's `metadata.exit`), truncated to an integer; else null. */
export const exitCode = (value: unknown): number | null => {
  const n = number(value)
  return n === undefined ? null : Math.trunc(n)
}

const EXIT_CODE = "Exit code "
const ERROR_PREFIX = "Error: "

/**
 * The exit code at the start of a failed command's error text: `Exit code N` (Claude Code's hook `error`) or
 * `Error: Exit code N` (its transcript `toolUseResult`); null for any other text.
 */
export const exitCodeOfText = (message: string): number | null => {
  const start = message.startsWith(EXIT_CODE)
    ? EXIT_CODE.length
    : message.startsWith(ERROR_PREFIX + EXIT_CODE)
      ? ERROR_PREFIX.length + EXIT_CODE.length
      : -1
  if (start < 0) return null
  let code = 0
  let digits = 0
  for (let i = start; i < message.length; i++, digits++) {
    const c = message.charCodeAt(i)
    if (c < 48 || c > 57) break
    if (digits === 9) return null
    code = code * 10 + (c - 48)
  }
  return digits === 0 ? null : code
}

/** The last segment of a project path (`/home/dev/projects/demo` → `demo`), for POSIX and Windows paths. */
export const projectNameOf = (path: string): string => {
  let end = path.length
  while (end > 0 && (path[end - 1] === "/" || path[end - 1] === "\\")) end--
  const trimmed = path.slice(0, end)
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"))
  return cut < 0 ? trimmed : trimmed.slice(cut + 1)
}

/** A schema that decodes a value of the wrong type as undefined instead of failing. */
export const orUndefined = <S extends Schema.Schema.AnyNoContext>(schema: S) =>
  Schema.UndefinedOr(schema).annotations({ decodingFallback: () => Either.right(undefined) })

/** An optional struct field read leniently: absent, or of the wrong type, it decodes as undefined. */
export const optional = <S extends Schema.Schema.AnyNoContext>(schema: S) => Schema.optional(orUndefined(schema))
