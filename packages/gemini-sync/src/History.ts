import type { Dirent } from "node:fs"
import { open, readdir, readFile, stat } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import { agent, geminiDir } from "./Agent.js"
import * as Chat from "./Chat.js"
import * as Projects from "./Projects.js"

/*
 * The history behind `gemini-sync import`: every chat file Gemini CLI keeps, `~/.gemini/tmp/<project>/chats/
 * session-*.jsonl` (and the older `.json`) and its subagents' chats, `chats/<parent session id>/<session id>.jsonl`,
 * each read into its session's events.
 */

type Env = Readonly<Record<string, string | undefined>>

/** One chat file. */
export interface ChatFile {
  readonly path: string
  /** From the header (the file name carries only its first 8 characters). */
  readonly sessionId: string
  readonly size: number
  readonly mtimeMs: number
}

const CHAT = /^session-.+\.jsonl?$/
const SUBAGENT_CHAT = /\.jsonl$/

const entriesOf = (dir: string): Effect.Effect<ReadonlyArray<Dirent>> =>
  Effect.promise(() => readdir(dir, { withFileTypes: true }).catch((): ReadonlyArray<Dirent> => []))

const formOf = (path: string): "json" | "jsonl" => (path.endsWith(".jsonl") ? "jsonl" : "json")

/** The session id in a chat file's header (its first line, or the `.json` document), else undefined. */
const sessionIdOf = async (path: string): Promise<string | undefined> => {
  if (formOf(path) === "json") {
    const records = Chat.parse(await readFile(path, "utf8"), "json").records
    const id = records[0]?.sessionId
    return typeof id === "string" && id !== "" ? id : undefined
  }
  const handle = await open(path, "r")
  try {
    const buffer = Buffer.alloc(4_096)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    const first = buffer.subarray(0, bytesRead).toString("utf8").split("\n")[0] ?? ""
    const id = (JSON.parse(first) as { sessionId?: unknown }).sessionId
    return typeof id === "string" && id !== "" ? id : undefined
  } catch {
    return undefined
  } finally {
    await handle.close()
  }
}

/** Every chat file Gemini CLI keeps, oldest first by modification time. */
export const discover = (env: Env): Effect.Effect<ReadonlyArray<ChatFile>> =>
  Effect.gen(function* () {
    const tmp = join(geminiDir(env), "tmp")
    const projects = (yield* entriesOf(tmp)).filter((entry) => entry.isDirectory() || entry.isSymbolicLink())
    const paths = (yield* Effect.forEach(
      projects,
      (project) =>
        Effect.gen(function* () {
          const chats = join(tmp, project.name, "chats")
          const entries = yield* entriesOf(chats)
          const main = entries.filter((entry) => CHAT.test(entry.name)).map((entry) => join(chats, entry.name))
          const subagents = yield* Effect.forEach(
            entries.filter((entry) => entry.isDirectory()),
            (dir) => subagentChats(join(chats, dir.name))
          )
          return [...main, ...subagents.flat()]
        }),
      { concurrency: 8 }
    )).flat()
    // Gemini CLI continues a resumed `.json` chat in a `.jsonl` beside it, which holds all of it.
    const continued = new Set(paths)
    const current = paths.filter((path) => !(path.endsWith(".json") && continued.has(`${path}l`)))
    const files = yield* Effect.forEach(
      current,
      (path) =>
        Effect.promise(async (): Promise<ChatFile | undefined> => {
          try {
            const info = await stat(path)
            if (!info.isFile()) return undefined
            const sessionId = (await sessionIdOf(path)) ?? path
            return { path, sessionId, size: info.size, mtimeMs: info.mtimeMs }
          } catch {
            return undefined
          }
        }),
      { concurrency: 16 }
    )
    return files
      .filter((file): file is ChatFile => file !== undefined)
      .sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1))
  })

/** The chats of the subagents a session started: the `.jsonl` files of `dir` (`chats/<session id>/`). */
const subagentChats = (dir: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.map(entriesOf(dir), (entries) =>
    entries.filter((entry) => entry.isFile() && SUBAGENT_CHAT.test(entry.name)).map((entry) => join(dir, entry.name))
  )

/** The chats of the subagents of the session whose chat file is `chatFile`. */
export const subagentChatsOf = (chatFile: string, sessionId: string): Effect.Effect<ReadonlyArray<string>> =>
  basename(dirname(chatFile)) === "chats" ? subagentChats(join(dirname(chatFile), sessionId)) : Effect.succeed([])

/** The session that started a subagent's chat: the folder it is in, under `chats/`. */
const parentOf = (path: string): string | null => {
  const folder = dirname(path)
  return basename(folder) === "chats" || basename(dirname(folder)) !== "chats" ? null : basename(folder)
}

/** Reads one chat file into its events; `sessionId` names the session when the header does not. */
export const readChatFile = (path: string, sessionId: string, options: Kit.SessionSource.MappingOptions, env: Env) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => (cause instanceof Error ? cause.message : String(cause))
  }).pipe(
    Effect.map((text) => {
      const parsed = Chat.parse(text, formOf(path))
      const header = parsed.records[0] ?? {}
      const hash = typeof header.projectHash === "string" ? header.projectHash : null
      const cwd = Projects.projectOf(geminiDir(env), path, hash)
      const session = Chat.read(parsed.records, { syncThinking: options.syncThinking, cwd, parentId: parentOf(path) })
      return {
        session,
        malformed: parsed.malformed,
        events: Kit.SessionEvents.toEvents(session, {
          source: agent.source.id,
          sessionId: session.id ?? sessionId,
          syncToolCalls: options.syncToolCalls
        })
      }
    })
  )

/** One chat file as an item of the kit's import loop. */
export const historyItem = (
  file: ChatFile,
  options: Kit.SessionSource.MappingOptions,
  env: Env
): Kit.SessionSource.HistoryItem<never> =>
  Kit.FileAgent.historyItem(
    file,
    readChatFile(file.path, file.sessionId, options, env).pipe(
      Effect.map(
        (read): Kit.SessionSource.ItemEvents =>
          read.session.id === null
            ? {
                ok: false,
                reason: `not a Gemini CLI chat file: no header with a sessionId (${read.malformed} malformed line(s))`
              }
            : { ok: true, events: read.events, malformed: read.malformed }
      )
    )
  )
