/**
 * Where Claude Code keeps its transcripts, listed and `stat`ed: what `import` reads, and what the quick check of an
 * unchanged archive (`bin.ts`) compares with the bookkeeping. No Effect: the CLI's small entry imports this module.
 */
import { join, resolve } from "node:path"
import * as ImportText from "@opensync/client/kit/ImportText"
import * as Listing from "@opensync/client/kit/Listing"
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

const { mayBeDirectory, mayBeFile, watch, watchedEntries } = Listing

interface Candidate {
  readonly path: string
  readonly kind: "main" | "subagent"
  readonly sessionId: string
  readonly agentId: string | null
}

/** The transcript candidates of one project directory: `<session>.jsonl` and `<session>/subagents/agent-<id>.jsonl`. */
const candidatesOf = (projectDir: string, found: Array<Candidate>, watched: Listing.Watched | undefined): void => {
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
  const stats = Listing.statOf(candidate.path)
  return stats === undefined ? undefined : { ...candidate, ...stats }
}

/** The `projects` folders of the Claude dirs of `env`, each once. */
export const projectRoots = (env: Env): ReadonlyArray<string> => [
  ...new Set(claudeDirs(env).map((dir) => resolve(dir, "projects")))
]

/**
 * Every transcript under each Claude dir, `projects/<project>/<session>.jsonl` and its
 * `<session>/subagents/agent-<id>.jsonl`, with sizes, oldest first by modification time; missing dirs are skipped.
 * Synchronous calls (`Listing`).
 */
export const transcripts = (env: Env, watched?: Listing.Watched): ReadonlyArray<TranscriptFile> => {
  const candidates: Array<Candidate> = []
  for (const root of projectRoots(env)) {
    for (const entry of Listing.rootEntries(root, watched)) {
      if (mayBeDirectory(entry)) candidatesOf(join(root, entry.name), candidates, watched)
    }
  }
  const files: Array<TranscriptFile> = []
  for (const candidate of candidates) {
    const file = statOf(candidate)
    if (file !== undefined) files.push(file)
  }
  return files.sort(Listing.byAge)
}

/** Where `import` looks, for its messages. */
export const where = (env: Env): string => projectRoots(env).join(", ")

/** The line `import` ends with: `800 sessions (12 new, 3 updated, 785 unchanged): read 15 transcript file(s) (…)`. */
export const summary = (totals: ImportText.Read, env: Env, older?: ImportText.Words["older"]): string =>
  ImportText.filesSummary(totals, {
    files: "transcript file",
    none: `No Claude Code transcripts found (looked in ${where(env)}).`,
    older
  })
