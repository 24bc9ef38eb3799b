import { Lenient } from "@opensync/client"
import * as FastDecode from "@opensync/domain/FastDecode"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as Bytes from "./Bytes.js"
import * as ToolCalls from "./ToolCalls.js"

/*
 * One transcript line at a time, as bytes. `parseLineBytes` decides from a raw line alone whether it is one the reader
 * folds (`user`, `assistant`, `summary`, `cost-state`) and decodes only those; every other line, above all the large ones Claude
 * Code 2.1.332 writes (`api-request-shape`, `api-request-blob`, `attachment` with `prompt_snapshot`: the system prompt,
 * tool definitions and CLAUDE.md), is recognised by its `"type":"…"` prefix and skipped without being decoded. A
 * tool-result line is measured, not kept: its long strings (file contents, command output) are never decoded. Nothing
 * here needs more than the current line, so a file can be read whole (`parseLines`) or in byte chunks (`LineBuffer`).
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
/**
 * One decoded transcript line. A tool-result line carries its results measured (`toolResults`) instead of its
 * `message` and `toolUseResult`, which are left out: their text is never synced.
 */
export type TranscriptLine = typeof TranscriptLine.Type & { readonly toolResults?: ToolCalls.LineResults }

/** A message's content: a string (a typed prompt) or blocks. */
export type RawMessageContent = NonNullable<TranscriptLine["message"]>["content"]

/** `ast` with its optional fields exactly optional and its lenient unions (`orUndefined`) reduced to their schema. */
const exactAst = (ast: AST.AST): AST.AST => {
  switch (ast._tag) {
    case "TypeLiteral":
      return new AST.TypeLiteral(
        ast.propertySignatures.map(
          (field) =>
            new AST.PropertySignature(
              field.name,
              field.isOptional ? withoutUndefined(field.type) : exactAst(field.type),
              field.isOptional,
              field.isReadonly
            )
        ),
        ast.indexSignatures.map(
          (index) => new AST.IndexSignature(index.parameter, exactAst(index.type), index.isReadonly)
        )
      )
    case "Union":
      return AST.DecodingFallbackAnnotationId in ast.annotations
        ? withoutUndefined(ast)
        : AST.Union.make(ast.types.map(exactAst))
    case "TupleType":
      return new AST.TupleType(
        ast.elements.map((element) => new AST.OptionalType(exactAst(element.type), element.isOptional)),
        ast.rest.map((rest) => new AST.Type(exactAst(rest.type))),
        ast.isReadonly
      )
    default:
      return ast
  }
}

/** A union's members but `undefined`, made exact (a lenient or optional field's own schema). */
const withoutUndefined = (ast: AST.AST): AST.AST =>
  ast._tag === "Union"
    ? AST.Union.make(ast.types.filter((member) => !AST.isUndefinedKeyword(member)).map(withoutUndefined))
    : exactAst(ast)

/**
 * The same schema without its leniency, derived so that the two cannot drift apart: `orUndefined(X)` is X again and
 * an optional field is exactly optional (absent, never undefined). No fallback machinery, about twice as fast to
 * decode; a line that fails it (a field of an unexpected type) is decoded again with the lenient schema. It accepts a
 * subset of what the lenient schema accepts and decodes it to the same value.
 */
export const ExactLine = Schema.make<typeof TranscriptLine.Type, unknown, never>(exactAst(TranscriptLine.ast))

const decodeExact = Schema.decodeUnknownEither(ExactLine, { onExcessProperty: "ignore", errors: "first" })
const decodeLenient = Schema.decodeUnknownEither(TranscriptLine, { onExcessProperty: "ignore", errors: "first" })

/** The exact schema's decoding compiled (`FastDecode`): ~10 times faster, the same value; undefined if it cannot be. */
const fastExact = FastDecode.compile(ExactLine.ast)

/**
 * Decodes one parsed line: the exact schema first (compiled), the lenient one when a field has an unexpected type.
 * `test/transcript/LineDecode.test.ts` holds the compiled decoding equal to the schema's on real and random lines.
 */
export const decodeLine = (json: unknown): Either.Either<typeof TranscriptLine.Type, unknown> => {
  if (fastExact !== undefined) {
    const fast = fastExact(json)
    if (fast !== FastDecode.NO) return Either.right(fast as typeof TranscriptLine.Type)
  }
  return decodeLineBySchema(json)
}

/** The line decoding without the compiled path (the schema's own), to check the two against each other. */
export const decodeLineBySchema = (json: unknown): Either.Either<typeof TranscriptLine.Type, unknown> => {
  const exactly = decodeExact(json)
  return Either.isRight(exactly) ? exactly : decodeLenient(json)
}

// ---------------------------------------------------------------------------------------------------------------------
// Recognising a line without parsing it

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

/** The top-level `type` of a raw line, read without parsing it (see `Bytes.peekType`); undefined when it cannot be. */
export const peekType = (line: string): string | undefined => Bytes.peekType(Buffer.from(line))

/** The `type` of an attachment line's attachment, read without parsing it; undefined when it is not there. */
export const peekAttachmentType = (line: string): string | undefined => Bytes.peekAttachmentType(Buffer.from(line))

const mayBeFoldedBytes = (line: Buffer, type: string | undefined): boolean => {
  if (type === "attachment") {
    const attachment = Bytes.peekAttachmentType(line)
    return attachment !== undefined && foldedAttachments.has(attachment)
  }
  return type === undefined ? Bytes.mentionsFoldedType(line) : foldedTypes.has(type)
}

/** Whether a raw line may be one the reader folds; false means it is skipped without being parsed. */
export const mayBeFolded = (line: string): boolean => {
  const bytes = Buffer.from(line)
  return mayBeFoldedBytes(bytes, Bytes.peekType(bytes))
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

type JsonObject = Readonly<Record<string, unknown>>

const isWanted = (json: JsonObject): boolean => {
  if (json.type === "attachment") {
    const attachment = json.attachment as { readonly type?: unknown } | null | undefined
    return typeof attachment?.type === "string" && foldedAttachments.has(attachment.type)
  }
  return typeof json.type === "string" && foldedTypes.has(json.type)
}

/** Tool-result lines at least this long are parsed without decoding their long strings. */
const ELIDE_LINE_BYTES = 2_048
/** The strings left undecoded in such a line: tool output, file contents (ids, paths and flags are short). */
const ELIDE_STRING_BYTES = 256

const parseWhole = (line: Buffer): Bytes.Elided | undefined => {
  try {
    return Bytes.whole(JSON.parse(line.toString("utf8")))
  } catch {
    return undefined
  }
}

const TEXT_FIELDS = [
  "type",
  "uuid",
  "promptId",
  "timestamp",
  "sessionId",
  "cwd",
  "gitBranch",
  "version",
  "agentId",
  "requestId",
  "promptSource"
] as const
const FLAG_FIELDS = ["isSidechain", "isMeta", "isCompactSummary", "isApiErrorMessage"] as const

/** A tool-result line: its top-level fields read as the schema would (a field of the wrong type is absent), measured results. */
const toolResultLine = (json: JsonObject, toolResults: ToolCalls.LineResults, elided: Bytes.Elided): TranscriptLine => {
  const line: Record<string, unknown> = { toolResults }
  for (const key of TEXT_FIELDS) {
    const value = json[key]
    if (typeof value === "string") line[key] = elided.textOf(value)
  }
  for (const key of FLAG_FIELDS) {
    const value = json[key]
    if (typeof value === "boolean") line[key] = value
  }
  return line as TranscriptLine
}

const asObject = (value: unknown): JsonObject | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined

/**
 * Parses one raw line given as bytes (without its line break; the bytes are not kept); never throws. Lines of other
 * types are not decoded at all, and a long tool-result line only in part.
 */
export const parseLineBytes = (raw: Buffer): LineResult => {
  const line = Bytes.trim(raw)
  if (line.length === 0) return BLANK
  const type = Bytes.peekType(line)
  if (!mayBeFoldedBytes(line, type)) {
    // A truncated line can keep its type marker; it still counts as malformed.
    return Bytes.looksLikeObject(line) ? SKIPPED : MALFORMED
  }
  const eliding = type === "user" && line.length >= ELIDE_LINE_BYTES && Bytes.mentionsToolResult(line)
  let parsed = eliding ? Bytes.parseEliding(line, ELIDE_STRING_BYTES) : parseWhole(line)
  let json = asObject(parsed?.value)
  if (parsed === undefined || json === undefined) return MALFORMED
  if (!isWanted(json)) return SKIPPED
  if (json.type === "user") {
    const results = ToolCalls.resultsOfLine(json.message, json.toolUseResult, parsed)
    if (results !== undefined) return { _tag: "Line", line: toolResultLine(json, results, parsed) }
    if (eliding) {
      // The tool result was mentioned elsewhere than in the content: a prompt, read whole.
      parsed = parseWhole(line)
      json = asObject(parsed?.value)
      if (json === undefined) return MALFORMED
    }
  }
  const decoded = decodeLine(json)
  return Either.isLeft(decoded) ? MALFORMED : { _tag: "Line", line: decoded.right }
}

/** Parses one raw line (without its line break); never throws. Lines of other types are not parsed at all. */
export const parseLine = (raw: string): LineResult => parseLineBytes(Buffer.from(raw))

/** The decoded lines of a transcript (or of a part of one), with counts of the lines that were malformed or skipped. */
export interface ParsedTranscript {
  readonly lines: ReadonlyArray<TranscriptLine>
  /** Lines that are not JSON objects (typically the last line, cut mid-write). */
  readonly malformed: number
  /** Well-formed lines of types the reader ignores (snapshots, requests, queue operations, attachments, …). */
  readonly skipped: number
}

/** Counts of what the lines read so far were. */
export interface LineCounts {
  malformed: number
  skipped: number
}

/** Sends each raw line's decoded line to `onLine`, counting the others in `counts`. */
export const lineSink =
  (counts: LineCounts, onLine: (line: TranscriptLine) => void) =>
  (raw: Buffer): void => {
    const result = parseLineBytes(raw)
    if (result._tag === "Line") onLine(result.line)
    else if (result._tag === "Malformed") counts.malformed++
    else if (result._tag === "Skipped") counts.skipped++
  }

/** Collects `parseLine` results into a `ParsedTranscript`; the caller feeds raw lines from wherever they come. */
export const makeCollector = () => {
  const lines: Array<TranscriptLine> = []
  const counts: LineCounts = { malformed: 0, skipped: 0 }
  return {
    add: lineSink(counts, (line) => lines.push(line)),
    result: (): ParsedTranscript => ({ lines, malformed: counts.malformed, skipped: counts.skipped })
  }
}

/** Splits transcript JSONL text (LF or CRLF) into decoded lines; never throws: a bad line is skipped and counted. */
export const parseLines = (text: string): ParsedTranscript => {
  const collector = makeCollector()
  eachLine(Buffer.from(text), collector.add)
  return collector.result()
}

// ---------------------------------------------------------------------------------------------------------------------
// Byte chunks → lines

const NEWLINE = 0x0a

/** Calls `onLine` with each line of `bytes` (LF or CRLF; the CR is left to the caller's trim), as views of `bytes`. */
export const eachLine = (bytes: Buffer, onLine: (line: Buffer) => void): void => {
  let start = 0
  const length = bytes.length
  while (start < length) {
    let end = bytes.indexOf(NEWLINE, start)
    if (end < 0) end = length
    onLine(bytes.subarray(start, end))
    start = end + 1
  }
}

/**
 * Turns byte chunks (a file read piece by piece, a stream) into complete lines. A line break is one byte that never
 * occurs inside a UTF-8 sequence, so chunks are split at the last one and only the unfinished tail is carried. Lines
 * are handed out as views of the chunk: valid only during the call (the caller may reuse the chunk's memory).
 */
export interface LineBuffer {
  /** Calls `onLine` with each complete line the chunk finishes (without its line break). */
  readonly push: (chunk: Uint8Array, onLine: (line: Buffer) => void) => void
  /** Calls `onLine` with the unfinished last line, if any (a file that does not end with a line break). */
  readonly end: (onLine: (line: Buffer) => void) => void
  /** Bytes consumed by the complete lines so far: where a later read can resume, relative to the first chunk. */
  readonly consumed: () => number
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/**
 * Longest line kept to be parsed (64 MiB): far above any transcript line (a turn's pasted images are a few MiB), and a
 * bound on memory for a file with no line breaks at all (one zero-filled by a crash).
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024

/**
 * What a line longer than `maxLineBytes` is handed on as: bytes that are no JSON, so it counts as malformed (or, last
 * in a file, as unfinished), and where it ends still counts for `consumed`.
 */
export const OVERSIZED_LINE: Buffer = Buffer.from("(a line too long to read)")

export const makeLineBuffer = (maxLineBytes: number = MAX_LINE_BYTES): LineBuffer => {
  // The unfinished line: its pieces, joined once when it ends (joining at each chunk copied it again and again)
  let pieces: Array<Buffer> = []
  let carried = 0
  let oversized = false
  let consumed = 0
  const carry = (bytes: Buffer) => {
    if (bytes.length === 0) return
    carried += bytes.length
    if (oversized || carried > maxLineBytes) {
      oversized = true
      pieces = []
      return
    }
    // Copies: the caller may reuse the chunk's memory for its next read.
    pieces.push(Buffer.from(bytes))
  }
  /** The unfinished line followed by `head` (a view of the chunk), and the carry emptied. */
  const take = (head: Buffer): Buffer => {
    const line = oversized
      ? OVERSIZED_LINE
      : pieces.length === 0
        ? head
        : Buffer.concat(head.length === 0 ? pieces : [...pieces, head])
    pieces = []
    carried = 0
    oversized = false
    return line
  }
  return {
    push: (chunk, onLine) => {
      const bytes = asBuffer(chunk)
      const first = bytes.indexOf(NEWLINE)
      if (first < 0) {
        carry(bytes)
        return
      }
      // The line the carry began ends at the first break; it may be too long only with what this chunk adds to it.
      const headBytes = carried + first
      if (headBytes > maxLineBytes) oversized = true
      const head = take(bytes.subarray(0, first))
      consumed += headBytes + 1
      onLine(head)
      const last = bytes.lastIndexOf(NEWLINE)
      if (last > first) {
        consumed += last - first
        eachLine(bytes.subarray(first + 1, last), onLine)
      }
      carry(bytes.subarray(last + 1))
    },
    end: (onLine) => {
      if (carried === 0) return
      onLine(take(Buffer.alloc(0)))
    },
    consumed: () => consumed
  }
}
