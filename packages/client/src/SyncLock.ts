import { linkSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { basename, dirname, join } from "node:path"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { recent } from "./internal/recent.js"
import * as Holders from "./internal/syncLockHolder.js"

/** Who holds (or held) a sync lock: written into the lock file by the process that takes it. */
export type Holder = Holders.Holder

/** The lock as `status` sees it: its holder (null when an older version wrote an empty lock) and whether it lives. */
export interface LockState {
  readonly holder: Holder | null
  readonly alive: boolean
  /** When the lock file was written. */
  readonly since: number
}

/** What `take` got: the lock, or who has it. */
export type Taken =
  | { readonly held: true; readonly holder: Holder }
  | { readonly held: false; readonly holder: Holder | null; readonly since: number | null }

/** A lock on another host, or one an older version left empty, counts as dead once it is this old. */
const staleAfterMs = 5 * 60_000

/** How long a lock of unreadable text may still be one being written. */
const settleMs = 2_000

const codeOf = (error: unknown) => (error as { code?: string } | null)?.code ?? ""

interface Found {
  readonly holder: Holder | null
  readonly mtime: number
  /** What identifies this very lock file (its nonce, else its inode and time). */
  readonly key: string
  /**
   * Text that is neither empty (an older version's lock) nor a holder: nobody's lock, dead once `settleMs` old (a
   * lock written without a hard link, `createExclusive`'s fallback, is briefly seen half-written).
   */
  readonly garbage: boolean
}

const read = (file: string): Found | undefined => {
  try {
    const info = statSync(file)
    const text = readFileSync(file, "utf8")
    const holder = Holders.decode(text)
    return {
      holder,
      mtime: info.mtimeMs,
      key: holder?.nonce ?? `i${info.ino}-${Math.round(info.mtimeMs)}`,
      garbage: holder === null && text.trim() !== ""
    }
  } catch {
    return undefined
  }
}

const isAlive = (found: Found, now: number): boolean => {
  const { holder } = found
  if (found.garbage) return recent(found.mtime, settleMs, now)
  if (holder === null) return recent(found.mtime, staleAfterMs, now)
  if (holder.hostname !== hostname()) return recent(holder.acquiredAt, staleAfterMs, now)
  return Holders.isRunning(holder)
}

/** Writes `data` under `target` only if nothing is there, atomically: readers see all of it or nothing. */
const createExclusive = (tmp: string, target: string): boolean => {
  try {
    linkSync(tmp, target)
    return true
  } catch (error) {
    if (codeOf(error) === "EEXIST") return false
    if (codeOf(error) !== "EPERM" && codeOf(error) !== "ENOTSUP" && codeOf(error) !== "ENOSYS") throw error
  }
  try {
    writeFileSync(target, readFileSync(tmp), { flag: "wx", mode: 0o600 })
    return true
  } catch (error) {
    if (codeOf(error) === "EEXIST") return false
    throw error
  }
}

const markerPrefix = (file: string, key: string) => `${basename(file)}.takeover-${key}.`

/**
 * Removes the dead lock `found`, unless another process is doing it. The right to remove the lock with key K is the
 * marker file `<lock>.takeover-K.<n>` created exclusively with the highest n; the marker before it must be dead (a
 * taker killed mid-way). Only the marker's owner removes the lock, after checking it is still the same one: two
 * processes can never both remove it, so they can never both take over.
 */
const takeOver = (file: string, found: Found, tmp: string, now: number): "removed" | "another" | "retry" => {
  const dir = dirname(file)
  const prefix = markerPrefix(file, found.key)
  const generations = readdirSync(dir)
    .filter((name) => name.startsWith(prefix))
    .map((name) => Number(name.slice(prefix.length)))
    .filter(Number.isInteger)
  const last = generations.length === 0 ? 0 : Math.max(...generations)
  if (last > 0) {
    const taker = read(join(dir, `${prefix}${last}`))
    if (taker !== undefined && isAlive(taker, now)) return "another"
  }
  if (!createExclusive(tmp, join(dir, `${prefix}${last + 1}`))) return "retry"
  try {
    if (read(file)?.key !== found.key) return "retry"
    rmSync(file, { force: true })
    return "removed"
  } finally {
    for (const name of readdirSync(dir)) if (name.startsWith(prefix)) rmSync(join(dir, name), { force: true })
  }
}

/** Deletes takeover markers of locks that are gone and temporary files of processes that are gone. */
const sweep = (file: string, own: Holder, now: number) => {
  const dir = dirname(file)
  const base = basename(file)
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${base}.`) || name === base) continue
    const path = join(dir, name)
    const marker = name.startsWith(`${base}.takeover-`) && !name.startsWith(`${base}.takeover-${own.nonce}.`)
    const tmp = name.endsWith(".tmp") && !name.includes(own.nonce)
    if (!marker && !tmp) continue
    try {
      if (now - statSync(path).mtimeMs > 60_000) rmSync(path, { force: true })
    } catch {
      // removed meanwhile
    }
  }
}

const isFolder = (file: string): boolean => {
  try {
    return statSync(file).isDirectory()
  } catch {
    return false
  }
}

/** Removes `file` if it is an empty folder (never what is in one). */
const rmFolder = (file: string): void => {
  try {
    rmdirSync(file)
  } catch {
    // not empty, or gone: left as it is
  }
}

const pauses = new Int32Array(new SharedArrayBuffer(4))
/** Blocks a few ms: another process may be taking the lock over right now. */
const pause = (attempt: number) => Atomics.wait(pauses, 0, 0, Math.min(20, 1 + attempt))

/** How long to wait for another process that is taking a dead lock over right now. */
const takeoverWaitMs = 2_000

const takeSync = (file: string, command: string): Taken => {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const started = Date.now()
  const me = Holders.self(started, command)
  const tmp = `${file}.${process.pid}.${me.nonce}.tmp`
  writeFileSync(tmp, Holders.encode(me), { mode: 0o600 })
  let seen: Found | undefined
  try {
    for (let attempt = 0; attempt < 1_000; attempt++) {
      if (createExclusive(tmp, file)) {
        sweep(file, me, Date.now())
        return { held: true, holder: me }
      }
      seen = read(file)
      if (seen === undefined) {
        // An empty folder where the lock goes (no version makes one): nobody's lock, which no link can replace
        if (isFolder(file)) rmFolder(file)
        continue
      }
      const now = Date.now()
      if (isAlive(seen, now)) return { held: false, holder: seen.holder, since: seen.mtime }
      if (takeOver(file, seen, tmp, now) === "another" && now - started > takeoverWaitMs) break
      pause(attempt)
    }
    return { held: false, holder: seen?.holder ?? null, since: seen?.mtime ?? null }
  } finally {
    rmSync(tmp, { force: true })
  }
}

const release = (file: string, holder: Holder) => {
  if (read(file)?.key === holder.nonce) rmSync(file, { force: true })
}

/**
 * Takes the single-sync lock of a plugin's state directory until the scope closes. A lock whose holder died (killed,
 * crashed, its pid now another process) is taken over at once; when a live sync has it, `held` is false and `holder`
 * says who (null for a lock an older version left, which counts as live for 5 minutes).
 */
export const take = (
  file: string,
  command: string = process.argv.slice(1).join(" ")
): Effect.Effect<Taken, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => takeSync(file, command)),
    (taken) => (taken.held ? Effect.sync(() => release(file, taken.holder)) : Effect.void)
  )

/** `take`, reduced to whether the lock is held. */
export const acquire = (file: string): Effect.Effect<boolean, never, Scope.Scope> =>
  Effect.map(take(file), (taken) => taken.held)

/** The lock as it is now, for `status`: null when no sync holds it. */
export const inspect = (file: string): Effect.Effect<LockState | null> =>
  Effect.sync(() => {
    const found = read(file)
    return found === undefined ? null : { holder: found.holder, alive: isAlive(found, Date.now()), since: found.mtime }
  })

/** When a lock an older version left (empty) counts as dead: `staleAfterMs` after it was written. */
export const olderLockExpiresAt = (since: number): number => since + staleAfterMs

/** "A sync is running (pid 123, since 2026-11-21 09:30:00 UTC)", for a CLI that found the lock taken. */
export const runningMessage = (taken: { readonly holder: Holder | null; readonly since: number | null }): string => {
  const since = taken.holder?.acquiredAt ?? taken.since
  const when = since === null ? "" : `, since ${new Date(since).toISOString().slice(0, 19).replace("T", " ")} UTC`
  const who = taken.holder === null ? "an older version" : `pid ${taken.holder.pid}`
  const where = taken.holder !== null && taken.holder.hostname !== hostname() ? ` on ${taken.holder.hostname}` : ""
  return `A sync is running (${who}${where}${when}).`
}
