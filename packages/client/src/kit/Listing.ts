/**
 * An agent's history files listed with synchronous calls: what `import` reads, and what the quick check of an
 * unchanged history (`QuickImport`, in each agent's small entry point) compares with the bookkeeping. The two use the
 * same listing, so the quick check never misses a file the import would read. No Effect: entry points import this.
 *
 * Synchronous on purpose: with thousands of files, waiting on the thread pool for each directory and each `stat` cost
 * several times more (measured: 0.75 s of CPU for 4,739 files through promises).
 */
import { type Dirent, existsSync, readdirSync, statSync } from "node:fs"
import { dirname } from "node:path"

/** The entries of a directory; none when it is missing or unreadable. */
export const entriesOf = (dir: string): ReadonlyArray<Dirent> => {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
}

export const mayBeDirectory = (entry: Dirent): boolean => entry.isDirectory() || entry.isSymbolicLink()
export const mayBeFile = (entry: Dirent): boolean => entry.isFile() || entry.isSymbolicLink()

/** True when `path` is a directory or a link to one (a folder moved to another disk and linked back). */
export const isDirectoryAt = (path: string): boolean => {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false
  } catch {
    return false
  }
}

/**
 * The directories a listing read, with their modification times taken before each read (an entry added, removed or
 * renamed since changes its directory's time); `complete` is false when one could not be read or timed.
 */
export interface Watched {
  readonly dirs: Array<{ readonly path: string; readonly mtimeMs: number }>
  complete: boolean
}

export const watching = (): Watched => ({ dirs: [], complete: true })

/** Records `dir`'s modification time in `watched` (when given); false when it is missing or cannot be timed. */
export const watch = (dir: string, watched: Watched | undefined): boolean => {
  if (watched === undefined) return true
  try {
    const stats = statSync(dir, { throwIfNoEntry: false })
    if (stats === undefined) return false
    watched.dirs.push({ path: dir, mtimeMs: stats.mtimeMs })
    return true
  } catch {
    watched.complete = false
    return false
  }
}

/**
 * `entriesOf`, recording the directory in `watched`; a directory that exists but cannot be read makes it incomplete. A
 * missing directory leaves it complete: its creation changes the time of its parent, which the caller watches (a root,
 * whose parent the caller does not watch, is read with `rootEntries`).
 */
export const watchedEntries = (dir: string, watched: Watched | undefined): ReadonlyArray<Dirent> => {
  if (watched === undefined) return entriesOf(dir)
  if (!watch(dir, watched)) return []
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    watched.complete = false
    return []
  }
}

/**
 * The entries of a root of the listing (a folder whose parent the listing does not read). A missing root's creation
 * changes its parent's time, so the parent is watched instead; `watched` is incomplete when that is missing too.
 */
export const rootEntries = (root: string, watched: Watched | undefined): ReadonlyArray<Dirent> => {
  if (watched !== undefined && !existsSync(root)) {
    if (!watch(dirname(root), watched)) watched.complete = false
    return []
  }
  return watchedEntries(root, watched)
}

/** Size and modification time of a regular file (links followed), or undefined when it is gone or not one. */
export const statOf = (path: string): { readonly size: number; readonly mtimeMs: number } | undefined => {
  try {
    const stats = statSync(path, { throwIfNoEntry: false })
    return stats?.isFile() === true ? { size: stats.size, mtimeMs: stats.mtimeMs } : undefined
  } catch {
    return undefined
  }
}

/** Oldest first by modification time, then by path: the order `import` reads files in. */
export const byAge = <F extends { readonly path: string; readonly mtimeMs: number }>(a: F, b: F): number =>
  a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

/** The regular files among `paths` with their sizes and times, oldest first; one gone meanwhile is left out. */
export const statFiles = (
  paths: ReadonlyArray<string>
): Array<{ readonly path: string; readonly size: number; readonly mtimeMs: number }> => {
  const files: Array<{ readonly path: string; readonly size: number; readonly mtimeMs: number }> = []
  for (const path of paths) {
    const stats = statOf(path)
    if (stats !== undefined) files.push({ path, ...stats })
  }
  return files.sort(byAge)
}
