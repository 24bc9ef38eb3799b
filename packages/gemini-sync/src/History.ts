import { readFile } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Kit, Lenient } from "@opensync/client"
import * as Effect from "effect/Effect"
import { agent, geminiDir } from "./Agent.js"
import * as Chat from "./Chat.js"
import * as Files from "./Files.js"
import * as Projects from "./Projects.js"

/*
 * Gemini CLI's chat files (`Files.ts`: what `gemini-sync import` reads), each read into its session's events. A chat
 * file's session id is in its header (the file name carries only its first 8 characters).
 */

type Env = Readonly<Record<string, string | undefined>>

const formOf = (path: string): "json" | "jsonl" => (path.endsWith(".jsonl") ? "jsonl" : "json")

/** The session id in a chat file's header (its first line, or the `.json` document), else undefined. */
const sessionIdOf = async (path: string): Promise<string | undefined> => {
  if (formOf(path) === "json") {
    const records = Chat.parse(await readFile(path, "utf8"), "json").records
    const id = records[0]?.sessionId
    return typeof id === "string" && id !== "" ? id : undefined
  }
  const first = await Kit.SessionFiles.firstLine(path, 4_096)
  try {
    const id = (JSON.parse(first) as { sessionId?: unknown }).sessionId
    return typeof id === "string" && id !== "" ? id : undefined
  } catch {
    return undefined
  }
}

/** Every chat file Gemini CLI keeps, oldest first by modification time. */
export const discover = (env: Env): Effect.Effect<ReadonlyArray<Kit.SessionFiles.SessionFile>> =>
  Effect.suspend(() => Kit.SessionFiles.sessionFiles(Files.chatPaths(env), sessionIdOf))

/** The chats of the subagents of the session whose chat file is `chatFile`. */
export const subagentChatsOf = (chatFile: string, sessionId: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.sync(() =>
    basename(dirname(chatFile)) === "chats" ? Files.subagentChatPaths(join(dirname(chatFile), sessionId)) : []
  )

/** The session that started a subagent's chat: the folder it is in, under `chats/`. */
const parentOf = (path: string): string | null => {
  const folder = dirname(path)
  return basename(folder) === "chats" || basename(dirname(folder)) !== "chats" ? null : basename(folder)
}

/** `first`, then what `rest` has left. */
function* after<A>(first: A, rest: Iterator<A>): Generator<A> {
  yield first
  for (let next = rest.next(); next.done !== true; next = rest.next()) yield next.value
}

/**
 * Reads one chat file into its events; `sessionId` names the session when the header does not. A `.jsonl` chat is read
 * a line at a time (a file larger than `Kit.FileAgent.WHOLE_FILE_BYTES` straight from disk), each record reduced to
 * what it syncs as it is read (`Chat.read`), so a long chat's tool results and file contents are never held whole; the
 * older `.json` form is one document, read whole.
 */
export const readChatFile = (path: string, sessionId: string, options: Kit.SessionSource.MappingOptions, env: Env) => {
  const chatOf = (records: Iterable<Lenient.Json>): Chat.ChatSession => {
    // The project comes from the first record's hash (the header), before any message needs it.
    const rest = records[Symbol.iterator]()
    const first = rest.next()
    const hash = first.done !== true && typeof first.value.projectHash === "string" ? first.value.projectHash : null
    const cwd = Projects.projectOf(geminiDir(env), path, hash)
    const all = first.done === true ? [] : after(first.value, rest)
    return Chat.read(all, { syncThinking: options.syncThinking, cwd, parentId: parentOf(path) })
  }
  const mapping = { ...options, source: agent.source.id }
  if (formOf(path) === "json")
    return Kit.FileAgent.readSessionFile(path, sessionId, mapping, (text) => {
      const parsed = Chat.parse(text, "json")
      return { session: chatOf(parsed.records), malformed: parsed.malformed }
    })
  return Kit.FileAgent.readSessionFileLines(path, sessionId, mapping, (lines) => {
    const counts = { malformed: 0 }
    const session = chatOf(Kit.SessionFiles.jsonObjectsOf(lines(), counts))
    return { session, malformed: counts.malformed }
  })
}

/** Gemini CLI's chat files as the kit reads them. A subagent's chat is named by its path until it is read. */
export const files = (env: Env): Kit.FileAgent.Files<Chat.ChatSession> => ({
  discover: discover(env),
  where: Files.root(env),
  read: (path, sessionId, options) => readChatFile(path, sessionId, options, env),
  subagentsOf: (path, read, sessionId) =>
    Effect.map(subagentChatsOf(path, read.session.id ?? sessionId), (paths) =>
      paths.map((subagent) => ({ sessionId: subagent, path: subagent }))
    ),
  notASessionFile: (read) =>
    read.session.id === null
      ? `not a Gemini CLI chat file: no header with a sessionId (${read.malformed} malformed line(s))`
      : undefined
})
