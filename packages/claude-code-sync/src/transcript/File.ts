import { closeSync, fstatSync, openSync, readSync } from "node:fs"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Lines from "./Lines.js"

/** A transcript file could not be read. */
export class TranscriptReadError extends Data.TaggedError("TranscriptReadError")<{
  readonly path: string
  readonly cause: unknown
}> {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `cannot read the transcript ${this.path}: ${reason}`
  }
}

/** The lines of a file (or of a byte range of one), and where a later read of the same file can resume. */
export interface ReadResult extends Lines.ParsedTranscript {
  /** The byte offset just past the last complete (line-break terminated) line read. */
  readonly nextOffset: number
}

/** Which bytes to read: `[start, end)`, the whole file by default; `start` must be the start of a line. */
export interface ReadRange {
  readonly start?: number
  readonly end?: number
  /** Bytes per read (4 MiB by default: most transcripts are read in one). */
  readonly chunkBytes?: number
  /**
   * Leave an unfinished last line (no line break yet: Claude Code may be writing it) for the next read instead of
   * parsing it (and counting it malformed). Off by default: a whole-file read parses everything there is.
   */
  readonly completeLinesOnly?: boolean
}

const CHUNK_BYTES = 4 * 1024 * 1024

/**
 * Reads and parses a transcript file, or a byte range of one: the module's only I/O. The file is read in chunks and
 * parsed line by line, so memory holds one chunk and the decoded lines of interest, never the whole text (the lines
 * the reader skips, most of a 2.1.332 transcript, are dropped as soon as they are recognised). The reads are
 * synchronous on purpose: files are read one at a time anyway, and waiting on the thread pool per chunk is slower.
 */
export const readTranscriptFile = (
  path: string,
  range: ReadRange = {}
): Effect.Effect<ReadResult, TranscriptReadError> =>
  Effect.try({
    try: () => {
      const fd = openSync(path, "r")
      try {
        const start = Math.max(0, range.start ?? 0)
        const end = Math.min(range.end ?? Number.POSITIVE_INFINITY, fstatSync(fd).size)
        const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(range.chunkBytes ?? CHUNK_BYTES, end - start)))
        const lines = Lines.makeLineBuffer()
        const collector = Lines.makeCollector()
        let position = start
        while (position < end) {
          const read = readSync(fd, buffer, 0, Math.min(buffer.length, end - position), position)
          if (read === 0) break
          position += read
          lines.push(buffer.subarray(0, read), collector.add)
        }
        if (range.completeLinesOnly !== true) lines.end(collector.add)
        return { ...collector.result(), nextOffset: start + lines.consumed() }
      } finally {
        closeSync(fd)
      }
    },
    catch: (cause) => new TranscriptReadError({ path, cause })
  })
