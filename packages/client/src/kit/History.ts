/**
 * The loop behind every agent's `import` (and `sync --session`, and the transcripts a sync re-reads): read each history
 * item in turn (never all at once), redact its events and append them to the outbox in files of up to a thousand
 * events. Event ids are deterministic, so reading an item twice queues the same events again and the server counts
 * them as duplicates. With the bookkeeping (`Checkpoints`), an item imported before is not read again unless it
 * changed, and an append-only file is read on from where the last read stopped.
 */
import { existsSync } from "node:fs"
import { isAbsolute } from "node:path"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import type { Event } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Outbox from "../Outbox.js"
import * as Redactor from "../Redactor.js"
import * as Checkpoints from "./Checkpoints.js"
import * as ImportText from "./ImportText.js"
import type {
  HistoryItem,
  ImportTotals,
  ItemFailure,
  MappingOptions,
  MemoPart,
  ReadFrom,
  SessionStatus
} from "./SessionSource.js"

/** Most events per outbox file: small items share one, a long one is split. */
const EVENTS_PER_APPEND = 1_000
/** How often the bookkeeping's index is written during a long import (and once at the end). */
const SAVE_EVERY_MS = 1_000

/** What a file with nothing to import yet is recorded as skipped for (`Checkpoints.Checkpoint.skipped`). */
const NOTHING_YET = "nothing to import yet"

/** Bytes read, and events sent, between two full garbage collections of a long import (`collectGarbage`). */
export const COLLECT_EVERY_BYTES = 64 * 1024 * 1024
export const COLLECT_EVERY_EVENTS = 25_000

/**
 * A full garbage collection, for an import to run now and then: what an import keeps is small (tens of MiB), but V8
 * lets its heap grow with the run's length while the process allocates fast (an 800 MB archive: heap 141 MiB at the
 * end, 14 MiB of it live), so the peak RSS grew with the archive (258 MiB at 800 MB, 300 at 1,600, with the
 * sender). With a collection every 64 MiB read and every 25,000 events sent it stays flat: 195 and 198 MiB
 * (docs/benchmarks.md). Node exposes the collector once the flag is set; undefined where that fails (another runtime),
 * and the import then runs without.
 */
export const collectGarbage: () => (() => void) | undefined = (() => {
  let collector: (() => void) | null | undefined
  return () => {
    if (collector === undefined) {
      try {
        setFlagsFromString("--expose-gc")
        const gc: unknown = runInNewContext("gc")
        collector = typeof gc === "function" ? (gc as () => void) : null
      } catch {
        collector = null
      }
    }
    return collector ?? undefined
  }
})()

/** Counts work done (bytes read, events sent) and runs `collect` each time `every` more was done. */
export const collectingEvery = (every: number, collect: () => void = () => collectGarbage()?.()) => {
  let since = 0
  return (done: number) => {
    since += done
    if (since >= every) {
      since = 0
      collect()
    }
  }
}

/**
 * Lets the event loop take its I/O (the sender's HTTP responses) before the import reads on: reading and appending
 * are synchronous, and a fiber's `yieldNow` lets only other fibers run, so the sender's first request was answered
 * only once the whole archive was read and the server sat idle meanwhile.
 */
const letIoRun = Effect.async<void>((resume) => {
  const immediate = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(immediate))
})

/** Where an import stands, after each item; `items` and `bytes` count the items done, skipped and unchanged ones too. */
export interface Progress {
  readonly items: number
  readonly totalItems: number
  readonly bytes: number
  readonly totalBytes: number
  readonly events: number
  /** Items found unchanged since the last import (not read). */
  readonly unchanged: number
}

/** How to import. */
export interface ImportOptions {
  /** The bookkeeping: items imported before are read only when they changed. Without it every item is read whole. */
  readonly checkpoints?: Checkpoints.Store
  /** What the user chose to send: a checkpoint made with other options does not count. */
  readonly mapping?: MappingOptions
  /** Read every item whole, as if none had been imported before (its checkpoint is recorded anew). */
  readonly again?: boolean
  readonly onProgress?: (progress: Progress) => void
  /** Runs after each append to the outbox (to send while importing). */
  readonly onAppend?: Effect.Effect<void>
  /** Runs after each `COLLECT_EVERY_BYTES` read; `collectGarbage()`'s collector by default. */
  readonly collect?: () => void
}

/** What reading one item gave. */
type Outcome =
  | { readonly _tag: "Unchanged" }
  /** Left out before as not a session, and unchanged since: not read, not counted. */
  | { readonly _tag: "Ignored" }
  /**
   * A file read for the first time with no event in it yet (empty, its first line still being written, or only lines
   * written before the first prompt): not a session yet, and not reported.
   */
  | { readonly _tag: "NothingYet" }
  | { readonly _tag: "Failed"; readonly reason: string; readonly notASession?: true | undefined }
  | {
      readonly _tag: "Read"
      readonly status: SessionStatus
      readonly events: ReadonlyArray<Event.EventEncoded>
      readonly malformed: number
      readonly unfinished?: number | undefined
      readonly bytes: number
      /** Records the item's checkpoint; run once its events are in the outbox. */
      readonly commit: (() => void) | undefined
    }

/** What the mapping options a checkpoint was made with are recorded as. */
export const fingerprintOf = (mapping: MappingOptions | undefined): string =>
  mapping === undefined ? "" : `tools:${mapping.syncToolCalls ? 1 : 0},thinking:${mapping.syncThinking ? 1 : 0}`

/**
 * A versioned item's reader state: the ids of the events its last read queued (ids are digests of the events'
 * content, so an event read again unchanged has the same id), and the memos its files had after that read
 * (`Kit.Memo`). The next read of the item queues only the others; a file read on from one of those memos gives only
 * the events of what changed since (all of the memo's were queued with the read that left it).
 */
interface QueuedIds {
  readonly queued?: ReadonlyArray<string>
  readonly memos?: ReadonlyArray<string>
}

/**
 * Items that gave fewer events are not remembered by their ids: queuing those again costs less than writing and
 * reading their ids (a state file per session on a first import of thousands).
 */
export const REMEMBER_QUEUED_FROM = 100

const stringsOf = (value: unknown): ReadonlySet<string> | undefined =>
  Array.isArray(value) ? new Set(value.filter((id): id is string => typeof id === "string")) : undefined

const queuedIdsOf = (state: unknown): ReadonlySet<string> | undefined =>
  stringsOf((state as QueuedIds | undefined)?.queued)

/**
 * An item's events from its files' parts: each file read on from a memo its last committed read left gives only what
 * changed since; any other file gives all of its events. `partial` when any part gave only what changed.
 */
const eventsOfParts = (
  parts: ReadonlyArray<MemoPart>,
  committed: ReadonlySet<string> | undefined
): { readonly events: ReadonlyArray<Event.EventEncoded>; readonly partial: boolean } => {
  const events: Array<Event.EventEncoded> = []
  let partial = false
  for (const part of parts) {
    const changed = part.changed
    const since = changed !== undefined && committed?.has(changed.since) === true
    if (since) partial = true
    for (const event of since ? (changed?.events ?? []) : part.all()) events.push(event)
  }
  return { events, partial }
}

/** Where to go on reading a file the bookkeeping knows, or undefined to read it from the start. */
const resumePoint = (
  store: Checkpoints.Store,
  key: string,
  path: string,
  size: number,
  known: Checkpoints.Checkpoint
): ReadFrom | undefined => {
  const { offset, tail } = known
  if (offset === undefined || tail === undefined || size < offset) return undefined
  if (!Checkpoints.hasTail(path, offset, tail)) return undefined
  if (known.state !== true) return { offset, state: undefined }
  const state = store.state(key)
  return state === undefined ? undefined : { offset, state }
}

/** Whether a checkpoint was recorded for the item as it is now: its file's size and time, or its version. */
const holds = (known: Checkpoints.Checkpoint, item: HistoryItem<unknown>): boolean =>
  item.file === undefined
    ? known.version !== undefined && known.version === item.version
    : Checkpoints.holdsFile(known, { size: item.size, mtimeMs: item.file.mtimeMs })

/**
 * The key under which the bookkeeping recorded this item, unchanged, before its file moved (Codex moves a rollout into
 * `archived_sessions/` as it is): a checkpoint of the same session, made with the same options, of a file of the same
 * size and modification time (a move keeps both), under a key that is gone (not among the items of this run, and no
 * file there). Undefined when there is none.
 */
const movedFrom = (
  store: Checkpoints.Store,
  item: HistoryItem<unknown>,
  fingerprint: string,
  present: (key: string) => boolean
): string | undefined => {
  for (const key of store.keysOf(item.sessionId)) {
    const known = store.get(key)
    if (key === item.key || known === undefined || known.options !== fingerprint || present(key)) continue
    if (holds(known, item) && !(isAbsolute(key) && existsSync(key))) return key
  }
  return undefined
}

const failed = (failure: ItemFailure): Outcome => ({
  _tag: "Failed",
  reason: failure.reason,
  ...(failure.notASession === true ? { notASession: true } : {})
})

/** Reads one item: not at all when the bookkeeping says it has not changed, on from its checkpoint when it can. */
export const readItem = <E>(
  item: HistoryItem<E>,
  store: Checkpoints.Store | undefined,
  fingerprint: string,
  again = false,
  /** Whether a key is one of this run's items (a checkpoint under another key may be of a file that moved). */
  present: (key: string) => boolean = () => true
): Effect.Effect<Outcome, E> =>
  Effect.gen(function* () {
    const key = item.key
    if (store === undefined || key === undefined || (item.file === undefined && item.version === undefined)) {
      const result = yield* item.read
      if (!result.ok) return failed(result)
      if (result.events.length === 0) return { _tag: "NothingYet" } as const
      return { _tag: "Read", status: "new", ...result, bytes: item.size, commit: undefined } as const
    }
    const recorded = store.get(key)
    if (
      recorded?.skipped !== undefined &&
      recorded.options === fingerprint &&
      !again &&
      item.always !== true &&
      holds(recorded, item)
    ) {
      return { _tag: "Ignored" } as const
    }
    // What was left out as not a session and has changed since is read as a new item.
    const previous = recorded?.skipped === undefined ? recorded : undefined
    const moved =
      previous === undefined && !again && item.always !== true
        ? movedFrom(store, item, fingerprint, present)
        : undefined
    if (moved !== undefined) {
      // The file moved as it was: what was read of it is queued or sent; its checkpoint (and state) follows it.
      const checkpoint = store.get(moved) as Checkpoints.Checkpoint
      store.put(key, checkpoint, store.state(moved))
      store.drop(moved)
      return checkpoint.skipped === undefined ? ({ _tag: "Unchanged" } as const) : ({ _tag: "Ignored" } as const)
    }
    const known = previous?.options === fingerprint && !again ? previous : undefined
    const { sessionId } = item
    const file = item.file
    if (file === undefined) {
      const version = item.version as string
      if (known?.version === version && item.always !== true) return { _tag: "Unchanged" } as const
      const result = yield* item.read
      if (!result.ok) return failed(result)
      // Read whole, but queued only in part: what the last read queued is in the outbox or on the server already.
      const state = known === undefined ? undefined : store.state(key)
      const queued = queuedIdsOf(state)
      const { events: read, partial } =
        result.parts === undefined
          ? { events: result.events, partial: false }
          : eventsOfParts(result.parts, stringsOf((state as QueuedIds | undefined)?.memos))
      // Nothing in it yet (a session file empty, or its first line still being written)
      if (previous === undefined && read.length === 0 && !partial) return { _tag: "NothingYet" } as const
      // The same events as the last read (a file touched, or rewritten as it was): nothing to queue
      const digest = partial ? undefined : Checkpoints.eventsDigest(read)
      const same = digest !== undefined && known?.events === digest
      const events = same ? [] : queued === undefined ? read : read.filter((event) => !queued.has(event.id))
      const memos = result.parts?.flatMap((part) => (part.saved === undefined ? [] : [part.saved])) ?? []
      // After a partial read the ids are few (what changed) and all kept: the next read of what did not change again
      // then queues nothing.
      const ids = partial || read.length >= REMEMBER_QUEUED_FROM ? read.map((event) => event.id) : undefined
      const remember: QueuedIds | undefined =
        ids === undefined && memos.length === 0
          ? undefined
          : { ...(ids !== undefined ? { queued: ids } : {}), ...(memos.length > 0 ? { memos } : {}) }
      const commit = () =>
        store.put(
          key,
          { sessionId, options: fingerprint, version, ...(digest !== undefined ? { events: digest } : {}) },
          // (nothing queued this time: what the last read remembered still holds)
          same && known?.state === true ? store.state(key) : remember
        )
      const status =
        previous === undefined ? "new" : known !== undefined && events.length === 0 ? "unchanged" : "updated"
      const { malformed, unfinished } = result
      return { _tag: "Read", status, events, malformed, unfinished, bytes: item.size, commit } as const
    }
    if (known !== undefined && known.size === item.size && known.mtimeMs === file.mtimeMs) {
      return { _tag: "Unchanged" } as const
    }
    // Touched, not changed (`touch`, a backup or sync tool that sets times): nothing was appended after where the last
    // read stopped, and the bytes before it are what they were. Unchanged; its new time is recorded.
    if (
      known?.size === item.size &&
      known.offset === item.size &&
      known.tail !== undefined &&
      Checkpoints.hasTail(file.path, item.size, known.tail)
    ) {
      store.put(key, { ...known, mtimeMs: file.mtimeMs }, known.state === true ? store.state(key) : undefined)
      return { _tag: "Unchanged" } as const
    }
    const from = known === undefined ? undefined : resumePoint(store, key, file.path, item.size, known)
    const result = yield* file.readFrom(from)
    if (!result.ok) return failed(result)
    if (previous === undefined && result.events.length === 0) return { _tag: "NothingYet" } as const
    const goesOn = from !== undefined && !result.fromStart
    const tail = Checkpoints.tailOf(file.path, result.nextOffset)
    const commit =
      tail === undefined
        ? undefined
        : () =>
            store.put(
              key,
              {
                sessionId,
                options: fingerprint,
                size: item.size,
                mtimeMs: file.mtimeMs,
                offset: result.nextOffset,
                tail
              },
              result.state
            )
    const nothingNew = goesOn && result.nextOffset === from.offset && result.events.length === 0
    return {
      _tag: "Read",
      status: previous === undefined ? "new" : nothingNew ? "unchanged" : "updated",
      events: result.events,
      malformed: result.malformed,
      unfinished: result.unfinished,
      bytes: goesOn ? Math.max(0, item.size - from.offset) : item.size,
      commit
    } as const
  })

const statusOf = (seen: { new: boolean; updated: boolean; unchanged: boolean }): SessionStatus =>
  seen.new && !seen.updated && !seen.unchanged ? "new" : seen.new || seen.updated ? "updated" : "unchanged"

/**
 * Imports the items in order. An item that cannot be read is skipped with its reason; an outbox write failure, or an
 * error of the agent's store, stops the import (what was queued before stays queued, and its checkpoints recorded).
 */
export const importItems = <E>(
  items: ReadonlyArray<HistoryItem<E>>,
  options: ImportOptions | ((progress: Progress) => void) = {}
): Effect.Effect<ImportTotals, E | Outbox.OutboxWriteFailed, Outbox.Outbox | Redactor.Redactor> =>
  Effect.gen(function* () {
    const {
      checkpoints: store,
      mapping,
      onProgress,
      onAppend,
      again,
      collect
    } = typeof options === "function" ? ({ onProgress: options } as ImportOptions) : options
    const fingerprint = fingerprintOf(mapping)
    const keys = new Set(items.map((item) => item.key))
    const present = (key: string) => keys.has(key)
    const outbox = yield* Outbox.Outbox
    const totalItems = items.length
    let totalBytes = 0
    for (const item of items) totalBytes += item.size
    const sessions = new Set<string>()
    const seen = new Map<string, { new: boolean; updated: boolean; unchanged: boolean }>()
    const skipped: Array<{ label: string; reason: string }> = []
    let done = 0
    let doneBytes = 0
    let imported = 0
    let importedBytes = 0
    let events = 0
    let malformed = 0
    const malformedIn: Array<{ label: string; lines: number }> = []
    let unfinished = 0
    // Items found that hold no session (yet): nothing in them to import, or left out before as not a session
    let noSession = 0
    let unchanged = 0
    const collected = collectingEvery(COLLECT_EVERY_BYTES, collect)

    // Events of small items are gathered into outbox files of up to EVENTS_PER_APPEND events (one file each would
    // cost a file creation per item); at most that many wait in memory besides the current item's. An item's
    // checkpoint is recorded once all of its events are appended.
    let buffered: Array<Event.EventEncoded> = []
    let queued = 0
    let appended = 0
    const waiting: Array<{ readonly upTo: number; readonly commit: () => void }> = []
    let savedAt = Date.now()
    const record = (final: boolean) => {
      if (store === undefined) return
      while (waiting.length > 0 && waiting[0].upTo <= appended) waiting.shift()?.commit()
      if (final || Date.now() - savedAt >= SAVE_EVERY_MS) {
        store.save()
        savedAt = Date.now()
      }
    }
    const flush = (all: boolean) =>
      Effect.gen(function* () {
        let start = 0
        while (buffered.length - start >= (all ? 1 : EVENTS_PER_APPEND)) {
          const chunk = buffered.slice(start, start + EVENTS_PER_APPEND)
          yield* outbox.append(yield* Redactor.redactEvents(chunk))
          start += chunk.length
          appended += chunk.length
          if (onAppend !== undefined) yield* onAppend
        }
        buffered = buffered.slice(start)
        yield* Effect.try(() => record(false)).pipe(Effect.ignore)
      })

    // An item left out as not a session is remembered so, with what it was (its size and time, or version).
    const remember = (item: HistoryItem<E>, reason: string) => {
      if (store === undefined || item.key === undefined || item.always === true) return
      const what =
        item.file !== undefined
          ? { size: item.size, mtimeMs: item.file.mtimeMs }
          : item.version !== undefined
            ? { version: item.version }
            : undefined
      if (what !== undefined)
        store.put(item.key, { sessionId: item.sessionId, options: fingerprint, ...what, skipped: reason })
    }

    const loop = Effect.gen(function* () {
      for (const item of items) {
        const outcome = yield* readItem(item, store, fingerprint, again, present)
        const session = seen.get(item.sessionId) ?? { new: false, updated: false, unchanged: false }
        if (outcome._tag === "Unchanged") {
          session.unchanged = true
          unchanged++
        } else if (outcome._tag === "Failed") {
          skipped.push({ label: item.label, reason: outcome.reason })
          if (outcome.notASession === true) remember(item, outcome.reason)
        } else if (outcome._tag === "Ignored") {
          unchanged++
          noSession++
        } else if (outcome._tag === "NothingYet") {
          // Remembered with its size and time (as a file that is not a session), so it is read again once it grows.
          remember(item, NOTHING_YET)
          unchanged++
          noSession++
        } else {
          session[outcome.status] = true
          for (const event of outcome.events) buffered.push(event)
          queued += outcome.events.length
          if (outcome.commit !== undefined) waiting.push({ upTo: queued, commit: outcome.commit })
          sessions.add(item.sessionId)
          imported++
          importedBytes += outcome.bytes
          events += outcome.events.length
          malformed += outcome.malformed
          if (outcome.malformed > 0) malformedIn.push({ label: item.label, lines: outcome.malformed })
          unfinished += outcome.unfinished ?? 0
        }
        if (outcome._tag === "Read" || outcome._tag === "Unchanged") seen.set(item.sessionId, session)
        done++
        doneBytes += item.size
        yield* flush(done === totalItems)
        if (outcome._tag === "Read") collected(outcome.bytes)
        onProgress?.({ items: done, totalItems, bytes: doneBytes, totalBytes, events, unchanged })
        // After a read only: an unchanged item takes a stat, and a second import meets thousands of them.
        if (onAppend !== undefined && outcome._tag === "Read") yield* letIoRun
      }
      yield* flush(true)
    })
    yield* loop.pipe(Effect.ensuring(Effect.try(() => record(true)).pipe(Effect.ignore)))

    const found = { sessions: seen.size, new: 0, updated: 0, unchanged: 0, waiting: noSession }
    for (const session of seen.values()) found[statusOf(session)]++
    const totals: ImportTotals = {
      sessions: sessions.size,
      items: imported,
      bytes: importedBytes,
      events,
      malformed,
      malformedIn,
      unfinished,
      skipped,
      found
    }
    return totals
  })

/** `800 sessions (12 new, 3 updated, 785 unchanged)`: what an import found. */
export const foundText = (totals: ImportTotals): string => ImportText.foundText(totals.found)
