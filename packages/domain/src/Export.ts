import type { ExportFormat, SessionDetail, SessionSummary } from "./Api.js"
import * as Usage from "./Usage.js"

/** Export formatting shared by both backends. Each function renders one session; callers stream them. */

export const contentType: Record<ExportFormat, string> = {
  json: "application/json; charset=utf-8",
  jsonl: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  markdown: "text/markdown; charset=utf-8"
}

export const extension: Record<ExportFormat, string> = { json: "json", jsonl: "jsonl", csv: "csv", markdown: "md" }

export const csvColumns = [
  "id",
  "source",
  "title",
  "projectName",
  "projectPath",
  "gitBranch",
  "model",
  "startedAt",
  "updatedAt",
  "durationMs",
  "messageCount",
  "toolCallCount",
  ...Usage.fields,
  "totalTokens",
  "costUsd"
] as const

/** A CSV cell: quoted when needed, and a leading `= + - @` (or tab/CR) neutralised so spreadsheets run no formula. */
export const csvCell = (value: string | number | null): string => {
  if (value === null) return ""
  let text = String(value)
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const csvHeader = (): string => `${csvColumns.join(",")}\r\n`

export const csvRow = (s: SessionSummary): string =>
  `${[
    s.id,
    s.source,
    s.title,
    s.projectName,
    s.projectPath,
    s.gitBranch,
    s.model,
    new Date(s.startedAt).toISOString(),
    new Date(s.updatedAt).toISOString(),
    s.durationMs,
    s.messageCount,
    s.toolCallCount,
    s.usage.input,
    s.usage.output,
    s.usage.cacheRead,
    s.usage.cacheWrite5m,
    s.usage.cacheWrite1h,
    s.usage.reasoning,
    s.totalTokens,
    s.costUsd
  ]
    .map(csvCell)
    .join(",")}\r\n`

const fence = (text: string): string => {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length))
  return "`".repeat(longest + 1)
}

/** A readable transcript: header with totals, then each message with its tool calls. */
export const markdown = (detail: SessionDetail): string => {
  const s = detail.session
  const lines: Array<string> = [
    `# ${s.title ?? s.id}`,
    "",
    `- Source: ${s.source}`,
    `- Project: ${s.projectName ?? "(none)"}${s.projectPath ? ` (${s.projectPath})` : ""}`,
    `- Model: ${s.model ?? "unknown"}`,
    `- Started: ${new Date(s.startedAt).toISOString()}`,
    `- Messages: ${s.messageCount}, tool calls: ${s.toolCallCount}`,
    `- Tokens: ${s.totalTokens} (input ${s.usage.input}, output ${s.usage.output}${s.usage.reasoning > 0 ? `, reasoning ${s.usage.reasoning}` : ""}, cache read ${s.usage.cacheRead}, cache write ${s.usage.cacheWrite5m + s.usage.cacheWrite1h})`,
    `- Cost: $${s.costUsd.toFixed(4)}`,
    ""
  ]
  const toolsByMessage = new Map<string, Array<SessionDetail["toolCalls"][number]>>()
  for (const call of detail.toolCalls) {
    const key = call.messageId ?? ""
    toolsByMessage.set(key, [...(toolsByMessage.get(key) ?? []), call])
  }
  for (const message of detail.messages) {
    // A subagent's task is its parent agent's words, not the user's; what the agent put in is named for what it is
    const who =
      message.subtype === "delegation"
        ? "parent agent (task)"
        : message.subtype === undefined
          ? message.role
          : `${message.role} (${message.subtype})`
    lines.push(`## ${who} · ${new Date(message.createdAt).toISOString()}`, "")
    if (message.text.length > 0) lines.push(message.text, "")
    for (const call of toolsByMessage.get(message.id) ?? []) {
      const summary = call.input.summary ?? call.input.paths.join(", ")
      lines.push(
        `- Tool \`${call.name}\` (${call.status}${call.durationMs === null ? "" : `, ${call.durationMs} ms`})${summary ? `: ${summary.replace(/\n/g, " ")}` : ""}`
      )
    }
    if ((toolsByMessage.get(message.id) ?? []).length > 0) lines.push("")
  }
  const orphans = toolsByMessage.get("") ?? []
  if (orphans.length > 0) {
    lines.push("## Tool calls", "")
    for (const call of orphans) {
      const summary = call.input.summary ?? ""
      const f = fence(summary)
      lines.push(`- \`${call.name}\` (${call.status})`, summary ? `  ${f}\n  ${summary}\n  ${f}` : "")
    }
  }
  return `${lines.join("\n").trimEnd()}\n`
}

/** One session in `format`: what `GET /api/export?id=…` answers. */
export const render = (detail: SessionDetail, format: ExportFormat): string =>
  format === "json"
    ? JSON.stringify(detail, null, 2)
    : format === "jsonl"
      ? `${JSON.stringify(detail)}\n`
      : format === "csv"
        ? csvHeader() + csvRow(detail.session)
        : markdown(detail)
