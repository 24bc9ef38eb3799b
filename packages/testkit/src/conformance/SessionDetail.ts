import { describe, expect, it } from "@effect/vitest"
import { expectError, type Harness, t0, zeroUsage } from "./Harness.js"

/** GET /api/sessions/{id} */
export const section = (h: Harness): void => {
  const { sid, get, store, detail, sessionEv, messageEv, toolEv } = h
  describe("GET /api/sessions/{id}", () => {
    it("returns the session with ordered messages, parts, tool calls and priced totals", async () => {
      const s = sid("detail")
      const project = sid("detail-project")
      /** What the session event says of the session: the detail returns each field as sent. */
      const described = {
        title: "Fix the parser",
        projectPath: `/work/${project}`,
        projectName: project,
        gitBranch: "main",
        model: "claude-sonnet-4-5",
        provider: "anthropic",
        startType: "startup",
        agentVersion: "2.0.1",
        startedAt: t0
      }
      const start = sessionEv(s, t0, described)
      const user = messageEv(s, "u1", "user", t0 + 1_000, { text: "Please fix the parser" })
      const parts = [
        { type: "thinking", text: "Let me look" },
        { type: "text", text: "Reading the file" },
        { type: "tool", callId: "call_1", name: "Read" },
        { type: "tool", callId: "call_2", name: "Bash" },
        { type: "file", path: "src/parser.ts", mime: "text/typescript" },
        { type: "other", name: "step-start" }
      ] as const
      const a1 = messageEv(s, "a1", "assistant", t0 + 5_000, {
        createdAt: t0 + 2_000,
        completedAt: t0 + 5_000,
        model: "claude-sonnet-4-5",
        provider: "anthropic",
        text: "Reading the file",
        thinking: "Let me look",
        parts,
        usage: { input: 1_000, output: 2_000, cacheRead: 10_000, cacheWrite5m: 4_000, cacheWrite1h: 1_000 }
      })
      const read = toolEv(s, "call_1", "Read", "completed", t0 + 3_250, {
        startedAt: t0 + 3_000,
        messageId: "a1",
        durationMs: 250,
        input: { summary: "src/parser.ts", paths: ["src/parser.ts"], bytes: 40 },
        output: { bytes: 1_200 }
      })
      const bash = toolEv(s, "call_2", "Bash", "error", t0 + 4_500, {
        startedAt: t0 + 3_500,
        messageId: "a1",
        durationMs: 1_000,
        input: { summary: "npm test" },
        output: { exitCode: 1, error: "1 test failed" }
      })
      const a2 = messageEv(s, "a2", "assistant", t0 + 8_000, {
        createdAt: t0 + 6_000,
        completedAt: t0 + 8_000,
        model: "claude-sonnet-4-5",
        text: "Fixed it",
        usage: { input: 500, output: 100, reasoning: 100 }
      })
      const end = sessionEv(s, t0 + 9_000, { endedAt: t0 + 9_000, endReason: "prompt_input_exit" })
      // out of order, as a retrying spool may deliver them
      await store([end, a2, a1, bash, user])
      await store([start, read])

      const d = await detail(s)
      expect(d.session).toEqual({
        id: s,
        source: "claude-code",
        ...described,
        endReason: "prompt_input_exit",
        parentSessionId: null,
        updatedAt: t0 + 9_000,
        lastActivityAt: t0 + 9_000,
        endedAt: t0 + 9_000,
        durationMs: 9_000,
        messageCount: 3,
        toolCallCount: 2,
        toolErrorCount: 1,
        usage: {
          input: 1_500,
          output: 2_100,
          cacheRead: 10_000,
          cacheWrite5m: 4_000,
          cacheWrite1h: 1_000,
          reasoning: 100
        },
        totalTokens: 18_700,
        // a1: (1000×3 + 2000×15 + 10000×0.30 + 4000×3.75 + 1000×6) / 1e6 = 0.057; a2: (500×3 + 200×15) / 1e6 = 0.0045
        costUsd: 0.0615,
        unpricedMessages: 0,
        reported: null
      })
      expect(d.messages.map((m) => m.id)).toEqual(["u1", "a1", "a2"])
      const [u1, m1, m2] = d.messages
      expect(u1).toEqual({
        id: "u1",
        sessionId: s,
        role: "user",
        text: "Please fix the parser",
        thinking: null,
        parts: [],
        model: null,
        provider: null,
        agentId: null,
        createdAt: t0 + 1_000,
        completedAt: null,
        usage: zeroUsage,
        usageCounted: true,
        costUsd: 0,
        computedCostUsd: null,
        reportedCostUsd: null,
        costBasis: "none",
        priceVersion: null,
        truncated: false,
        updatedAt: t0 + 1_000
      })
      expect(m1).toEqual({
        id: "a1",
        sessionId: s,
        role: "assistant",
        text: "Reading the file",
        thinking: "Let me look",
        // stored as sent, an `other` part with its summary (none here)
        parts: [...parts.slice(0, -1), { type: "other", name: "step-start", summary: null }],
        model: "claude-sonnet-4-5",
        provider: "anthropic",
        agentId: null,
        createdAt: t0 + 2_000,
        completedAt: t0 + 5_000,
        usage: {
          input: 1_000,
          output: 2_000,
          cacheRead: 10_000,
          cacheWrite5m: 4_000,
          cacheWrite1h: 1_000,
          reasoning: 0
        },
        usageCounted: true,
        costUsd: 0.057,
        computedCostUsd: 0.057,
        reportedCostUsd: null,
        costBasis: "computed",
        priceVersion: m1.priceVersion,
        truncated: false,
        updatedAt: t0 + 5_000
      })
      expect(typeof m1.priceVersion).toEqual("string")
      expect([m2.costUsd, m2.computedCostUsd, m2.costBasis, m2.usage]).toEqual([
        0.0045,
        0.0045,
        "computed",
        { ...zeroUsage, input: 500, output: 100, reasoning: 100 }
      ])
      expect(d.toolCalls).toEqual([
        {
          id: "call_1",
          sessionId: s,
          source: "claude-code",
          messageId: "a1",
          name: "Read",
          canonicalName: "Read",
          status: "completed",
          startedAt: t0 + 3_000,
          durationMs: 250,
          input: { summary: "src/parser.ts", paths: ["src/parser.ts"], bytes: 40 },
          output: { bytes: 1_200, exitCode: null, error: null },
          agentId: null,
          updatedAt: t0 + 3_250
        },
        {
          id: "call_2",
          sessionId: s,
          source: "claude-code",
          messageId: "a1",
          name: "Bash",
          canonicalName: "Bash",
          status: "error",
          startedAt: t0 + 3_500,
          durationMs: 1_000,
          input: { summary: "npm test", paths: [], bytes: 0 },
          output: { bytes: 0, exitCode: 1, error: "1 test failed" },
          agentId: null,
          updatedAt: t0 + 4_500
        }
      ])
      expect(d.children).toEqual([])
    })

    it("keeps a cost the agent reported (OpenCode) as the message cost", async () => {
      const s = sid("reported")
      await store([
        sessionEv(s, t0, { startedAt: t0 }, "opencode"),
        messageEv(
          s,
          "m1",
          "assistant",
          t0 + 10,
          { model: "gpt-5-codex", usage: { input: 100, output: 50 }, reportedCostUsd: 0.0123 },
          "opencode"
        ),
        messageEv(
          s,
          "m2",
          "assistant",
          t0 + 20,
          { model: "anthropic/claude-sonnet-4-5", usage: { input: 1_000, output: 1_000 }, reportedCostUsd: 0.02 },
          "opencode"
        ),
        messageEv(s, "m3", "assistant", t0 + 30, { model: "mystery-model-9", usage: { input: 10 } }, "opencode")
      ])
      const d = await detail(s)
      expect(d.messages.map((m) => [m.id, m.costUsd, m.computedCostUsd, m.reportedCostUsd, m.costBasis])).toEqual([
        ["m1", 0.0123, 0.000625, 0.0123, "reported"],
        ["m2", 0.02, 0.018, 0.02, "reported"],
        ["m3", 0, null, null, "unpriced"]
      ])
      expect([d.session.costUsd, d.session.unpricedMessages, d.session.totalTokens]).toEqual([0.0323, 1, 2_160])
    })

    it("lists child sessions (parentSessionId) under their parent", async () => {
      const parent = sid("parent")
      const child1 = sid("child-1")
      const child2 = sid("child-2")
      await store([
        sessionEv(parent, t0, { title: "Parent", startedAt: t0 }),
        sessionEv(child2, t0 + 20, { title: "Second child", parentSessionId: parent, startedAt: t0 + 20 }),
        sessionEv(child1, t0 + 10, { title: "First child", parentSessionId: parent, startedAt: t0 + 10 })
      ])
      const d = await detail(parent)
      expect(d.children.map((c) => [c.id, c.title, c.parentSessionId])).toEqual([
        [child1, "First child", parent],
        [child2, "Second child", parent]
      ])
      expect((await detail(child1)).session.parentSessionId).toEqual(parent)
      expect((await detail(child1)).children).toEqual([])
    })

    it("answers an unknown session with a JSON 404", async () => {
      expectError(await get(`/api/sessions/${sid("never-synced")}`), 404, "NotFound")
    })
  })
}
