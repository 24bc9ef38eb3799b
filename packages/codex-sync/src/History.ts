import type { Dirent } from "node:fs"
import { readdir, readFile, stat } from "node:fs/promises"
import { basename, join } from "node:path"
import type { Kit } from "@opensync/client"
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

/** One session file as an item of the kit's import loop. */
export const historyItem = (
  file: SessionFile,
  options: Kit.SessionSource.MappingOptions
): Kit.SessionSource.HistoryItem<never> => ({
  sessionId: file.sessionId,
  label: file.path,
  size: file.size,
  changedAt: file.mtimeMs,
  read: readSessionFile(file.path, file.sessionId, options).pipe(
    Effect.map(
      (read): Kit.SessionSource.ItemEvents =>
        read.session.id === null && read.events.length === 0
          ? { ok: false, reason: `not a Codex session file: ${read.malformed} malformed line(s), no session_meta` }
          : { ok: true, events: read.events, malformed: read.malformed }
    ),
    Effect.catchAll((reason) => Effect.succeed({ ok: false, reason: `unreadable: ${reason}` } as const))
  )
})
