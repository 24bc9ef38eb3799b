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
  /** Files found that hold no session (yet): empty, still being started, or not a session of the agent's. */
  readonly waiting?: number
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
  /** Events the server dropped because their session was deleted there (`opensync sessions delete`, a wipe). */
  readonly deleted: number
  readonly pending: number
}

/** `800 sessions (12 new, 3 updated, 785 unchanged)`: what an import found. */
export const foundText = (found: Found): string => {
  const { sessions, new: fresh, updated, unchanged } = found
  return `${sessions} session${sessions === 1 ? "" : "s"} (${fresh} new, ${updated} updated, ${unchanged} unchanged)`
}

/** A size in MiB with one decimal, the way every command prints sizes (as `AccountCommands.mebibytes`). */
export const mebibytes = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`

/** What an import found and read, as the kit's import loop counts it (`SessionSource.ImportTotals`). */
export interface Read {
  readonly found: Found
  /** Files read (those unchanged since the last import are not). */
  readonly items: number
  readonly bytes: number
  readonly events: number
  readonly malformed: number
  /** Last lines not whole yet: left for the next import (not malformed). */
  readonly unfinished?: number
  readonly skipped: ReadonlyArray<unknown>
}

/** How an import names its files, and what it left out as older than `--since`. */
export interface Words {
  readonly files: string
  /** The line when nothing was found at all. */
  readonly none: string
  readonly older?: { readonly count: number; readonly since: number } | undefined
}

/** `2026-01-31` (local), with the time when it is not midnight: what `--since` was given. */
const localTime = (ms: number): string => {
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, "0")
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
  return d.getHours() === 0 && d.getMinutes() === 0 ? day : `${day} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** What `--since` left out of `found`: how many files, and the date. */
export const olderThan = (found: number, kept: number, since: number | undefined): Words["older"] =>
  since === undefined ? undefined : { count: found - kept, since }

/**
 * The line an import of history files ends with, `800 sessions (12 new, 3 updated, 785 unchanged): read 15 transcript
 * file(s) (3.2 MiB), 40 event(s) queued.` (`files` names the files), or `none` when it found nothing at all.
 */
export const filesSummary = (totals: Read, words: Words): string => {
  if (totals.found.sessions === 0 && totals.skipped.length === 0) {
    const waiting = totals.found.waiting ?? 0
    if (waiting > 0) {
      return `No session to import yet: ${waiting} ${words.files}(s) found, none holding one yet (each is read again once it changes).`
    }
    const older = words.older
    return older === undefined || older.count === 0
      ? words.none
      : `Nothing changed since ${localTime(older.since)}: ${older.count} ${words.files}(s) ` +
          "older than that left out (import without --since to read them)."
  }
  const skipped = totals.skipped.length > 0 ? `, ${totals.skipped.length} file(s) skipped` : ""
  const malformed = totals.malformed > 0 ? `, ${totals.malformed} malformed line(s)` : ""
  const unfinished = totals.unfinished ?? 0
  // A session being written as the import reads it, or a file whose last write was cut off.
  const unwritten = unfinished > 0 ? `, ${unfinished} unfinished last line(s) (read once complete)` : ""
  return (
    `${foundText(totals.found)}: read ${totals.items} ${words.files}(s) ` +
    `(${mebibytes(totals.bytes)}), ${totals.events} event(s) queued${skipped}${malformed}${unwritten}.`
  )
}

/** `filesSummary` for an agent that keeps a file per session (`FileAgent`): its files are its `historyNoun`s. */
export const sessionFilesSummary = (agent: Agent, where: string, totals: Read, older?: Words["older"]): string =>
  filesSummary(totals, {
    files: agent.historyNoun,
    none: `No ${agent.source.label} ${agent.historyNoun}s found (looked in ${where}).`,
    older
  })

/** What an unchanged history reads: every session found unchanged, nothing read. */
export const unchanged = (found: Found): Read => ({ found, items: 0, bytes: 0, events: 0, malformed: 0, skipped: [] })

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
    `Sent ${report.delivered} event(s), ${report.rejected} rejected by the server, ${report.pending} pending.`,
    ...(report.deleted > 0
      ? [
          `${report.deleted} event(s) dropped by the server: their session was deleted there, and a deleted session stays deleted.`
        ]
      : [])
  ]
}
