import { Kit, Lenient } from "@opensync/client"
import { Limits, type ToolCall } from "@opensync/domain"

const summary = (text: string | undefined): string | null =>
  text === undefined ? null : Limits.truncate(text, Limits.maxSummaryChars)

/**
 * What a tool was asked to do: a short summary and the paths it touches, never file contents. Shared by the hooks and
 * the transcript reader so both describe a call the same way.
 */
export const summarize = (name: string, input: unknown): ToolCall.ToolInput => {
  const bytes = Lenient.jsonLength(input)
  if (!Lenient.isRecord(input)) return { summary: null, paths: [], bytes }
  const record = input
  switch (name) {
    case "Bash":
      return { summary: summary(Lenient.field(record, "command")), paths: [], bytes }
    case "Read":
    case "Write":
    case "Edit":
    case "MultiEdit":
    case "NotebookEdit":
      return Kit.ToolInput.fileTool(record, ["file_path", "notebook_path"], bytes)
    case "Glob":
    case "Grep": {
      const path = Lenient.field(record, "path")
      return { summary: summary(Lenient.field(record, "pattern")), paths: path === undefined ? [] : [path], bytes }
    }
    case "WebFetch":
      return { summary: summary(Lenient.field(record, "url")), paths: [], bytes }
    case "Task":
    case "Agent": {
      const type = Lenient.field(record, "subagent_type")
      const description = Lenient.field(record, "description")
      const text = type !== undefined && description !== undefined ? `${type}: ${description}` : (type ?? description)
      return { summary: summary(text), paths: [], bytes }
    }
    default: {
      const keys = Object.keys(record).sort()
      return { summary: keys.length === 0 ? null : summary(keys.join(", ")), paths: [], bytes }
    }
  }
}
