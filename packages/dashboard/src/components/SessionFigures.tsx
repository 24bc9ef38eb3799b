import type { SessionSummary } from "@opensync/domain/Api"
import * as Figures from "@opensync/domain/Figures"
import * as F from "../format.js"
import { provenanceOf } from "../provenance.js"
import { Card } from "./ui.js"

/**
 * Where a session's figures come from and what the agent itself reported: "verified against Claude Code's
 * telemetry", requests only telemetry saw (a `/compact` summary, titles, background calls), the agent's cost next to
 * OpenSync's when they differ, the `cost-state` gap when telemetry is off, and active time next to wall-clock time.
 */

const sourceLabels: Record<string, string> = {
  compact: "/compact summary",
  auto_compact: "automatic compaction",
  sdk: "conversation (not in the transcript)",
  repl_main_thread: "conversation (not in the transcript)",
  main: "conversation (not in the transcript)",
  generate_session_title: "session title",
  title: "session title",
  session_title: "session title",
  prompt_suggestion: "prompt suggestion",
  side_question: "side question (/btw)"
}

export const querySourceLabel = (source: string): string =>
  sourceLabels[source] ?? (source.startsWith("agent") ? `subagent (${source})` : source)

const tokensOf = (u: {
  input: number
  output: number
  cacheRead: number
  cacheWrite5m: number
  cacheWrite1h: number
}) => u.input + u.output + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h

export const SessionFigures = (props: { readonly session: SessionSummary }) => {
  const s = props.session
  const f = s.figures
  const provenance = provenanceOf(s)
  const costState = f?.costState ?? null
  const active = Figures.activeMs(f)
  const differ = f !== undefined && Figures.costsDiffer(f)
  const stateTokens = costState === null ? 0 : tokensOf(Figures.costStateUsage(costState))
  const stateGap = costState === null ? 0 : stateTokens - s.totalTokens
  return (
    <Card title="Where these figures come from">
      <ul className="figures">
        <li className={`figures-source figures-${provenance.tone}`} data-testid="provenance">
          {provenance.text}
        </li>
        {(f?.background ?? []).map((b) => (
          <li key={b.querySource} data-testid="background">
            Background: {querySourceLabel(b.querySource)}, {F.count(b.requests)} request{b.requests === 1 ? "" : "s"},{" "}
            {F.tokens(tokensOf(b.usage))} tokens, {F.usd(b.costUsd)}
            {b.reportedCostUsd > 0 && Math.abs(b.reportedCostUsd - b.costUsd) > 0.000_01
              ? ` (Claude Code: ${F.usd(b.reportedCostUsd)})`
              : ""}
          </li>
        ))}
        {differ && f !== undefined && (
          <li data-testid="cost-difference">
            Cost differs: Claude Code reports {F.usd(f.reportedCostUsd)} for its telemetry requests; OpenSync's prices
            give {F.usd(f.computedCostUsd)}. A gap usually means a price changed: check <code>opensync prices</code>.
          </li>
        )}
        {costState !== null && (
          <li data-testid="cost-state">
            Claude Code's cost-state: {F.tokens(stateTokens)} tokens, {F.usd(costState.totalCostUsd)}
            {costState.hasUnknownModelCost ? " (some models unpriced)" : ""}.{" "}
            {(f?.telemetryRequests ?? 0) > 0
              ? "Telemetry is authoritative for this session."
              : stateGap === 0
                ? "The transcript adds up to it."
                : `The transcript alone had ${F.tokens(Math.abs(stateGap))} tokens ${stateGap > 0 ? "fewer" : "more"}; the difference is counted as reported by Claude Code.`}
          </li>
        )}
        {active !== null && (
          <li data-testid="active-time">
            Time spent: {F.duration(active)} active (Claude Code's telemetry), not counting idle time between turns.
          </li>
        )}
      </ul>
    </Card>
  )
}
