/**
 * One name per tool across agents: Claude Code's `Bash`, OpenCode's `bash`, Codex's `exec_command` and Gemini CLI's
 * `run_shell_command` all run a shell command, so the tools page and the tool rollups count them as `Bash`. Each
 * stored tool call keeps the name its agent used (`ToolCall.name`) next to the name it is counted under
 * (`ToolCall.canonicalName`). Claude Code's own renames (`Task` → `Agent`, `KillShell` → `TaskStop`, …) map the same
 * way. Names are mapped per agent: a name means what its agent means by it, and a name the table does not list is
 * kept as it is (MCP tools, an agent's own tools, agents OpenSync does not know). Plain data.
 */

/** A canonical tool name and the names each agent (by source id) gives it. */
export interface ToolName {
  readonly canonical: string
  /** What the tool does, for the tools page. */
  readonly description: string
  readonly names: Readonly<Partial<Record<string, ReadonlyArray<string>>>>
}

export const table: ReadonlyArray<ToolName> = [
  {
    canonical: "Bash",
    description: "runs a shell command",
    names: {
      "claude-code": ["Bash"],
      opencode: ["bash"],
      "codex-cli": ["exec_command", "shell", "local_shell", "shell_command", "container.exec", "Bash"],
      "gemini-cli": ["run_shell_command"]
    }
  },
  {
    canonical: "Read",
    description: "reads a file",
    names: {
      "claude-code": ["Read"],
      opencode: ["read"],
      "codex-cli": ["read_file"],
      "gemini-cli": ["read_file", "read_many_files"]
    }
  },
  {
    canonical: "Write",
    description: "writes a whole file",
    names: { "claude-code": ["Write"], opencode: ["write"], "gemini-cli": ["write_file"] }
  },
  {
    canonical: "Edit",
    description: "edits part of a file or applies a patch",
    names: {
      "claude-code": ["Edit", "MultiEdit"],
      opencode: ["edit", "multiedit", "patch", "apply_patch"],
      "codex-cli": ["apply_patch"],
      "gemini-cli": ["replace", "edit"]
    }
  },
  {
    canonical: "Glob",
    description: "finds files by pattern",
    names: { "claude-code": ["Glob"], opencode: ["glob"], "gemini-cli": ["glob"] }
  },
  {
    canonical: "Grep",
    description: "searches file contents",
    names: {
      "claude-code": ["Grep"],
      opencode: ["grep"],
      "codex-cli": ["grep_files"],
      "gemini-cli": ["grep_search", "search_file_content"]
    }
  },
  {
    canonical: "LS",
    description: "lists a directory",
    names: { "claude-code": ["LS"], opencode: ["list"], "codex-cli": ["list_dir"], "gemini-cli": ["list_directory"] }
  },
  {
    canonical: "WebFetch",
    description: "fetches a URL",
    names: { "claude-code": ["WebFetch"], opencode: ["webfetch"], "gemini-cli": ["web_fetch"] }
  },
  {
    canonical: "WebSearch",
    description: "searches the web",
    names: {
      "claude-code": ["WebSearch"],
      opencode: ["websearch"],
      "codex-cli": ["web_search"],
      "gemini-cli": ["google_web_search"]
    }
  },
  {
    canonical: "TodoWrite",
    description: "updates the task list or plan",
    names: {
      "claude-code": ["TodoWrite"],
      opencode: ["todowrite"],
      "codex-cli": ["update_plan"],
      "gemini-cli": ["write_todos"]
    }
  },
  {
    canonical: "Agent",
    description: "hands a task to a subagent",
    names: {
      "claude-code": ["Agent", "Task"],
      opencode: ["task"],
      "codex-cli": ["spawn_agent"],
      "gemini-cli": ["invoke_agent"]
    }
  },
  {
    canonical: "Skill",
    description: "loads a skill",
    names: { "claude-code": ["Skill"], opencode: ["skill"], "gemini-cli": ["activate_skill"] }
  },
  {
    canonical: "TaskStop",
    description: "stops a background task",
    names: { "claude-code": ["TaskStop", "KillShell", "KillBash"] }
  },
  { canonical: "ListAgents", description: "lists agents", names: { "claude-code": ["ListAgents", "ListPeers"] } },
  {
    canonical: "SendUserMessage",
    description: "sends the user a message",
    names: { "claude-code": ["SendUserMessage", "Brief"] }
  }
]

const bySource = new Map<string, Map<string, string>>()
for (const entry of table) {
  for (const [source, names] of Object.entries(entry.names)) {
    const map = bySource.get(source) ?? new Map<string, string>()
    for (const name of names ?? []) map.set(name, entry.canonical)
    bySource.set(source, map)
  }
}

/** The name a tool call of `source` named `name` is counted under: the table's canonical name, else `name` itself. */
export const canonical = (source: string, name: string): string => bySource.get(source)?.get(name) ?? name

/** The names each agent gives a canonical tool (those that differ from it or not), for the tools page. */
export const aliasesOf = (
  canonicalName: string
): ReadonlyArray<{ readonly source: string; readonly names: ReadonlyArray<string> }> => {
  const entry = table.find((candidate) => candidate.canonical === canonicalName)
  if (entry === undefined) return []
  return Object.entries(entry.names).flatMap(([source, names]) =>
    names === undefined || names.length === 0 ? [] : [{ source, names }]
  )
}

/** What a canonical tool does, when the table lists it. */
export const describe = (canonicalName: string): string | undefined =>
  table.find((candidate) => candidate.canonical === canonicalName)?.description
