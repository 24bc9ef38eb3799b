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

/** Every session file Codex keeps, oldest first by modification time. */
export const discover = (env: Env): Effect.Effect<ReadonlyArray<Kit.SessionFiles.SessionFile>> =>
  Effect.sync(() => Files.sessionFiles(env))

/**
 * Reads one session file into its events; `sessionId` names the session when the file does not. Line by line, in two
 * passes (whether it has usage records, then the read): a long session's file (its tool outputs, mostly) is never held
 * whole, nor as parsed objects at once.
 */
export const readSessionFile = (path: string, sessionId: string, options: Kit.SessionSource.MappingOptions) =>
  Kit.FileAgent.readSessionFileLines(path, sessionId, { ...options, source: agent.source.id }, (lines) => {
    const usageRecords = Rollout.hasUsageRecords(lines())
    const counts = { malformed: 0 }
    const session = Rollout.read(Kit.SessionFiles.jsonObjectsOf(lines(), counts), {
      syncThinking: options.syncThinking,
      usageRecords
    })
    return { session, malformed: counts.malformed }
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
  read: readSessionFile,
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
