import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Lenient } from "@opensync/client"
import { Event, Pricing, Usage } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Transcript from "../src/transcript/index.js"
import { ingest } from "./support/Ingest.js"
import * as RealTranscripts from "./support/RealTranscripts.js"

// Real Claude Code 2.1.197 output; expected figures from shared/fixtures/real-clients/README.md.
const real = RealTranscripts.v2_1_197

const usage = (input: number, cacheWrite5m: number, cacheRead: number, output: number): Usage.UsageFields => ({
  ...Usage.zero,
  input,
  cacheWrite5m,
  cacheRead,
  output
})
const MAIN_USAGE = usage(25, 14_270, 54_548, 252)
const SUBAGENT_USAGE = usage(3, 13_412, 0, 19)
const TOTAL_USAGE = usage(28, 27_682, 54_548, 271)

const readMain = (options: Partial<Transcript.ReadOptions> = {}, text = real.main) =>
  Transcript.readSession(Transcript.parseLines(text).lines, { syncThinking: false, ...options })
const readSubagent = () =>
  Transcript.readSession(Transcript.parseLines(real.subagent).lines, {
    syncThinking: false,
    source: "subagent",
    agentId: real.agentId
  })
const eventsOf = (session: Transcript.TranscriptSession, syncToolCalls = true) =>
  Transcript.toEvents(session, { sessionId: real.sessionId, source: "claude-code", syncToolCalls })

// Synthetic lines in Claude Code's shape, for cases the captured RealTranscripts.fixtures do not cover.
const at = (second: number) => new Date(Date.UTC(2026, 10, 21, 9, 0, second)).toISOString()
const base = (second: number, uuid: string) => ({
  uuid,
  timestamp: at(second),
  sessionId: "s-synthetic",
  cwd: "/home/dev/projects/synthetic/",
  gitBranch: "",
  version: "2.1.197",
  isSidechain: false
})
const prompt = (second: number, uuid: string, content: unknown, extra: object = {}) =>
  JSON.stringify({ ...base(second, uuid), type: "user", message: { role: "user", content }, ...extra })
const assistant = (
  second: number,
  uuid: string,
  id: string,
  block: object,
  rawUsage: object,
  extra: Readonly<Record<string, unknown>> = {}
) => {
  const { model, ...rest } = extra
  return JSON.stringify({
    ...base(second, uuid),
    requestId: "req_1",
    type: "assistant",
    message: {
      id,
      type: "message",
      role: "assistant",
      model: model ?? "claude-sonnet-4-5",
      content: [block],
      usage: rawUsage
    },
    ...rest
  })
}
const u = (input: number, output: number, extra: object = {}) => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  ...extra
})
const toolResult = (second: number, uuid: string, block: object, toolUseResult?: unknown) =>
  JSON.stringify({
    ...base(second, uuid),
    type: "user",
    message: { role: "user", content: [{ type: "tool_result", ...block }] },
    ...(toolUseResult === undefined ? {} : { toolUseResult })
  })
const readLines = (lines: ReadonlyArray<string>, options: Partial<Transcript.ReadOptions> = {}) =>
  Transcript.readSession(Transcript.parseLines(lines.join("\n")).lines, { syncThinking: false, ...options })

describe("parseLines", () => {
  it("decodes the user and assistant lines of the captured transcript and skips the rest unparsed", () => {
    const parsed = Transcript.parseLines(real.main)
    expect(parsed.malformed).toBe(0)
    expect(parsed.lines.length).toBe(18) // user 9 + assistant 9
    expect(parsed.skipped).toBe(12) // queue-operation 4, attachment 4, last-prompt 2, mode 1, system 1
    expect(parsed.lines.filter((line) => line.type === "assistant").length).toBe(9)
  })

  it("parses everything before a line cut mid-write and reports it as the one malformed line", () => {
    const lines = real.main.trimEnd().split("\n")
    const finalAnswer = lines[17]
    for (const cut of [60, 300, finalAnswer.length - 40]) {
      const text = `${lines.slice(0, 17).join("\n")}\n${finalAnswer.slice(0, cut)}`
      const parsed = Transcript.parseLines(text)
      expect(parsed.malformed).toBe(1)
      expect(parsed.lines.length).toBe(13) // user and assistant lines before the final answer
      const session = Transcript.readSession(parsed.lines, { syncThinking: false })
      expect(session.messages.filter((m) => m.usage !== null).length).toBe(4)
      expect(session.usage.input).toBe(18)
    }
  })

  it("keeps parsing after garbage lines, blank lines and CRLF line ends", () => {
    const lines = real.main.trimEnd().split("\n")
    const garbage = ["not json at all", "{broken", "[1,2,3]", "42", '{"type":"assistant","message":', "   ", ""]
    const mixed = lines.flatMap((line, i) => (i % 4 === 0 ? [line, garbage[(i / 4) % garbage.length]] : [line]))
    const parsed = Transcript.parseLines(mixed.join("\r\n"))
    expect(parsed.lines.length).toBe(18)
    expect(parsed.malformed).toBe(6) // 8 inserted lines, 2 of them blank
    expect(Transcript.readSession(parsed.lines, { syncThinking: false }).usage).toEqual(MAIN_USAGE)
  })

  it("never throws on odd input", () => {
    expect(Transcript.parseLines("")).toEqual({ lines: [], malformed: 0, skipped: 0 })
    expect(Transcript.parseLines("\n\n").malformed).toBe(0)
    expect(
      Transcript.parseLines('{"type":"user","message":{"content":{"weird":true}},"isMeta":"yes"}').lines.length
    ).toBe(1)
    expect(Transcript.readSession([], { syncThinking: true }).messages).toEqual([])
  })

  it("reads fields of the wrong type as absent instead of dropping the line", () => {
    const line = assistant(1, "a1", "msg_1", { type: "text", text: "hi" }, u(5, 7, { cache_creation: "oops" }), {
      isSidechain: null,
      requestId: 12
    })
    const session = readLines([line])
    expect(session.messages[0].text).toBe("hi")
    expect(session.usage).toEqual(usage(5, 0, 0, 7))
  })
})

describe("readSession on the captured main transcript", () => {
  const session = readMain()

  it("counts each API response once: 25 / 14,270 / 54,548 / 252 over 5 responses", () => {
    expect(session.usage).toEqual(MAIN_USAGE)
    const responses = session.messages.filter((m) => m.usage !== null)
    expect(responses.length).toBe(5)
    expect(responses.reduce((sum, m) => Usage.add(sum, m.usage!), Usage.zero)).toEqual(MAIN_USAGE)
  })

  it("is not the naive per-line sum (input 43)", () => {
    const naive = Transcript.parseLines(real.main).lines.reduce(
      (sum, line) => sum + (line.message?.usage?.input_tokens ?? 0),
      0
    )
    expect(naive).toBe(43)
    expect(session.usage.input).not.toBe(naive)
  })

  it("takes metadata from the lines and the title from the first real prompt, not the slug", () => {
    expect(session).toMatchObject({
      source: "main",
      sessionId: real.sessionId,
      cwd: "/home/dev/projects/demo",
      gitBranch: "master",
      version: "2.1.197",
      model: "claude-sonnet-4-5",
      title: RealTranscripts.PROMPT,
      firstTimestamp: Date.parse("2026-11-21T09:28:28.085Z"),
      lastTimestamp: Date.parse("2026-11-21T09:28:34.608Z")
    })
    expect(session.title).not.toContain("ancient-pondering-hickey")
  })

  it("merges the lines of a response and keeps prompts, commands and the compact summary in file order", () => {
    expect(session.messages.map((m) => [m.role, m.subtype, m.text.slice(0, 24)])).toEqual([
      ["user", null, RealTranscripts.PROMPT.slice(0, 24)],
      ["assistant", null, "Step 1: using Bash."],
      ["assistant", null, "Step 2: using Write."],
      ["assistant", null, "Step 3: using Bash."],
      ["assistant", null, "Step 4: using Agent."],
      ["assistant", null, "All done: ran 4 tool ste"],
      ["system", "summary", "This session is being co"],
      ["user", "command", "/compact"],
      ["system", "command-output", "Compacted PreCompact [no"]
    ])
    expect(session.messages[8].parts).toEqual([{ type: "text", text: session.messages[8].text }])
    const step1 = session.messages[1]
    expect(step1.id).toBe("msg_fake457787cd1a37807513d3")
    expect(step1.parts).toEqual([
      { type: "text", text: "Step 1: using Bash." },
      { type: "tool", callId: "toolu_fake2b7e2b9c875084512877", name: "Bash" }
    ])
    expect(step1.createdAt).toBe(Date.parse("2026-11-21T09:28:28.183Z"))
    expect(step1.completedAt).toBe(Date.parse("2026-11-21T09:28:28.232Z"))
    expect(session.messages.some((m) => m.text.includes("local-command-caveat"))).toBe(false)
  })

  it("pairs tool uses with their results: sizes, paths, summaries, durations and the failing Bash", () => {
    expect(session.toolCalls.map((t) => [t.name, t.status, t.input.summary, t.input.paths, t.output.exitCode])).toEqual(
      [
        ["Bash", "completed", "echo hello", [], 0],
        ["Write", "completed", null, ["/home/dev/projects/demo/hello.txt"], null],
        ["Bash", "error", "ls ./no-such-file-harness", [], 2],
        ["Agent", "completed", "general-purpose: Subagent probe", [], null]
      ]
    )
    const [echo, write, failing] = session.toolCalls
    expect(echo.output).toEqual({ bytes: 5, exitCode: 0, error: null })
    expect(echo.durationMs).toBe(181)
    expect(echo.input.bytes).toBe(JSON.stringify({ command: "echo hello", description: "Print hello" }).length)
    expect(write.messageId).toBe("msg_fakea6badac7ce149fd424d2")
    expect(failing.output.error).toBe(
      "Exit code 2\nls: cannot access './no-such-file-harness': No such file or directory"
    )
    expect(failing.durationMs).toBe(152)
  })
})

describe("readSession on the captured subagent transcript", () => {
  const session = readSubagent()

  it("counts its usage (3 / 13,412 / 0 / 19) and tags every message with the agent id", () => {
    expect(session.usage).toEqual(SUBAGENT_USAGE)
    expect(session.source).toBe("subagent")
    expect(session.agentId).toBe(real.agentId)
    expect(session.sessionId).toBe(real.sessionId)
    expect(session.messages.map((m) => [m.role, m.agentId, m.isSidechain])).toEqual([
      ["user", real.agentId, true],
      ["assistant", real.agentId, true]
    ])
    expect(session.messages[1].text).toBe("SUBAGENT_DONE: the subagent finished its task.")
  })

  it("adds up with the main thread to the CLI's modelUsage: 28 / 27,682 / 54,548 / 271", () => {
    expect(Usage.add(readMain().usage, session.usage)).toEqual(TOTAL_USAGE)
  })

  it("takes the agent id from the lines when none is given", () => {
    const lines = Transcript.parseLines(real.subagent).lines
    expect(Transcript.readSession(lines, { syncThinking: false, source: "subagent" }).agentId).toBe(real.agentId)
  })
})

describe("toEvents", () => {
  const main = readMain()
  const subagent = readSubagent()
  const mainEvents = eventsOf(main)
  const subagentEvents = eventsOf(subagent)

  it("emits one session event, one event per message and one per tool call, all decodable", () => {
    expect(mainEvents.map((e) => e.kind)).toEqual([
      "session",
      ...main.messages.map(() => "message"),
      ...main.toolCalls.map(() => "tool_call")
    ])
    for (const event of [...mainEvents, ...subagentEvents])
      expect(Either.isRight(Event.decodeUnknown(event))).toBe(true)
    expect(mainEvents[0]).toMatchObject({
      kind: "session",
      sessionId: real.sessionId,
      source: "claude-code",
      title: RealTranscripts.PROMPT,
      projectPath: "/home/dev/projects/demo",
      projectName: "demo",
      gitBranch: "master",
      model: "claude-sonnet-4-5",
      agentVersion: "2.1.197",
      startedAt: Date.parse("2026-11-21T09:28:28.085Z"),
      at: Date.parse("2026-11-21T09:28:34.608Z")
    })
    expect(eventsOf(main, false).some((e) => e.kind === "tool_call")).toBe(false)
  })

  it("uses transcript timestamps, never the current time", () => {
    const message = mainEvents.find((e) => e.kind === "message" && e.messageId === "msg_fake457787cd1a37807513d3")
    expect(message).toMatchObject({
      createdAt: Date.parse("2026-11-21T09:28:28.183Z"),
      completedAt: Date.parse("2026-11-21T09:28:28.232Z"),
      at: Date.parse("2026-11-21T09:28:28.232Z"),
      model: "claude-sonnet-4-5",
      usage: { input: 3, output: 45, cacheRead: 0, cacheWrite5m: 13_412, cacheWrite1h: 0, reasoning: 0 }
    })
    const failing = mainEvents.find((e) => e.kind === "tool_call" && e.callId === "toolu_fake63dca9e86290cfdb471f")
    expect(failing).toMatchObject({
      status: "error",
      startedAt: Date.parse("2026-11-21T09:28:28.808Z"),
      durationMs: 152,
      messageId: "msg_fakef05702814541d1d45f88",
      output: { exitCode: 2 }
    })
  })

  it("gives identical events, ids included, for the same transcript", () => {
    const again = eventsOf(readMain())
    expect(again.map((e) => e.id)).toEqual(mainEvents.map((e) => e.id))
    expect(again).toEqual(mainEvents)
    expect(new Set(mainEvents.map((e) => e.id)).size).toBe(mainEvents.length)
  })

  it("never carries file contents: the Write tool keeps its path, not what it wrote", () => {
    const json = JSON.stringify([...mainEvents, ...subagentEvents])
    expect(real.main).toContain("hello from fake model")
    expect(json).not.toContain("hello from fake model")
    expect(json).toContain("/home/dev/projects/demo/hello.txt")
  })

  it("attributes subagent messages to the parent session with the agent id, without a session event", () => {
    expect(subagentEvents.map((e) => e.kind)).toEqual(["message", "message"])
    for (const event of subagentEvents)
      expect(event).toMatchObject({ sessionId: real.sessionId, agentId: real.agentId })
    const ids = new Set(mainEvents.filter((e) => e.kind === "message").map((e) => e.messageId))
    for (const event of subagentEvents) if (event.kind === "message") expect(ids.has(event.messageId)).toBe(false)
  })

  it("through the domain's ingestion gives the CLI's totals and its cost, $0.1243209", () => {
    const { session, messages, tools } = ingest([...mainEvents, ...subagentEvents])
    expect(session.usage).toEqual(TOTAL_USAGE)
    expect(Pricing.roundUsd(session.costUsd)).toBe(0.1243209)
    expect(session.title).toBe(RealTranscripts.PROMPT)
    expect(session.messageCount).toBe(11)
    expect(session.toolCallCount).toBe(4)
    expect(session.toolErrorCount).toBe(1)
    expect(messages.get("msg_fake89869f09d6254750c2bb")!.agentId).toBe(real.agentId)
    expect(tools.get("toolu_fake63dca9e86290cfdb471f")!.status).toBe("error")
    const main = ingest(mainEvents).session
    expect(main.usage).toEqual(MAIN_USAGE)
  })

  it("is a no-op when the same transcript is imported again", () => {
    const once = ingest(mainEvents).session
    const twice = ingest([...mainEvents, ...eventsOf(readMain())]).session
    expect(twice).toEqual(once)
  })
})

describe("readSession dedup and accounting rules", () => {
  const prompt1 = prompt(0, "u1", "Fix the bug")

  it("keeps the fullest copy of a response's usage (streamed lines carry partial output counts)", () => {
    const session = readLines([
      prompt1,
      assistant(1, "a1", "msg_1", { type: "text", text: "Looking." }, u(10, 2)),
      assistant(
        2,
        "a2",
        "msg_1",
        { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/x" } },
        u(10, 40)
      )
    ])
    expect(session.usage).toEqual(usage(10, 0, 0, 40))
    expect(session.messages[1].text).toBe("Looking.")
  })

  it("counts distinct requests of one message id, and drops sidechain replays of a main-thread response", () => {
    const session = readLines([
      prompt1,
      assistant(1, "a1", "msg_1", { type: "text", text: "Answer." }, u(10, 5)),
      assistant(2, "a2", "msg_1", { type: "text", text: " Replayed." }, u(10, 5), {
        isSidechain: true,
        requestId: "req_btw"
      }),
      assistant(3, "a3", "msg_2", { type: "text", text: "Retry." }, u(1, 1), { requestId: "req_a" }),
      assistant(4, "a4", "msg_2", { type: "text", text: "" }, u(2, 2), { requestId: "req_b" })
    ])
    expect(session.messages[1].text).toBe("Answer.")
    expect(session.messages[1].usage).toEqual(usage(10, 0, 0, 5))
    expect(session.messages[2].usage).toEqual(usage(3, 0, 0, 3))
    expect(session.usage).toEqual(usage(13, 0, 0, 8))
  })

  it("excludes <synthetic> and API-error lines from usage and model", () => {
    const session = readLines([
      prompt1,
      assistant(1, "a1", "msg_1", { type: "text", text: "No response requested." }, u(100, 100), {
        model: "<synthetic>"
      }),
      assistant(2, "a2", "msg_2", { type: "text", text: "API Error: 500" }, u(100, 100), {
        isApiErrorMessage: true,
        model: "claude-opus-4-5"
      }),
      assistant(3, "a3", "msg_3", { type: "text", text: "Hi" }, u(1, 1), { model: "claude-haiku-4-5" })
    ])
    expect(session.usage).toEqual(usage(1, 0, 0, 1))
    expect(session.model).toBe("claude-haiku-4-5")
    expect(session.messages.map((m) => m.model)).toEqual([null, null, null, "claude-haiku-4-5"])
  })

  it("picks the most used model", () => {
    const session = readLines([
      assistant(1, "a1", "msg_1", { type: "text", text: "a" }, u(1, 1), { model: "claude-haiku-4-5" }),
      assistant(2, "a2", "msg_2", { type: "text", text: "b" }, u(1, 1), { model: "claude-opus-4-5" }),
      assistant(3, "a3", "msg_3", { type: "text", text: "c" }, u(1, 1), { model: "claude-opus-4-5" })
    ])
    expect(session.model).toBe("claude-opus-4-5")
  })

  it("splits cache writes into 5 m and 1 h, and treats an unsplit write as 5 m", () => {
    const split = readLines([
      assistant(
        1,
        "a1",
        "msg_1",
        { type: "text", text: "a" },
        u(1, 1, {
          cache_creation_input_tokens: 300,
          cache_read_input_tokens: 7,
          cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 }
        })
      )
    ])
    expect(split.usage).toEqual({ ...usage(1, 100, 7, 1), cacheWrite1h: 200 })
    const unsplit = readLines([
      assistant(1, "a1", "msg_1", { type: "text", text: "a" }, u(1, 1, { cache_creation_input_tokens: 300 }))
    ])
    expect(unsplit.usage).toEqual(usage(1, 300, 0, 1))
  })

  it("includes thinking only when syncThinking", () => {
    const lines = [
      prompt1,
      assistant(1, "a1", "msg_1", { type: "thinking", thinking: "Let me think.", signature: "sig" }, u(1, 9)),
      assistant(2, "a2", "msg_1", { type: "redacted_thinking", data: "xxx" }, u(1, 9)),
      assistant(3, "a3", "msg_1", { type: "text", text: "Done." }, u(1, 9))
    ]
    const without = readLines(lines)
    expect(without.messages[1].thinking).toBeNull()
    expect(without.messages[1].parts).toEqual([{ type: "text", text: "Done." }])
    const withoutEvents = JSON.stringify(eventsOf(without))
    expect(withoutEvents).not.toContain("Let me think.")
    const withThinking = readLines(lines, { syncThinking: true })
    expect(withThinking.messages[1].thinking).toBe("Let me think.")
    expect(withThinking.messages[1].parts).toEqual([
      { type: "thinking", text: "Let me think." },
      { type: "text", text: "Done." }
    ])
    expect(JSON.stringify(eventsOf(withThinking))).toContain("Let me think.")
    expect(withThinking.usage).toEqual(usage(1, 0, 0, 9))
  })

  it("takes the title from the first real prompt: not meta, local commands, tool results or compact summaries", () => {
    const long = `${"word ".repeat(40)}\nsecond line`
    const session = readLines([
      prompt(0, "u0", "<local-command-caveat>Caveat</local-command-caveat>", { isMeta: true }),
      prompt(1, "u1", "<command-name>/model</command-name>"),
      prompt(2, "u2", "<local-command-stdout>Set model</local-command-stdout>"),
      prompt(3, "u3", "Summary of the earlier conversation", { isCompactSummary: true }),
      toolResult(4, "u4", { tool_use_id: "toolu_x", content: "result" }),
      prompt(5, "u5", [
        { type: "text", text: `  ${long}` },
        { type: "image", source: { data: "AAAA" } }
      ]),
      prompt(6, "u6", "Later prompt")
    ])
    // Cut to 120 characters on a word's end (the cut comes before redaction: it must not leave half a token).
    expect(session.title).toBe(`${"word ".repeat(24).trimEnd()}…`)
    const token = `ghp_${"a1B2c3D4e5".repeat(3)}123456`
    const titled = readLines([prompt(0, "u0", `${"please ".repeat(13)}push with ${token} to the remote`)])
    expect(titled.title).toBe(`${"please ".repeat(13)}push with…`)
    expect(session.messages.map((m) => [m.role, m.subtype, m.text])).toEqual([
      ["user", "command", "/model"],
      ["system", "command-output", "Set model"],
      ["system", "summary", "Summary of the earlier conversation"],
      ["user", null, `  ${long}`],
      ["user", null, "Later prompt"]
    ])
    expect(session.messages[3].parts).toEqual([
      { type: "text", text: `  ${long}` },
      { type: "other", name: "image", summary: null }
    ])
    expect(JSON.stringify(eventsOf(session))).not.toContain("AAAA")
    expect(eventsOf(session)[0]).not.toHaveProperty("gitBranch")
    expect(eventsOf(session)[0]).toMatchObject({ projectName: "synthetic" })
  })

  it("summarizes tool inputs without contents and leaves unanswered calls running", () => {
    const tool = (second: number, id: string, name: string, input: object) =>
      assistant(second, `a${second}`, `msg_${second}`, { type: "tool_use", id, name, input }, u(1, 1))
    const session = readLines([
      tool(1, "t1", "Grep", { pattern: "TODO", path: "/src", output_mode: "content" }),
      toolResult(2, "r1", { tool_use_id: "t1", content: "a.ts:1: TODO" }),
      tool(3, "t2", "WebFetch", { url: "https://example.com", prompt: "summarize" }),
      tool(4, "t3", "mcp__db__query", { sql: "select secret", limit: 1 }),
      tool(5, "t4", "Bash", { command: "yes ".repeat(1_250) }),
      tool(6, "t5", "NotebookEdit", { notebook_path: "/n.ipynb", new_source: "print('secret cell')" }),
      tool(7, "t6", "Edit", { file_path: "/a.ts", old_string: "old secret", new_string: "new secret" }),
      toolResult(8, "r6", { tool_use_id: "t6", content: "String not found", is_error: true })
    ])
    const byId = new Map(session.toolCalls.map((t) => [t.callId, t]))
    expect(byId.get("t1")!.input).toMatchObject({ summary: "TODO", paths: ["/src"] })
    expect(byId.get("t1")!.output).toEqual({ bytes: 12, exitCode: null, error: null })
    expect(byId.get("t2")!.input.summary).toBe("https://example.com")
    expect(byId.get("t3")!.input.summary).toBe("limit, sql")
    // Cut to 2,000 characters on a word's end, and marked.
    expect(byId.get("t4")!.input.summary!.length).toBeLessThanOrEqual(2_000)
    expect(byId.get("t4")!.input.summary!.length).toBeGreaterThan(1_990)
    expect(byId.get("t4")!.input.summary).toMatch(/yes … \[truncated 5000 chars\]$/)
    expect(byId.get("t5")!.input.paths).toEqual(["/n.ipynb"])
    expect(byId.get("t6")).toMatchObject({ status: "error", output: { error: "String not found" }, durationMs: 1_000 })
    expect(byId.get("t2")).toMatchObject({ status: "running", completedAt: null, durationMs: null })
    const json = JSON.stringify(eventsOf(session))
    for (const secret of ["select secret", "secret cell", "old secret"]) expect(json).not.toContain(secret)
  })

  it("keeps inline sidechain lines of older builds with their agent id", () => {
    const session = readLines([
      prompt1,
      assistant(1, "a1", "msg_1", { type: "text", text: "Main" }, u(1, 1)),
      assistant(2, "a2", "msg_side", { type: "text", text: "Side" }, u(2, 2), { isSidechain: true, agentId: "ag1" })
    ])
    expect(session.usage).toEqual(usage(3, 0, 0, 3))
    expect(session.messages[2]).toMatchObject({ agentId: "ag1", isSidechain: true })
  })

  it("ignores a line repeated with the same uuid", () => {
    const line = assistant(1, "a1", "msg_1", { type: "text", text: "Once." }, u(4, 4))
    const session = readLines([prompt1, line, line])
    expect(session.messages[1].text).toBe("Once.")
    expect(session.usage).toEqual(usage(4, 0, 0, 4))
  })
})

describe("paths and files", () => {
  it("recognizes subagent transcript paths and project names", () => {
    const dir = "/home/dev/.claude/projects/-home-dev-projects-demo"
    expect(Transcript.subagentIdOf(`${dir}/${real.sessionId}/subagents/agent-${real.agentId}.jsonl`)).toBe(real.agentId)
    expect(Transcript.subagentIdOf(`${dir}/${real.sessionId}.jsonl`)).toBeUndefined()
    expect(
      Transcript.subagentIdOf(`${dir}/${real.sessionId}/subagents/agent-${real.agentId}.meta.json`)
    ).toBeUndefined()
    expect(Lenient.projectNameOf("/home/dev/projects/demo")).toBe("demo")
    expect(Lenient.projectNameOf("C:\\Users\\dev\\demo\\")).toBe("demo")
  })

  it.effect("reads a transcript file, and fails with a tagged error for a missing one", () =>
    Effect.gen(function* () {
      const parsed = yield* Transcript.readTranscriptFile(join(RealTranscripts.fixtures, "claude-transcript.jsonl"))
      expect(parsed.lines.length).toBe(18)
      const error = yield* Effect.flip(Transcript.readTranscriptFile(join(RealTranscripts.fixtures, "missing.jsonl")))
      expect(error._tag).toBe("TranscriptReadError")
      expect(error.message).toContain("missing.jsonl")
    })
  )
})

describe("prompt ids shared with the hooks", () => {
  it("gives the first prompt the UserPromptSubmit hook's prompt_id, so live and imported prompts are one message", () => {
    const hookLines = readFileSync(join(RealTranscripts.fixtures, "claude-hooks.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
    const submitted = hookLines
      .map((line) => JSON.parse(line) as { run: string; hook_event_name: string; payload: { prompt_id?: string } })
      .find((line) => line.run === "settings" && line.hook_event_name === "UserPromptSubmit")
    const prompt = readMain().messages.find((message) => message.role === "user")
    expect(prompt?.id).toBe(submitted?.payload.prompt_id)
    expect(prompt?.id).toBe("b4c8fdb2-949b-4a78-95be-c753c038bbd9")
  })
})
