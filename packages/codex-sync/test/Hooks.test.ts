import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Kit } from "@opensync/client"
import * as HookAgent from "@opensync/testkit/HookAgent"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { agent } from "../src/Agent.js"
import * as Source from "../src/Source.js"

/** The hook payloads the real codex 0.171.0 sent (`{argv, stdin}` per line). */
const captured = HookAgent.capturedHooks(join(__dirname, "fixtures/hooks-0.171.0.jsonl"))

const item = (hook: string, stdin: unknown, receivedAt = 1_796_389_400_000) =>
  HookAgent.inboxItem(hook, stdin, receivedAt)

const transcript =
  "/home/dev/.codex/sessions/2026/12/04/rollout-2026-12-04T13-03-12-01a24126-d071-7d40-b1a6-dce6c095a6d9.jsonl"

describe("Codex hook payloads", () => {
  it("SessionStart and SessionEnd give the session's start and end; Stop and SessionEnd re-read the session file", () => {
    const decoded = captured.map((line) => Source.decode(item(line.argv, line.stdin)))
    expect(decoded.map((d) => d._tag)).toEqual(["Decoded", "Decoded", "Decoded", "Decoded"])
    const [start, prompt, stop, end] = decoded.map((d) => (d._tag === "Decoded" ? d : undefined)!)
    expect(start.events).toEqual([
      expect.objectContaining({
        kind: "session",
        source: "codex-cli",
        sessionId: "01a24126-d071-7d40-b1a6-dce6c095a6d9",
        startType: "startup",
        model: "gpt-5.5",
        projectPath: "/home/dev/projects/demo",
        projectName: "demo"
      })
    ])
    expect(start.events[0]).not.toHaveProperty("startedAt")
    expect(start.followUps).toEqual([])
    // The prompt is in the session file: a hook copy would be a second message.
    expect(prompt.events).toEqual([])
    expect(prompt.followUps).toEqual([])
    expect(stop.events).toEqual([])
    expect(stop.followUps).toEqual([{ sessionId: "01a24126-d071-7d40-b1a6-dce6c095a6d9", path: transcript }])
    expect(end.events).toEqual([
      expect.objectContaining({ kind: "session", endReason: "other", endedAt: 1_796_389_400_000 })
    ])
    expect(end.followUps).toEqual([{ sessionId: "01a24126-d071-7d40-b1a6-dce6c095a6d9", path: transcript }])
  })

  it("keeps the prompt and the final reply of a session without a file (codex exec --ephemeral)", () => {
    const base = { session_id: "01a2420e-51aa-7793-9c62-f91880ec0bb2", transcript_path: null, cwd: "/home/dev/p" }
    const turn = "01a2420e-5200-7000-8000-000000000001"
    const start = Source.decode(item("SessionStart", { ...base, hook_event_name: "SessionStart", source: "startup" }))
    const prompt = Source.decode(
      item("UserPromptSubmit", { ...base, hook_event_name: "UserPromptSubmit", turn_id: turn, prompt: "hi" }, 2)
    )
    const stop = Source.decode(
      item(
        "Stop",
        { ...base, hook_event_name: "Stop", turn_id: turn, model: "gpt-5.5", last_assistant_message: "Hi!" },
        3
      )
    )
    expect(start._tag === "Decoded" && start.events[0]).toMatchObject({ startedAt: 1_796_389_400_000 })
    expect(prompt._tag === "Decoded" && prompt.events).toEqual([
      expect.objectContaining({ kind: "message", messageId: `${turn}:prompt`, role: "user", text: "hi" })
    ])
    expect(stop._tag === "Decoded" && stop.events).toEqual([
      expect.objectContaining({
        kind: "message",
        messageId: `${turn}:reply`,
        role: "assistant",
        text: "Hi!",
        model: "gpt-5.5"
      })
    ])
    expect(stop._tag === "Decoded" && stop.followUps).toEqual([])
  })

  it("sets aside what it cannot read, saying why", () => {
    expect(Source.decode(item("Stop", "not json"))).toMatchObject({
      _tag: "Unreadable",
      reason: expect.stringContaining("Stop: hook stdin is not JSON")
    })
    expect(Source.decode(item("Stop", { hook_event_name: "Stop" }))).toEqual({
      _tag: "Unreadable",
      reason: "Stop: hook payload has no session_id"
    })
    expect(
      Source.decode({ ...item("Stop", {}), text: `${JSON.stringify({ v: 2, hook: "Stop", receivedAt: 1 })}\n{}` })
    ).toEqual({
      _tag: "Unreadable",
      reason: "written by a newer codex-sync (inbox format 2): left in the inbox for it; upgrade codex-sync to send it",
      keep: true
    })
    expect(
      Source.decode({ ...item("Stop", {}), text: `${JSON.stringify({ v: 0, hook: "Stop", receivedAt: 1 })}\n{}` })
    ).toEqual({ _tag: "Unreadable", reason: "written by another codex-sync (inbox format 0); upgrade" })
    expect(Kit.FileAgent.decodeHookInput("[]")).toEqual({ problem: "hook stdin is not a JSON object" })
  })

  it.effect("a session file that cannot be reached fails its follow-up alone, whatever keeps it from being found", () =>
    Effect.gen(function* () {
      const home = mkdtempSync(join(tmpdir(), "codex-followup-"))
      try {
        writeFileSync(join(home, "a-file"), "")
        const source = yield* Kit.SessionSource.SessionSource.pipe(
          Effect.provide(Source.layer),
          Effect.provide(Kit.LocalState.layer(agent, { HOME: home }))
        )
        const options = { syncToolCalls: true, syncThinking: false }
        // Gone, and a path through a regular file (ENOTDIR): each a FollowUpFailed the sync logs, not a defect that
        // would stop every sync after it.
        for (const path of [join(home, "gone.jsonl"), join(home, "a-file", "rollout.jsonl")]) {
          const item = yield* Effect.either(source.followUpItem!({ sessionId: "s", path }, options))
          expect(Either.isLeft(item) && item.left).toBeInstanceOf(Kit.SessionSource.FollowUpFailed)
        }
      } finally {
        rmSync(home, { recursive: true, force: true })
      }
    })
  )
})
