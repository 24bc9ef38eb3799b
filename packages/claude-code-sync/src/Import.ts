import type { Dirent } from "node:fs"
import { readdir, stat } from "node:fs/promises"
import { join, resolve } from "node:path"
import { Kit, type Outbox, type Redactor } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { agent, claudeDirs } from "./Agent.js"
import * as Transcript from "./transcript/index.js"

/*
 * The history behind `claude-code-sync import`: `discover` lists every transcript Claude Code still keeps and
 * `historyItem` reads one into domain events; the kit's import loop redacts them and appends them to the outbox, one
 * file at a time; the caller drains it.
 */

type Env = Readonly<Record<string, string | undefined>>

const SOURCE = agent.source.id
const STAT_CONCURRENCY = 16

/** A transcript file: a session's main one, or a subagent's (`<session>/subagents/agent-<id>.jsonl`). */
export interface TranscriptFile {
  readonly path: string
  readonly kind: "main" | "subagent"
  /** The session the file belongs to, from its path: the file name, or the parent session's directory. */
  readonly sessionId: string
  /** The subagent's id for a subagent file, else null. */
  readonly agentId: string | null
  readonly size: number
  readonly mtimeMs: number
}

/** A file the import left out, and why (unreadable, not a transcript). */
export interface SkippedFile {
  readonly path: string
  readonly reason: string
}

/** Where an import stands, reported after each file; `files` and `bytes` count the files done, skipped ones too. */
export interface ImportProgress {
  readonly files: number
  readonly totalFiles: number
  readonly bytes: number
  readonly totalBytes: number
  readonly events: number
}

/** What an import did; `files`, `bytes` and `malformedLines` count imported files only, `skippedFiles` the rest. */
export interface ImportSummary {
  readonly sessions: number
  readonly files: number
  readonly events: number
  readonly bytes: number
  readonly malformedLines: number
  readonly skippedFiles: ReadonlyArray<SkippedFile>
}

/** What to import and include; `since` (epoch ms) leaves out files last modified before it. */
export interface ImportOptions {
  readonly since?: number
  readonly syncThinking: boolean
  readonly syncToolCalls: boolean
  readonly onProgress?: (progress: ImportProgress) => void
  /** Where to look for Claude dirs (`CLAUDE_CONFIG_DIR`, `HOME`); defaults to `process.env`. */
  readonly env?: Env
}

// ---------------------------------------------------------------------------------------------------------------------
// discover

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** The entries of a directory; none when it is missing or unreadable. */
const entriesOf = (dir: string): Effect.Effect<ReadonlyArray<Dirent>> =>
  Effect.promise(() => readdir(dir, { withFileTypes: true }).catch((): ReadonlyArray<Dirent> => []))

const mayBeDirectory = (entry: Dirent): boolean => entry.isDirectory() || entry.isSymbolicLink()
const mayBeFile = (entry: Dirent): boolean => entry.isFile() || entry.isSymbolicLink()

interface Candidate {
  readonly path: string
  readonly kind: "main" | "subagent"
  readonly sessionId: string
  readonly agentId: string | null
}

/** The transcript candidates of one project directory: `<session>.jsonl` and `<session>/subagents/agent-<id>.jsonl`. */
const candidatesOf = (projectDir: string): Effect.Effect<ReadonlyArray<Candidate>> =>
  Effect.gen(function* () {
    const found: Array<Candidate> = []
    const sessionDirs: Array<string> = []
    for (const entry of yield* entriesOf(projectDir)) {
      if (entry.name.endsWith(".jsonl") && entry.name.length > ".jsonl".length && mayBeFile(entry)) {
        const sessionId = entry.name.slice(0, -".jsonl".length)
        found.push({ path: join(projectDir, entry.name), kind: "main", sessionId, agentId: null })
      } else if (mayBeDirectory(entry)) {
        sessionDirs.push(entry.name)
      }
    }
    const subagents = yield* Effect.forEach(
      sessionDirs,
      (sessionId) =>
        Effect.map(entriesOf(join(projectDir, sessionId, "subagents")), (entries) => {
          const files: Array<Candidate> = []
          for (const entry of entries) {
            if (!mayBeFile(entry)) continue
            const path = join(projectDir, sessionId, "subagents", entry.name)
            const agentId = Transcript.subagentIdOf(path)
            if (agentId !== undefined) files.push({ path, kind: "subagent", sessionId, agentId })
          }
          return files
        }),
      { concurrency: STAT_CONCURRENCY }
    )
    return [...found, ...subagents.flat()]
  })

/** Sizes and times of a candidate, or undefined when it is gone or not a regular file. */
const statOf = (candidate: Candidate): Effect.Effect<TranscriptFile | undefined> =>
  Effect.promise(() =>
    stat(candidate.path).then(
      (stats): TranscriptFile | undefined =>
        stats.isFile() ? { ...candidate, size: stats.size, mtimeMs: stats.mtimeMs } : undefined,
      () => undefined
    )
  )

/**
 * Every transcript under each Claude dir, `projects/<project>/<session>.jsonl` and its
 * `<session>/subagents/agent-<id>.jsonl`, with sizes, oldest first by modification time; missing dirs are skipped.
 */
export const discover = (env: Env = process.env): Effect.Effect<ReadonlyArray<TranscriptFile>> =>
  Effect.gen(function* () {
    const roots = [...new Set(claudeDirs(env).map((dir) => resolve(dir, "projects")))]
    const projectDirs: Array<string> = []
    for (const root of roots) {
      for (const entry of yield* entriesOf(root)) if (mayBeDirectory(entry)) projectDirs.push(join(root, entry.name))
    }
    const candidates = (yield* Effect.forEach(projectDirs, candidatesOf, { concurrency: STAT_CONCURRENCY })).flat()
    const stated = yield* Effect.forEach(candidates, statOf, { concurrency: STAT_CONCURRENCY })
    const files = stated.filter((file): file is TranscriptFile => file !== undefined)
    return files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  })

// ---------------------------------------------------------------------------------------------------------------------
// import

/** Reads one file into its domain events (not yet redacted), or why it was left out; never fails. */
const eventsOfFile = (file: TranscriptFile, options: ImportOptions): Effect.Effect<Kit.SessionSource.ItemEvents> =>
  Effect.gen(function* () {
    const read = yield* Effect.either(Transcript.readTranscriptFile(file.path))
    if (Either.isLeft(read)) return { ok: false, reason: `unreadable: ${describe(read.left.cause)}` } as const
    const parsed = read.right
    if (parsed.lines.length === 0 && parsed.malformed > 0) {
      return {
        ok: false,
        reason: `not a Claude Code transcript: ${parsed.malformed} malformed line(s), none readable`
      } as const
    }
    return yield* Effect.try({
      try: (): Kit.SessionSource.ItemEvents => {
        const session = Transcript.readSession(parsed.lines, {
          syncThinking: options.syncThinking,
          source: file.kind,
          ...(file.agentId !== null ? { agentId: file.agentId } : {})
        })
        const events = Transcript.toEvents(session, {
          sessionId: file.sessionId,
          source: SOURCE,
          syncToolCalls: options.syncToolCalls,
          ...(file.agentId !== null ? { agentId: file.agentId } : {})
        })
        return { ok: true, events, malformed: parsed.malformed }
      },
      catch: describe
    }).pipe(Effect.catchAll((reason) => Effect.succeed({ ok: false, reason: `cannot be read: ${reason}` } as const)))
  })

/** One transcript as an item of the kit's import loop. */
export const historyItem = (file: TranscriptFile, options: ImportOptions): Kit.SessionSource.HistoryItem<never> => ({
  sessionId: file.sessionId,
  label: file.path,
  size: file.size,
  changedAt: file.mtimeMs,
  read: eventsOfFile(file, options)
})

/**
 * Imports the given files in order, one at a time: read, fold, redact, append to the outbox. A file that cannot be
 * read or is not a transcript is skipped with a reason; only an outbox write failure stops the import.
 */
export const importFiles = (
  files: ReadonlyArray<TranscriptFile>,
  options: ImportOptions
): Effect.Effect<ImportSummary, Outbox.OutboxWriteFailed, Outbox.Outbox | Redactor.Redactor> =>
  Effect.map(
    Kit.History.importItems(
      files.map((file) => historyItem(file, options)),
      options.onProgress === undefined
        ? undefined
        : (p) =>
            options.onProgress?.({
              files: p.items,
              totalFiles: p.totalItems,
              bytes: p.bytes,
              totalBytes: p.totalBytes,
              events: p.events
            })
    ),
    (totals): ImportSummary => ({
      sessions: totals.sessions,
      files: totals.items,
      events: totals.events,
      bytes: totals.bytes,
      malformedLines: totals.malformed,
      skippedFiles: totals.skipped.map((skipped) => ({ path: skipped.label, reason: skipped.reason }))
    })
  )

/** The transcripts `import` reads: those modified at or after `since`, when given. */
export const filesSince = (files: ReadonlyArray<TranscriptFile>, since: number | undefined) =>
  since === undefined ? files : files.filter((file) => file.mtimeMs >= since)

/** Backfills every transcript found by `discover` (modified at or after `since`, when given) into the outbox. */
export const importAll = (
  options: ImportOptions
): Effect.Effect<ImportSummary, Outbox.OutboxWriteFailed, Outbox.Outbox | Redactor.Redactor> =>
  Effect.flatMap(discover(options.env ?? process.env), (files) =>
    importFiles(filesSince(files, options.since), options)
  )
