import { Lenient } from "@opensync/client"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/*
 * One transcript line at a time. `parseLine` decides from a raw line alone whether it is one the reader folds
 * (`user`, `assistant`, `summary`, `cost-state`) and decodes only those; every other line, above all the large ones
 * Claude Code 2.1.332 writes (`api-request-shape`, `api-request-blob`, `attachment` with `prompt_snapshot`: the system
 * prompt, tool definitions and CLAUDE.md), is recognised by its `"type":"…"` prefix and skipped unparsed. Nothing here
 * needs more than the current line, so a file can be read whole (`parseLines`) or in byte chunks (`LineBuffer`).
 */

// ---------------------------------------------------------------------------------------------------------------------
// Line schema: only the fields the reader needs, every one optional, a field of the wrong type reads as absent.

const { orUndefined, optional: lenient } = Lenient

const Text = lenient(Schema.String)
const Count = lenient(Schema.Number)
const Flag = lenient(Schema.Boolean)

const RawUsage = Schema.Struct({
  input_tokens: Count,
  output_tokens: Count,
  cache_read_input_tokens: Count,
  cache_creation_input_tokens: Count,
  cache_creation: lenient(Schema.Struct({ ephemeral_5m_input_tokens: Count, ephemeral_1h_input_tokens: Count }))
})
/** An API response's `usage`, as Claude Code logs it. */
export type RawUsage = typeof RawUsage.Type

const RawTextBlock = Schema.Struct({ type: Text, text: Text })

const RawBlock = Schema.Struct({
  type: Text,
  text: Text,
  thinking: Text,
  id: Text,
  name: Text,
  input: Schema.optional(Schema.Unknown),
  tool_use_id: Text,
  content: lenient(Schema.Union(Schema.String, Schema.Array(orUndefined(RawTextBlock)))),
  is_error: Flag
})
/** One content block of a message (text, thinking, tool use, tool result, …). */
export type RawBlock = typeof RawBlock.Type

const RawMessage = Schema.Struct({
  id: Text,
  role: Text,
  model: Text,
  content: lenient(Schema.Union(Schema.String, Schema.Array(orUndefined(RawBlock)))),
  usage: lenient(RawUsage)
})

/** What a tool reported besides its result text; only sizes and paths are read, never file contents. */
const RawToolUseResult = Schema.Union(
  Schema.String,
  Schema.Struct({ stdout: Text, stderr: Text, filePath: Text, interrupted: Flag })
)
export type RawToolUseResult = typeof RawToolUseResult.Type

/** One model's figures in a `cost-state` line (Claude Code's own cumulative usage and cost, 2.1.332+). */
const RawModelUsage = Schema.Struct({
  inputTokens: Count,
  outputTokens: Count,
  cacheReadInputTokens: Count,
  cacheCreationInputTokens: Count,
  cacheCreationEphemeral5mInputTokens: Count,
  cacheCreationEphemeral1hInputTokens: Count,
  costUSD: Count
})
export type RawModelUsage = typeof RawModelUsage.Type

/** One decoded transcript line (the fields the reader uses). */
export const TranscriptLine = Schema.Struct({
  type: Text,
  uuid: Text,
  promptId: Text,
  timestamp: Text,
  sessionId: Text,
  cwd: Text,
  gitBranch: Text,
  version: Text,
  agentId: Text,
  requestId: Text,
  summary: Text,
  isSidechain: Flag,
  isMeta: Flag,
  isCompactSummary: Flag,
  isApiErrorMessage: Flag,
  /** 2.1.332+: `user` when the user typed the prompt, `system` for turns Claude Code started (task notifications). */
  promptSource: Text,
  /** 2.1.332+: what started a synthetic turn, e.g. `{ kind: "task-notification" }`. */
  origin: lenient(Schema.Struct({ kind: Text })),
  message: lenient(RawMessage),
  toolUseResult: lenient(RawToolUseResult),
  /** Only `queued_command` attachments are read (see `foldedAttachments`). */
  attachment: lenient(
    Schema.Struct({ type: Text, prompt: Text, commandMode: Text, origin: lenient(Schema.Struct({ kind: Text })) })
  ),
  /** `cost-state` lines (2.1.332+): the session's cumulative cost, per-model usage and whether a model was unpriced. */
  totalCostUSD: Count,
  modelUsage: lenient(Schema.Record({ key: Schema.String, value: RawModelUsage })),
  hasUnknownModelCost: Flag
})
export type TranscriptLine = typeof TranscriptLine.Type

/** A message's content: a string (a typed prompt) or blocks. */
export type RawMessageContent = NonNullable<TranscriptLine["message"]>["content"]

// The same shape with exact optional fields: no fallback machinery, about twice as fast to decode. Lines that fail it
// (a field of an unexpected type) are decoded again with the lenient schema above.
const exact = <S extends Schema.Schema.AnyNoContext>(schema: S) => Schema.optionalWith(schema, { exact: true })
const ExactText = exact(Schema.String)
const ExactCount = exact(Schema.Number)
const ExactFlag = exact(Schema.Boolean)

const ExactUsage = Schema.Struct({
  input_tokens: ExactCount,
  output_tokens: ExactCount,
  cache_read_input_tokens: ExactCount,
  cache_creation_input_tokens: ExactCount,
  cache_creation: exact(Schema.Struct({ ephemeral_5m_input_tokens: ExactCount, ephemeral_1h_input_tokens: ExactCount }))
})

const ExactBlock = Schema.Struct({
  type: ExactText,
  text: ExactText,
  thinking: ExactText,
  id: ExactText,
  name: ExactText,
  input: exact(Schema.Unknown),
  tool_use_id: ExactText,
  content: exact(Schema.Union(Schema.String, Schema.Array(Schema.Struct({ type: ExactText, text: ExactText })))),
  is_error: ExactFlag
})

const ExactLine = Schema.Struct({
  type: ExactText,
  uuid: ExactText,
  promptId: ExactText,
  timestamp: ExactText,
  sessionId: ExactText,
  cwd: ExactText,
  gitBranch: ExactText,
  version: ExactText,
  agentId: ExactText,
  requestId: ExactText,
  summary: ExactText,
  isSidechain: ExactFlag,
  isMeta: ExactFlag,
  isCompactSummary: ExactFlag,
  isApiErrorMessage: ExactFlag,
  promptSource: ExactText,
  origin: exact(Schema.Struct({ kind: ExactText })),
  message: exact(
    Schema.Struct({
      id: ExactText,
      role: ExactText,
      model: ExactText,
      content: exact(Schema.Union(Schema.String, Schema.Array(ExactBlock))),
      usage: exact(ExactUsage)
    })
  ),
  toolUseResult: exact(
    Schema.Union(
      Schema.String,
      Schema.Struct({ stdout: ExactText, stderr: ExactText, filePath: ExactText, interrupted: ExactFlag })
    )
  ),
  attachment: exact(
    Schema.Struct({
      type: ExactText,
      prompt: ExactText,
      commandMode: ExactText,
      origin: exact(Schema.Struct({ kind: ExactText }))
    })
  ),
  totalCostUSD: ExactCount,
  modelUsage: exact(
    Schema.Record({
      key: Schema.String,
      value: Schema.Struct({
        inputTokens: ExactCount,
        outputTokens: ExactCount,
        cacheReadInputTokens: ExactCount,
        cacheCreationInputTokens: ExactCount,
        cacheCreationEphemeral5mInputTokens: ExactCount,
        cacheCreationEphemeral1hInputTokens: ExactCount,
        costUSD: ExactCount
      })
    })
  ),
  hasUnknownModelCost: ExactFlag
})

const decodeExact = Schema.decodeUnknownEither(ExactLine, { onExcessProperty: "ignore", errors: "first" })
const decodeLenient = Schema.decodeUnknownEither(TranscriptLine, { onExcessProperty: "ignore", errors: "first" })

/** Decodes one parsed line: the exact schema first, the lenient one when a field has an unexpected type. */
const decodeLine = (json: unknown): Either.Either<TranscriptLine, unknown> => {
  const exactly = decodeExact(json)
  return Either.isRight(exactly) ? exactly : decodeLenient(json)
}

// ---------------------------------------------------------------------------------------------------------------------
// Recognising a line without parsing it

const TYPE_KEY = '"type":"'

/**
 * The line types the reader folds (`cost-state`: Claude Code's own cumulative figures, a small line); every other type
 * (snapshots, requests, attachments, queue, …) is skipped.
 */
export const foldedTypes: ReadonlySet<string> = new Set(["user", "assistant", "summary", "cost-state"])

/**
 * The attachments the reader folds: `queued_command`, a message delivered in the middle of a turn (2.1.332: a
 * background subagent's task notification that arrives before the turn ends is absorbed this way, with no user line of
 * its own). Every other attachment (the system prompt snapshot, tool and skill listings, files, …) is skipped.
 */
export const foldedAttachments: ReadonlySet<string> = new Set(["queued_command"])

const ATTACHMENT_KEY = '"attachment":{'

/**
 * The top-level `type` of a raw line, read without parsing it; undefined when it cannot be read that way. Claude Code
 * writes compact JSON, the top-level `type` before any nested object (at offset 1 for `api-request*`, `cost-state`,
 * `queue-operation`…, after a few scalar fields for `user`, `assistant`, `system`), except in `attachment` lines,
 * which start `{"parentUuid":…,"isSidechain":…,"attachment":{…` and carry their `type` after the attachment (the
 * 110 KB `prompt_snapshot` ones included). So: when no `{` comes before the first `"type":"`, that key is a member of
 * the root object (quotes inside strings are escaped and never match; a key can only be an object's member); when the
 * first nested object is the value of a top-level `attachment` key, the line is an attachment. Anything else (another
 * nested object first, a brace inside a string) gives undefined, and the caller parses the line.
 */
export const peekType = (line: string): string | undefined => {
  const at = line.indexOf(TYPE_KEY)
  const brace = line.indexOf("{", 1)
  if (brace >= 0 && (at < 0 || brace < at)) {
    return isAttachmentAt(line, brace) ? "attachment" : undefined
  }
  if (at < 0) return undefined
  const from = at + TYPE_KEY.length
  const end = line.indexOf('"', from)
  if (end < 0) return undefined
  const type = line.slice(from, end)
  return type.includes("\\") ? undefined : type
}

const isAttachmentAt = (line: string, brace: number): boolean =>
  line.startsWith(ATTACHMENT_KEY, brace + 1 - ATTACHMENT_KEY.length)

/**
 * The `type` of an attachment line's attachment, read without parsing it: Claude Code writes it as the attachment
 * object's first member (`"attachment":{"type":"prompt_snapshot",…`); undefined when it is not there.
 */
export const peekAttachmentType = (line: string): string | undefined => {
  const brace = line.indexOf("{", 1)
  if (brace < 0 || !isAttachmentAt(line, brace) || !line.startsWith(TYPE_KEY, brace + 1)) return undefined
  const from = brace + 1 + TYPE_KEY.length
  const end = line.indexOf('"', from)
  return end < 0 ? undefined : line.slice(from, end)
}

/** Whether any `"type":"…"` of the line names a folded type (the slow path, for lines `peekType` cannot read). */
const mentionsFoldedType = (line: string): boolean => {
  let at = line.indexOf(TYPE_KEY)
  if (at < 0) return true
  while (at >= 0) {
    const from = at + TYPE_KEY.length
    if (
      line.startsWith('user"', from) ||
      line.startsWith('assistant"', from) ||
      line.startsWith('summary"', from) ||
      line.startsWith('cost-state"', from)
    ) {
      return true
    }
    at = line.indexOf(TYPE_KEY, from)
  }
  return false
}

/** Whether a raw line may be one the reader folds; false means it is skipped without being parsed. */
export const mayBeFolded = (line: string): boolean => {
  const type = peekType(line)
  if (type === "attachment") {
    const attachment = peekAttachmentType(line)
    return attachment !== undefined && foldedAttachments.has(attachment)
  }
  return type === undefined ? mentionsFoldedType(line) : foldedTypes.has(type)
}

// ---------------------------------------------------------------------------------------------------------------------
// parseLine, parseLines

/** What one raw line turned out to be. */
export type LineResult =
  | { readonly _tag: "Line"; readonly line: TranscriptLine }
  /** A well-formed line of a type the reader does not fold. */
  | { readonly _tag: "Skipped" }
  /** Not a JSON object (typically the last line, cut mid-write). */
  | { readonly _tag: "Malformed" }
  | { readonly _tag: "Blank" }

const BLANK: LineResult = { _tag: "Blank" }
const SKIPPED: LineResult = { _tag: "Skipped" }
const MALFORMED: LineResult = { _tag: "Malformed" }

const isWanted = (json: { readonly type?: unknown; readonly attachment?: unknown }): boolean => {
  if (json.type === "attachment") {
    const attachment = json.attachment as { readonly type?: unknown } | null | undefined
    return typeof attachment?.type === "string" && foldedAttachments.has(attachment.type)
  }
  return typeof json.type === "string" && foldedTypes.has(json.type)
}

/** Parses one raw line (without its line break); never throws. Lines of other types are not parsed at all. */
export const parseLine = (raw: string): LineResult => {
  const line = raw.trim()
  if (line === "") return BLANK
  if (!mayBeFolded(line)) {
    // A truncated line can keep its type marker; it still counts as malformed.
    return line.charCodeAt(0) === 123 && line.charCodeAt(line.length - 1) === 125 ? SKIPPED : MALFORMED
  }
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    return MALFORMED
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return MALFORMED
  if (!isWanted(json as { readonly type?: unknown; readonly attachment?: unknown })) return SKIPPED
  const decoded = decodeLine(json)
  return Either.isLeft(decoded) ? MALFORMED : { _tag: "Line", line: decoded.right }
}

/** The decoded lines of a transcript (or of a part of one), with counts of the lines that were malformed or skipped. */
export interface ParsedTranscript {
  readonly lines: ReadonlyArray<TranscriptLine>
  /** Lines that are not JSON objects (typically the last line, cut mid-write). */
  readonly malformed: number
  /** Well-formed lines of types the reader ignores (snapshots, requests, queue operations, attachments, …). */
  readonly skipped: number
}

/** Collects `parseLine` results into a `ParsedTranscript`; the caller feeds raw lines from wherever they come. */
export const makeCollector = () => {
  const lines: Array<TranscriptLine> = []
  let malformed = 0
  let skipped = 0
  return {
    add: (raw: string): void => {
      const result = parseLine(raw)
      if (result._tag === "Line") lines.push(result.line)
      else if (result._tag === "Malformed") malformed++
      else if (result._tag === "Skipped") skipped++
    },
    result: (): ParsedTranscript => ({ lines, malformed, skipped })
  }
}

/** Splits transcript JSONL text (LF or CRLF) into decoded lines; never throws: a bad line is skipped and counted. */
export const parseLines = (text: string): ParsedTranscript => {
  const collector = makeCollector()
  eachLine(text, collector.add)
  return collector.result()
}

// ---------------------------------------------------------------------------------------------------------------------
// Byte chunks → lines

const NEWLINE = 0x0a

/**
 * Turns byte chunks (a file read piece by piece, a stream) into complete lines. A line break is one byte that never
 * occurs inside a UTF-8 sequence, so chunks are split at the last one and only the unfinished tail is carried.
 */
export interface LineBuffer {
  /** Calls `onLine` with each complete line the chunk finishes (without its line break). */
  readonly push: (chunk: Uint8Array, onLine: (line: string) => void) => void
  /** Calls `onLine` with the unfinished last line, if any (a file that does not end with a line break). */
  readonly end: (onLine: (line: string) => void) => void
  /** Bytes consumed by the complete lines so far: where a later read can resume, relative to the first chunk. */
  readonly consumed: () => number
}

/** Calls `onLine` with each line of `text` (LF or CRLF; the CR is left to the caller's trim). */
export const eachLine = (text: string, onLine: (line: string) => void): void => {
  let start = 0
  const length = text.length
  while (start < length) {
    let end = text.indexOf("\n", start)
    if (end < 0) end = length
    onLine(text.slice(start, end))
    start = end + 1
  }
}

const decode = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")

export const makeLineBuffer = (): LineBuffer => {
  let carry: Uint8Array = new Uint8Array(0)
  let consumed = 0
  return {
    push: (chunk, onLine) => {
      const last = chunk.lastIndexOf(NEWLINE)
      if (last < 0) {
        // Copies: the caller may reuse the chunk's memory for its next read.
        carry = carry.length === 0 ? new Uint8Array(chunk) : Buffer.concat([carry, chunk])
        return
      }
      const head = chunk.subarray(0, last)
      const complete = carry.length === 0 ? head : Buffer.concat([carry, head])
      consumed += complete.length + 1
      carry = new Uint8Array(chunk.subarray(last + 1))
      eachLine(decode(complete), onLine)
    },
    end: (onLine) => {
      if (carry.length === 0) return
      eachLine(decode(carry), onLine)
      carry = new Uint8Array(0)
    },
    consumed: () => consumed
  }
}
