/**
 * The sync's side of the inbox: list the items the hot path stored (oldest first), read one, set aside one that cannot
 * be used (`inbox-bad/`), remove one whose effects are durable.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { StatePaths } from "./Agent.js"
import type { InboxItem } from "./SessionSource.js"

const leadingNumber = (name: string): number => Number(/^\d+/.exec(name)?.[0] ?? Number.MAX_SAFE_INTEGER)

/** Item names ordered by the receive time they start with (older layouts padded it differently), then by name. */
export const list = (paths: StatePaths, suffix: string): ReadonlyArray<string> => {
  let names: Array<string>
  try {
    names = readdirSync(paths.inbox).filter((name) => name.endsWith(suffix))
  } catch {
    return []
  }
  return names.sort((a, b) => leadingNumber(a) - leadingNumber(b) || (a < b ? -1 : a > b ? 1 : 0))
}

export const isEmpty = (paths: StatePaths, suffix: string): boolean => list(paths, suffix).length === 0

/** One item's text, or why it cannot be read. */
export const read = (paths: StatePaths, name: string): InboxItem | { readonly problem: string } => {
  const file = join(paths.inbox, name)
  try {
    return { name, text: readFileSync(file, "utf8"), mtimeMs: statSync(file).mtimeMs }
  } catch (cause) {
    return { problem: cause instanceof Error ? cause.message : String(cause) }
  }
}

/**
 * Sets aside an item that cannot be used, for inspection: its redacted `text` is written to `inbox-bad/` and the raw
 * item removed (a raw payload never stays on disk unredacted); without a text (it could not be read) it is moved.
 */
export const setAside = (paths: StatePaths, name: string, redacted: string | undefined): void => {
  mkdirSync(paths.inboxBad, { recursive: true, mode: 0o700 })
  if (redacted === undefined) {
    renameSync(join(paths.inbox, name), join(paths.inboxBad, name))
    return
  }
  const temp = join(paths.tmp, `bad-${name}`)
  mkdirSync(paths.tmp, { recursive: true, mode: 0o700 })
  writeFileSync(temp, redacted, { mode: 0o600 })
  renameSync(temp, join(paths.inboxBad, name))
  rmSync(join(paths.inbox, name), { force: true })
}

/** How long `inbox-bad/` keeps an item, and how many it keeps at most (the newest). */
export const BAD_KEEP_MS = 7 * 86_400_000
export const BAD_KEEP_COUNT = 100
/** A file in the hot path's `tmp/` this old belongs to a write that died (a kill, a full disk). */
export const TEMP_KEEP_MS = 10 * 60_000

const entries = (dir: string) => {
  try {
    return readdirSync(dir).flatMap((name) => {
      try {
        const info = statSync(join(dir, name))
        return info.isFile() ? [{ name, file: join(dir, name), mtimeMs: info.mtimeMs }] : []
      } catch {
        return []
      }
    })
  } catch {
    return []
  }
}

/** An inbox item's name, as `HotPath.itemName` makes it (receive time, pid, counter, random part), before its suffix. */
const ITEM_NAME = /^\d{13,}-\d+-\d{6}-[0-9a-z]+\./

/**
 * How long after a hook wrote an item to `tmp/` the item counts as left there: far longer than any hook runs (the
 * longest budget a hook gets here is 10 s), so a hook still running is never overtaken.
 */
export const LEFT_AFTER_MS = 60_000

/**
 * Moves into the inbox the items hooks wrote to `tmp/` but never moved on (killed between the two steps: Claude Code
 * kills a SessionEnd hook past its budget, and that item is the session's end). They were removed as dead temp files
 * 10 minutes later. One the kill cut short is read as any item that does not parse: set aside in `inbox-bad/`, where
 * `status` names it. Returns how many were moved.
 */
export const recoverLeft = (paths: StatePaths, suffix: string, now: number): number => {
  let moved = 0
  for (const entry of entries(paths.tmp)) {
    if (!entry.name.endsWith(suffix) || !ITEM_NAME.test(entry.name) || now - entry.mtimeMs < LEFT_AFTER_MS) continue
    try {
      mkdirSync(paths.inbox, { recursive: true, mode: 0o700 })
      renameSync(entry.file, join(paths.inbox, entry.name))
      moved++
    } catch {
      // Gone meanwhile (another sync moved it), or the inbox cannot be written now: the next sync tries again.
    }
  }
  return moved
}

/** Removes what is kept too long: `inbox-bad/` items past their time or count, and dead temp files. */
export const prune = (paths: StatePaths, now: number): { readonly bad: number; readonly temp: number } => {
  const bad = entries(paths.inboxBad).sort((a, b) => b.mtimeMs - a.mtimeMs)
  const expired = bad.filter((entry, index) => index >= BAD_KEEP_COUNT || now - entry.mtimeMs > BAD_KEEP_MS)
  const stale = entries(paths.tmp).filter((entry) => now - entry.mtimeMs > TEMP_KEEP_MS)
  for (const entry of [...expired, ...stale]) rmSync(entry.file, { force: true })
  return { bad: expired.length, temp: stale.length }
}

/** What `status` says about the inbox: items waiting, and items set aside (with the oldest one's time). */
export const counts = (paths: StatePaths, suffix: string) => {
  const bad = entries(paths.inboxBad)
  return {
    waiting: list(paths, suffix).length,
    unreadable: bad.length,
    oldestUnreadableAt: bad.length === 0 ? null : Math.min(...bad.map((entry) => entry.mtimeMs))
  }
}

/** Removes an item once everything it yields is durable. */
export const remove = (paths: StatePaths, name: string): void => rmSync(join(paths.inbox, name), { force: true })
