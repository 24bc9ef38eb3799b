/*
 * Subagents. Claude Code writes each subagent's conversation to `<session>/subagents/agent-<agentId>.jsonl` next to the
 * main transcript (older builds inlined it as `isSidechain` lines). Its messages belong to the parent session, tagged
 * with the agent id; its prompts were written by the parent agent, not the user (`delegation`). Background subagents
 * (2.1.332) report back through a task notification in the main transcript, read as a notification, never as usage:
 * the subagent's tokens are counted once, from its own file.
 */

/** The agent id of a subagent transcript path (`…/subagents/agent-<id>.jsonl`), or undefined for other files. */
export const subagentIdOf = (path: string): string | undefined => {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"))
  const name = path.slice(slash + 1)
  if (!name.startsWith("agent-") || !name.endsWith(".jsonl")) return undefined
  const parent = path.slice(0, Math.max(0, slash))
  if (!parent.endsWith("subagents")) return undefined
  const id = name.slice("agent-".length, -".jsonl".length)
  return id === "" ? undefined : id
}

/** Which agent wrote a message of a transcript: the subagent of a subagent file, else an inline sidechain's agent. */
export const agentOf = (
  file: { readonly subagent: boolean; readonly agentId: string | undefined },
  line: { readonly isSidechain?: boolean | undefined; readonly agentId?: string | undefined }
): string | null => (file.subagent ? (file.agentId ?? null) : line.isSidechain === true ? (line.agentId ?? null) : null)
