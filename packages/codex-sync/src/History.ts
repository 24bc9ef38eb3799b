import type { Dirent } from "node:fs"
import { open, readdir, readFile, stat } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Kit } from "@opensync/client"
import type { Event } from "@opensync/domain"
import * as Effect from "effect/Effect"
import { codexHome } from "./Agent.js"
import * as Events from "./Events.js"
import * as Rollout from "./Rollout.js"

/*
 * The history behind `codex-sync import`: every session file Codex keeps, `$CODEX_HOME/sessions/YYYY/MM/DD/` and
 * `$CODEX_HOME/archived_sessions/`, each read into its session's events.
 */

type Env = Readonly<Record<string, string | undefined>>

/** One session file. */
export interface SessionFile {
  readonly path: string
  /** From the file name (`rollout-<ts>-<uuid>.jsonl`); the file's own `session_meta` has the last word. */
  readonly sessionId: string
  readonly size: number
  readonly mtimeMs: number
}

const ROLLOUT = /^rollout-.*-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i

/** The session id a session file's name carries. */
export const sessionIdOfPath = (path: string): string | undefined => ROLLOUT.exec(basename(path))?.[1]

const entriesOf = (dir: string): Effect.Effect<ReadonlyArray<Dirent>> =>
  Effect.promise(() => readdir(dir, { withFileTypes: true }).catch((): ReadonlyArray<Dirent> => []))

/** The session files under `dir`, up to `depth` directories down. */
const walk = (dir: string, depth: number): Effect.Effect<ReadonlyArray<string>> =>
  Effect.flatMap(entriesOf(dir), (entries) =>
    Effect.map(
      Effect.forEach(
        entries,
        (entry): Effect.Effect<ReadonlyArray<string>> => {
          const path = join(dir, entry.name)
          if (entry.isDirectory()) return depth > 0 ? walk(path, depth - 1) : Effect.succeed([])
          return Effect.succeed((entry.isFile() || entry.isSymbolicLink()) && ROLLOUT.test(entry.name) ? [path] : [])
        },
        { concurrency: 8 }
      ),
      (found) => found.flat()
    )
  )

/** Every session file Codex keeps, oldest first by modification time. */
export const discover = (env: Env): Effect.Effect<ReadonlyArray<SessionFile>> =>
  Effect.gen(function* () {
    const home = codexHome(env)
    const paths = [...(yield* walk(join(home, "sessions"), 3)), ...(yield* walk(join(home, "archived_sessions"), 3))]
    const files = yield* Effect.forEach(
      paths,
      (path) =>
        Effect.promise(() =>
          stat(path).then(
            (info): SessionFile | undefined =>
              info.isFile()
                ? { path, sessionId: sessionIdOfPath(path) ?? path, size: info.size, mtimeMs: info.mtimeMs }
                : undefined,
            () => undefined
          )
        ),
      { concurrency: 16 }
    )
    return files
      .filter((file): file is SessionFile => file !== undefined)
      .sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1))
  })

/** Reads one session file into its events; `sessionId` names the session when the file does not. */
export const readSessionFile = (path: string, sessionId: string, options: Kit.SessionSource.MappingOptions) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => (cause instanceof Error ? cause.message : String(cause))
  }).pipe(
    Effect.map((text) => {
      const parsed = Rollout.parseLines(text)
      const session = Rollout.read(parsed.lines, { syncThinking: options.syncThinking })
      return {
        session,
        malformed: parsed.malformed,
        events: Events.toEvents(session, { sessionId: session.id ?? sessionId, syncToolCalls: options.syncToolCalls })
      }
    })
  )

/** The start of a file (its first line, the `session_meta`, names a subagent's parent before its long instructions). */
const head = async (path: string, bytes = 65_536): Promise<string> => {
  const handle = await open(path, "r")
  try {
    const buffer = Buffer.alloc(bytes)
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0)
    return buffer.subarray(0, bytesRead).toString("utf8")
  } finally {
    await handle.close()
  }
}

/**
 * The session files of the subagents `parentId` spawned: beside the parent's file (Codex files a session under the
 * day it started), their `session_meta` naming the parent thread.
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
            head(path).then(
              (text) => ((text.split("\n")[0] ?? "").includes(needle) ? [path] : []),
              () => []
            )
          ),
        { concurrency: 8 }
      ),
      (found) => found.flat()
    )
  )
}

/**
 * The events of the subagents a session spawned, and of theirs (`depth` levels): no hook names their files, so they
 * are read with their parent's. A file that cannot be read now is left to the next re-read or `import`.
 */
export const subagentEvents = (
  parentPath: string,
  parentId: string,
  options: Kit.SessionSource.MappingOptions,
  depth = 3
): Effect.Effect<ReadonlyArray<Event.EventEncoded>> =>
  depth <= 0
    ? Effect.succeed([])
    : Effect.flatMap(subagentFilesOf(parentPath, parentId), (files) =>
        Effect.map(
          Effect.forEach(files, (path) =>
            readSessionFile(path, sessionIdOfPath(path) ?? path, options).pipe(
              Effect.flatMap((read) =>
                read.session.id === null
                  ? Effect.succeed(read.events)
                  : Effect.map(subagentEvents(path, read.session.id, options, depth - 1), (theirs) => [
                      ...read.events,
                      ...theirs
                    ])
              ),
              Effect.catchAll(() => Effect.succeed([]))
            )
          ),
          (found) => found.flat()
        )
      )

/** One session file as an item of the kit's import loop. */
export const historyItem = (
  file: SessionFile,
  options: Kit.SessionSource.MappingOptions
): Kit.SessionSource.HistoryItem<never> =>
  Kit.FileAgent.historyItem(
    file,
    readSessionFile(file.path, file.sessionId, options).pipe(
      Effect.map(
        (read): Kit.SessionSource.ItemEvents =>
          read.session.id === null && read.events.length === 0
            ? { ok: false, reason: `not a Codex session file: ${read.malformed} malformed line(s), no session_meta` }
            : { ok: true, events: read.events, malformed: read.malformed }
      )
    )
  )
