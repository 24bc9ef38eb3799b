import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Event } from "@opensync/domain"
import * as Either from "effect/Either"
import * as Hooks from "../src/Hooks.js"

// Copies of shared/fixtures/real-clients (real Claude Code 2.1.197 hook stdin); `payload` is the exact stdin JSON.
const fixtures = join(import.meta.dirname, "fixtures")

interface Line {
  readonly run: string
  readonly hook_event_name: string
  readonly payload: Readonly<Record<string, unknown>>
}

const linesOf = (file: string): ReadonlyArray<Line> =>
  readFileSync(join(fixtures, file), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Line)

const hookLines = linesOf("claude-hooks.jsonl")
const tuiLines = linesOf("claude-tui-hooks.jsonl")
const NOW = 1_790_000_000_000
const SESSION_ID = "c763ea33-250a-4cfa-ba10-d17cac298173"
const WRITTEN = "hello from fake model"

const decode = (payload: unknown): Hooks.HookInput => {
  const decoded = Hooks.decodeHookInput(JSON.stringify(payload))
  if (Either.isLeft(decoded)) throw new Error(decoded.left.message)
  return decoded.right
}

/** All events of one run, each hook seen `step` ms after the previous one. */
const eventsOfRun = (lines: ReadonlyArray<Line>, run: string, syncToolCalls = true, step = 100) =>
  lines
    .filter((line) => line.run === run)
    .flatMap((line, i) => Hooks.eventsFromHook(decode(line.payload), { now: NOW + i * step, syncToolCalls }))

const reasonOf = (stdin: string): string => {
  const decoded = Hooks.decodeHookInput(stdin)
  if (Either.isRight(decoded)) throw new Error("expected a decoding failure")
  return decoded.left.message
}

describe("decodeHookInput", () => {
  it("decodes every payload of both fixture files", () => {
    expect(hookLines).toHaveLength(80)
    expect(tuiLines).toHaveLength(19)
    for (const line of [...hookLines, ...tuiLines]) {
      const input = decode(line.payload)
      expect(input.hook_event_name).toBe(line.hook_event_name)
      expect(input.session_id).toBe(line.payload["session_id"])
    }
  })

  it("gives a specific reason for unusable stdin", () => {
    expect(reasonOf("")).toBe("hook stdin is empty")
    expect(reasonOf("  \n")).toBe("hook stdin is empty")
    expect(reasonOf("{not json")).toMatch(/^hook stdin is not JSON: /)
    expect(reasonOf('{"session_id":"s1","hook_event_name":"Stop"')).toMatch(/^hook stdin is not JSON: /)
    expect(reasonOf("[1,2]")).toBe("hook stdin is not a JSON object: array")
    expect(reasonOf("null")).toBe("hook stdin is not a JSON object: null")
    expect(reasonOf('"Stop"')).toBe("hook stdin is not a JSON object: string")
    expect(reasonOf('{"hook_event_name":"Stop"}')).toBe("hook payload has no session_id")
    expect(reasonOf('{"session_id":42,"hook_event_name":"Stop"}')).toBe("hook payload has no session_id")
    expect(reasonOf('{"session_id":"s1"}')).toBe("hook payload has no hook_event_name")
    expect(reasonOf('{"session_id":"s1","hook_event_name":""}')).toBe("hook payload has no hook_event_name")
  })

  it("is lenient: unknown events decode, unknown fields are ignored, wrongly typed fields read as absent", () => {
    const input = decode({
      session_id: "s1",
      hook_event_name: "FutureEvent",
      extra: { a: 1 },
      cwd: 7,
      duration_ms: "x"
    })
    expect(input.hook_event_name).toBe("FutureEvent")
    expect(input.cwd).toBeUndefined()
    expect(input.duration_ms).toBeUndefined()
    expect(Hooks.eventsFromHook(input, { now: NOW, syncToolCalls: true })).toEqual([])
  })
})

describe("eventsFromHook", () => {
  it("turns the settings run into 1 session start, 1 prompt, 5 tool calls and 1 session end", () => {
    const events = eventsOfRun(hookLines, "settings")
    expect(events.map((event) => event.kind)).toEqual([
      "session",
      "message",
      "tool_call",
      "tool_call",
      "tool_call",
      "tool_call",
      "session"
    ])
    for (const event of events) {
      expect(event.sessionId).toBe(SESSION_ID)
      expect(event.source).toBe("claude-code")
      expect(Either.isRight(Event.decodeUnknown(event))).toBe(true)
    }

    const start = events[0]
    expect(start).toMatchObject({
      kind: "session",
      startType: "startup",
      projectPath: "/home/dev/projects/demo",
      projectName: "demo",
      startedAt: NOW,
      at: NOW
    })
    expect(start).not.toHaveProperty("model")

    expect(events[1]).toMatchObject({
      kind: "message",
      role: "user",
      messageId: "b4c8fdb2-949b-4a78-95be-c753c038bbd9",
      text: "Run echo hello, write hello.txt, list a missing file, then ask a subagent to say done."
    })

    const calls = events.filter((event) => event.kind === "tool_call")
    expect(calls.map((call) => [call.name, call.status])).toEqual([
      ["Bash", "completed"],
      ["Write", "completed"],
      ["Bash", "error"],
      ["Agent", "completed"]
    ])
    const [echo, write, ls, agent] = calls
    expect(echo).toMatchObject({
      callId: "toolu_fake2b7e2b9c875084512877",
      durationMs: 46,
      input: { summary: "echo hello", paths: [] },
      output: { exitCode: 0, error: null }
    })
    expect(echo?.startedAt).toBe((echo?.at ?? 0) - 46)
    expect(write).toMatchObject({ input: { summary: null, paths: ["/home/dev/projects/demo/hello.txt"] } })
    expect(ls).toMatchObject({
      callId: "toolu_fake63dca9e86290cfdb471f",
      durationMs: 17,
      input: { summary: "ls ./no-such-file-harness" },
      output: { exitCode: 2 }
    })
    expect(ls?.output?.error).toContain("Exit code 2")
    expect(agent).toMatchObject({ input: { summary: "general-purpose: Subagent probe" } })

    const payload = hookLines.find((line) => line.run === "settings" && line.payload["tool_name"] === "Agent")
    const response = hookLines.find(
      (line) =>
        line.run === "settings" && line.hook_event_name === "PostToolUse" && line.payload["tool_name"] === "Agent"
    )?.payload["tool_response"]
    expect(payload).toBeDefined()
    expect(agent?.output?.bytes).toBe(JSON.stringify(response).length)

    expect(events[6]).toMatchObject({ kind: "session", endReason: "other" })
    expect(events[6]?.kind === "session" ? events[6].endedAt : undefined).toBe(events[6]?.at)
  })

  it("reads the TUI run: SessionStart model and SessionEnd prompt_input_exit", () => {
    const events = eventsOfRun(tuiLines, "tui")
    expect(events[0]).toMatchObject({ kind: "session", startType: "startup", model: "claude-sonnet-4-5" })
    expect(events[0]).toMatchObject({ projectName: "demo-tui" })
    const end = events.at(-1)
    expect(end).toMatchObject({ kind: "session", endReason: "prompt_input_exit" })
    const calls = events.filter((event) => event.kind === "tool_call")
    expect(calls.map((call) => [call.name, call.status])).toEqual([
      ["Bash", "completed"],
      ["Write", "completed"],
      ["Bash", "error"]
    ])
  })

  it("sets startedAt only for startup and keeps startType for resume and compact", () => {
    const events = eventsOfRun(hookLines, "compact")
    const starts = events.filter((event) => event.kind === "session" && event.startType !== undefined)
    expect(starts.map((event) => (event.kind === "session" ? event.startType : undefined))).toEqual([
      "resume",
      "compact"
    ])
    for (const start of starts) expect(start).not.toHaveProperty("startedAt")
    expect(starts[1]).toMatchObject({ model: "claude-sonnet-4-5" })
    expect(events.at(-1)).toMatchObject({ endReason: "other" })
  })

  it("never carries file contents", () => {
    const events = [...eventsOfRun(hookLines, "settings"), ...eventsOfRun(tuiLines, "tui")]
    expect(JSON.stringify(events)).not.toContain(WRITTEN)
    const edit = decode({
      session_id: "s1",
      hook_event_name: "PostToolUse",
      tool_name: "Edit",
      tool_use_id: "toolu_edit",
      tool_input: { file_path: "/p/a.ts", old_string: "SECRET_OLD_TEXT", new_string: "SECRET_NEW_TEXT" },
      tool_response: { filePath: "/p/a.ts", oldString: "SECRET_OLD_TEXT", newString: "SECRET_NEW_TEXT" },
      duration_ms: 5
    })
    const text = JSON.stringify(Hooks.eventsFromHook(edit, { now: NOW, syncToolCalls: true }))
    expect(text).toContain("/p/a.ts")
    expect(text).not.toContain("SECRET_OLD_TEXT")
    expect(text).not.toContain("SECRET_NEW_TEXT")
  })

  it("is deterministic: same input and same now give the same ids", () => {
    const first = eventsOfRun(hookLines, "settings")
    const second = eventsOfRun(hookLines, "settings")
    expect(second).toEqual(first)
    expect(new Set(first.map((event) => event.id)).size).toBe(first.length)
    const later = eventsOfRun(hookLines, "settings", true, 200)
    expect(later.map((event) => event.id)).not.toEqual(first.map((event) => event.id))
  })

  it("yields no tool calls when syncToolCalls is false", () => {
    const events = eventsOfRun(hookLines, "settings", false)
    expect(events.filter((event) => event.kind === "tool_call")).toEqual([])
    expect(events.map((event) => event.kind)).toEqual(["session", "message", "session"])
  })

  it("yields nothing for Stop, SubagentStop, PreCompact and other hooks", () => {
    const silent = hookLines.filter(
      (line) =>
        !["SessionStart", "UserPromptSubmit", "PostToolUse", "PostToolUseFailure", "SessionEnd"].includes(
          line.hook_event_name
        )
    )
    expect(silent.length).toBeGreaterThan(0)
    for (const line of silent)
      expect(Hooks.eventsFromHook(decode(line.payload), { now: NOW, syncToolCalls: true })).toEqual([])
  })

  it("leaves a prompt without prompt_id (older Claude Code) to the transcript, which names it by its line", () => {
    // An id of the hook's own never matched the transcript's: every such prompt was stored twice
    for (const payload of [
      { session_id: "s1", hook_event_name: "UserPromptSubmit", prompt: "hi" },
      { session_id: "s1", hook_event_name: "UserPromptSubmit", prompt: "hi", prompt_id: "" }
    ]) {
      expect(Hooks.eventsFromHook(decode(payload), { now: NOW, syncToolCalls: true })).toEqual([])
    }
    const withId = decode({ session_id: "s1", hook_event_name: "UserPromptSubmit", prompt: "hi", prompt_id: "p-1" })
    expect(Hooks.eventsFromHook(withId, { now: NOW, syncToolCalls: true })).toMatchObject([
      { kind: "message", messageId: "p-1", text: "hi" }
    ])
  })

  it("notes interruptions and truncates long errors", () => {
    const input = decode({
      session_id: "s1",
      hook_event_name: "PostToolUseFailure",
      tool_name: "Bash",
      tool_use_id: "toolu_x",
      tool_input: { command: "sleep 100" },
      error: "x".repeat(10_000),
      is_interrupt: true,
      duration_ms: 20
    })
    const [event] = Hooks.eventsFromHook(input, { now: NOW, syncToolCalls: true })
    const error = event?.kind === "tool_call" ? (event.output?.error ?? "") : ""
    expect(error.length).toBeLessThanOrEqual(4_000)
    expect(error).toContain("truncated")
    expect(error.endsWith("[interrupted by the user]")).toBe(true)
    expect(event).toMatchObject({ status: "error", startedAt: NOW - 20, durationMs: 20 })
  })
})

describe("transcriptToRead and finalTextHint", () => {
  const byEvent = (name: string, run = "settings") => {
    const line = hookLines.find((l) => l.run === run && l.hook_event_name === name)
    if (line === undefined) throw new Error(`no ${name} in run ${run}`)
    return decode(line.payload)
  }
  const main = "/home/dev/.claude/projects/-home-dev-projects-demo/c763ea33-250a-4cfa-ba10-d17cac298173.jsonl"

  it("points Stop, SessionEnd and PreCompact at the main transcript and SubagentStop at the subagent's", () => {
    expect(Hooks.transcriptToRead(byEvent("Stop"))).toEqual({ path: main })
    expect(Hooks.transcriptToRead(byEvent("SessionEnd"))).toEqual({ path: main })
    expect(Hooks.transcriptToRead(byEvent("PreCompact", "compact"))).toEqual({ path: main })
    expect(Hooks.transcriptToRead(byEvent("SubagentStop"))).toEqual({
      path: "/home/dev/.claude/projects/-home-dev-projects-demo/c763ea33-250a-4cfa-ba10-d17cac298173/subagents/agent-a0aff73444ac06d3e.jsonl",
      agentId: "a0aff73444ac06d3e"
    })
    expect(Hooks.transcriptToRead(byEvent("PostToolUse"))).toBeUndefined()
    expect(Hooks.transcriptToRead(byEvent("UserPromptSubmit"))).toBeUndefined()
  })

  it("returns the Stop payload's last assistant message", () => {
    expect(Hooks.finalTextHint(byEvent("Stop"))).toBe(
      "All done: ran 4 tool steps (echo hello, wrote hello.txt, asked a subagent)."
    )
    expect(Hooks.finalTextHint(byEvent("SubagentStop"))).toBeUndefined()
    expect(Hooks.finalTextHint(byEvent("SessionEnd"))).toBeUndefined()
  })
})
