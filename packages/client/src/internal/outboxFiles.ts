import * as path from "node:path"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/** The directories and files of one outbox. */
export interface Layout {
  readonly root: string
  readonly tmp: string
  readonly pending: string
  readonly sending: string
  readonly rejected: string
  readonly corrupt: string
  readonly state: string
}

export const layout = (root: string): Layout => ({
  root,
  tmp: path.join(root, "tmp"),
  pending: path.join(root, "pending"),
  sending: path.join(root, "sending"),
  rejected: path.join(root, "rejected"),
  corrupt: path.join(root, "corrupt"),
  state: path.join(root, "state.json")
})

export const directories = (l: Layout): ReadonlyArray<string> => [l.tmp, l.pending, l.sending, l.rejected, l.corrupt]

const pad = (n: number, width: number) => String(n).padStart(width, "0")
const random8 = () =>
  Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, "0")

const SPOOL_NAME =
  /^((\d{13})-(\d{10})-(\d{10})-([0-9a-f]{8}))(?:\.e(\d{1,9})\.a(\d{1,3})\.n(\d{13}))?\.(\d{1,9})\.json$/

/** An event the server failed on, set back for another try: where it came from, tries so far, when it may go again. */
export interface RetryMark {
  /** Its index in the file it was first appended in. */
  readonly index: number
  readonly attempts: number
  readonly notBefore: number
}

/** What a spool file name says: when it was appended, how many events it holds, and whether it waits for a retry. */
export interface SpoolName {
  /** `<at>-<pid>-<seq>-<rand>`: the append it comes from. */
  readonly stem: string
  readonly at: number
  readonly count: number
  readonly retry: RetryMark | undefined
}

/**
 * Names sort by append time, then pid, then a per-process sequence, so one process's appends keep their order;
 * the random part keeps two processes that share a pid (after a restart) apart. The time never goes backwards within
 * one namer, even when the wall clock does.
 */
export const makeNamer = (pid: number) => {
  let last = 0
  let seq = 0
  return (now: number, count: number): string => {
    last = Math.max(last, now)
    seq += 1
    return `${pad(last, 13)}-${pad(pid, 10)}-${pad(seq, 10)}-${random8()}.${count}.json`
  }
}

export const parseName = (name: string): SpoolName | undefined => {
  const match = SPOOL_NAME.exec(name)
  if (match === null) return undefined
  const retry =
    match[6] === undefined
      ? undefined
      : { index: Number(match[6]), attempts: Number(match[7]), notBefore: Number(match[8]) }
  return { stem: match[1], at: Number(match[2]), count: Number(match[9]), retry }
}

/** `<stem>.e<index>.a<attempts>.n<notBefore>.1.json`: one event waiting for its next try; sorts with its append. */
export const retryName = (stem: string, mark: RetryMark) =>
  `${stem}.e${mark.index}.a${mark.attempts}.n${pad(mark.notBefore, 13)}.1.json`

/** The index an event of `file` had in its original append (stable across retries). */
export const originalIndex = (file: SpoolName, index: number) => file.retry?.index ?? index

/** What the names of pending (and claimed) spool files say, without reading them; retries due are counted at `now`. */
export const countPending = (names: ReadonlyArray<string>, now: number) => {
  let pending = 0
  let pendingFiles = 0
  let oldestPendingAt: number | null = null
  let retrying = 0
  let nextRetryAt: number | null = null
  for (const name of names) {
    const parsed = parseName(name)
    if (parsed === undefined) continue
    pending += parsed.count
    pendingFiles += 1
    oldestPendingAt = oldestPendingAt === null ? parsed.at : Math.min(oldestPendingAt, parsed.at)
    if (parsed.retry !== undefined && parsed.retry.attempts > 0) {
      retrying += parsed.count
      const at = Math.max(parsed.retry.notBefore, now)
      nextRetryAt = nextRetryAt === null ? at : Math.min(nextRetryAt, at)
    }
  }
  return { pending, pendingFiles, oldestPendingAt, retrying, nextRetryAt }
}

/** A name for a drainer's claim directory, sortable by creation time. */
export const ownerName = (now: number, pid: number) => `${pad(now, 13)}-${pad(pid, 10)}-${random8()}`

/** Names of temporary files that are not spool files (state, rejected records): safe to delete once stale. */
export const scratchName = (pid: number) => `x-${pad(pid, 10)}-${random8()}${random8()}`
export const isScratch = (name: string) => name.startsWith("x-")

const SPOOL_VERSION = 1

/** Serialises events into the body of one spool file; throws when they are not JSON. */
export const encodeSpool = (events: ReadonlyArray<unknown>): string =>
  `{"v":${SPOOL_VERSION},"events":${JSON.stringify(events)}}`

const SPOOL_HEAD = Buffer.from(`{"v":${SPOOL_VERSION},"events":[`)
const SPOOL_TAIL = Buffer.from("]}")

/**
 * The bytes of a spool file's events as `encodeSpool` wrote them (the JSON between its array's brackets, empty for no
 * events), or undefined when the file does not have that exact shape (another writer, damage): such a file is parsed.
 * Nothing inside is checked: the server parses it, and a request it fails on is parsed and split as any other.
 */
export const spoolEventBytes = (bytes: Buffer): Buffer | undefined => {
  if (bytes.length < SPOOL_HEAD.length + SPOOL_TAIL.length) return undefined
  if (!bytes.subarray(0, SPOOL_HEAD.length).equals(SPOOL_HEAD)) return undefined
  if (!bytes.subarray(bytes.length - SPOOL_TAIL.length).equals(SPOOL_TAIL)) return undefined
  return bytes.subarray(SPOOL_HEAD.length, bytes.length - SPOOL_TAIL.length)
}

const BODY_HEAD = Buffer.from('{"events":[')
const BODY_COMMA = Buffer.from(",")
const BODY_TAIL = Buffer.from("]}")

/** A `POST /sync/events` body holding the events of spool files, from their bytes (`spoolEventBytes`), in order. */
export const requestBody = (parts: ReadonlyArray<Buffer>): Buffer => {
  const chunks: Array<Buffer> = [BODY_HEAD]
  for (const part of parts) {
    if (part.length === 0) continue
    if (chunks.length > 1) chunks.push(BODY_COMMA)
    chunks.push(part)
  }
  chunks.push(BODY_TAIL)
  return Buffer.concat(chunks)
}

/**
 * The complete events at the start of a spool body that was cut short (a crash mid-write, a full disk, a bad sector):
 * scans `{"v":1,"events":[` value by value and stops at the first that is incomplete.
 */
export const salvageEvents = (text: string): ReadonlyArray<unknown> => {
  const prefix = /^\s*\{\s*"v"\s*:\s*1\s*,\s*"events"\s*:\s*\[\s*/.exec(text)
  if (prefix === null) return []
  const events: Array<unknown> = []
  let start = prefix[0].length
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === "\\") i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === "{" || c === "[") depth++
    else if ((c === "}" || c === "]") && depth > 0) depth--
    else if (depth === 0 && (c === "," || c === "]")) {
      try {
        events.push(JSON.parse(text.slice(start, i)))
      } catch {
        return events
      }
      if (c === "]") return events
      start = i + 1
    }
  }
  return events
}

/** A spool body that cannot be used as a whole: why, and the complete events that could still be read from it. */
export interface Unreadable {
  readonly error: string
  readonly salvaged: ReadonlyArray<unknown>
}

/** Reads a spool file's body, checking it holds the number of events its name announces. */
export const decodeSpool = (
  text: string,
  expected: number
): { readonly events: ReadonlyArray<unknown> } | Unreadable => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    const salvaged = salvageEvents(text)
    const reason = error instanceof Error ? error.message : String(error)
    const read = text.length === 0 ? "empty file" : `invalid JSON (${text.length} bytes): ${reason}`
    return { error: `${read}; ${salvaged.length} of ${expected} events could be read`, salvaged }
  }
  if (typeof parsed !== "object" || parsed === null || !("events" in parsed) || !Array.isArray(parsed.events)) {
    return { error: "not an outbox spool file (no events array)", salvaged: [] }
  }
  if (!("v" in parsed) || parsed.v !== SPOOL_VERSION) return { error: "unknown spool file version", salvaged: [] }
  if (parsed.events.length !== expected) {
    return { error: `holds ${parsed.events.length} events, its name announces ${expected}`, salvaged: parsed.events }
  }
  return { events: parsed.events }
}

/** Bytes of the request envelope `{"events":[]}` plus slack. */
export const ENVELOPE_BYTES = 16

/** Bytes an event adds to a request body (its JSON and a comma). */
export const eventBytes = (event: unknown): number => Buffer.byteLength(JSON.stringify(event) ?? "null") + 1

/** Splits sizes into consecutive [start, end) ranges of at most `maxEvents` events and `maxBytes` bytes each. */
export const planRequests = (
  sizes: ReadonlyArray<number>,
  maxEvents: number,
  maxBytes: number
): ReadonlyArray<readonly [number, number]> => {
  const ranges: Array<readonly [number, number]> = []
  let start = 0
  let bytes = ENVELOPE_BYTES
  for (let i = 0; i < sizes.length; i++) {
    if (i > start && (i - start >= maxEvents || bytes + sizes[i] > maxBytes)) {
      ranges.push([start, i])
      start = i
      bytes = ENVELOPE_BYTES
    }
    bytes += sizes[i]
  }
  if (start < sizes.length) ranges.push([start, sizes.length])
  return ranges
}

/** The server's per-event answer, as far as the outbox needs it. */
export interface Answer {
  readonly stored: ReadonlyArray<string>
  readonly duplicates: ReadonlyArray<string>
  readonly stale: ReadonlyArray<string>
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly id: string | null; readonly error: string }>
  /** Events of sessions the user deleted on the server: accepted as final, dropped quietly. */
  readonly deleted?: ReadonlyArray<string> | undefined
}

/** Why an answer cannot be trusted to account for a batch of `size` events, or undefined when it can. */
export const answerProblem = (answer: Answer, size: number): string | undefined => {
  const seen = new Set<number>()
  for (const r of answer.rejected) {
    if (!Number.isInteger(r.index) || r.index < 0 || r.index >= size || seen.has(r.index)) {
      return `the server's answer rejects event index ${r.index} of a batch of ${size}`
    }
    seen.add(r.index)
  }
  const covered =
    answer.stored.length +
    answer.duplicates.length +
    answer.stale.length +
    answer.rejected.length +
    (answer.deleted?.length ?? 0)
  return covered === size ? undefined : `the server's answer accounts for ${covered} of ${size} events`
}

/** One event set aside in `rejected/`: why, how often it was tried, and the event itself (to send it again). */
export const RejectedRecord = Schema.Struct({
  v: Schema.Literal(SPOOL_VERSION),
  rejectedAt: Schema.Number,
  /** The server's answer (or why it was never sent). */
  reason: Schema.String,
  /** The HTTP status of that answer, when there was one. */
  status: Schema.optional(Schema.NullOr(Schema.Number)),
  /** Requests that failed on it, when the server failed rather than refused it. */
  attempts: Schema.optional(Schema.Number),
  /** The spool file it was appended in, and its index there. */
  source: Schema.String,
  index: Schema.Number,
  event: Schema.Unknown
})
export type RejectedRecord = typeof RejectedRecord.Type

export const encodeRejected = (record: Omit<RejectedRecord, "v">): string =>
  JSON.stringify({ v: SPOOL_VERSION, ...record })

export const decodeRejected = Schema.decodeUnknownOption(Schema.parseJson(RejectedRecord))

/**
 * `rejected/event-<id>.json`: one name per event, so the same event refused again (queued again by the next import
 * or turn) is one record, not one more; `<stem>.<index>.json` (one per appended event) for an event without a plain id.
 */
export const rejectedName = (stem: string, index: number, id: string | null) =>
  id !== null && /^[\w-]{1,160}$/.test(id) ? `event-${id}.json` : `${stem}.${index}.json`

/** The persisted outcome of the last drains (`state.json`). */
export const State = Schema.Struct({
  lastSuccessAt: Schema.NullOr(Schema.Number),
  lastErrorAt: Schema.NullOr(Schema.Number),
  lastError: Schema.NullOr(Schema.String),
  /** Events dropped because their session was deleted on the server, over all drains. */
  deleted: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  /** The newest event the server failed on (alone): when, which, its answer, its tries and next try (null: set aside). */
  lastFailed: Schema.optionalWith(
    Schema.NullOr(
      Schema.Struct({
        at: Schema.Number,
        id: Schema.NullOr(Schema.String),
        reason: Schema.String,
        status: Schema.NullOr(Schema.Number),
        attempts: Schema.Number,
        retryAt: Schema.NullOr(Schema.Number)
      })
    ),
    { default: () => null }
  ),
  /** The last event set aside: when, which, and the server's answer. */
  lastRejected: Schema.optionalWith(
    Schema.NullOr(Schema.Struct({ at: Schema.Number, id: Schema.NullOr(Schema.String), reason: Schema.String })),
    { default: () => null }
  )
})
export type State = typeof State.Type

export const emptyState: State = {
  lastSuccessAt: null,
  lastErrorAt: null,
  lastError: null,
  deleted: 0,
  lastFailed: null,
  lastRejected: null
}

const decodeStateOption = Schema.decodeUnknownOption(Schema.parseJson(State))

/** The state in `text`; an unreadable state file counts as empty (it only feeds `stats`). */
export const decodeState = (text: string): State => Option.getOrElse(decodeStateOption(text), () => emptyState)

/** A success at `at` clears any error recorded before it. */
export const recordSuccess =
  (at: number) =>
  (state: State): State => {
    const lastSuccessAt = Math.max(state.lastSuccessAt ?? at, at)
    return state.lastErrorAt !== null && state.lastErrorAt > lastSuccessAt
      ? { ...state, lastSuccessAt }
      : { ...state, lastSuccessAt, lastErrorAt: null, lastError: null }
  }

/** An error at `at` is kept unless a later success or error was already recorded. */
export const recordError =
  (at: number, message: string) =>
  (state: State): State =>
    (state.lastErrorAt !== null && state.lastErrorAt > at) || (state.lastSuccessAt !== null && state.lastSuccessAt > at)
      ? state
      : { ...state, lastErrorAt: at, lastError: message }

/** Adds `count` events dropped as deleted on the server. */
export const recordDeleted =
  (count: number) =>
  (state: State): State =>
    count === 0 ? state : { ...state, deleted: state.deleted + count }

/** Remembers the newest event the server failed on; a success does not clear it (`stats` shows it while it waits). */
export const recordFailed =
  (failed: NonNullable<State["lastFailed"]>) =>
  (state: State): State =>
    state.lastFailed !== null && state.lastFailed.at > failed.at ? state : { ...state, lastFailed: failed }

/** Remembers the newest event set aside. */
export const recordRejected =
  (rejected: { readonly at: number; readonly id: string | null; readonly reason: string }) =>
  (state: State): State =>
    state.lastRejected !== null && state.lastRejected.at > rejected.at ? state : { ...state, lastRejected: rejected }

/** The `id` of an event, when it has one. */
export const idOf = (event: unknown): string | null =>
  typeof event === "object" && event !== null && "id" in event && typeof event.id === "string" ? event.id : null
