/**
 * An agent's session files on disk, read leniently (Codex and Gemini CLI keep a file per session): the entries of a
 * folder, the first line of a file, a file's text, the JSON objects of a JSON Lines text, and the session files found
 * among some paths, with their sizes and times.
 */
import type { Dirent } from "node:fs"
import { closeSync, openSync, readSync } from "node:fs"
import { open, readdir, readFile, stat } from "node:fs/promises"
import * as Effect from "effect/Effect"
import * as Lenient from "../Lenient.js"

/** A session file found on disk. */
export interface SessionFile {
  readonly path: string
  readonly sessionId: string
  readonly size: number
  readonly mtimeMs: number
}

/** The entries of `dir`; none when it cannot be listed (absent, not a folder, not readable). */
export const entriesOf = (dir: string): Effect.Effect<ReadonlyArray<Dirent>> =>
  Effect.promise(() => readdir(dir, { withFileTypes: true }).catch((): ReadonlyArray<Dirent> => []))

/** The first line of a file, from its first `bytes` bytes (a header that comes before a long body); rejects when the file cannot be read. */
export const firstLine = async (path: string, bytes: number): Promise<string> => {
  const handle = await open(path, "r")
  try {
    const buffer = Buffer.alloc(bytes)
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0)
    return buffer.subarray(0, bytesRead).toString("utf8").split("\n")[0] ?? ""
  } finally {
    await handle.close()
  }
}

/** A file's text; fails with why it cannot be read. */
export const readText = (path: string): Effect.Effect<string, string> =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => (cause instanceof Error ? cause.message : String(cause))
  })

/** The lines of a JSON Lines text that are JSON objects; the other non-blank lines are counted as malformed. */
export const parseJsonLines = (
  text: string
): { readonly lines: ReadonlyArray<Lenient.Json>; readonly malformed: number } => {
  const lines: Array<Lenient.Json> = []
  let malformed = 0
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue
    try {
      const value: unknown = JSON.parse(raw)
      if (Lenient.isRecord(value)) lines.push(value)
      else malformed++
    } catch {
      malformed++
    }
  }
  return { lines, malformed }
}

/** The lines of a text (what `text.split("\n")` gives), one at a time. */
export function* linesOf(text: string): Generator<string> {
  for (let start = 0; start <= text.length; ) {
    const newline = text.indexOf("\n", start)
    const end = newline < 0 ? text.length : newline
    yield text.slice(start, end)
    start = end + 1
  }
}

/**
 * What `linesOfFile` gives in place of a line longer than its limit: not JSON, so a reader counts it as malformed.
 */
export const overlongLine = "\u0000(a line too long to read)"

/** The longest line `linesOfFile` reads (characters): a longer one is passed over (`overlongLine`). */
export const maxLineChars = 64 * 1024 * 1024

/**
 * The lines of the file at `path` (as `linesOf` its text), read `chunkBytes` at a time: the file is never held whole,
 * only its current line. A line longer than `maxChars` is passed over to its end without being held (its bytes are only
 * searched for the newline) and given as `overlongLine`: a line that long is not a record a reader can parse (a
 * damaged or hostile file, a 3 GiB run of NULs), and the lines after it are still read. Throws when the file cannot be
 * read.
 */
export function* linesOfFile(
  path: string,
  chunkBytes = 4 * 1024 * 1024,
  maxChars = maxLineChars,
  position: LinePosition = { from: 0, lineEnd: 0 }
): Generator<string> {
  const fd = openSync(path, "r")
  try {
    // Room for a chunk and the bytes of a character the last chunk cut (at most 3).
    const buffer = Buffer.allocUnsafe(chunkBytes + 3)
    // The file offset of the buffer's first byte.
    let base = position.from
    position.lineEnd = position.from
    // How many bytes at the buffer's start the last chunk left: a character it cut, decoded with the next chunk.
    let carried = 0
    // The current line's text so far, in the pieces the chunks gave: joined once, when its end is found.
    let pending: Array<string> = []
    let pendingChars = 0
    // Whether the current line passed `maxChars`: its bytes are passed over up to its newline.
    let skipping = false
    for (;;) {
      const read = readSync(fd, buffer, carried, chunkBytes, base + carried)
      const end = carried + read
      let from = 0
      if (skipping) {
        const newline = buffer.subarray(0, end).indexOf(10)
        if (newline < 0 && read > 0) {
          base += end
          continue
        }
        yield overlongLine
        if (newline < 0) return
        skipping = false
        // A newline byte is never part of a longer UTF-8 sequence: decoding starts afresh after it.
        from = newline + 1
      }
      const lastNewline = buffer.subarray(from, end).lastIndexOf(10)
      if (lastNewline >= 0) position.lineEnd = base + from + lastNewline + 1
      else if (from > 0) position.lineEnd = base + from
      // Decoded as `readFile(path, "utf8")` decodes the whole file (a byte order mark stays, invalid bytes become
      // U+FFFD): a chunk ends before a character it cuts, whose bytes go with the next chunk. (A streaming
      // TextDecoder took twice as long in a fresh process: 37 MB of lines in 0.34–0.42 s against 0.17–0.22 s.)
      const keep = read === 0 ? 0 : cutCharacter(buffer, from, end)
      const text = buffer.toString("utf8", from, end - keep)
      if (keep > 0) buffer.copy(buffer, 0, end - keep, end)
      base += end - keep
      carried = keep
      let start = 0
      for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
        const piece = text.slice(start, newline)
        start = newline + 1
        if (pendingChars + piece.length > maxChars) yield overlongLine
        else if (pending.length === 0) yield piece
        else {
          pending.push(piece)
          yield pending.join("")
        }
        pending = []
        pendingChars = 0
      }
      const rest = text.slice(start)
      if (pendingChars + rest.length > maxChars) {
        pending = []
        pendingChars = 0
        if (read === 0) {
          yield overlongLine
          return
        }
        skipping = true
        // The cut character's bytes belong to the line passed over: the next chunk starts after them.
        base += carried
        carried = 0
        continue
      }
      if (read === 0) {
        pending.push(rest)
        yield pending.join("")
        return
      }
      if (rest !== "") {
        pending.push(rest)
        pendingChars += rest.length
      }
    }
  } finally {
    closeSync(fd)
  }
}

/** Where `linesOfFile` starts (a line's start), and where the lines it has given end. */
export interface LinePosition {
  readonly from: number
  /** The file offset just past the last line break read so far: where a later read of what follows starts. */
  lineEnd: number
}

/**
 * How many bytes at the end of `bytes[from, end)` begin a UTF-8 character that continues past `end` (0 to 3): those
 * after the last lead byte, when there are fewer than it announces. Decoding them with what follows gives what
 * decoding the whole text gives, even when they turn out invalid.
 */
const cutCharacter = (bytes: Buffer, from: number, end: number): number => {
  for (let i = end - 1; i >= Math.max(from, end - 4); i--) {
    const byte = bytes[i]!
    if ((byte & 0xc0) === 0x80) continue
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return end - i < length ? end - i : 0
  }
  return 0
}

/**
 * The lines that are JSON objects, as `parseJsonLines` finds them but one at a time: each is parsed when asked for, so
 * a reader that keeps little of each line never holds every line's object at once. The other non-blank lines are
 * counted into `counts.malformed` as they are passed.
 */
export function* jsonObjectsOf(lines: Iterable<string>, counts: { malformed: number }): Generator<Lenient.Json> {
  for (const raw of lines) {
    if (raw.trim() === "") continue
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      counts.malformed++
      continue
    }
    if (Lenient.isRecord(value)) yield value
    else counts.malformed++
  }
}

/**
 * The regular files among `paths`, oldest first by modification time, each with the session id `sessionIdOf` gives
 * (its path when it gives none); a file that is gone or cannot be read meanwhile is left out.
 */
export const sessionFiles = (
  paths: ReadonlyArray<string>,
  sessionIdOf: (path: string) => Promise<string | undefined>
): Effect.Effect<ReadonlyArray<SessionFile>> =>
  Effect.map(
    Effect.forEach(
      paths,
      (path) =>
        Effect.promise(async (): Promise<SessionFile | undefined> => {
          try {
            const info = await stat(path)
            if (!info.isFile()) return undefined
            return { path, sessionId: (await sessionIdOf(path)) ?? path, size: info.size, mtimeMs: info.mtimeMs }
          } catch {
            return undefined
          }
        }),
      { concurrency: 16 }
    ),
    (files) =>
      files
        .filter((file): file is SessionFile => file !== undefined)
        .sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1))
  )

/** The files changed since `since` (all of them without it). */
export const filesSince = <F extends { readonly mtimeMs: number }>(
  files: ReadonlyArray<F>,
  since: number | undefined
): ReadonlyArray<F> => files.filter((file) => since === undefined || file.mtimeMs >= since)
