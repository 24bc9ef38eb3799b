import { Lenient } from "@opensync/client"
import { Limits, type ToolCall } from "@opensync/domain"
import type { Elided } from "./Bytes.js"

/*
 * Tool calls: a `tool_use` block of a response paired with the `tool_result` block of a later user line. Inputs and
 * outputs keep sizes, paths, exit codes and short summaries, never contents: a result is measured when its line is
 * read (`resultsOfLine`), and only an error's text is kept.
 */

/** A tool call paired with its result; input and output keep sizes, paths and short summaries, never contents. */
export interface TranscriptToolCall {
  readonly callId: string
  readonly messageId: string
  readonly name: string
  readonly status: "running" | "completed" | "error"
  readonly startedAt: number
  readonly completedAt: number | null
  readonly durationMs: number | null
  readonly input: { readonly summary: string | null; readonly paths: ReadonlyArray<string>; readonly bytes: number }
  readonly output: { readonly bytes: number; readonly exitCode: number | null; readonly error: string | null }
  readonly agentId: string | null
}

/** What a tool reported besides its result text (the line's `toolUseResult`): sizes and a path, never contents. */
export type Reported =
  /** A string: the error text of a failed call (kept for failed calls only). */
  | { readonly kind: "text"; readonly text: string }
  | {
      readonly kind: "fields"
      readonly stdoutLength?: number
      readonly stderrLength?: number
      readonly filePath?: string
      readonly interrupted?: boolean
    }

/** One `tool_result` block of a user line, measured. */
export interface ResultBlock {
  /** Undefined for a block without a usable `tool_use_id` (it still counts as one of the line's results). */
  readonly toolUseId: string | undefined
  /** The length of its text (`string.length` of the text blocks joined). */
  readonly textLength: number
  readonly isError: boolean
  /** Its text, kept only when it reports an error. */
  readonly errorText: string
}

/** The tool results of one user line, and what the tool reported when the line holds exactly one result. */
export interface LineResults {
  readonly blocks: ReadonlyArray<ResultBlock>
  readonly reported: Reported | undefined
}

/** A tool result as the fold keeps it until its call is read. */
export interface ToolResult {
  readonly at: number | undefined
  readonly textLength: number
  readonly isError: boolean
  readonly errorText: string
  /** The line's `toolUseResult`, kept only when the line holds this one result. */
  readonly reported: Reported | undefined
  readonly sidechain: boolean
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null

/** The text blocks of a result's `content` (a string, or blocks with `text`), measured or read. */
const contentOf = (content: unknown, elided: Elided, keepText: boolean): { length: number; text: string } => {
  if (typeof content === "string")
    return { length: elided.lengthOf(content), text: keepText ? elided.textOf(content) : "" }
  if (!Array.isArray(content)) return { length: 0, text: "" }
  let length = 0
  let text = ""
  for (const block of content) {
    if (!isObject(block) || typeof block.text !== "string") continue
    length += elided.lengthOf(block.text)
    if (keepText) text += elided.textOf(block.text)
  }
  return { length, text }
}

const reportedOf = (value: unknown, elided: Elided, isError: boolean): Reported | undefined => {
  if (typeof value === "string") return { kind: "text", text: isError ? elided.textOf(value) : "" }
  if (!isObject(value) || Array.isArray(value)) return undefined
  const { stdout, stderr, filePath, interrupted } = value
  return {
    kind: "fields",
    ...(typeof stdout === "string" ? { stdoutLength: elided.lengthOf(stdout) } : {}),
    ...(typeof stderr === "string" ? { stderrLength: elided.lengthOf(stderr) } : {}),
    ...(typeof filePath === "string" ? { filePath: elided.textOf(filePath) } : {}),
    ...(typeof interrupted === "boolean" ? { interrupted } : {})
  }
}

/**
 * The tool results of a user line's `message` (with its `toolUseResult`), measured; undefined when the line holds no
 * `tool_result` block (it is a prompt). Strings are read through `elided`, so a long result is measured in place.
 */
export const resultsOfLine = (message: unknown, toolUseResult: unknown, elided: Elided): LineResults | undefined => {
  if (!isObject(message) || Array.isArray(message) || !Array.isArray(message.content)) return undefined
  const blocks: Array<ResultBlock> = []
  for (const block of message.content) {
    if (!isObject(block) || block.type !== "tool_result") continue
    const isError = block.is_error === true
    const content = contentOf(block.content, elided, isError)
    const id = block.tool_use_id
    blocks.push({
      toolUseId: typeof id === "string" ? elided.textOf(id) : undefined,
      textLength: content.length,
      isError,
      errorText: content.text
    })
  }
  if (blocks.length === 0) return undefined
  const reported = blocks.length === 1 ? reportedOf(toolUseResult, elided, blocks[0].isError) : undefined
  return { blocks, reported }
}

/**
 * Records the tool results of one user line (mutates `results`); a main-thread result replaces a sidechain copy,
 * never the other way round. Returns the ids recorded.
 */
export const recordResults = (
  results: Map<string, ToolResult>,
  line: LineResults,
  at: number | undefined,
  sidechain: boolean
): ReadonlyArray<string> => {
  const recorded: Array<string> = []
  for (const block of line.blocks) {
    if (block.toolUseId === undefined) continue
    const existing = results.get(block.toolUseId)
    if (existing !== undefined && !(existing.sidechain && !sidechain)) continue
    results.set(block.toolUseId, {
      at,
      textLength: block.textLength,
      isError: block.isError,
      errorText: block.errorText,
      reported: line.reported,
      sidechain
    })
    recorded.push(block.toolUseId)
  }
  return recorded
}

/** A `tool_use` block's name as stored. */
export const nameOf = (name: string | undefined): string =>
  name !== undefined && name !== "" ? name.slice(0, 256) : "unknown"

/** A tool call (its name and summarised input) and its result (if any yet) as a tool call. */
export const toolCallOf = (
  name: string,
  input: ToolCall.ToolInput,
  callId: string,
  messageId: string,
  startedAt: number,
  result: ToolResult | undefined,
  agentId: string | null
): TranscriptToolCall => {
  if (result === undefined) {
    return {
      callId,
      messageId,
      name,
      status: "running",
      startedAt,
      completedAt: null,
      durationMs: null,
      input,
      output: { bytes: 0, exitCode: null, error: null },
      agentId
    }
  }
  const isError = result.isError
  const reported = result.reported
  let bytes = result.textLength
  let exitCode: number | null = null
  let paths = input.paths
  if (reported?.kind === "fields") {
    if (reported.stdoutLength !== undefined || reported.stderrLength !== undefined) {
      bytes = (reported.stdoutLength ?? 0) + (reported.stderrLength ?? 0)
      if (!isError && name === "Bash" && reported.interrupted !== true) exitCode = 0
    }
    if (reported.filePath !== undefined && reported.filePath !== "" && !paths.includes(reported.filePath)) {
      paths = [...paths, reported.filePath]
    }
  }
  let error: string | null = null
  if (isError) {
    const text = result.errorText
    const reportedText = reported?.kind === "text" ? reported.text : undefined
    const message = text !== "" ? text : (reportedText ?? "")
    exitCode =
      Lenient.exitCodeOfText(message) ?? (reportedText !== undefined ? Lenient.exitCodeOfText(reportedText) : null)
    error = message === "" ? null : Limits.truncate(message, Limits.maxErrorChars)
  }
  const completedAt = result.at ?? null
  return {
    callId,
    messageId,
    name,
    status: isError ? "error" : "completed",
    startedAt,
    completedAt,
    durationMs: completedAt === null ? null : Math.max(0, completedAt - startedAt),
    input: paths === input.paths ? input : { ...input, paths },
    output: { bytes, exitCode, error },
    agentId
  }
}
