import { readFile } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Kit } from "@opensync/client"
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

/** Reads one chat file into its events; `sessionId` names the session when the header does not. */
export const readChatFile = (path: string, sessionId: string, options: Kit.SessionSource.MappingOptions, env: Env) =>
  Kit.FileAgent.readSessionFile(path, sessionId, { ...options, source: agent.source.id }, (text) => {
    const parsed = Chat.parse(text, formOf(path))
    const header = parsed.records[0] ?? {}
    const hash = typeof header.projectHash === "string" ? header.projectHash : null
    const cwd = Projects.projectOf(geminiDir(env), path, hash)
    const session = Chat.read(parsed.records, { syncThinking: options.syncThinking, cwd, parentId: parentOf(path) })
    return { session, malformed: parsed.malformed }
  })

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
