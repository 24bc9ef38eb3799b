import { createHash } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
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

/**
 * Every chat file Gemini CLI keeps, oldest first by modification time. The memos of chats no longer there (Gemini CLI
 * deletes old chats) are removed on the way.
 */
export const discover = (env: Env): Effect.Effect<ReadonlyArray<Kit.SessionFiles.SessionFile>> =>
  Effect.suspend(() => {
    const paths = Files.chatPaths(env)
    sweepMemos(env, paths)
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
 * `.jsonl` chats of at least this size keep what their last read gathered (a memo beside the agent's state), so the
 * next read of the grown chat (the sync after a turn) parses only what was appended. Smaller chats are read whole.
 */
export const MEMO_FROM_BYTES = 4 * 1024 * 1024

/**
 * What a read of a chat gathered, up to the last line break it read: the reader's state, with what it was read with.
 * A memo is only a shortcut: one that does not match the file as it is now (its last line read, by a digest of its
 * bytes; the settings; the project) is not used, and the chat is read from its start.
 */
interface Memo {
  readonly v: 1
  readonly path: string
  readonly offset: number
  readonly tail: Kit.Checkpoints.Tail
  readonly syncThinking: boolean
  readonly hash: string | null
  readonly cwd: string | null
  readonly malformed: number
  readonly state: Chat.ReaderState
}

const memoDir = (env: Env) => join(Kit.Agent.paths(agent, env).stateDir, "chats")
const memoName = (path: string) => `${createHash("sha256").update(path).digest("hex").slice(0, 32)}.json`
const memoFile = (env: Env, path: string) => join(memoDir(env), memoName(path))

/** Removes the memos (and any temporary file a write left) of chats that are not among `paths`. */
const sweepMemos = (env: Env, paths: ReadonlyArray<string>) => {
  let names: ReadonlyArray<string>
  try {
    names = readdirSync(memoDir(env))
  } catch {
    return
  }
  const kept = new Set(paths.map(memoName))
  for (const name of names) {
    if (!kept.has(name)) rmSync(join(memoDir(env), name), { force: true })
  }
}

const loadMemo = (env: Env, path: string, size: number, syncThinking: boolean): Memo | undefined => {
  try {
    const memo = JSON.parse(readFileSync(memoFile(env, path), "utf8")) as Memo
    const usable =
      memo.v === 1 &&
      memo.path === path &&
      memo.syncThinking === syncThinking &&
      memo.offset <= size &&
      Kit.Checkpoints.hasTail(path, memo.offset, memo.tail) &&
      Projects.projectOf(geminiDir(env), path, memo.hash) === memo.cwd
    return usable ? memo : undefined
  } catch {
    return undefined
  }
}

/** Writes a memo, whole or not at all (a disk that refuses it only costs the next read its shortcut). */
const saveMemo = (env: Env, memo: Memo) => {
  const file = memoFile(env, memo.path)
  const temporary = `${file}.${process.pid}.tmp`
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    writeFileSync(temporary, JSON.stringify(memo), { mode: 0o600 })
    renameSync(temporary, file)
  } catch {
    rmSync(temporary, { force: true })
  }
}

/**
 * Reads a `.jsonl` chat from disk a line at a time, on from `memo` when there is one, and gives the memo of what
 * it read up to its last line break (a line after it may still be being written: it is read, not kept).
 */
const readChatLines = (
  path: string,
  options: Kit.SessionSource.MappingOptions,
  env: Env,
  memo: Memo | undefined,
  chunkBytes: number
): { readonly session: Chat.ChatSession; readonly malformed: number; readonly memo: Memo | undefined } => {
  const settings = { syncThinking: options.syncThinking, parentId: parentOf(path) }
  let chat = memo === undefined ? undefined : Chat.reader({ ...settings, cwd: memo.cwd }, memo.state)
  let hash = memo?.hash ?? null
  let cwd = memo?.cwd ?? null
  let malformed = memo?.malformed ?? 0
  const add = (raw: string) => {
    if (raw.trim() === "") return
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      malformed++
      return
    }
    if (!Lenient.isRecord(value)) {
      malformed++
      return
    }
    if (chat === undefined) {
      // The project comes from the first record's hash (the header), before any message needs it.
      hash = typeof value.projectHash === "string" ? value.projectHash : null
      cwd = Projects.projectOf(geminiDir(env), path, hash)
      chat = Chat.reader({ ...settings, cwd })
    }
    chat.add(value)
  }
  const position = { from: memo?.offset ?? 0, lineEnd: 0 }
  // Each line is added once the next shows it ended with a line break; the last is what follows the last break.
  let held: string | undefined
  for (const line of Kit.SessionFiles.linesOfFile(path, chunkBytes, undefined, position)) {
    if (held !== undefined) add(held)
    held = line
  }
  const tail = Kit.Checkpoints.spanTailOf(path, position.lineEnd)
  const next: Memo | undefined =
    chat === undefined || tail === undefined || position.lineEnd === 0
      ? undefined
      : {
          v: 1,
          path,
          offset: position.lineEnd,
          tail,
          syncThinking: options.syncThinking,
          hash,
          cwd,
          malformed,
          state: chat.state()
        }
  if (held !== undefined) add(held)
  chat ??= Chat.reader({ ...settings, cwd: Projects.projectOf(geminiDir(env), path, null) })
  return { session: chat.session(), malformed, memo: next }
}

/**
 * A `.jsonl` chat, read a line at a time from disk. One of `memoFromBytes` or more is read on from its memo when it
 * has a usable one (else, or when the memo turns out unusable while it is read, from the start), and its new memo is
 * saved once the read succeeded.
 */
const readJsonlChat = (
  path: string,
  options: Kit.SessionSource.MappingOptions,
  env: Env,
  size: number,
  memoFromBytes: number
) => {
  const large = size >= memoFromBytes
  // A small chat in one read (and the end-of-file read): no 4 MiB buffer for each of thousands of chats.
  const chunkBytes = Math.min(4 * 1024 * 1024, size + 1)
  const memo = large ? loadMemo(env, path, size, options.syncThinking) : undefined
  let read: ReturnType<typeof readChatLines> | undefined
  if (memo !== undefined) {
    try {
      read = readChatLines(path, options, env, memo, chunkBytes)
    } catch {
      // A memo of another shape (damaged, or written by another build): read from the start.
    }
  }
  read ??= readChatLines(path, options, env, undefined, chunkBytes)
  if (large && read.memo !== undefined) saveMemo(env, read.memo)
  return { session: read.session, malformed: read.malformed }
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
  options: Kit.SessionSource.MappingOptions,
  env: Env,
  memoFromBytes = MEMO_FROM_BYTES
) => {
  const mapping = { ...options, source: agent.source.id }
  if (formOf(path) === "json")
    return Kit.FileAgent.readSessionFile(path, sessionId, mapping, (text) => {
      const { records, malformed } = Chat.parse(text, "json")
      // The project comes from the header's hash.
      const hash = typeof records[0]?.projectHash === "string" ? records[0].projectHash : null
      const cwd = Projects.projectOf(geminiDir(env), path, hash)
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
