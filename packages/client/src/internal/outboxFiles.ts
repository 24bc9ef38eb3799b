import * as path from "node:path"

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

const SPOOL_NAME = /^(\d{13})-(\d{10})-(\d{10})-([0-9a-f]{8})\.(\d{1,9})\.json$/

/** What a spool file name says: when it was appended and how many events it holds. */
export interface SpoolName {
  readonly at: number
  readonly count: number
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
  return match === null ? undefined : { at: Number(match[1]), count: Number(match[5]) }
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

/** Reads a spool file's body, checking it holds the number of events its name announces. */
export const decodeSpool = (
  text: string,
  expected: number
): { readonly events: ReadonlyArray<unknown> } | { readonly error: string } => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    return { error: `invalid JSON (${text.length} bytes): ${error instanceof Error ? error.message : String(error)}` }
  }
  if (typeof parsed !== "object" || parsed === null || !("events" in parsed) || !Array.isArray(parsed.events)) {
    return { error: "not an outbox spool file (no events array)" }
  }
  if (!("v" in parsed) || parsed.v !== SPOOL_VERSION) return { error: "unknown spool file version" }
  if (parsed.events.length !== expected) {
    return { error: `holds ${parsed.events.length} events, its name announces ${expected}` }
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

/** One rejected event, as kept in `rejected/`. */
export const encodeRejected = (record: {
  readonly rejectedAt: number
  readonly reason: string
  readonly source: string
  readonly index: number
  readonly event: unknown
}): string => JSON.stringify({ v: SPOOL_VERSION, ...record })

/** `rejected/<spool name without .json>.<index>.json`: deterministic, so recording a rejection twice is harmless. */
export const rejectedName = (source: string, index: number) => `${source.replace(/\.json$/, "")}.${index}.json`

/** The persisted outcome of the last drains. */
export interface State {
  readonly lastSuccessAt: number | null
  readonly lastErrorAt: number | null
  readonly lastError: string | null
}

export const emptyState: State = { lastSuccessAt: null, lastErrorAt: null, lastError: null }

const numberOrNull = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : null)

export const decodeState = (text: string): State => {
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed !== "object" || parsed === null) return emptyState
    const record = parsed as Record<string, unknown>
    return {
      lastSuccessAt: numberOrNull(record.lastSuccessAt),
      lastErrorAt: numberOrNull(record.lastErrorAt),
      lastError: typeof record.lastError === "string" ? record.lastError : null
    }
  } catch {
    return emptyState
  }
}

/** A success at `at` clears any error recorded before it. */
export const recordSuccess =
  (at: number) =>
  (state: State): State => {
    const lastSuccessAt = Math.max(state.lastSuccessAt ?? at, at)
    return state.lastErrorAt !== null && state.lastErrorAt > lastSuccessAt
      ? { ...state, lastSuccessAt }
      : { lastSuccessAt, lastErrorAt: null, lastError: null }
  }

/** An error at `at` is kept unless a later success or error was already recorded. */
export const recordError =
  (at: number, message: string) =>
  (state: State): State =>
    (state.lastErrorAt !== null && state.lastErrorAt > at) || (state.lastSuccessAt !== null && state.lastSuccessAt > at)
      ? state
      : { ...state, lastErrorAt: at, lastError: message }
