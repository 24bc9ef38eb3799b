/**
 * What the hot path could not store (a full disk, a read-only state directory), kept where it can still be written
 * when nothing else can: `<state>/failures.json`, a file of fixed size written ahead of time and updated in place
 * (overwriting allocated bytes needs no free space). It names the sessions whose items were lost; the next sync
 * re-reads those sessions from the agent's own history and clears them, and `status` reports both. No Effect: the
 * hot path imports this module.
 */
import {
  closeSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync
} from "node:fs"
import { join } from "node:path"
import type { StatePaths } from "./Agent.js"

/** The file's size: room for the counters and a few dozen session ids. */
export const SIZE = 8192

/** At most this many sessions are remembered; the oldest go first. */
export const MAX_SESSIONS = 40

export interface Failures {
  readonly v: 1
  /** Items that could not be stored since the last recovery. */
  readonly count: number
  readonly firstAt: number | null
  readonly lastAt: number | null
  readonly lastError: string | null
  /** Sessions whose items were lost, to be re-read from the agent's history. */
  readonly sessions: ReadonlyArray<{ readonly id: string; readonly at: number }>
  /** The last recovery: when, and how many items it made up for. */
  readonly recoveredAt: number | null
  readonly recovered: number
  /**
   * Small items that could not be stored, whole (their inbox name and text), as room allows: what only a hook carries
   * (how a session started, why and when it ended) is not in the agent's history, so a re-read cannot make it up.
   * The next sync puts them in the inbox.
   */
  readonly items?: ReadonlyArray<KeptItem>
}

/** An inbox item kept in the failures file. */
export interface KeptItem {
  readonly name: string
  readonly text: string
}

/** Items larger than this are not kept whole (the session is still re-read from the history). */
export const ITEM_MAX_BYTES = 1536

export const empty: Failures = {
  v: 1,
  count: 0,
  firstAt: null,
  lastAt: null,
  lastError: null,
  sessions: [],
  recoveredAt: null,
  recovered: 0
}

const encode = (failures: Failures): Buffer => {
  let value = failures
  let text = JSON.stringify(value)
  // The oldest kept items go first, then the oldest sessions.
  while (Buffer.byteLength(text) > SIZE && (value.items?.length ?? 0) > 0) {
    value = { ...value, items: value.items?.slice(1) ?? [] }
    text = JSON.stringify(value)
  }
  while (Buffer.byteLength(text) > SIZE && value.sessions.length > 0) {
    value = { ...value, sessions: value.sessions.slice(1) }
    text = JSON.stringify(value)
  }
  if (Buffer.byteLength(text) > SIZE)
    text = JSON.stringify({ ...value, lastError: value.lastError?.slice(0, 200) ?? null })
  const body = Buffer.alloc(SIZE, " ")
  body.write(text, 0, "utf8")
  return body
}

export const decode = (text: string): Failures => {
  try {
    const value = JSON.parse(text) as Partial<Failures>
    if (value?.v !== 1 || !Array.isArray(value.sessions)) return empty
    return { ...empty, ...value } as Failures
  } catch {
    return empty
  }
}

/** Writes the file (temp + rename) unless it is there at full size: done by every sync, before any disk fills up. */
export const preallocate = (paths: StatePaths, file: string = failuresFile(paths)): void => {
  try {
    if (statSync(file).size >= SIZE) return
  } catch {
    // missing: write it
  }
  mkdirSync(paths.tmp, { recursive: true, mode: 0o700 })
  const temp = join(paths.tmp, `failures-${process.pid}.json`)
  try {
    writeFileSync(temp, encode(read(paths)), { mode: 0o600 })
    renameSync(temp, file)
  } catch (cause) {
    // A disk that is full already: no partial temp file is left behind.
    rmSync(temp, { force: true })
    throw cause
  }
}

/** `<state>/failures.json`. */
export const failuresFile = (paths: StatePaths): string => join(paths.stateDir, "failures.json")

/**
 * A lock this old is taken to be its dead holder's (an update takes well under a millisecond; a holder writes the file,
 * which renews the age, while it holds it). Measured on the lock itself (its file's change time), not by how long a
 * waiter waited: waiters that all took over after waiting as long broke the lock for each other.
 */
export const LOCK_STALE_MS = 5_000

/** How long a waiter waits for the lock at most (past a stale lock's age) before it gives up. */
const LOCK_WAIT_MS = 3 * LOCK_STALE_MS

const pauses = new Int32Array(new SharedArrayBuffer(4))

/** `link` errors that mean the file system cannot lock this way (no hard links, read-only folder): update unlocked. */
const UNLOCKABLE = new Set(["EPERM", "EACCES", "EROFS", "ENOTSUP", "EOPNOTSUPP", "EMLINK", "EXDEV", "ENOSYS"])

/**
 * Runs `f` holding the file's lock, `<state>/failures.json.lock`: a second name (a hard link) of the file itself, which
 * needs no free space (no new data, no new inode) and which only one process can make. Hooks failing at the same time
 * (a full disk fails them all) each read, change and write the whole file: without the lock, the last write won and
 * the others' sessions were never re-read. A lock older than `LOCK_STALE_MS` (its holder was killed) is taken over by
 * one waiter: it renames the lock away (only one rename of it succeeds), and all wait for the link again. Where the
 * folder allows no link, the update runs unlocked, as before there was a lock; a waiter that cannot get the lock within
 * `LOCK_WAIT_MS` gives up (the failure goes unrecorded rather than the hook hanging).
 */
const locked = <A>(file: string, f: () => A): A => {
  const lock = `${file}.lock`
  const start = Date.now()
  let held = false
  for (let attempt = 0; !held; attempt++) {
    try {
      linkSync(file, lock)
      held = true
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? ""
      if (UNLOCKABLE.has(code)) return f()
      if (code !== "EEXIST") throw cause
      if (Date.now() - start >= LOCK_WAIT_MS) throw new Error(`${lock} is held: gave up after ${LOCK_WAIT_MS} ms`)
      if (isStale(lock)) {
        const away = `${lock}.stale-${process.pid}-${attempt}`
        try {
          renameSync(lock, away)
          rmSync(away, { force: true })
        } catch {
          // Another waiter took it over first: wait for the link like the others
        }
        continue
      }
      Atomics.wait(pauses, 0, 0, Math.min(10, 1 + attempt))
    }
  }
  try {
    return f()
  } finally {
    try {
      unlinkSync(lock)
    } catch {
      // gone already (taken over as stale): nothing to release
    }
  }
}

/** Whether the lock's file has not changed for `LOCK_STALE_MS` (false when it is gone or cannot be read). */
const isStale = (lock: string): boolean => {
  try {
    return Date.now() - lstatSync(lock).ctimeMs >= LOCK_STALE_MS
  } catch {
    return false
  }
}

/**
 * Reads, changes and writes back the file in place, under its lock; the file must exist (on a full disk nothing else
 * can be made).
 */
const update = (paths: StatePaths, change: (failures: Failures) => Failures): void => {
  const file = failuresFile(paths)
  locked(file, () => {
    const fd = openSync(file, "r+")
    try {
      const buffer = Buffer.alloc(SIZE)
      const length = readSync(fd, buffer, 0, SIZE, 0)
      writeSync(fd, encode(change(decode(buffer.toString("utf8", 0, length)))), 0, SIZE, 0)
    } finally {
      closeSync(fd)
    }
  })
}

/** The file's content; empty when it is missing or unreadable. */
export const read = (paths: StatePaths): Failures => {
  try {
    const fd = openSync(failuresFile(paths), "r")
    try {
      const buffer = Buffer.alloc(SIZE)
      const length = readSync(fd, buffer, 0, SIZE, 0)
      return decode(buffer.toString("utf8", 0, length))
    } finally {
      closeSync(fd)
    }
  } catch {
    return empty
  }
}

/**
 * Records that an item of `sessionId` (when known) could not be stored. Never throws: when even this fails, there is
 * nowhere left to say it, and the agent must not be disturbed.
 */
export const record = (
  paths: StatePaths,
  sessionId: string | undefined,
  error: string,
  now: number,
  item?: KeptItem
): boolean => {
  try {
    const keep = item !== undefined && Buffer.byteLength(item.text) <= ITEM_MAX_BYTES ? [item] : []
    update(paths, (failures) => {
      // A session already named moves to the end with this failure's time: a recovery that began before it must keep it
      const others = failures.sessions.filter((session) => session.id !== sessionId)
      const sessions = sessionId === undefined ? failures.sessions : [...others, { id: sessionId, at: now }]
      return {
        ...failures,
        count: failures.count + 1,
        firstAt: failures.firstAt ?? now,
        lastAt: now,
        lastError: error,
        sessions: sessions.slice(-MAX_SESSIONS),
        items: [...(failures.items ?? []), ...keep]
      }
    })
    return true
  } catch {
    return false
  }
}

/**
 * Clears the sessions the sync re-read from the agent's history, and the kept items it put back in the inbox, keeping
 * when and how much for `status`. A session whose last failure came at or after `since` (when the re-read began)
 * stays: what it lost may not be in what was read.
 */
export const recovered = (
  paths: StatePaths,
  ids: ReadonlyArray<string>,
  since: number,
  now: number,
  queued: ReadonlyArray<string> = []
): void =>
  update(paths, (failures) => {
    const sessions = failures.sessions.filter((session) => !ids.includes(session.id) || session.at >= since)
    // Items are cleared once they are in the inbox again (`queued`, by name).
    const items = (failures.items ?? []).filter((item) => !queued.includes(item.name))
    return sessions.length > 0 || items.length > 0
      ? { ...failures, sessions, items }
      : { ...failures, sessions, items, count: 0, firstAt: null, recoveredAt: now, recovered: failures.count }
  })
