import { dirname, join } from "node:path"
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

/**
 * The session files of the subagents `parentId` spawned: beside the parent's file (Codex files a session under the
 * day it started), their first line, the `session_meta`, naming the parent thread (before its long instructions).
 */
export const subagentFilesOf = (parentPath: string, parentId: string): Effect.Effect<ReadonlyArray<string>> => {
  const dir = dirname(parentPath)
  const needle = `"parent_thread_id":${JSON.stringify(parentId)}`
  return Effect.flatMap(entriesOf(dir), (entries) =>
    Effect.map(
      Effect.forEach(
        entries
          .filter((entry) => entry.isFile() && ROLLOUT.test(entry.name))
          .map((entry) => join(dir, entry.name))
          .filter((path) => path !== parentPath),
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
      : Effect.map(subagentFilesOf(path, read.session.id), (paths) =>
          paths.map((subagent) => ({ sessionId: sessionIdOfPath(subagent) ?? subagent, path: subagent }))
        ),
  notASessionFile: (read) =>
    read.session.id === null && read.events.length === 0
      ? `not a Codex session file: ${read.malformed} malformed line(s), no session_meta`
      : undefined
})
