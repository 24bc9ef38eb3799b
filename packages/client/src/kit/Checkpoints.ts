/**
 * What the import loop remembers of every history item it read, so the next `import` (and the `sync` after a turn)
 * reads only what changed: per item, the version it read (a file's size and modification time, or the agent's own
 * version string) and, for an append-only file, where the read stopped (the byte offset past the last line read and a
 * digest of that line's last bytes) with the agent's state to go on from there. A file that no longer has that line
 * at that place was rewritten or truncated, and is read again from the start.
 *
 * Files: `<state>/imported/index.json` (every item's checkpoint, read once per run, with where its reader state is) and
 * `<state>/imported/state/*.pack` (the reader states, one JSON line each, read only when their item is read again).
 * Each `save` that has new states writes them to one new pack before the index that points to them: a first import
 * of 1,212 transcripts creates one file, not 1,212 (creating a file costs ~0.4 ms here, a tenth of the import's
 * client side), and an index never points to a state not yet written. Packs no item points to any more are removed
 * after the index is written; when most of the packs' bytes are such leftovers (a long session's state rewritten by
 * every turn's sync), the live states are copied into the new pack and the old packs removed. Earlier versions kept
 * one file per item (`state/<digest of the key>.json`): still read, removed once their item is recorded again.
 * A checkpoint is recorded only after the events of what it covers are in the outbox, so a run killed at any point
 * re-reads at most what it had not queued yet (event ids are deterministic: the server ignores the duplicates).
 * Everything that writes here runs under the sync lock, so one process at a time does, and within it one store is
 * opened after the last one saved (a store opened earlier would write back the index it read, and point to packs the
 * later one may have removed: its items would then be read whole again).
 */
import { randomBytes } from "node:crypto"
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
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

/** Where an item's reader state is: a pack of `state/`, and the byte range of its line in it. */
type Place = readonly [pack: string, at: number, length: number]

interface Index {
  readonly v: 1
  /** The server the items were sent to: another server has none of them. */
  readonly server: string | null
  readonly items: Record<string, Checkpoint>
  /** Where each item's reader state is (items whose `state` is true and that have none here: one file per item). */
  readonly states?: Record<string, Place>
}

const PACK_SUFFIX = ".pack"
/** A save copies the live states into its new pack once the packs hold more than this many packs or dead bytes. */
const MAX_PACKS = 32
const MIN_DEAD_BYTES = 4 * 1024 * 1024

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

/**
 * The `length` bytes at `at` of the file at `path`, or undefined when it has not that many there (a damaged index may
 * name any range: nothing is allocated for bytes the file does not have).
 */
const bytesAt = (path: string, at: number, length: number): Buffer | undefined => {
  let fd: number
  try {
    fd = openSync(path, "r")
  } catch {
    return undefined
  }
  try {
    if (at + length > fstatSync(fd).size) return undefined
    const bytes = Buffer.allocUnsafe(length)
    return readSync(fd, bytes, 0, length, at) === length ? bytes : undefined
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}

/** The up to 4 KiB before `offset` in the file at `path`, from `from`; undefined when it cannot be read there. */
const bytesBefore = (path: string, offset: number): { readonly from: number; readonly bytes: Buffer } | undefined => {
  const from = Math.max(0, offset - TAIL_BYTES)
  const bytes = bytesAt(path, from, offset - from)
  return bytes === undefined ? undefined : { from, bytes }
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
  const bytes = bytesAt(path, tail.start, offset - tail.start)
  return bytes !== undefined && digestOf(bytes) === tail.digest
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

const isPlace = (place: unknown): place is Place =>
  Array.isArray(place) &&
  place.length === 3 &&
  typeof place[0] === "string" &&
  place[0].endsWith(PACK_SUFFIX) &&
  !place[0].includes("/") &&
  Number.isSafeInteger(place[1]) &&
  place[1] >= 0 &&
  Number.isSafeInteger(place[2]) &&
  place[2] > 0

const readIndex = (
  file: string,
  server: string | null
): { readonly items: Record<string, Checkpoint>; readonly states: Record<string, Place> } => {
  const none = { items: {}, states: {} }
  try {
    const json = JSON.parse(readFileSync(file, "utf8")) as Partial<Index>
    if (json.v !== 1 || typeof json.items !== "object" || json.items === null) return none
    // An index written before destinations named the key (the URL alone) counts for that URL's current key once: the
    // next save names the key
    const legacy = server?.includes(KEY_PART) ? server.slice(0, server.indexOf(KEY_PART)) : undefined
    if (json.server !== server && (legacy === undefined || json.server !== legacy)) return none
    const states: Record<string, Place> = {}
    if (typeof json.states === "object" && json.states !== null) {
      for (const [key, place] of Object.entries(json.states)) {
        if (json.items[key]?.state === true && isPlace(place)) states[key] = place
      }
    }
    return { items: { ...json.items }, states }
  } catch {
    return none
  }
}

/** A saved state's line, if it is the one recorded for `key` at `offset`. */
const stateOfLine = (text: string, key: string, offset: number | undefined): unknown => {
  try {
    const saved = JSON.parse(text) as { readonly key?: unknown; readonly offset?: unknown; readonly state?: unknown }
    return saved.key === key && saved.offset === offset ? saved.state : undefined
  } catch {
    return undefined
  }
}

/**
 * The bookkeeping in `stateDir` for items sent to `server` (`destination`: checkpoints recorded for another server or
 * account do not count, its sessions are not there). A missing or damaged index is an empty one.
 */
export const open = (stateDir: string, server: string | null): Store => {
  const dir = directory(stateDir)
  const indexFile = join(dir, "index.json")
  const packDir = join(dir, "state")
  const { items, states } = readIndex(indexFile, server)
  let dirty = false
  // States put since the last save, as the lines the next save writes (taken at once: the reader may change its state)
  const pending = new Map<string, string>()
  // Whether a state left its pack since the last save (that pack may hold none now)
  let moved = false
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
  /** Forgets where `key`'s state was; the file of an earlier version's state is removed. */
  const release = (key: string) => {
    const wasPending = pending.delete(key)
    if (states[key] !== undefined) {
      delete states[key]
      moved = true
    } else if (!wasPending && items[key]?.state === true) rmSync(stateFile(dir, key), { force: true })
  }
  /** The packs the states are in, with their sizes (a pack gone counts as empty). */
  const packSizes = () => {
    const sizes = new Map<string, number>()
    for (const [pack] of Object.values(states)) {
      if (!sizes.has(pack)) sizes.set(pack, statSync(join(packDir, pack), { throwIfNoEntry: false })?.size ?? 0)
    }
    return sizes
  }
  /**
   * Writes the pending states (and, when `compact`, every other live one, copied from its pack) to a new pack, each
   * on a line of its own; returns where each is.
   */
  const writePack = (compact: boolean): Map<string, Place> => {
    const lines: Array<readonly [string, Buffer]> = []
    for (const [key, line] of pending) lines.push([key, Buffer.from(`${line}\n`)])
    if (compact) {
      const packs = new Map<string, Buffer | undefined>()
      for (const [key, [pack, at, length]] of Object.entries(states)) {
        if (!packs.has(pack)) {
          try {
            packs.set(pack, readFileSync(join(packDir, pack)))
          } catch {
            packs.set(pack, undefined)
          }
        }
        const bytes = packs.get(pack)
        // (a state that cannot be read any more is left where it was: its item is read whole next time)
        if (bytes !== undefined && at + length < bytes.length) lines.push([key, bytes.subarray(at, at + length + 1)])
      }
    }
    if (lines.length === 0) return new Map()
    const bytes = Buffer.concat(lines.map(([, line]) => line))
    mkdirSync(packDir, { recursive: true, mode: 0o700 })
    // A new name every time (a pack still in use is never overwritten: "wx" refuses a name that exists)
    let name = ""
    for (let attempt = 0; name === ""; attempt++) {
      const candidate = `${Date.now().toString(36)}-${randomBytes(6).toString("hex")}${PACK_SUFFIX}`
      const path = join(packDir, candidate)
      try {
        writeFileSync(path, bytes, { mode: 0o600, flag: "wx" })
        name = candidate
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === "EEXIST" && attempt < 3) continue
        rmSync(path, { force: true })
        throw cause
      }
    }
    const places = new Map<string, Place>()
    let at = 0
    for (const [key, line] of lines) {
      places.set(key, [name, at, line.length - 1])
      at += line.length
    }
    return places
  }
  /** Removes the packs no state is in (left by this save, or by a run killed between a pack and its index). */
  const removeUnused = () => {
    const used = new Set(Object.values(states).map(([pack]) => pack))
    let names: Array<string>
    try {
      names = readdirSync(packDir)
    } catch {
      return
    }
    for (const name of names) {
      if (name.endsWith(PACK_SUFFIX) && !used.has(name)) rmSync(join(packDir, name), { force: true })
    }
  }
  return {
    get: (key) => items[key],
    state: (key) => {
      const checkpoint = items[key]
      if (checkpoint?.state !== true) return undefined
      const line = pending.get(key)
      if (line !== undefined) return stateOfLine(line, key, checkpoint.offset)
      const place = states[key]
      if (place !== undefined) {
        const bytes = bytesAt(join(packDir, place[0]), place[1], place[2])
        return bytes === undefined ? undefined : stateOfLine(bytes.toString("utf8"), key, checkpoint.offset)
      }
      try {
        return stateOfLine(readFileSync(stateFile(dir, key), "utf8"), key, checkpoint.offset)
      } catch {
        return undefined
      }
    },
    put: (key, checkpoint, state) => {
      const line = state === undefined ? undefined : JSON.stringify({ key, offset: checkpoint.offset, state })
      release(key)
      if (line !== undefined) pending.set(key, line)
      const before = items[key]
      if (bySession !== undefined && before !== undefined) bySession.get(before.sessionId)?.delete(key)
      items[key] = { ...checkpoint, state: line !== undefined }
      if (bySession !== undefined) keyed(checkpoint.sessionId).add(key)
      dirty = true
    },
    drop: (key) => {
      const checkpoint = items[key]
      if (checkpoint === undefined) return
      bySession?.get(checkpoint.sessionId)?.delete(key)
      release(key)
      delete items[key]
      dirty = true
    },
    keysOf: (sessionId) => [...(indexed().get(sessionId) ?? [])],
    save: () => {
      if (!dirty) return
      const sizes = packSizes()
      let live = 0
      for (const [, , length] of Object.values(states)) live += length + 1
      let total = 0
      for (const size of sizes.values()) total += size
      const placed = writePack(sizes.size >= MAX_PACKS || total - live > Math.max(live, MIN_DEAD_BYTES))
      const next: Record<string, Place> = { ...states }
      for (const [key, place] of placed) next[key] = place
      try {
        writeAtomic(dir, indexFile, JSON.stringify({ v: 1, server, items, states: next } satisfies Index))
      } catch (cause) {
        // The index on disk still points where it did, and so does this store: the states stay to be written
        if (placed.size > 0) rmSync(join(packDir, [...placed.values()][0][0]), { force: true })
        throw cause
      }
      for (const [key, place] of placed) states[key] = place
      pending.clear()
      dirty = false
      if (placed.size > 0 || moved) removeUnused()
      moved = false
    },
    size: () => Object.keys(items).length
  }
}
