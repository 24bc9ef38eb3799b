import { readFile } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Kit, type Lenient } from "@opensync/client"
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

/**
 * Every chat file Gemini CLI keeps, oldest first by modification time. The memos of chats no longer there (Gemini CLI
 * deletes old chats) are removed on the way.
 */
export const discover = (env: Env): Effect.Effect<ReadonlyArray<Kit.SessionFiles.SessionFile>> =>
  Effect.suspend(() => {
    const paths = Files.chatPaths(env)
    Kit.Memo.sweep(memoDir(env), paths)
    return Kit.SessionFiles.sessionFiles(paths, sessionIdOf)
  })

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

/**
 * `.jsonl` chats of at least this size keep what their last read gathered (a memo beside the agent's state,
 * `Kit.Memo`), so the next read of the grown chat (the sync after a turn) parses only what was appended. Smaller chats
 * are read whole.
 */
export const MEMO_FROM_BYTES = 4 * 1024 * 1024

const memoDir = (env: Env) => join(Kit.Agent.paths(agent, env).stateDir, "chats")

/** The project a chat belongs to, from the hash its header (its first record) names. */
const projectOfHeader = (env: Env, path: string, header: Lenient.Json | undefined) => {
  const hash = typeof header?.projectHash === "string" ? header.projectHash : null
  return { hash, cwd: Projects.projectOf(geminiDir(env), path, hash) }
}

/** What a memo keeps: the chat reader's state, and the project it was read for (from the header's hash). */
interface State {
  readonly hash: string | null
  readonly cwd: string | null
  readonly chat: Chat.ReaderState
}

/**
 * A `.jsonl` chat's reader for `Kit.Memo`: from the start, the project comes from the first record's hash (the header)
 * before any message needs it; on from a memo, while the hash still names the project it was read for.
 */
const chatReader =
  (path: string, options: Kit.SessionSource.MappingOptions, env: Env) =>
  (saved: State | undefined): Kit.Memo.Reader<State, Chat.ChatSession> | undefined => {
    const settings = { syncThinking: options.syncThinking, parentId: parentOf(path) }
    if (saved !== undefined && Projects.projectOf(geminiDir(env), path, saved.hash) !== saved.cwd) return undefined
    let hash = saved?.hash ?? null
    let cwd = saved?.cwd ?? null
    let chat = saved === undefined ? undefined : Chat.reader({ ...settings, cwd }, saved.chat)
    return {
      add: (record) => {
        if (chat === undefined) {
          const project = projectOfHeader(env, path, record)
          hash = project.hash
          cwd = project.cwd
          chat = Chat.reader({ ...settings, cwd })
        }
        chat.add(record)
      },
      state: () => (chat === undefined ? undefined : { hash, cwd, chat: chat.state() }),
      finish: () => (chat ?? Chat.reader({ ...settings, cwd: projectOfHeader(env, path, undefined).cwd })).session()
    }
  }

/**
 * A `.jsonl` chat, read a line at a time from disk, each record reduced to what it syncs as it is read; one of
 * `memoFromBytes` or more on from its memo (`Kit.Memo`).
 */
const readJsonlChat = (
  path: string,
  options: Kit.FileAgent.ReadOptions,
  env: Env,
  size: number,
  memoFromBytes: number
) => {
  const read = Kit.Memo.read(path, size, {
    dir: memoDir(env),
    fromBytes: memoFromBytes,
    settings: { syncThinking: options.syncThinking },
    fresh: options.again === true,
    open: chatReader(path, options, env)
  })
  return Kit.FileAgent.fromMemo(read)
}

/**
 * Reads one chat file into its events; `sessionId` names the session when the header does not. A `.jsonl` chat is read
 * a line at a time, each record reduced to what it syncs as it is read (`Chat.reader`), so a long chat's tool results
 * and file contents are never held whole; one of `memoFromBytes` or more goes on from what its last read gathered
 * (`MEMO_FROM_BYTES`). The older `.json` form is one document, read whole.
 */
export const readChatFile = (
  path: string,
  sessionId: string,
  options: Kit.FileAgent.ReadOptions,
  env: Env,
  memoFromBytes = MEMO_FROM_BYTES
) => {
  const mapping = { ...options, source: agent.source.id }
  if (formOf(path) === "json")
    return Kit.FileAgent.readSessionFile(path, sessionId, mapping, (text) => {
      const { records, malformed, invalid } = Chat.parse(text, "json")
      // Reported as unreadable (and read again next time), not remembered as a file that is no chat
      if (invalid !== undefined) throw new Error(invalid)
      const { cwd } = projectOfHeader(env, path, records[0])
      return {
        session: Chat.read(records, { syncThinking: options.syncThinking, cwd, parentId: parentOf(path) }),
        malformed
      }
    })
  return Kit.FileAgent.readSessionFileWith(path, sessionId, mapping, (size) =>
    readJsonlChat(path, options, env, size, memoFromBytes)
  )
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
