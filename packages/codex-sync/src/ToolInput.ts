import { isAbsolute, join } from "node:path"
import { Kit, Lenient } from "@opensync/client"
import type { ToolCall } from "@opensync/domain"

/*
 * What a Codex tool was asked to do, without file contents: the command it ran, the files a patch touches (never the
 * patch itself), a search query; sizes of input and output; the exit code a command reported.
 */

const { summary } = Kit.ToolInput

/** `["bash", "-lc", "ls"]` → `ls`; any other argv is joined with spaces. */
const commandText = (command: unknown): string | undefined => {
  if (typeof command === "string") return command
  if (!Array.isArray(command) || !command.every((part) => typeof part === "string")) return undefined
  const argv = command as ReadonlyArray<string>
  if (argv.length === 3 && /(^|\/)(ba|z|)sh$/.test(argv[0] ?? "") && /^-l?c$/.test(argv[1] ?? "")) return argv[2]
  return argv.join(" ")
}

const PATCH_FILE = /^\*\*\* (?:Add|Update|Delete) File: (.+)$/gm
const PATCH_MOVE = /^\*\*\* Move to: (.+)$/gm

/** The files an `apply_patch` patch names (added, updated, deleted, moved to), resolved against the working dir. */
export const patchPaths = (patch: string, cwd: string | null): ReadonlyArray<string> => {
  const found: Array<string> = []
  for (const pattern of [PATCH_FILE, PATCH_MOVE]) {
    for (const match of patch.matchAll(pattern)) {
      const path = match[1]?.trim()
      if (path === undefined || path === "") continue
      const absolute = isAbsolute(path) || cwd === null ? path : join(cwd, path)
      if (!found.includes(absolute)) found.push(absolute)
    }
  }
  return found
}

/** The arguments of a `function_call` (a JSON string), or the text of a freeform (custom) tool's input. */
export const argumentsOf = (raw: unknown): unknown => {
  if (typeof raw !== "string") return raw
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

/** Summary, paths and size of one tool call's input. */
export const summarize = (name: string, input: unknown, cwd: string | null): ToolCall.ToolInput => {
  const bytes = typeof input === "string" ? input.length : Lenient.jsonLength(input)
  if (name === "apply_patch") {
    const patch =
      typeof input === "string" ? input : Lenient.isRecord(input) ? Lenient.field(input, "input") : undefined
    return { summary: null, paths: patch === undefined ? [] : patchPaths(patch, cwd), bytes }
  }
  if (!Lenient.isRecord(input)) return { summary: null, paths: [], bytes }
  switch (name) {
    case "exec_command":
      return { summary: summary(Lenient.field(input, "cmd") ?? commandText(input.command)), paths: [], bytes }
    case "shell":
    case "local_shell":
    case "shell_command":
    case "container.exec":
      return { summary: summary(commandText(input.command) ?? Lenient.field(input, "cmd")), paths: [], bytes }
    case "view_image":
    case "read_file":
    case "list_dir":
      return Kit.ToolInput.fileTool(input, ["path", "file_path"], bytes)
    case "web_search":
      return { summary: summary(Lenient.field(input, "query")), paths: [], bytes }
    default:
      return Kit.ToolInput.otherTool(input, bytes)
  }
}

/**
 * The exit code a tool output reports in its text: `Process exited with code N` (exec_command) or `Exit code: N`
 * (apply_patch, shell); null when it says none.
 */
export const exitCodeOfOutput = (output: string): number | null => {
  const match = /(?:^|\n)(?:Process exited with code|Exit code:) (-?\d{1,9})(?:\n|$)/.exec(output)
  return match === null ? null : Number(match[1])
}

/** What a command printed, without the wrapper exec_command adds (`Chunk ID …\nOutput:\n`). */
export const printedOutput = (output: string): string => {
  const marker = output.indexOf("\nOutput:\n")
  return marker < 0 ? output : output.slice(marker + "\nOutput:\n".length)
}
