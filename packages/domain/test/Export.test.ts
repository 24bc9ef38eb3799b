import { describe, expect, it } from "@effect/vitest"
import type { SessionDetail } from "../src/Api.js"
import * as Export from "../src/Export.js"

/** The Markdown export (`opensync sessions show`, the dashboard's download): who said what, and every token. */
describe("Export.markdown", () => {
  const at = Date.UTC(2026, 11, 1)
  const message = (id: string, role: string, text: string, subtype?: string) => ({
    id,
    role,
    text,
    createdAt: at,
    ...(subtype === undefined ? {} : { subtype })
  })
  const detail = {
    session: {
      id: "s1",
      title: "Review the parser",
      source: "codex-cli",
      projectName: "demo",
      projectPath: "/home/dev/demo",
      model: "gpt-5.5",
      startedAt: at,
      messageCount: 3,
      toolCallCount: 0,
      totalTokens: 9_078,
      usage: { input: 3_800, output: 152, reasoning: 26, cacheRead: 5_100, cacheWrite5m: 0, cacheWrite1h: 0 },
      costUsd: 0.01
    },
    messages: [
      message("m1", "user", "Review the parser", "delegation"),
      message("m2", "assistant", "Done."),
      message("m3", "user", "<command-name>/clear</command-name>", "command")
    ],
    toolCalls: [],
    children: []
  } as unknown as SessionDetail

  it("labels a subagent's task as its parent agent's, and names what the agent put in", () => {
    const text = Export.markdown(detail)
    expect(text).toContain("## parent agent (task) · 2026-12-01T00:00:00.000Z")
    expect(text).toContain("## assistant · 2026-12-01T00:00:00.000Z")
    expect(text).toContain("## user (command) · 2026-12-01T00:00:00.000Z")
    expect(text).not.toContain("## user ·")
  })

  it("gives every kind of token, so the parts add up to the total", () => {
    expect(Export.markdown(detail)).toContain(
      "- Tokens: 9078 (input 3800, output 152, reasoning 26, cache read 5100, cache write 0)"
    )
  })
})
