/**
 * What an agent whose record is a session file per session (Codex, Gemini CLI) shares: the hook payload
 * (`session_id`, `hook_event_name`, `transcript_path`, …) checked, the session's start and end, a stored hook call
 * decoded into its events and the file to re-read; a file read into its session's events, re-read after a hook with
 * the files of the subagents the session spawned; and the `import` side: the files changed since a date, each as an
 * item of the import loop, and the closing summary. The agent supplies its hooks' events and its files (`Files`).
 */
import { statSync } from "node:fs"
import { Event } from "@opensync/domain"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Lenient from "../Lenient.js"
import type { Agent, Env } from "./Agent.js"
import * as Checkpoints from "./Checkpoints.js"
import * as CommandHook from "./CommandHook.js"
import * as ImportText from "./ImportText.js"
import * as LocalState from "./LocalState.js"
import type * as Memo from "./Memo.js"
import * as SessionEvents from "./SessionEvents.js"
import type { SessionFile } from "./SessionFiles.js"
import * as SessionFiles from "./SessionFiles.js"
import {
  type Decoded,
  type FollowUp,
  FollowUpFailed,
  type HistoryItem,
  type ImportTotals,
  type InboxItem,
  type ItemEvents,
  type MappingOptions,
  type MemoPart,
  partsEvents,
  SessionSource
} from "./SessionSource.js"

export interface HookInput {
  readonly sessionId: string
  readonly event: string
  readonly payload: Lenient.Json
}

/** One hook's stdin: a JSON object with `session_id` and `hook_event_name`; otherwise why it cannot be used. */
export const decodeHookInput = (stdin: string): HookInput | { readonly problem: string } => {
  if (stdin.trim() === "") return { problem: "hook stdin is empty" }
  let json: unknown
  try {
    json = JSON.parse(stdin)
  } catch (cause) {
    return { problem: `hook stdin is not JSON: ${cause instanceof Error ? cause.message : String(cause)}` }
  }
  if (!Lenient.isRecord(json)) return { problem: "hook stdin is not a JSON object" }
  const sessionId = Lenient.field(json, "session_id")
  if (sessionId === undefined) return { problem: "hook payload has no session_id" }
  const event = Lenient.field(json, "hook_event_name")
  if (event === undefined) return { problem: "hook payload has no hook_event_name" }
  return { sessionId, event, payload: json }
}

/** What a hook event of such an agent carries: the agent, the session, and when the hook ran. */
export interface HookBase {
  readonly source: string
  readonly sessionId: string
  readonly at: number
}

/**
 * A `SessionStart` hook's event: how the session started (the payload's `source`) and its project (`cwd`), with what
 * else the agent's hook tells: the `model`, and `startedAt` for a session no file will date.
 */
export const sessionStartEvent = (
  base: HookBase,
  payload: Lenient.Json,
  more: { readonly model?: string | undefined; readonly startedAt?: number | undefined } = {}
): Event.EventEncoded => {
  const cwd = Lenient.field(payload, "cwd")
  const startType = Lenient.field(payload, "source")
  const event: Omit<typeof Event.SessionEvent.Encoded, "id"> = {
    kind: "session",
    ...base,
    ...(startType !== undefined ? { startType } : {}),
    ...(more.model !== undefined ? { model: more.model } : {}),
    ...(cwd !== undefined ? { projectPath: cwd, projectName: Lenient.projectNameOf(cwd) } : {}),
    ...(more.startedAt !== undefined ? { startedAt: more.startedAt } : {})
  }
  return Event.make(event)
}

/** A `SessionEnd` hook's event: the session ended at `base.at`, for the payload's `reason` when it gives one. */
export const sessionEndEvent = (base: HookBase, payload: Lenient.Json): Event.EventEncoded => {
  const reason = Lenient.field(payload, "reason")
  const event: Omit<typeof Event.SessionEvent.Encoded, "id"> = {
    kind: "session",
    ...base,
    ...(reason !== undefined ? { endReason: reason } : {}),
    endedAt: base.at
  }
  return Event.make(event)
}

/** What the kit needs of an agent's hooks to decode a stored hook call. */
export interface Hooks {
  /** The hooks after which the file their `transcript_path` names has something new. */
  readonly rereadAfter: ReadonlySet<string>
  /** The events one hook call yields; `receivedAt` is when the hook stored it. */
  readonly eventsFromHook: (input: HookInput, receivedAt: number) => ReadonlyArray<Event.EventEncoded>
}

/**
 * A stored hook call into its events and the file to re-read. `inboxVersion` is the inbox item format the agent's
 * hook writes; the agent's command names it in the error messages.
 */
export const hookDecoder =
  (agent: Pick<Agent, "source">, inboxVersion: number, hooks: Hooks) =>
  (item: InboxItem): Decoded => {
    const parsed = CommandHook.parseItem(item.text, item.mtimeMs, inboxVersion, agent.source.cli)
    if (parsed._tag === "Unreadable") return parsed
    const { hook, receivedAt, stdin } = parsed.stored
    const input = decodeHookInput(stdin)
    if ("problem" in input) return { _tag: "Unreadable", reason: `${hook}: ${input.problem}` }
    const file = hooks.rereadAfter.has(input.event) ? Lenient.field(input.payload, "transcript_path") : undefined
    return {
      _tag: "Decoded",
      events: hooks.eventsFromHook(input, receivedAt),
      followUps: file === undefined ? [] : [{ sessionId: input.sessionId, path: file }]
    }
  }

/** What reading one session file gave: its session, its events, and how many of its lines were not JSON objects. */
export interface FileRead<S> {
  readonly session: S
  /** Every event of the session (built when first asked for). */
  readonly events: ReadonlyArray<Event.EventEncoded>
  readonly malformed: number
  /** 1 when its last line is not whole yet (the agent is still writing it: read once it is), else 0. */
  readonly unfinished: number
  /** The file as a part of its history item: with the events of what changed since its memo, when it had one. */
  readonly part: MemoPart
}

/** What a reader made of a file: its session, and the memos it went on from and left (`Kit.Memo.Read`). */
export interface ReaderResult<S> {
  readonly session: S
  readonly malformed: number
  readonly unfinished?: number
  readonly from?: string | undefined
  readonly saved?: string | undefined
}

/** What a reader built on `Kit.Memo` made of a file. */
export const fromMemo = <S>(read: Memo.Read<S>): ReaderResult<S> => ({
  session: read.result,
  malformed: read.malformed,
  unfinished: read.unfinished,
  from: read.from,
  saved: read.saved
})

/** A session as a reader made it from a file: what every session gives, and its id when the file names it. */
type FileSession = SessionEvents.SessionRecord & { readonly id: string | null }

/**
 * Reads the file at `path` into its session (`parse`) and the session's events from `source`, under `sessionId` when
 * the file names no session; fails with why the file cannot be read, or why `parse` threw (a file it cannot read now).
 */
export const readSessionFile = <S extends FileSession>(
  path: string,
  sessionId: string,
  options: MappingOptions & { readonly source: string },
  parse: (text: string) => { readonly session: S; readonly malformed: number }
): Effect.Effect<FileRead<S>, string> =>
  Effect.flatMap(SessionFiles.readText(path), (text) =>
    Effect.try({
      try: () => fileRead(parse(text), sessionId, options),
      catch: (cause) => (cause instanceof Error ? cause.message : String(cause))
    })
  )

/**
 * `readSessionFile` for a reader that reads the file itself (`read`, given the file's size); fails with why the file
 * cannot be read when it throws.
 */
export const readSessionFileWith = <S extends FileSession>(
  path: string,
  sessionId: string,
  options: MappingOptions & { readonly source: string },
  read: (size: number) => ReaderResult<S>
): Effect.Effect<FileRead<S>, string> =>
  Effect.map(
    Effect.try({
      try: () => read(statSync(path).size),
      catch: (cause) => (cause instanceof Error ? cause.message : String(cause))
    }),
    (result) => fileRead(result, sessionId, options)
  )

const fileRead = <S extends FileSession>(
  { session, malformed, unfinished = 0, from, saved }: ReaderResult<S>,
  sessionId: string,
  options: MappingOptions & { readonly source: string }
): FileRead<S> => {
  const mapping = { source: options.source, sessionId: session.id ?? sessionId, syncToolCalls: options.syncToolCalls }
  let events: ReadonlyArray<Event.EventEncoded> | undefined
  const all = () => {
    events ??= SessionEvents.toEvents(session, mapping)
    return events
  }
  const changed =
    from === undefined || session.unchanged === undefined
      ? undefined
      : { since: from, events: SessionEvents.toEvents(session, { ...mapping, skip: session.unchanged }) }
  return {
    session,
    malformed,
    unfinished,
    get events() {
      return all()
    },
    part: { all, ...(changed !== undefined ? { changed } : {}), ...(saved !== undefined ? { saved } : {}) }
  }
}

/**
 * How a file is read: the mapping options, and `again` (`import --again`) to read it from its start, not on from a
 * memo an earlier read left (`Kit.Memo`).
 */
export interface ReadOptions extends MappingOptions {
  readonly again?: boolean
}

/** An agent's session files: where they are, how one is read, and which files the subagents of a session wrote. */
export interface Files<S> {
  /** Every session file the agent keeps, oldest first by modification time. */
  readonly discover: Effect.Effect<ReadonlyArray<SessionFile>>
  /** Where `discover` looks, for `import`'s report. */
  readonly where: string
  /** Reads one file into its events; `sessionId` names the session when the file does not. */
  readonly read: (path: string, sessionId: string, options: ReadOptions) => Effect.Effect<FileRead<S>, string>
  /** The files of the subagents the session read from `path` (`sessionId`, unless it names itself) spawned. */
  readonly subagentsOf: (path: string, read: FileRead<S>, sessionId: string) => Effect.Effect<ReadonlyArray<FollowUp>>
  /** Why a file that was read is not one of the agent's session files, when it is not. */
  readonly notASessionFile: (read: FileRead<S>) => string | undefined
}

/**
 * The events of the subagents the session read from `parent` spawned, and of theirs (`depth` levels): no hook names
 * their files, so they are read with their parent's. A file that cannot be read now is left to the next re-read or
 * `import`.
 */
const subagentParts = <S>(
  files: Files<S>,
  parent: FollowUp,
  read: FileRead<S>,
  options: MappingOptions,
  depth: number
): Effect.Effect<ReadonlyArray<MemoPart>> =>
  depth <= 0
    ? Effect.succeed([])
    : Effect.flatMap(files.subagentsOf(parent.path, read, parent.sessionId), (subagents) =>
        Effect.map(
          Effect.forEach(subagents, (subagent) =>
            files.read(subagent.path, subagent.sessionId, options).pipe(
              Effect.flatMap((theirs) =>
                Effect.map(subagentParts(files, subagent, theirs, options, depth - 1), (below) => [
                  theirs.part,
                  ...below
                ])
              ),
              Effect.catchAll(() => Effect.succeed([]))
            )
          ),
          (found) => found.flat()
        )
      )

/** Re-reads a follow-up's file, and the files of the subagents it spawned: each file as a part of the item. */
const followUpParts = <S>(
  files: Files<S>,
  followUp: FollowUp,
  options: MappingOptions
): Effect.Effect<ReadonlyArray<MemoPart>, FollowUpFailed> =>
  files.read(followUp.path, followUp.sessionId, options).pipe(
    Effect.mapError((reason) => new FollowUpFailed({ path: followUp.path, reason })),
    Effect.flatMap((read) =>
      Effect.map(subagentParts(files, followUp, read, options, 3), (theirs) => [read.part, ...theirs])
    )
  )

/** Re-reads a follow-up's file into its session's events, and the files of the subagents it spawned. */
const followUpOf =
  <S>(files: Files<S>) =>
  (followUp: FollowUp, options: MappingOptions): Effect.Effect<ReadonlyArray<Event.EventEncoded>, FollowUpFailed> =>
    Effect.map(followUpParts(files, followUp, options), (parts) => parts.flatMap((part) => part.all()))

/** One session file as an item of the kit's import loop: not read again while its time and size stay the same. */
const historyItem = <S>(file: SessionFile, files: Files<S>, options: ReadOptions): HistoryItem<never> => ({
  sessionId: file.sessionId,
  label: file.path,
  size: file.size,
  changedAt: file.mtimeMs,
  key: file.path,
  version: Checkpoints.fileVersion(file),
  read: files.read(file.path, file.sessionId, options).pipe(
    Effect.map((read): ItemEvents => {
      const problem = files.notASessionFile(read)
      if (problem === undefined) return partsEvents([read.part], read.malformed, read.unfinished)
      // Nothing malformed, nothing of a session either (empty, or its first line still being written): not one yet
      if (read.malformed === 0) return { ok: true, events: [], malformed: 0, unfinished: read.unfinished }
      return { ok: false, reason: problem, notASession: true }
    }),
    Effect.catchAll((reason) => Effect.succeed({ ok: false, reason: `unreadable: ${reason}` } as const))
  )
})

/**
 * A follow-up as an item of the kit's import loop, under the key and version `import` gives its file: the file is
 * read whole with its subagents' files (`followUp`) every time (`always`: their files change on their own), and only
 * the events the last read of it (by a sync or an import) did not queue are queued. A long session's turn then sends
 * what the turn added, not the whole session again; an `import` after it finds the file unchanged.
 */
const followUpItemOf =
  <S>(files: Files<S>) =>
  (followUp: FollowUp, options: MappingOptions): Effect.Effect<HistoryItem<never>, FollowUpFailed> =>
    Effect.try({
      // Whatever keeps the file from being found (gone, a folder that cannot be entered, a path through a file) fails
      // this follow-up alone.
      try: () => statSync(followUp.path),
      catch: (cause) =>
        new FollowUpFailed({ path: followUp.path, reason: cause instanceof Error ? cause.message : String(cause) })
    }).pipe(
      Effect.map(
        (stats): HistoryItem<never> => ({
          sessionId: followUp.sessionId,
          label: followUp.path,
          size: stats.size,
          key: followUp.path,
          version: Checkpoints.fileVersion(stats),
          always: true,
          read: followUpParts(files, followUp, options).pipe(
            Effect.map((parts): ItemEvents => partsEvents(parts, 0)),
            Effect.catchAll((failed) => Effect.succeed({ ok: false, reason: failed.reason } as const))
          )
        })
      )
    )

type Service = Context.Tag.Service<typeof SessionSource>

/**
 * An agent's session source, made from the environment the kit runs it in: `decode` for its hook calls, its session
 * `files` (re-read after a hook names one, all of them on `import`), and the rest of what it is.
 */
export const sourceLayer = <S>(
  decode: Service["decode"],
  make: (env: Env) => Omit<Service, "decode" | "followUp" | "history"> & { readonly files: Files<S> }
) =>
  Layer.effect(
    SessionSource,
    Effect.map(LocalState.LocalState, ({ agent, env }) => {
      const { files, ...rest } = make(env)
      return SessionSource.of({
        ...rest,
        decode,
        followUp: followUpOf(files),
        followUpItem: followUpItemOf(files),
        history: (options) =>
          Effect.map(files.discover, (found) => {
            const kept = SessionFiles.filesSince(found, options.since)
            const older = ImportText.olderThan(found.length, kept.length, options.since)
            return {
              items: kept.map((file) => historyItem(file, files, options)),
              where: files.where,
              summary: (totals: ImportTotals) => ImportText.sessionFilesSummary(agent, files.where, totals, older)
            }
          })
      })
    })
  )
