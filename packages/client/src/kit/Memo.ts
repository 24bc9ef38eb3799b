/**
 * A session file that only grows (a JSON Lines file an agent appends a line to as the session goes on) read on from
 * where its last read stopped. The sync after a turn reads the file again; a large file keeps a memo of what its last
 * read gathered (the reader's state at the last line break it read, as plain JSON), so that sync parses only the lines
 * the turn appended. A memo is only a shortcut: one that does not match the file as it is now (the 4 KiB before where
 * it stopped, by a digest; the settings it was read with; a state the reader cannot go on from) is not used, and the
 * file is read from its start.
 *
 * Memos live in a folder of the agent's state (`<dir>/<digest of the path>.json`), written whole or not at all.
 */
import { createHash, randomBytes } from "node:crypto"
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync
} from "node:fs"
import { dirname, join } from "node:path"
import type * as Lenient from "../Lenient.js"
import * as Checkpoints from "./Checkpoints.js"
import * as SessionFiles from "./SessionFiles.js"

/** Reads a file's records (its lines that are JSON objects) one at a time. */
export interface Reader<State, Result> {
  readonly add: (record: Lenient.Json) => void
  /** What was read so far, as plain JSON to go on from; undefined when there is nothing worth keeping yet. */
  readonly state: () => State | undefined
  /** What the file gave; called once, after the last record. */
  readonly finish: () => Result
}

export interface Options<State, Result> {
  /** The folder the memos are kept in. */
  readonly dir: string
  /** Files of this size or more keep a memo; smaller ones are read whole each time. */
  readonly fromBytes: number
  /** What the read depends on besides the file (as JSON): a memo made with other settings is not used. */
  readonly settings: unknown
  /** Reads from the start whatever memo there is (`import --again`); the new memo is saved as after any read. */
  readonly fresh?: boolean
  /**
   * A reader from the file's start (`saved` undefined), or on from a memo's state. `lines()` starts a pass over the lines
   * the read will give it (those after the memo's place), for a reader that must look ahead; it may answer undefined
   * for a saved state it cannot go on from with those lines (the file is then read from its start).
   */
  readonly open: (saved: State | undefined, lines: () => Iterable<string>) => Reader<State, Result> | undefined
}

interface Memo<State> {
  readonly v: 3
  readonly path: string
  /**
   * This memo's name, new with each memo saved: a read on from it says which memo it went on from (`Read.from`), so
   * what uses only the records that changed since can check that the read which left this memo was committed.
   */
  readonly gen: string
  /** Where the read stopped: just past the last line break it read. */
  readonly offset: number
  /** The bytes before `offset`, by a digest: a file rewritten there is read from its start. */
  readonly tail: Checkpoints.Tail
  readonly settings: unknown
  readonly malformed: number
  readonly state: State
}

/** Where the memo of the file at `path` is kept. */
const nameOf = (path: string) => `${createHash("sha256").update(path).digest("hex").slice(0, 32)}.json`

/**
 * Up to this much of a file after its memo's place (or from its start) is read at once; more is read a chunk at a time
 * on each pass (`SessionFiles.linesOfFile`), so a long session's file is never held whole (a 143 MiB Codex rollout: 540
 * → 252 MiB peak RSS, at ~20 % more CPU for a second pass).
 */
export const WHOLE_BYTES = 16 * 1024 * 1024

/** How much of a memo's start is read to find the path of its file (`{"v":2,"path":"…"`). */
const HEAD_BYTES = 8192

/** The path of the file a memo was made of, read off the memo's start; undefined when it does not say. */
const pathOfMemo = (file: string): string | undefined => {
  try {
    const m = /^\{"v":\d+,"path":("(?:[^"\\]|\\.)*")/.exec(bytesFrom(file, 0, HEAD_BYTES).toString("utf8"))
    return m === null ? undefined : (JSON.parse(m[1]) as string)
  } catch {
    return undefined
  }
}

/**
 * Removes the memos of files that are gone, and any temporary file a write left. A memo of one of `paths` (the files
 * the agent's discovery found) stays; so does one whose file is still there under a path discovery does not give (a
 * hook's `transcript_path` through a symbolic link, say: the sync after the next turn would otherwise read that whole
 * file again).
 */
export const sweep = (dir: string, paths: ReadonlyArray<string>): void => {
  let names: ReadonlyArray<string>
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  const kept = new Set(paths.map(nameOf))
  for (const name of names) {
    if (kept.has(name)) continue
    const file = join(dir, name)
    const path = name.endsWith(".json") ? pathOfMemo(file) : undefined
    if (path !== undefined && nameOf(path) === name && existsSync(path)) continue
    rmSync(file, { force: true })
  }
}

const load = <State>(dir: string, path: string, size: number, settings: string): Memo<State> | undefined => {
  try {
    const memo = JSON.parse(readFileSync(join(dir, nameOf(path)), "utf8")) as Memo<State>
    const usable =
      memo.v === 3 &&
      memo.path === path &&
      typeof memo.gen === "string" &&
      JSON.stringify(memo.settings) === settings &&
      typeof memo.offset === "number" &&
      memo.offset > 0 &&
      memo.offset <= size &&
      typeof memo.malformed === "number" &&
      Checkpoints.hasTail(path, memo.offset, memo.tail)
    return usable ? memo : undefined
  } catch {
    return undefined
  }
}

/**
 * Writes a memo (as JSON text), whole or not at all: a disk that refuses it only costs the next read its shortcut.
 * Whether it was written.
 */
const save = (dir: string, path: string, memo: string): boolean => {
  const file = join(dir, nameOf(path))
  const temporary = `${file}.${process.pid}.tmp`
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
    writeFileSync(temporary, memo, { mode: 0o600 })
    renameSync(temporary, file)
    return true
  } catch {
    try {
      rmSync(temporary, { force: true })
    } catch {
      // Its folder cannot be written (or is not one): there is no temporary file either.
    }
    return false
  }
}

/** The bytes of the file from `from` to `size`, in one read. */
const bytesFrom = (path: string, from: number, size: number): Buffer => {
  const fd = openSync(path, "r")
  try {
    const buffer = Buffer.allocUnsafe(Math.max(0, size - from))
    const read = readSync(fd, buffer, 0, buffer.length, from)
    return buffer.subarray(0, read)
  } finally {
    closeSync(fd)
  }
}

/**
 * Reads the file from `memo`'s place (from its start without one) and gives the memo of what it read up to its last
 * line break, as JSON text (a line after it may still be being written: it is read, not kept); undefined when the
 * reader cannot go on from the memo's state.
 */
const readFrom = <State, Result>(
  path: string,
  size: number,
  options: Options<State, Result>,
  memo: Memo<State> | undefined
) => {
  const from = memo?.offset ?? 0
  const position = { from, lineEnd: from }
  let lines: () => Iterable<string>
  if (size - from <= WHOLE_BYTES) {
    // What is left in one read (a small file, or what a turn appended), decoded as `linesOfFile` decodes it.
    const bytes = bytesFrom(path, from, size)
    const text = bytes.toString("utf8")
    const lastBreak = bytes.lastIndexOf(0x0a)
    if (lastBreak >= 0) position.lineEnd = from + lastBreak + 1
    lines = () => SessionFiles.linesOf(text)
  } else {
    lines = () => SessionFiles.linesOfFile(path, undefined, undefined, position)
  }
  const reader = options.open(memo?.state, lines)
  if (reader === undefined) return undefined
  const counts = { malformed: memo?.malformed ?? 0 }
  // Each line is read once the next shows it ended with a line break; the last is what follows the last break.
  let held: string | undefined
  function* ended() {
    for (const line of lines()) {
      if (held !== undefined) yield held
      held = line
    }
  }
  for (const record of SessionFiles.jsonObjectsOf(ended(), counts)) reader.add(record)
  // Nothing new since the memo: it stays as it is.
  const state = position.lineEnd > from ? reader.state() : undefined
  const tail = state === undefined ? undefined : Checkpoints.spanTailOf(path, position.lineEnd)
  const gen = randomBytes(12).toString("base64url")
  const next =
    state === undefined || tail === undefined
      ? undefined
      : JSON.stringify({
          v: 3,
          path,
          gen,
          offset: position.lineEnd,
          tail,
          settings: options.settings,
          malformed: counts.malformed,
          state
        } satisfies Memo<State>)
  // The text after the last line break is read when it is a whole record (a writer that has not added the break yet);
  // when it is not, the agent is still writing it: it is not counted malformed, and the next read starts at it.
  const last = { malformed: 0 }
  for (const record of SessionFiles.jsonObjectsOf(held === undefined ? [] : [held], last)) reader.add(record)
  return { result: reader.finish(), malformed: counts.malformed, unfinished: last.malformed, memo: next, gen }
}

/** What `read` gave. */
export interface Read<Result> {
  readonly result: Result
  readonly malformed: number
  /** 1 when the text after the last line break is not a whole record (the agent is still writing it), else 0. */
  readonly unfinished: number
  /** The memo the read went on from (its `gen`), when it did. */
  readonly from?: string | undefined
  /** The memo of the file as it now is: the one saved by this read, or the one it went on from when nothing was new. */
  readonly saved?: string | undefined
}

/**
 * Reads the file at `path` (`size` bytes) a line at a time, each line that is a JSON object given to a reader
 * (`options.open`); a line that is not counts as malformed. A file of `options.fromBytes` or more goes on from its memo
 * when it has a usable one (else, or when the memo turns out unusable as it is read, from the start), and its new memo
 * is saved once the read succeeded. Throws when the file cannot be read.
 */
export const read = <State, Result>(path: string, size: number, options: Options<State, Result>): Read<Result> => {
  const settings = JSON.stringify(options.settings)
  const large = size >= options.fromBytes
  const memo = large && options.fresh !== true ? load<State>(options.dir, path, size, settings) : undefined
  let read: ReturnType<typeof readFrom<State, Result>>
  let from: string | undefined
  if (memo !== undefined) {
    try {
      read = readFrom(path, size, options, memo)
      if (read !== undefined) from = memo.gen
    } catch {
      // A memo of another shape (damaged, or written by another build): read from the start.
    }
  }
  read ??= readFrom(path, size, options, undefined)
  if (read === undefined) throw new Error(`${path}: the reader refused to read it from its start`)
  let saved: string | undefined
  if (large && read.memo !== undefined) saved = save(options.dir, path, read.memo) ? read.gen : undefined
  else if (from !== undefined) saved = from
  return { result: read.result, malformed: read.malformed, unfinished: read.unfinished, from, saved }
}
