/**
 * Codex's session files, listed: every one Codex keeps, `$CODEX_HOME/sessions/YYYY/MM/DD/` and
 * `$CODEX_HOME/archived_sessions/`, named `rollout-<time>-<session id>.jsonl`. What `import` reads (`History.ts`) and
 * what the quick check of an unchanged history (`bin.ts`) compares with the bookkeeping. No Effect: the CLI's small
 * entry point imports this module.
 */
import type { Dirent } from "node:fs"
import { basename, join } from "node:path"
import * as Listing from "@opensync/client/kit/Listing"
import type { SessionFile } from "@opensync/client/kit/SessionFiles"
import { codexHome } from "./Agent.js"

type Env = Readonly<Record<string, string | undefined>>

export const ROLLOUT = /^rollout-.*-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i

/** The session id a session file's name carries (`rollout-<ts>-<uuid>.jsonl`); its `session_meta` has the last word. */
export const sessionIdOfPath = (path: string): string | undefined => ROLLOUT.exec(basename(path))?.[1]

/** The folders Codex keeps session files in. */
export const roots = (env: Env): ReadonlyArray<string> => [
  join(codexHome(env), "sessions"),
  join(codexHome(env), "archived_sessions")
]

/** The session files among `entries` of `dir` and in its folders, up to `depth` folders down. */
const walk = (
  dir: string,
  entries: ReadonlyArray<Dirent>,
  depth: number,
  watched: Listing.Watched | undefined,
  found: Array<string>
): void => {
  for (const entry of entries) {
    const path = join(dir, entry.name)
    // (a date's folder may be a link to one moved to another disk; `depth` bounds a link that loops)
    if (entry.isDirectory() || (entry.isSymbolicLink() && Listing.isDirectoryAt(path))) {
      if (depth > 0) walk(path, Listing.watchedEntries(path, watched), depth - 1, watched, found)
    } else if (Listing.mayBeFile(entry) && ROLLOUT.test(entry.name)) {
      found.push(path)
    }
  }
}

/** The paths of every session file (`YYYY/MM/DD` below each root), recording the folders read in `watched`. */
export const rolloutPaths = (env: Env, watched?: Listing.Watched): ReadonlyArray<string> => {
  const found: Array<string> = []
  for (const root of roots(env)) walk(root, Listing.rootEntries(root, watched), 3, watched, found)
  return found
}

/** Every session file Codex keeps, with its size and time, oldest first; its session id from its name. */
export const sessionFiles = (env: Env, watched?: Listing.Watched): ReadonlyArray<SessionFile> =>
  Listing.statFiles(rolloutPaths(env, watched)).map((file) => ({
    ...file,
    sessionId: sessionIdOfPath(file.path) ?? file.path
  }))
