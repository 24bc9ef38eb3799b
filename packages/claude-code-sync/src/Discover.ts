/**
 * Where Claude Code keeps its transcripts, listed and `stat`ed: what `import` reads, and what the quick check of an
 * unchanged archive (`bin.ts`) compares with the bookkeeping. No Effect: the CLI's small entry imports this module.
 */
import { type Dirent, existsSync, readdirSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import * as ImportText from "@opensync/client/kit/ImportText"
import { claudeDirs } from "./Agent.js"
import { subagentIdOf } from "./transcript/Subagents.js"

type Env = Readonly<Record<string, string | undefined>>

/** A transcript file: a session's main one, or a subagent's (`<session>/subagents/agent-<id>.jsonl`). */
export interface TranscriptFile {
  readonly path: string
  readonly kind: "main" | "subagent"
  /** The session the file belongs to, from its path: the file name, or the parent session's directory. */
  readonly sessionId: string
  /** The subagent's id for a subagent file, else null. */
  readonly agentId: string | null
  readonly size: number
  readonly mtimeMs: number
}

/** The entries of a directory; none when it is missing or unreadable. */
const entriesOf = (dir: string): ReadonlyArray<Dirent> => {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
}

const mayBeDirectory = (entry: Dirent): boolean => entry.isDirectory() || entry.isSymbolicLink()
const mayBeFile = (entry: Dirent): boolean => entry.isFile() || entry.isSymbolicLink()

interface Candidate {
  readonly path: string
  readonly kind: "main" | "subagent"
  readonly sessionId: string
  readonly agentId: string | null
}

/**
 * The directories a listing read, with their modification times taken before each read (an entry added, removed or
 * renamed since changes its directory's time); `complete` is false when one could not be read or timed.
 */
export interface Watched {
  readonly dirs: Array<{ readonly path: string; readonly mtimeMs: number }>
  complete: boolean
}

/** Records `dir`'s modification time in `watched` (when given); false when it is missing or cannot be timed. */
const watch = (dir: string, watched: Watched | undefined): boolean => {
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

/** `entriesOf`, recording the directory in `watched`; a directory that exists but cannot be read makes it incomplete. */
const watchedEntries = (dir: string, watched: Watched | undefined): ReadonlyArray<Dirent> => {
  if (watched === undefined) return entriesOf(dir)
  if (!watch(dir, watched)) return []
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    watched.complete = false
    return []
  }
}

/** The transcript candidates of one project directory: `<session>.jsonl` and `<session>/subagents/agent-<id>.jsonl`. */
const candidatesOf = (projectDir: string, found: Array<Candidate>, watched: Watched | undefined): void => {
  const sessionDirs: Array<string> = []
  for (const entry of watchedEntries(projectDir, watched)) {
    if (entry.name.endsWith(".jsonl") && entry.name.length > ".jsonl".length && mayBeFile(entry)) {
      const sessionId = entry.name.slice(0, -".jsonl".length)
      found.push({ path: join(projectDir, entry.name), kind: "main", sessionId, agentId: null })
    } else if (mayBeDirectory(entry)) {
      sessionDirs.push(entry.name)
    }
  }
  for (const sessionId of sessionDirs) {
    // A `subagents` folder made later changes the session folder's time.
    if (watched !== undefined) watch(join(projectDir, sessionId), watched)
    for (const entry of watchedEntries(join(projectDir, sessionId, "subagents"), watched)) {
      if (!mayBeFile(entry)) continue
      const path = join(projectDir, sessionId, "subagents", entry.name)
      const agentId = subagentIdOf(path)
      if (agentId !== undefined) found.push({ path, kind: "subagent", sessionId, agentId })
    }
  }
}

/** Sizes and times of a candidate, or undefined when it is gone or not a regular file. */
const statOf = (candidate: Candidate): TranscriptFile | undefined => {
  try {
    const stats = statSync(candidate.path, { throwIfNoEntry: false })
    return stats?.isFile() === true ? { ...candidate, size: stats.size, mtimeMs: stats.mtimeMs } : undefined
  } catch {
    return undefined
  }
}

/** The `projects` folders of the Claude dirs of `env`, each once. */
export const projectRoots = (env: Env): ReadonlyArray<string> => [
  ...new Set(claudeDirs(env).map((dir) => resolve(dir, "projects")))
]

/**
 * Every transcript under each Claude dir, `projects/<project>/<session>.jsonl` and its
 * `<session>/subagents/agent-<id>.jsonl`, with sizes, oldest first by modification time; missing dirs are skipped.
 * The calls are synchronous on purpose: with thousands of files, waiting on the thread pool for each directory and
 * each `stat` cost several times more (measured: 0.75 s of CPU for 4,739 files through promises).
 */
export const transcripts = (env: Env, watched?: Watched): ReadonlyArray<TranscriptFile> => {
  const candidates: Array<Candidate> = []
  for (const root of projectRoots(env)) {
    // A missing root: its creation does not change a folder this listing watches.
    if (watched !== undefined && !existsSync(root)) watched.complete = false
    for (const entry of watchedEntries(root, watched)) {
      if (mayBeDirectory(entry)) candidatesOf(join(root, entry.name), candidates, watched)
    }
  }
  const files: Array<TranscriptFile> = []
  for (const candidate of candidates) {
    const file = statOf(candidate)
    if (file !== undefined) files.push(file)
  }
  return files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Where `import` looks, for its messages. */
export const where = (env: Env): string => projectRoots(env).join(", ")

/** What `import` found and read, as counted by the kit's import loop. */
export interface Totals {
  readonly found: ImportText.Found
  readonly items: number
  readonly bytes: number
  readonly events: number
  readonly malformed: number
  readonly skipped: ReadonlyArray<unknown>
}

/** The line `import` ends with: `800 sessions (12 new, 3 updated, 785 unchanged): read 15 transcript file(s) (…)`. */
export const summary = (totals: Totals, env: Env): string => {
  if (totals.found.sessions === 0 && totals.skipped.length === 0) {
    return `No Claude Code transcripts found (looked in ${where(env)}).`
  }
  const skipped = totals.skipped.length > 0 ? `, ${totals.skipped.length} file(s) skipped` : ""
  const malformed = totals.malformed > 0 ? `, ${totals.malformed} malformed line(s)` : ""
  return (
    `${ImportText.foundText(totals.found)}: read ${totals.items} transcript file(s) ` +
    `(${ImportText.mebibytes(totals.bytes)}), ${totals.events} event(s) queued${skipped}${malformed}.`
  )
}
