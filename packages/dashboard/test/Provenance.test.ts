import { describe, expect, it } from "@effect/vitest"
import type { SessionSummary } from "@opensync/domain/Api"
import * as F from "../src/format.js"
import { provenanceOf } from "../src/provenance.js"

/** The first line of "Where these figures come from": telemetry is Claude Code's, so only there is its absence news. */
describe("provenanceOf", () => {
  const session = (source: string) =>
    ({ source, figures: undefined, reported: null, totalTokens: 100, messageCount: 2 }) as unknown as SessionSummary

  it("says a Claude Code session had no telemetry, and names the other agents' own records", () => {
    expect(provenanceOf(session("claude-code")).text).toBe(
      "Counted from the transcript (no telemetry received for this session)."
    )
    expect(provenanceOf(session("codex-cli")).text).toBe("Counted from Codex's own session records.")
    expect(provenanceOf(session("gemini-cli")).text).toBe("Counted from Gemini CLI's own session records.")
    expect(provenanceOf(session("opencode")).text).toBe("Counted from OpenCode's own session records.")
    expect(provenanceOf(session("acme-agent")).text).toBe("Counted from acme-agent's own session records.")
  })
})

describe("counted", () => {
  it("says 1 session, 2 sessions (the pages printed '1 sessions', '1 failed tools')", () => {
    expect(F.counted(1, "session")).toBe("1 session")
    expect(F.counted(2, "session")).toBe("2 sessions")
    expect(F.counted(1_234, "failed tool")).toBe("1,234 failed tools")
    expect(F.counted(1, "entry", "entries")).toBe("1 entry")
    expect(F.counted(0, "entry", "entries")).toBe("0 entries")
  })
})
