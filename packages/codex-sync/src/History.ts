import { basename, dirname, join } from "node:path"
import { Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import { agent } from "./Agent.js"
import * as Files from "./Files.js"
import * as Rollout from "./Rollout.js"

/*
 * Codex's session files (`Files.ts`), each read into its session's events, and the files of the subagents a session
 * spawned.
 */

type Env = Readonly<Record<string, string | undefined>>

const { entriesOf } = Kit.SessionFiles
const { ROLLOUT, sessionIdOfPath } = Files

/** Every session file Codex keeps, oldest first by modification time; the memos of files no longer there are removed. */
export const discover = (env: Env): Effect.Effect<ReadonlyArray<Kit.SessionFiles.SessionFile>> =>
  Effect.sync(() => {
    const found = Files.sessionFiles(env)
    Kit.Memo.sweep(
      memoDir(env),
      found.map((file) => file.path)
    )
    return found
  })

/**
 * Session files of at least this size keep what their last read gathered (a memo beside the agent's state,
 * `Kit.Memo`), so the next read of the grown file (the sync after a turn) parses only what the turn appended. Smaller
 * files are read whole.
 */
export const MEMO_FROM_BYTES = 4 * 1024 * 1024

const memoDir = (env: Env) => join(Kit.Agent.paths(agent, env).stateDir, "rollouts")

/** A session file's reader for `Kit.Memo`, from the start or on from a memo's state (`Rollout.reader`). */
const rolloutReader =
  (options: Kit.SessionSource.MappingOptions) =>
  (saved: Rollout.ReaderState | undefined): Kit.Memo.Reader<Rollout.ReaderState, Rollout.RolloutSession> => {
    const rollout = Rollout.reader({ syncThinking: options.syncThinking }, saved)
    return { add: rollout.add, state: rollout.state, finish: rollout.session }
  }

/**
 * Reads one session file into its events; `sessionId` names the session when the file does not. Line by line: a long
 * session's file (its tool outputs, mostly) is never held whole, nor as parsed objects at once; one of
 * `memoFromBytes` or more goes on from what its last read gathered.
 */
export const readSessionFile = (
  path: string,
  sessionId: string,
  options: Kit.FileAgent.ReadOptions,
  env: Env,
  memoFromBytes = MEMO_FROM_BYTES
) =>
  Kit.FileAgent.readSessionFileWith(path, sessionId, { ...options, source: agent.source.id }, (size) => {
    const read = Kit.Memo.read(path, size, {
      dir: memoDir(env),
      fromBytes: memoFromBytes,
      settings: { syncThinking: options.syncThinking },
      fresh: options.again === true,
      open: rolloutReader(options)
    })
    return Kit.FileAgent.fromMemo(read)
  })

/** The day a session file's name dates it (`rollout-2026-12-01T…` → `2026/12/01`): the day folder Codex files it under. */
const dayOfName = (name: string): string | undefined => {
  const match = /^rollout-(\d{4})-(\d{2})-(\d{2})T/.exec(name)
  return match === null ? undefined : `${match[1]}/${match[2]}/${match[3]}`
}

/** The names in `dir` made of `digits` digits (a year's, a month's or a day's folder), newest first. */
const datedFolders = (dir: string, digits: number): Effect.Effect<ReadonlyArray<string>> =>
  Effect.map(entriesOf(dir), (entries) =>
    entries
      .map((entry) => entry.name)
      .filter((name) => name.length === digits && /^\d+$/.test(name))
      .sort()
      .reverse()
  )

/**
 * How many day folders, the newest, the re-read after a turn looks in for subagents besides the parent's own. A
 * subagent is filed under the day it was spawned, in the turn the re-read follows (today's folder, or yesterday's for a
 * turn that crossed midnight); the rest is slack for a sync that ran late. Counting folders that exist, not days, keeps
 * a session resumed months later to a few listings on each turn; a subagent filed further back is `import`'s.
 */
export const RECENT_DAY_FOLDERS = 7

/**
 * The newest `count` day folders below `root` (`YYYY/MM/DD`) dated `from` or later, newest first: the year and month
 * folders are listed from the newest down, until enough days are found or `from` is passed.
 */
const newestDays = (root: string, from: string, count: number): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function* () {
    const days: Array<string> = []
    for (const year of yield* datedFolders(root, 4)) {
      if (year < from.slice(0, 4)) break
      for (const month of yield* datedFolders(join(root, year), 2)) {
        if (`${year}/${month}` < from.slice(0, 7)) break
        for (const day of yield* datedFolders(join(root, year, month), 2)) {
          if (`${year}/${month}/${day}` < from) break
          days.push(`${year}/${month}/${day}`)
          if (days.length === count) return days
        }
      }
    }
    return days
  })

/**
 * The files that may be a subagent's of the session in `parentPath`. Codex files a subagent under the day it was
 * spawned, the parent's own day only until midnight or until the session is resumed on another day: so the files
 * beside the parent's, in its first day's folder, in the newest day folders since (`RECENT_DAY_FOLDERS`), and those in
 * `archived_sessions/` whose names date them to those days. Each file once, by name (it carries the session id).
 */
const candidatesOf = (parentPath: string, env: Env): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function* () {
    const [sessions, archived] = Files.roots(env)
    const start = dayOfName(basename(parentPath))
    const recent = start === undefined ? [] : yield* newestDays(sessions, start, RECENT_DAY_FOLDERS)
    const dirs = new Set([dirname(parentPath)])
    if (start !== undefined) dirs.add(join(sessions, start))
    for (const day of recent) dirs.add(join(sessions, day))
    const found = new Map<string, string>()
    for (const dir of dirs) {
      for (const entry of yield* entriesOf(dir)) {
        if (entry.isFile() && ROLLOUT.test(entry.name) && !found.has(entry.name)) {
          found.set(entry.name, join(dir, entry.name))
        }
      }
    }
    // Codex moves an archived session's file into `archived_sessions/` (not into day folders); only the names dated to
    // the days looked at above are candidates, so a large archive costs one listing.
    const oldest = recent.length === RECENT_DAY_FOLDERS ? recent[recent.length - 1] : start
    if (start !== undefined && oldest !== undefined && archived !== undefined && !dirs.has(archived)) {
      for (const entry of yield* entriesOf(archived)) {
        const day = dayOfName(entry.name)
        const dated = day !== undefined && (day === start || day >= oldest)
        if (dated && entry.isFile() && ROLLOUT.test(entry.name) && !found.has(entry.name)) {
          found.set(entry.name, join(archived, entry.name))
        }
      }
    }
    found.delete(basename(parentPath))
    return [...found.values()]
  })

/**
 * The session files of the subagents `parentId` spawned (`candidatesOf`: beside the parent's file and in the day
 * folders since its first day), their first line, the `session_meta`, naming the parent thread (before its long
 * instructions).
 */
export const subagentFilesOf = (
  parentPath: string,
  parentId: string,
  env: Env
): Effect.Effect<ReadonlyArray<string>> => {
  const needle = `"parent_thread_id":${JSON.stringify(parentId)}`
  return Effect.flatMap(candidatesOf(parentPath, env), (candidates) =>
    Effect.map(
      Effect.forEach(
        candidates,
        (path) =>
          Effect.promise(() =>
            Kit.SessionFiles.firstLine(path, 65_536).then(
              (line) => (line.includes(needle) ? [path] : []),
              () => []
            )
          ),
        { concurrency: 8 }
      ),
      (found) => found.flat()
    )
  )
}

/** Codex's session files as the kit reads them. */
export const files = (env: Env): Kit.FileAgent.Files<Rollout.RolloutSession> => ({
  discover: discover(env),
  where: Files.roots(env).join(", "),
  read: (path, sessionId, options) => readSessionFile(path, sessionId, options, env),
  subagentsOf: (path, read) =>
    read.session.id === null
      ? Effect.succeed([])
      : Effect.map(subagentFilesOf(path, read.session.id, env), (paths) =>
          paths.map((subagent) => ({ sessionId: sessionIdOfPath(subagent) ?? subagent, path: subagent }))
        ),
  notASessionFile: (read) =>
    read.session.id === null && read.events.length === 0
      ? `not a Codex session file: ${read.malformed} malformed line(s), no session_meta`
      : undefined
})
