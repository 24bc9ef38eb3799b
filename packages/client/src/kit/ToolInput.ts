/**
 * What a tool was asked to do, the rules every agent's reader shares whatever the agent calls its tools: a summary is
 * short text (never file contents), a tool that works on one file has that file as its path, and a tool no rule knows
 * is summarised by the names of its input's fields.
 */
import { Limits, type ToolCall } from "@opensync/domain"
import * as Lenient from "../Lenient.js"

/** A summary: the text, truncated to what the domain keeps; none for no text. */
export const summary = (text: string | undefined): string | null =>
  text === undefined || text === "" ? null : Limits.truncate(text, Limits.maxSummaryChars)

/** A tool that works on one file: its path is the first of `keys` that `input` holds; no summary. */
export const fileTool = (input: Lenient.Json, keys: ReadonlyArray<string>, bytes: number): ToolCall.ToolInput => {
  for (const key of keys) {
    const path = Lenient.field(input, key)
    if (path !== undefined) return { summary: null, paths: [path], bytes }
  }
  return { summary: null, paths: [], bytes }
}

/** A tool no rule knows: the names of its input's fields, sorted, as the summary. */
export const otherTool = (input: Lenient.Json, bytes: number): ToolCall.ToolInput => {
  const keys = Object.keys(input).sort()
  return { summary: keys.length === 0 ? null : summary(keys.join(", ")), paths: [], bytes }
}
