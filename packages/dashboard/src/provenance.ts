import type { SessionSummary } from "@opensync/domain/Api"
import * as Sources from "@opensync/domain/Sources"
import * as F from "./format.js"

/** Where the figures come from, in one line. */
export const provenanceOf = (s: SessionSummary): { readonly tone: "ok" | "plain"; readonly text: string } => {
  const f = s.figures
  if (f !== undefined && f.telemetryRequests > 0) {
    const all = f.telemetryRequests + f.transcriptRequests
    return {
      tone: f.transcriptRequests === 0 ? "ok" : "plain",
      text:
        f.transcriptRequests === 0
          ? `Verified against Claude Code's telemetry: all ${F.count(all)} API requests (${F.count(f.matchedRequests)} also in the transcript).`
          : `Partly verified against Claude Code's telemetry: ${F.count(f.telemetryRequests)} of ${F.count(all)} API requests; the other ${F.count(f.transcriptRequests)} are counted from the transcript.`
    }
  }
  if (f?.costState != null) {
    return { tone: "plain", text: "Counted from the transcript, checked against Claude Code's own cost-state." }
  }
  if (s.reported !== null && s.totalTokens > 0 && s.messageCount === 0) {
    return { tone: "plain", text: "Totals as reported by the agent." }
  }
  // Only Claude Code exports telemetry: for the other agents its absence is no news
  if (s.source !== "claude-code") {
    return { tone: "plain", text: `Counted from ${Sources.label(s.source)}'s own session records.` }
  }
  return { tone: "plain", text: "Counted from the transcript (no telemetry received for this session)." }
}
