import { Kit, type Outbox, type Redactor } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { agent } from "./Agent.js"
import type { TranscriptFile } from "./Discover.js"
import * as Discover from "./Discover.js"
import * as Transcript from "./transcript/index.js"

/*
 * The history behind `claude-code-sync import`: `discover` lists every transcript Claude Code still keeps and
 * `historyItem` reads one into domain events; the kit's import loop redacts them and appends them to the outbox, one
 * file at a time; the caller drains it.
 */

type Env = Readonly<Record<string, string | undefined>>

const SOURCE = agent.source.id

export type { TranscriptFile } from "./Discover.js"

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

/**
 * What an import did; `files`, `bytes` and `malformedLines` count imported files only, `skippedFiles` the rest.
 * `unfinishedLines`: last lines not whole yet (Claude Code writing them), left for the next read.
 */
export interface ImportSummary {
  readonly sessions: number
  readonly files: number
  readonly events: number
  readonly bytes: number
  readonly malformedLines: number
  readonly unfinishedLines: number
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

/** Every transcript under each Claude dir with sizes, oldest first by modification time (see `Discover`). */
export const discover = (env: Env = process.env): Effect.Effect<ReadonlyArray<TranscriptFile>> =>
  Effect.sync(() => Discover.transcripts(env))

// ---------------------------------------------------------------------------------------------------------------------
// import

/** What a transcript's events are made with. */
type ReadOptions = Pick<ImportOptions, "syncThinking" | "syncToolCalls">

/** The events of a file read (whole or on from a saved state), or why it was left out; never fails. */
export const readFile = (
  file: Pick<TranscriptFile, "path" | "kind" | "sessionId" | "agentId">,
  options: ReadOptions,
  from: Kit.SessionSource.ReadFrom | undefined
): Effect.Effect<Kit.SessionSource.FileEvents> =>
  Effect.gen(function* () {
    const agent = file.agentId !== null ? { agentId: file.agentId } : {}
    const readOptions: Transcript.ReadOptions = { syncThinking: options.syncThinking, source: file.kind, ...agent }
    const restored = from === undefined ? undefined : Transcript.Resume.restore(readOptions, from.state)
    let fold = restored ?? Transcript.makeFold(readOptions)
    let start = restored === undefined || from === undefined ? 0 : from.offset
    let read = yield* Effect.either(Transcript.feedFile(file.path, fold, { start }))
    if (Either.isRight(read) && fold.needsWholeRead) {
      // The new lines continue what the saved state no longer holds: read the file from the start.
      fold = Transcript.makeFold(readOptions)
      start = 0
      read = yield* Effect.either(Transcript.feedFile(file.path, fold, { start }))
    }
    if (Either.isLeft(read)) return { ok: false, reason: `unreadable: ${describe(read.left.cause)}` } as const
    const fed = read.right
    if (start === 0 && fold.fed === 0 && fed.malformed > 0) {
      return {
        ok: false,
        reason: `not a Claude Code transcript: ${fed.malformed} malformed line(s), none readable`,
        notASession: true
      } as const
    }
    return yield* Effect.try({
      try: (): Kit.SessionSource.FileEvents => {
        const completed = Transcript.complete(fold)
        const events =
          fold.fed === 0
            ? []
            : Transcript.toEvents(completed.session, {
                sessionId: file.sessionId,
                source: SOURCE,
                syncToolCalls: options.syncToolCalls,
                ...agent
              })
        return {
          ok: true,
          events,
          malformed: fed.malformed,
          unfinished: fed.unfinished,
          nextOffset: fed.nextOffset,
          state: Transcript.Resume.save(fold, completed),
          fromStart: start === 0
        }
      },
      catch: describe
    }).pipe(Effect.catchAll((reason) => Effect.succeed({ ok: false, reason: `cannot be read: ${reason}` } as const)))
  })

/** One transcript as an item of the kit's import loop: read on from where the last import or sync stopped. */
export const historyItem = (file: TranscriptFile, options: ReadOptions): Kit.SessionSource.HistoryItem<never> => ({
  sessionId: file.sessionId,
  label: file.path,
  size: file.size,
  changedAt: file.mtimeMs,
  key: file.path,
  read: Effect.map(readFile(file, options, undefined), (read) =>
    read.ok ? { ok: true, events: read.events, malformed: read.malformed, unfinished: read.unfinished } : read
  ),
  file: { path: file.path, mtimeMs: file.mtimeMs, readFrom: (from) => readFile(file, options, from) }
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
      unfinishedLines: totals.unfinished ?? 0,
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
