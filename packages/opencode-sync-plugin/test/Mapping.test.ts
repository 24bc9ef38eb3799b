import { describe, expect, it } from "@effect/vitest"
import { Event, Usage } from "@opensync/domain"
import * as Either from "effect/Either"
import * as Mapping from "../src/Mapping.js"
import { type SessionSnapshot, settle } from "../src/Tracker.js"
import { exported, exportedSnapshot, MAIN } from "./support/fixtures.js"

const options = { syncToolCalls: true, syncThinking: false }

type Encoded = Event.EventEncoded
const ofKind = <K extends Encoded["kind"]>(events: ReadonlyArray<Encoded>, kind: K) =>
  events.filter((event): event is Extract<Encoded, { kind: K }> => event.kind === kind)

describe("Mapping.toEvents on `opencode export` of a real session", () => {
  const events = Mapping.toEvents(exportedSnapshot, options)

  it("produces valid events with deterministic ids", () => {
    for (const event of events) {
      expect(Either.isRight(Event.decodeUnknown(event)), JSON.stringify(event)).toBe(true)
      const { id, ...content } = event
      expect(id).toBe(Event.makeId(content))
    }
    expect(Mapping.toEvents(exportedSnapshot, options)).toEqual(events)
  })

  it("maps the session's metadata", () => {
    const [session] = ofKind(events, "session")
    expect(session).toMatchObject({
      source: "opencode",
      sessionId: MAIN,
      at: 1795253340168,
      title: "Harness probe session",
      projectPath: "/home/dev/projects/demo",
      projectName: "demo",
      model: "fake-model",
      provider: "fake",
      agentVersion: "1.18.33",
      startedAt: 1795253329663
    })
    expect(session?.parentSessionId).toBeUndefined()
  })

  it("maps every message, usage and the cost OpenCode reported; totals match OpenCode's", () => {
    const messages = ofKind(events, "message")
    expect(messages.map((m) => [m.role, m.text])).toEqual([
      ["user", '"Run echo hello, write hello.txt, list a missing file, then ask a subagent to say done."'],
      ["assistant", "Step 1: using bash."],
      ["assistant", "Step 2: using write."],
      ["assistant", "Step 3: using bash."],
      ["assistant", "Step 4: using task."],
      ["assistant", "All done: ran 4 tool steps (echo hello, wrote hello.txt, one failing ls, a subagent)."],
      ["user", '"SCENARIO:text Thanks, anything else?"'],
      ["assistant", "Hello from the fake OpenAI server."]
    ])
    const total = messages.reduce(
      (sum, m) => Usage.add(sum, Usage.of(m.usage as Partial<Usage.UsageFields>)),
      Usage.zero
    )
    expect(total).toEqual({
      input: 10_340,
      output: 123,
      cacheRead: 46_080,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      reasoning: 0
    })
    const cost = messages.reduce((sum, m) => sum + (m.reportedCostUsd ?? 0), 0)
    expect(cost).toBeCloseTo(0.046689, 9)
    const second = messages[2]
    expect(second).toMatchObject({
      messageId: "msg_1fd6fed36001sf9ylfICaEOp9p",
      model: "fake-model",
      provider: "fake",
      createdAt: 1795253333302,
      completedAt: 1795253333683,
      at: 1795253333683,
      usage: { input: 230, output: 29, cacheRead: 9000, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
      reportedCostUsd: 0.003825
    })
    expect(second?.parts).toEqual([
      { type: "text", text: "Step 2: using write." },
      { type: "tool", callId: "call_c1a23e64e1f44b43", name: "write" },
      { type: "other", name: "patch", summary: "/home/dev/projects/demo/hello.txt" }
    ])
    expect(messages[0]?.model).toBeUndefined()
    expect(messages[0]?.usage).toBeUndefined()
  })

  it("maps finished tool calls with status, duration, exit code and a summary, never file contents", () => {
    const calls = ofKind(events, "tool_call")
    expect(calls.map((c) => [c.name, c.status, c.durationMs, c.output?.exitCode, c.input?.summary])).toEqual([
      ["bash", "completed", 206, 0, "echo hello"],
      ["write", "completed", 17, null, null],
      ["bash", "completed", 69, 2, "ls ./no-such-file-harness"],
      ["task", "completed", 422, null, "general: Subagent probe"]
    ])
    expect(calls[1]).toMatchObject({
      callId: "call_c1a23e64e1f44b43",
      messageId: "msg_1fd6fed36001sf9ylfICaEOp9p",
      startedAt: 1795253333463,
      at: 1795253333480,
      input: { paths: ["/home/dev/projects/demo/hello.txt"] },
      output: { bytes: "Wrote file successfully.".length, error: null }
    })
    expect(JSON.stringify(calls)).not.toContain("hello from fake model")
  })

  it("leaves tool calls out when syncToolCalls is off (the parts still name them)", () => {
    const without = Mapping.toEvents(exportedSnapshot, { ...options, syncToolCalls: false })
    expect(ofKind(without, "tool_call")).toEqual([])
    expect(ofKind(without, "message")).toEqual(ofKind(events, "message"))
  })
})

describe("Mapping edge cases", () => {
  const assistant = exported.messages[1]!
  const snapshot = (messages: SessionSnapshot["messages"]): SessionSnapshot => ({
    sessionId: MAIN,
    info: null,
    messages
  })

  it("sends an attached file's path, never its text (the two parts OpenCode makes of it are not the prompt)", () => {
    const user = exported.messages[0]!
    const path = "/home/dev/project/notes.txt"
    const parts = [
      { id: "prt_a1", type: "text", text: "summarize the attached file" },
      {
        id: "prt_a2",
        type: "text",
        synthetic: true,
        text: `Called the Read tool with the following input: {"filePath":"${path}"}`
      },
      {
        id: "prt_a3",
        type: "text",
        synthetic: true,
        text: `<path>${path}</path>\n<type>file</type>\n<content>\n1: PRIVATE_FILE_CONTENT do not sync\n</content>`
      },
      { id: "prt_a4", type: "file", mime: "text/plain", filename: "notes.txt", url: `file://${path}`, source: { path } }
    ]
    for (const message of [
      { info: user.info, parts },
      // as the plugin holds it once the message was handed over (`Tracker.settle`)
      { info: user.info, parts: parts.map(settle) }
    ]) {
      const events = Mapping.toEvents(snapshot([message]), options)
      const [prompt] = ofKind(events, "message")
      expect(prompt).toMatchObject({
        text: "summarize the attached file",
        parts: [{ type: "text" }, { type: "file", path }]
      })
      expect(JSON.stringify(events)).not.toContain("PRIVATE_FILE_CONTENT")
      expect(JSON.stringify(events)).not.toContain("Called the Read tool")
    }
  })

  it("skips an assistant message still streaming and a user message without parts", () => {
    const streaming = { info: { ...assistant.info, time: { created: 1 }, tokens: undefined }, parts: [] }
    const user = { info: exported.messages[0]!.info, parts: [] }
    expect(Mapping.toEvents(snapshot([streaming, user]), options)).toEqual([])
  })

  it("keeps a failed assistant message with its error; tool errors carry their message", () => {
    const failed = {
      info: {
        ...assistant.info,
        time: { created: 10 },
        error: { name: "APIError", data: { message: "rate limited" } }
      },
      parts: [
        {
          id: "prt_1",
          type: "tool",
          tool: "read",
          callID: "call_x",
          messageID: assistant.info.id,
          state: {
            status: "error",
            input: { filePath: "/a/b.ts" },
            error: "File not found",
            time: { start: 5, end: 9 }
          }
        }
      ]
    }
    const events = Mapping.toEvents(snapshot([failed]), options)
    expect(ofKind(events, "message")[0]).toMatchObject({
      completedAt: 10,
      parts: [
        { type: "tool", callId: "call_x", name: "read" },
        { type: "other", name: "error", summary: "rate limited" }
      ]
    })
    expect(ofKind(events, "tool_call")[0]).toMatchObject({
      status: "error",
      durationMs: 4,
      input: { paths: ["/a/b.ts"] },
      output: { error: "File not found", exitCode: null }
    })
  })

  it("joins all text parts, keeps reasoning only with syncThinking, sums step-finish usage when the message has none", () => {
    const info = {
      ...assistant.info,
      tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
      cost: 0
    }
    const parts = [
      { id: "prt_1", type: "reasoning", text: "thinking hard" },
      { id: "prt_2", type: "text", text: "first" },
      {
        id: "prt_3",
        type: "step-finish",
        cost: 0.5,
        tokens: { input: 10, output: 2, reasoning: 3, cache: { read: 4, write: 5 } }
      },
      { id: "prt_4", type: "text", text: "second" },
      { id: "prt_5", type: "text", text: "ignored", ignored: true },
      {
        id: "prt_6",
        type: "step-finish",
        cost: 0.25,
        tokens: { input: 1, output: 1, reasoning: 0, cache: { read: 0, write: 0 } }
      }
    ]
    const [plain] = ofKind(Mapping.toEvents(snapshot([{ info, parts }]), options), "message")
    expect(plain).toMatchObject({
      text: "first\nsecond",
      usage: { input: 11, output: 3, reasoning: 3, cacheRead: 4, cacheWrite5m: 5, cacheWrite1h: 0 },
      reportedCostUsd: 0.75
    })
    expect(plain?.thinking).toBeUndefined()
    const [thoughtful] = ofKind(
      Mapping.toEvents(snapshot([{ info, parts }]), { ...options, syncThinking: true }),
      "message"
    )
    expect(thoughtful?.thinking).toBe("thinking hard")
    expect(thoughtful?.parts?.[0]).toEqual({ type: "thinking", text: "thinking hard" })
  })

  it("leaves the cost to the server's price table when OpenCode reports 0 (subscription or free models)", () => {
    const [message] = ofKind(
      Mapping.toEvents(snapshot([{ info: { ...assistant.info, cost: 0 }, parts: [] }]), options),
      "message"
    )
    expect(message?.reportedCostUsd).toBeUndefined()
    expect(message?.usage).toMatchObject({ input: 9100, output: 11 })
  })

  it("summarizes OpenCode's tools", () => {
    expect(Mapping.summarizeInput("grep", { pattern: "TODO", path: "/src" })).toMatchObject({
      summary: "TODO",
      paths: ["/src"]
    })
    expect(Mapping.summarizeInput("webfetch", { url: "https://example.com" })).toMatchObject({
      summary: "https://example.com"
    })
    expect(Mapping.summarizeInput("edit", { filePath: "/a.ts", oldString: "x", newString: "y" })).toMatchObject({
      summary: null,
      paths: ["/a.ts"]
    })
    expect(Mapping.summarizeInput("mcp_tool", { b: 1, a: 2 })).toMatchObject({ summary: "a, b", paths: [] })
    expect(Mapping.summarizeInput("bash", "not an object")).toEqual({ summary: null, paths: [], bytes: 15 })
  })
})
