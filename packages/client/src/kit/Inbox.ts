/**
 * The sync's side of the inbox: list the items the hot path stored (oldest first), read one, set aside one that cannot
 * be used (`inbox-bad/`), remove one whose effects are durable.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs"
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

/** Moves an item that cannot be used to `inbox-bad/`. */
export const setAside = (paths: StatePaths, name: string): void => {
  mkdirSync(paths.inboxBad, { recursive: true, mode: 0o700 })
  renameSync(join(paths.inbox, name), join(paths.inboxBad, name))
}

/** Removes an item once everything it yields is durable. */
export const remove = (paths: StatePaths, name: string): void => rmSync(join(paths.inbox, name), { force: true })
