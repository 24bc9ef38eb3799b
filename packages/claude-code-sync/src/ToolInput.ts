import { Limits, type ToolCall } from "@opensync/domain"

const stringField = (record: Readonly<Record<string, unknown>>, key: string): string | undefined => {
  const value = record[key]
  return typeof value === "string" && value !== "" ? value : undefined
}

const summary = (text: string | undefined): string | null =>
  text === undefined ? null : Limits.truncate(text, Limits.maxSummaryChars)

/**
 * What a tool was asked to do: a short summary and the paths it touches, never file contents. Shared by the hooks and
 * the transcript reader so both describe a call the same way.
 */
export const summarize = (name: string, input: unknown): ToolCall.ToolInput => {
  const bytes = input === undefined ? 0 : (JSON.stringify(input)?.length ?? 0)
  if (typeof input !== "object" || input === null || Array.isArray(input)) return { summary: null, paths: [], bytes }
  const record = input as Readonly<Record<string, unknown>>
  switch (name) {
    case "Bash":
      return { summary: summary(stringField(record, "command")), paths: [], bytes }
    case "Read":
    case "Write":
    case "Edit":
    case "MultiEdit":
    case "NotebookEdit": {
      const path = stringField(record, "file_path") ?? stringField(record, "notebook_path")
      return { summary: null, paths: path === undefined ? [] : [path], bytes }
    }
    case "Glob":
    case "Grep": {
      const path = stringField(record, "path")
      return { summary: summary(stringField(record, "pattern")), paths: path === undefined ? [] : [path], bytes }
    }
    case "WebFetch":
      return { summary: summary(stringField(record, "url")), paths: [], bytes }
    case "Task":
    case "Agent": {
      const type = stringField(record, "subagent_type")
      const description = stringField(record, "description")
      const text = type !== undefined && description !== undefined ? `${type}: ${description}` : (type ?? description)
      return { summary: summary(text), paths: [], bytes }
    }
    default: {
      const keys = Object.keys(record).sort()
      return { summary: keys.length === 0 ? null : summary(keys.join(", ")), paths: [], bytes }
    }
  }
}
