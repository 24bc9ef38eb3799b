import { Event } from "@opensync/domain"

/** Sessions for the browser tests, sent through the real ingest API (`POST /sync/events`). */

const day = 86_400_000
const projects = ["webshop", "compiler", "infra"]
const models = ["claude-sonnet-4-5", "claude-opus-4-1", "gpt-5"]
const tools = ["Bash", "Read", "Edit", "Grep"]
/** What each agent calls those tools: the tools page counts them under one name, a session shows its agent's. */
export const nativeToolNames: Record<string, ReadonlyArray<string>> = {
  "claude-code": tools,
  opencode: ["bash", "read", "edit", "grep"],
  "codex-cli": ["exec_command", "read_file", "apply_patch", "grep_files"],
  "gemini-cli": ["run_shell_command", "read_file", "replace", "grep_search"]
}
/** Every fourth session is OpenCode's; of the others, some are Codex's and Gemini CLI's. */
export const sourceOf = (i: number) =>
  i % 4 === 0 ? "opencode" : i % 6 === 1 ? "codex-cli" : i % 6 === 5 ? "gemini-cli" : "claude-code"

/** The canonical name of the tool seeded session `i` calls (its agent's own name: `toolOf`). */
export const canonicalToolOf = (i: number) => tools[(i + Math.floor(i / 4)) % tools.length]!
export const toolOf = (i: number) => nativeToolNames[sourceOf(i)]![tools.indexOf(canonicalToolOf(i))]!

export const sessionCount = 130
/** The session whose conversation the detail test reads: markdown, thinking, a failed tool call, a subagent. */
export const richSessionId = "rich-session"
export const richTitle = "Fix the flaky checkout test"

const usage = (i: number) => ({
  input: 100 + i,
  output: 400 + 3 * i,
  cacheRead: 5000 + 10 * i,
  cacheWrite5m: 800,
  cacheWrite1h: 0,
  reasoning: 0
})

export const seedEvents = (now: number): Array<ReturnType<typeof Event.make>> => {
  const events: Array<ReturnType<typeof Event.make>> = []
  for (let i = 0; i < sessionCount; i++) {
    const source = sourceOf(i)
    const tool = toolOf(i)
    const sessionId = `s-${String(i).padStart(3, "0")}`
    const start = now - (i % 25) * day - (i + 1) * 60_000 - 3_600_000
    const project = projects[i % projects.length]
    const model = models[i % models.length]
    events.push(
      Event.make({
        kind: "session",
        source,
        sessionId,
        at: start,
        title: `Task ${i}: ${i % 2 === 0 ? "refactor" : "debug"} the ${project} module`,
        projectPath: `/home/dev/${project}`,
        projectName: project,
        gitBranch: "main",
        model,
        startedAt: start
      }),
      Event.make({
        kind: "message",
        source,
        sessionId,
        at: start + 1000,
        messageId: `${sessionId}-u`,
        role: "user",
        text: `Please look at ${project} issue ${i}`,
        createdAt: start + 1000
      }),
      Event.make({
        kind: "message",
        source,
        sessionId,
        at: start + 60_000,
        messageId: `${sessionId}-a`,
        role: "assistant",
        text: `Looked into it (session ${i}).`,
        model,
        createdAt: start + 5000,
        completedAt: start + 60_000,
        parts: [
          { type: "text", text: `Looked into it (session ${i}).` },
          { type: "tool", callId: `${sessionId}-t`, name: tool }
        ],
        usage: usage(i)
      }),
      Event.make({
        kind: "tool_call",
        source,
        sessionId,
        at: start + 30_000,
        callId: `${sessionId}-t`,
        messageId: `${sessionId}-a`,
        name: tool,
        status: i % 5 === 0 ? "error" : "completed",
        startedAt: start + 10_000,
        durationMs: 50 + i * 7,
        input: { summary: i % 4 === 0 ? "npm test" : `src/file-${i}.ts`, paths: [], bytes: 20 },
        output: i % 5 === 0 ? { bytes: 0, exitCode: 1, error: "Exit code 1" } : { bytes: 120, exitCode: 0, error: null }
      })
    )
  }
  const start = now - 2 * 3_600_000
  events.push(
    Event.make({
      kind: "session",
      source: "claude-code",
      sessionId: richSessionId,
      at: start,
      title: richTitle,
      projectPath: "/home/dev/webshop",
      projectName: "webshop",
      gitBranch: "fix/checkout",
      model: "claude-sonnet-4-5",
      startedAt: start
    }),
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: richSessionId,
      at: start + 1000,
      messageId: "rich-u1",
      role: "user",
      text: "The checkout test fails about once in ten runs. Find out why.",
      createdAt: start + 1000
    }),
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: richSessionId,
      at: start + 90_000,
      messageId: "rich-a1",
      role: "assistant",
      text: "",
      thinking: "The test probably depends on timer ordering.",
      model: "claude-sonnet-4-5",
      createdAt: start + 2000,
      completedAt: start + 90_000,
      parts: [
        {
          type: "text",
          text: "Found it: **a race** in `checkout.test.ts`.\n\n1. The timer fires first\n2. The cart is empty\n\n```ts\nawait flushPromises()\n```\n\n<script>alert(1)</script>"
        },
        { type: "tool", callId: "rich-t1", name: "Bash" },
        { type: "tool", callId: "rich-t2", name: "Task" }
      ],
      usage: { input: 1200, output: 3400, cacheRead: 54_000, cacheWrite5m: 14_000, cacheWrite1h: 0, reasoning: 0 }
    }),
    Event.make({
      kind: "tool_call",
      source: "claude-code",
      sessionId: richSessionId,
      at: start + 20_000,
      callId: "rich-t1",
      messageId: "rich-a1",
      name: "Bash",
      status: "error",
      startedAt: start + 10_000,
      durationMs: 4200,
      input: { summary: "npm test -- checkout", paths: [], bytes: 22 },
      output: { bytes: 0, exitCode: 1, error: "1 failing: checkout adds the item" }
    }),
    Event.make({
      kind: "tool_call",
      source: "claude-code",
      sessionId: richSessionId,
      at: start + 80_000,
      callId: "rich-t2",
      messageId: "rich-a1",
      name: "Task",
      status: "completed",
      startedAt: start + 30_000,
      durationMs: 50_000,
      input: { summary: "Search for timer usage", paths: [], bytes: 22 }
    }),
    // What Claude Code puts in the conversation itself, a command, and a subagent's task from the parent agent.
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: richSessionId,
      at: start + 31_000,
      messageId: "rich-d1",
      role: "user",
      subtype: "delegation",
      agentId: "a-timers",
      text: "Find every use of timers in src/",
      createdAt: start + 31_000
    }),
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: richSessionId,
      at: start + 95_000,
      messageId: "rich-n1",
      role: "system",
      subtype: "notification",
      text: 'Agent "Find timers" finished\n\nTimers are used in cart.ts and checkout.ts.',
      createdAt: start + 95_000
    }),
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: richSessionId,
      at: start + 100_000,
      messageId: "rich-s1",
      role: "system",
      subtype: "summary",
      text: "This session is being continued from a previous conversation.\nThe checkout test raced a timer.",
      createdAt: start + 100_000
    }),
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: richSessionId,
      at: start + 100_500,
      messageId: "rich-c1",
      role: "user",
      subtype: "command",
      text: "/compact",
      createdAt: start + 100_500
    }),
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: richSessionId,
      at: start + 101_000,
      messageId: "rich-o1",
      role: "system",
      subtype: "command-output",
      text: "Compacted",
      createdAt: start + 101_000
    }),
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: "rich-subagent",
      at: start + 30_000,
      messageId: "rich-sub-u1",
      role: "user",
      text: "Search src/ for timers",
      createdAt: start + 30_000
    }),
    Event.make({
      kind: "session",
      source: "claude-code",
      sessionId: "rich-subagent",
      at: start + 30_000,
      title: "Search for timer usage",
      projectName: "webshop",
      parentSessionId: richSessionId,
      model: "claude-sonnet-4-5",
      startedAt: start + 30_000
    }),
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: "rich-subagent",
      at: start + 70_000,
      messageId: "rich-sub-a1",
      role: "assistant",
      text: "Timers are used in cart.ts and checkout.ts.",
      model: "claude-sonnet-4-5",
      createdAt: start + 70_000,
      usage: { input: 300, output: 200, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 }
    })
  )
  return events
}
