/**
 * What the import loop remembers of every history item it read, so the next `import` (and the `sync` after a turn)
 * reads only what changed: per item, the version it read (a file's size and modification time, or the agent's own
 * version string) and, for an append-only file, where the read stopped (the byte offset past the last line read and a
 * digest of that line's last bytes) with the agent's state to go on from there. A file that no longer has that line
 * at that place was rewritten or truncated, and is read again from the start.
 *
 * Files: `<state>/imported/index.json` (every item's checkpoint, read once per run) and
 * `<state>/imported/state/<digest of the key>.json` (an item's reader state, read only when the item is read again).
 * A checkpoint is recorded only after the events of what it covers are in the outbox, so a run killed at any point
 * re-reads at most what it had not queued yet (event ids are deterministic: the server ignores the duplicates).
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Digest from "./Digest.js"

/** Where an earlier read of an append-only file stopped: its last line's place and digest. */
export interface Tail {
  /** Where the digested bytes start: the start of the last line read, or 4 KiB before `offset` when it is longer. */
  readonly start: number
  readonly digest: string
}

/** What the bookkeeping keeps of one item. */
export interface Checkpoint {
  readonly sessionId: string
  /** The mapping options it was read with (a change reads everything again). */
  readonly options: string
  /** Files: the size and modification time at the read; both unchanged means nothing to read. */
  readonly size?: number
  readonly mtimeMs?: number
  /** Files: the byte offset the next read goes on from, and the last line before it. */
  readonly offset?: number
  readonly tail?: Tail
  /** Other items: the version read (e.g. an update time). */
  readonly version?: string
  /**
   * Versioned items: a digest of the ids of the events their last read gave (ids digest content): a read that gives
   * the same ones (a file touched, or rewritten as it was) queues nothing.
   */
  readonly events?: string
  /** Recorded by live sync: the number of the inbox item that brought the item to `version` (`Decoded.read`). */
  readonly part?: number
  /** Whether a reader state was saved with it. */
  readonly state?: boolean
  /**
   * Left out as not a session of the agent's (`SessionSource.ItemFailure.notASession`), and why: not read again while
   * its size and time (or version) stay the same, nor counted as a session.
   */
  readonly skipped?: string
}

/**
 * The version of a file read whole whenever it changes (an agent's session file that is rewritten, not appended to):
 * its modification time and size.
 */
export const fileVersion = (file: { readonly size: number; readonly mtimeMs: number }): string =>
  `${file.mtimeMs}:${file.size}`

/** Whether `known` was recorded for the file as it is now: same size and time, by either kind of checkpoint. */
export const holdsFile = (known: Checkpoint, file: { readonly size: number; readonly mtimeMs: number }): boolean =>
  known.version === undefined
    ? known.size === file.size && known.mtimeMs === file.mtimeMs
    : known.version === fileVersion(file)

interface Index {
  readonly v: 1
  /** The server the items were sent to: another server has none of them. */
  readonly server: string | null
  readonly items: Record<string, Checkpoint>
}

const TAIL_BYTES = 4_096

const digestOf = (bytes: Uint8Array): string => Digest.sha256().update(bytes).digest("base64url").slice(0, 32)

/** The digest `Checkpoint.events` keeps of the events a read gave (their ids, in order). */
export const eventsDigest = (events: ReadonlyArray<{ readonly id: string }>): string => {
  const hash = Digest.sha256()
  for (const event of events) hash.update(`${event.id}\n`)
  return hash.digest("base64url").slice(0, 32)
}

const writeAtomic = (dir: string, file: string, text: string) => {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const temp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(temp, text, { mode: 0o600 })
    renameSync(temp, file)
  } catch (cause) {
    rmSync(temp, { force: true })
    throw cause
  }
}

/** The up to 4 KiB before `offset` in the file at `path`, from `from`; undefined when it cannot be read there. */
const bytesBefore = (path: string, offset: number): { readonly from: number; readonly bytes: Buffer } | undefined => {
  let fd: number
  try {
    fd = openSync(path, "r")
  } catch {
    return undefined
  }
  try {
    const from = Math.max(0, offset - TAIL_BYTES)
    const bytes = Buffer.alloc(offset - from)
    return readSync(fd, bytes, 0, bytes.length, from) === bytes.length ? { from, bytes } : undefined
  } finally {
    closeSync(fd)
  }
}

/**
 * The last line before `offset` in the file at `path` (its last 4 KiB when longer), as a `Tail`; undefined when the
 * file cannot be read there (gone, shorter).
 */
export const tailOf = (path: string, offset: number): Tail | undefined => {
  if (offset <= 0) return { start: 0, digest: digestOf(new Uint8Array(0)) }
  const before = bytesBefore(path, offset)
  if (before === undefined) return undefined
  const { from, bytes } = before
  // The line ends at `offset` (its line break just before it, or none at the end of the file).
  const end = bytes[bytes.length - 1] === 0x0a ? bytes.length - 1 : bytes.length
  const newline = bytes.lastIndexOf(0x0a, end - 1)
  const start = newline < 0 ? 0 : newline + 1
  return { start: from + start, digest: digestOf(bytes.subarray(start)) }
}

/**
 * The tail of `tailOf`, but of the up to 4 KiB before `offset` whatever its lines: for a file whose last line read may
 * be short or blank (a digest of one line break alone would match any rewrite with a line break there).
 */
export const spanTailOf = (path: string, offset: number): Tail | undefined => {
  const before = bytesBefore(path, offset)
  return before === undefined ? undefined : { start: before.from, digest: digestOf(before.bytes) }
}

/** Whether the file still has, before `offset`, the bytes an earlier read saw there. */
export const hasTail = (path: string, offset: number, tail: Tail): boolean => {
  if (tail.start > offset || offset - tail.start > TAIL_BYTES) return false
  let fd: number
  try {
    fd = openSync(path, "r")
  } catch {
    return false
  }
  try {
    const bytes = Buffer.alloc(offset - tail.start)
    return readSync(fd, bytes, 0, bytes.length, tail.start) === bytes.length && digestOf(bytes) === tail.digest
  } finally {
    closeSync(fd)
  }
}

/** The bookkeeping of one agent's state directory, loaded once; `save` writes what changed. */
export interface Store {
  readonly get: (key: string) => Checkpoint | undefined
  /** The reader state saved with an item's checkpoint, or undefined (none, unreadable, or not the checkpoint's). */
  readonly state: (key: string) => unknown
  /** Records an item's checkpoint (and its reader state, written at once); the index is written by `save`. */
  readonly put: (key: string, checkpoint: Checkpoint, state?: unknown) => void
  /** Forgets an item (its next read starts over). */
  readonly drop: (key: string) => void
  /** The keys of the items recorded for a session (an item's file may have moved: another key, the same session). */
  readonly keysOf: (sessionId: string) => ReadonlyArray<string>
  /** Writes the index when something changed; throws when the disk refuses (nothing is lost: items are re-read). */
  readonly save: () => void
  /** How many items it holds. */
  readonly size: () => number
}

/** Where the bookkeeping lives in a state directory. */
export const directory = (stateDir: string) => join(stateDir, "imported")

/**
 * Forgets what was read: the next import reads every item whole again (the server answers what it has as
 * duplicates). For when queued events were lost after their items were recorded as read (an outbox file damaged).
 */
export const forget = (stateDir: string): void => rmSync(join(directory(stateDir), "index.json"), { force: true })

const stateFile = (dir: string, key: string) =>
  join(dir, "state", `${Digest.sha256().update(key).digest("hex").slice(0, 32)}.json`)

/** The separator between a destination's URL and its key's fingerprint. */
const KEY_PART = " key "

/**
 * Whom items are sent to: the server's URL and a fingerprint of the API key, the account on it (16 hex digits of its
 * SHA-256). Checkpoints recorded for another destination do not count: logging in to the same URL as another user, or
 * to a server whose store was started over (a new store makes new keys), reads everything again, since none of it is
 * there. (Keyed by the URL alone, such an import answered "0 new" and sent nothing.) A new key for the same account
 * reads everything again too; the server knows the events and answers them as duplicates.
 */
export const destination = (serverUrl: string | undefined, apiKey: string | undefined): string | null =>
  serverUrl === undefined
    ? null
    : apiKey === undefined
      ? serverUrl
      : `${serverUrl}${KEY_PART}${Digest.sha256().update(apiKey).digest("hex").slice(0, 16)}`

const readIndex = (file: string, server: string | null): Record<string, Checkpoint> => {
  try {
    const json = JSON.parse(readFileSync(file, "utf8")) as Partial<Index>
    if (json.v !== 1 || typeof json.items !== "object" || json.items === null) return {}
    // An index written before destinations named the key (the URL alone) counts for that URL's current key once: the
    // next save names the key
    const legacy = server !== null && server.includes(KEY_PART) ? server.slice(0, server.indexOf(KEY_PART)) : undefined
    return json.server === server || (legacy !== undefined && json.server === legacy) ? { ...json.items } : {}
  } catch {
    return {}
  }
}

/**
 * The bookkeeping in `stateDir` for items sent to `server` (`destination`: checkpoints recorded for another server or
 * account do not count, its sessions are not there). A missing or damaged index is an empty one.
 */
export const open = (stateDir: string, server: string | null): Store => {
  const dir = directory(stateDir)
  const indexFile = join(dir, "index.json")
  const items = readIndex(indexFile, server)
  let dirty = false
  let madeStateDir = false
  // Built on first use: most runs never ask (only an item the bookkeeping does not know makes it look).
  let bySession: Map<string, Set<string>> | undefined
  const indexed = () => {
    if (bySession === undefined) {
      bySession = new Map()
      for (const [key, checkpoint] of Object.entries(items)) keyed(checkpoint.sessionId).add(key)
    }
    return bySession
  }
  const keyed = (sessionId: string) => {
    const index = bySession as Map<string, Set<string>>
    let keys = index.get(sessionId)
    if (keys === undefined) {
      keys = new Set()
      index.set(sessionId, keys)
    }
    return keys
  }
  return {
    get: (key) => items[key],
    state: (key) => {
      const checkpoint = items[key]
      if (checkpoint?.state !== true) return undefined
      try {
        const saved = JSON.parse(readFileSync(stateFile(dir, key), "utf8")) as {
          readonly key?: unknown
          readonly offset?: unknown
          readonly state?: unknown
        }
        return saved.key === key && saved.offset === checkpoint.offset ? saved.state : undefined
      } catch {
        return undefined
      }
    },
    put: (key, checkpoint, state) => {
      if (state !== undefined) {
        // Written in place: a torn file does not parse, or names another offset, and the item is then read whole.
        if (!madeStateDir) mkdirSync(join(dir, "state"), { recursive: true, mode: 0o700 })
        madeStateDir = true
        writeFileSync(stateFile(dir, key), JSON.stringify({ key, offset: checkpoint.offset, state }), { mode: 0o600 })
      }
      const before = items[key]
      if (bySession !== undefined && before !== undefined) bySession.get(before.sessionId)?.delete(key)
      items[key] = state === undefined ? { ...checkpoint, state: false } : { ...checkpoint, state: true }
      if (bySession !== undefined) keyed(checkpoint.sessionId).add(key)
      dirty = true
    },
    drop: (key) => {
      const checkpoint = items[key]
      if (checkpoint === undefined) return
      bySession?.get(checkpoint.sessionId)?.delete(key)
      delete items[key]
      if (checkpoint.state === true) rmSync(stateFile(dir, key), { force: true })
      dirty = true
    },
    keysOf: (sessionId) => [...(indexed().get(sessionId) ?? [])],
    save: () => {
      if (!dirty) return
      const index: Index = { v: 1, server, items }
      writeAtomic(dir, indexFile, JSON.stringify(index))
      dirty = false
    },
    size: () => Object.keys(items).length
  }
}
