import { describe, expect, it } from "@effect/vitest"
import { Event, Ids, Ingest, Rollup, type Session, Sources, type ToolCall, ToolNames } from "@opensync/domain"

const t0 = Date.UTC(2026, 11, 4, 10, 0, 0)

const toolEvent = (source: string, name: string, callId: string, at = t0): Event.ToolCallEvent => ({
  kind: "tool_call",
  id: Event.makeId({ kind: "t", source, name, callId, at } as never),
  source,
  sessionId: Ids.SessionId.make(`s-${source}`),
  at,
  callId: Ids.ToolCallId.make(callId),
  name,
  status: "completed",
  startedAt: at,
  durationMs: 10,
  input: { summary: null, paths: [], bytes: 0 },
  output: { bytes: 0, exitCode: 0, error: null }
})

describe("ToolNames", () => {
  it.each([
    [
      "maps each agent's name for the same tool to one name, per agent",
      {
        "claude-code": { Bash: "Bash" },
        opencode: { bash: "Bash", read: "Read" },
        "codex-cli": { exec_command: "Bash", shell: "Bash", apply_patch: "Edit" },
        "gemini-cli": { run_shell_command: "Bash", read_file: "Read", replace: "Edit", write_file: "Write" }
      }
    ],
    [
      "folds Claude Code's renamed tools into their current names",
      {
        "claude-code": {
          Task: "Agent",
          KillShell: "TaskStop",
          KillBash: "TaskStop",
          ListPeers: "ListAgents",
          Brief: "SendUserMessage"
        }
      }
    ],
    [
      "keeps names it does not know, and a name another agent uses means nothing for this one",
      {
        "claude-code": { mcp__github__create_issue: "mcp__github__create_issue", task: "task" },
        "some-new-agent": { bash: "bash" },
        opencode: { Task: "Task" }
      }
    ]
  ])("%s", (_, byAgent: Record<string, Record<string, string>>) => {
    for (const [source, names] of Object.entries(byAgent)) {
      for (const [name, canonical] of Object.entries(names)) {
        expect(ToolNames.canonical(source, name), `${source}: ${name}`).toBe(canonical)
      }
    }
  })

  it("lists every agent's names of a canonical tool, only for agents the Sources table knows", () => {
    const known = new Set(Sources.sources.map((source) => source.id))
    for (const entry of ToolNames.table) {
      for (const source of Object.keys(entry.names))
        expect(known.has(source), `${entry.canonical}: ${source}`).toBe(true)
    }
    expect(ToolNames.aliasesOf("Bash").map((alias) => alias.source)).toEqual(Sources.sources.map((s) => s.id))
    expect(ToolNames.aliasesOf("no-such-tool")).toEqual([])
  })
})

describe("Ingest with normalised tool names", () => {
  it("stores the agent's name and counts the call under the canonical one", () => {
    const { toolCall, session } = Ingest.applyToolCallEvent(
      null,
      null,
      toolEvent("codex-cli", "exec_command", "call_1")
    )
    expect(toolCall.name).toBe("exec_command")
    expect(toolCall.canonicalName).toBe("Bash")
    expect(session.toolSlices.map((slice) => slice.tool)).toEqual(["Bash"])
    expect(Rollup.toolContribution(session).map((row) => [row.source, row.tool, row.calls])).toEqual([
      ["codex-cli", "Bash", 1]
    ])
  })

  it("groups every agent's shell tool into one rollup tool", () => {
    const calls = [
      toolEvent("claude-code", "Bash", "a"),
      toolEvent("opencode", "bash", "b"),
      toolEvent("codex-cli", "exec_command", "c"),
      toolEvent("gemini-cli", "run_shell_command", "d")
    ]
    const tools = calls.flatMap((event) =>
      Rollup.toolContribution(Ingest.applyToolCallEvent(null, null, event).session)
    )
    expect(new Set(tools.map((row) => row.tool))).toEqual(new Set(["Bash"]))
    expect(tools.map((row) => row.source)).toEqual(["claude-code", "opencode", "codex-cli", "gemini-cli"])
  })

  it("moves a call stored before normalisation from its old name to the canonical one when it changes", () => {
    // A call stored by an earlier release: no canonical name, counted under "Task" in the session and the rollups.
    const first = Ingest.applyToolCallEvent(null, null, toolEvent("claude-code", "Task", "toolu_1"))
    const { canonicalName: _dropped, ...legacyCall } = first.toolCall
    const legacy: ToolCall.ToolCall = legacyCall
    const legacySession: Session.Session = {
      ...first.session,
      toolSlices: [{ ...first.session.toolSlices[0]!, tool: "Task" }]
    }
    const rollupBefore = Rollup.toolContribution(legacySession)
    expect(rollupBefore.map((row) => row.tool)).toEqual(["Task"])

    const next = Ingest.applyToolCallEvent(legacySession, legacy, toolEvent("claude-code", "Task", "toolu_1", t0 + 1))
    expect(next.toolCall.canonicalName).toBe("Agent")
    const delta = Rollup.delta(legacySession, next.session).tools.map((row) => [row.tool, row.calls])
    expect(delta.sort()).toEqual([
      ["Agent", 1],
      ["Task", -1]
    ])
    expect(next.session.toolCallCount).toBe(1)
  })
})
