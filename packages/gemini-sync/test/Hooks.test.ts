import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as HookAgent from "@opensync/testkit/HookAgent"
import * as Hooks from "../src/Hooks.js"
import * as Source from "../src/Source.js"

/** The hook payloads the real gemini 0.61.0 sent (`{argv, stdin}` per line). */
const captured = HookAgent.capturedHooks(join(__dirname, "fixtures/hooks.jsonl"))

const item = (hook: string, stdin: unknown, receivedAt = 1_796_389_500_000) =>
  HookAgent.inboxItem(hook, stdin, receivedAt)

const session = "cda29f87-571e-4e65-be85-ae88b14ae0b1"
const chat = "/home/dev/.gemini/tmp/gproj/chats/session-2026-12-04T13-04-cda29f87.jsonl"

describe("Gemini CLI hook payloads", () => {
  it("registers only the hooks that start and end a session and a turn", () => {
    expect(Hooks.events).toEqual(["SessionStart", "AfterAgent", "SessionEnd"])
  })

  it("gives the session's start and end (at Gemini CLI's own timestamps) and re-reads the chat after each turn", () => {
    const decoded = Object.fromEntries(
      captured.map((line) => {
        const result = Source.decode(item(line.argv, line.stdin))
        if (result._tag !== "Decoded") throw new Error(`${line.argv}: ${result.reason}`)
        return [line.argv, result]
      })
    )
    expect(decoded.SessionStart?.events).toEqual([
      expect.objectContaining({
        kind: "session",
        source: "gemini-cli",
        sessionId: session,
        at: Date.parse("2026-12-04T13:04:28.497Z"),
        startType: "startup",
        projectPath: "/home/dev/projects/gproj",
        projectName: "gproj"
      })
    ])
    expect(decoded.AfterAgent?.events).toEqual([])
    expect(decoded.AfterAgent?.followUps).toEqual([{ sessionId: session, path: chat }])
    expect(decoded.SessionEnd?.events).toEqual([
      expect.objectContaining({ endReason: "exit", endedAt: Date.parse("2026-12-04T13:04:28.812Z") })
    ])
    expect(decoded.SessionEnd?.followUps).toEqual([{ sessionId: session, path: chat }])
    // Model and tool hooks carry nothing the chat file lacks (AfterModel's usage even drops cached and thoughts).
    for (const hook of ["BeforeAgent", "BeforeModel", "AfterModel", "BeforeToolSelection"]) {
      expect(decoded[hook]?.events, hook).toEqual([])
      expect(decoded[hook]?.followUps, hook).toEqual([])
    }
  })

  it("sets aside what it cannot read, saying why", () => {
    expect(Source.decode(item("AfterAgent", "{"))).toMatchObject({ _tag: "Unreadable" })
    expect(Source.decode(item("AfterAgent", { session_id: "s" }))).toEqual({
      _tag: "Unreadable",
      reason: "AfterAgent: hook payload has no hook_event_name"
    })
  })
})
