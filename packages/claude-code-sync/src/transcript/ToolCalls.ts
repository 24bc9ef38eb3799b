import { Lenient } from "@opensync/client"
import { Limits } from "@opensync/domain"
import * as ToolInput from "../ToolInput.js"
import type { RawBlock, RawMessageContent, RawToolUseResult } from "./Lines.js"

/*
 * Tool calls: a `tool_use` block of a response paired with the `tool_result` block of a later user line. Inputs and
 * outputs keep sizes, paths, exit codes and short summaries, never contents.
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

/** A `tool_result` block with what its line says about it. */
export interface ToolResult {
  readonly at: number | undefined
  readonly block: RawBlock
  /** The line's `toolUseResult`, kept only when the line holds this one result. */
  readonly toolUseResult: RawToolUseResult | undefined
  readonly sidechain: boolean
}

/** Whether a user line carries tool results (rather than a prompt). */
export const hasToolResult = (content: RawMessageContent): boolean => {
  if (!Array.isArray(content)) return false
  for (const block of content) if (block?.type === "tool_result") return true
  return false
}

/**
 * Records the tool results of one user line (mutates `results`); a main-thread result replaces a sidechain copy,
 * never the other way round.
 */
export const recordResults = (
  results: Map<string, ToolResult>,
  content: ReadonlyArray<RawBlock | undefined>,
  at: number | undefined,
  toolUseResult: RawToolUseResult | undefined,
  sidechain: boolean
): void => {
  let resultCount = 0
  for (const block of content) if (block?.type === "tool_result") resultCount++
  for (const block of content) {
    if (block?.type !== "tool_result" || block.tool_use_id === undefined) continue
    const existing = results.get(block.tool_use_id)
    if (existing !== undefined && !(existing.sidechain && !sidechain)) continue
    results.set(block.tool_use_id, {
      at,
      block,
      toolUseResult: resultCount === 1 ? toolUseResult : undefined,
      sidechain
    })
  }
}

const resultText = (content: RawBlock["content"]): string => {
  if (typeof content === "string") return content
  if (content === undefined) return ""
  let text = ""
  for (const block of content) if (block?.text !== undefined) text += block.text
  return text
}

/** A `tool_use` block and its result (if any yet) as a tool call. */
export const toolCallOf = (
  block: RawBlock,
  callId: string,
  messageId: string,
  startedAt: number,
  result: ToolResult | undefined,
  agentId: string | null
): TranscriptToolCall => {
  const name = block.name !== undefined && block.name !== "" ? block.name.slice(0, 256) : "unknown"
  const input = ToolInput.summarize(name, block.input)
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
  const text = resultText(result.block.content)
  const isError = result.block.is_error === true
  const reported = result.toolUseResult
  let bytes = text.length
  let exitCode: number | null = null
  let paths = input.paths
  if (typeof reported === "object") {
    if (reported.stdout !== undefined || reported.stderr !== undefined) {
      bytes = (reported.stdout?.length ?? 0) + (reported.stderr?.length ?? 0)
      if (!isError && name === "Bash" && reported.interrupted !== true) exitCode = 0
    }
    if (reported.filePath !== undefined && reported.filePath !== "" && !paths.includes(reported.filePath)) {
      paths = [...paths, reported.filePath]
    }
  }
  let error: string | null = null
  if (isError) {
    const message = text !== "" ? text : typeof reported === "string" ? reported : ""
    exitCode =
      Lenient.exitCodeOfText(message) ?? (typeof reported === "string" ? Lenient.exitCodeOfText(reported) : null)
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
