/**
 * The words `import` and `sync` print, as plain functions: the CLI prints them after a full run, and the quick check
 * of an unchanged history (`QuickImport`) prints the same lines without loading the CLI. No Effect.
 */
import type { Agent } from "./Agent.js"

/** How many sessions an import found, and how many of them were new, updated or unchanged. */
export interface Found {
  readonly sessions: number
  readonly new: number
  readonly updated: number
  readonly unchanged: number
}

/** What one sync did, as far as its report says (see `Sync.SyncReport`). */
export interface ReportCounts {
  /** Sessions re-read from the agent's history because the hot path could not store their items. */
  readonly recovered: number
  /** Sessions the agent was about to delete, not on the server, queued by this sync (or by `extra`). */
  readonly saved: number
  readonly inboxItems: number
  readonly unreadable: number
  readonly followUps: number
  readonly eventsQueued: number
  readonly delivered: number
  readonly rejected: number
  readonly pending: number
}

/** `800 sessions (12 new, 3 updated, 785 unchanged)`: what an import found. */
export const foundText = (found: Found): string => {
  const { sessions, new: fresh, updated, unchanged } = found
  return `${sessions} session${sessions === 1 ? "" : "s"} (${fresh} new, ${updated} updated, ${unchanged} unchanged)`
}

/** A size in MiB with one decimal, the way every command prints sizes (as `AccountCommands.mebibytes`). */
export const mebibytes = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`

/** The lines a sync prints after its work: what it took from the inbox (when it took anything), then what it sent. */
export const reportLines = (agent: Agent, log: string, report: ReportCounts): ReadonlyArray<string> => {
  const unreadable = report.unreadable > 0 ? ` (${report.unreadable} unreadable, see ${log})` : ""
  const followUps = agent.followUpNoun === undefined ? "" : ` and ${report.followUps} ${agent.followUpNoun}(s)`
  const saved =
    report.saved > 0
      ? [`Queued ${report.saved} session(s) ${agent.source.label} deletes within a week that were not on the server.`]
      : []
  const recovered =
    report.recovered > 0
      ? [
          `Re-read ${report.recovered} session(s) whose ${agent.inboxNoun}s could not be stored (see \`${agent.source.cli} status\`).`
        ]
      : []
  // Nothing taken from the inbox (an import, a sync after the hooks already sent everything) is not worth a line that
  // reads as "0 transcripts" right after an import's "read 318 transcript files".
  const idle = report.inboxItems === 0 && report.unreadable === 0 && report.followUps === 0 && report.eventsQueued === 0
  return [
    ...recovered,
    ...saved,
    ...(idle
      ? []
      : [
          `Processed ${report.inboxItems} ${agent.inboxNoun}(s)${unreadable}${followUps}; queued ${report.eventsQueued} event(s).`
        ]),
    `Sent ${report.delivered} event(s), ${report.rejected} rejected by the server, ${report.pending} pending.`
  ]
}
