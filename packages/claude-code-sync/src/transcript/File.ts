import { closeSync, fstatSync, openSync, readSync } from "node:fs"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Lines from "./Lines.js"
import * as Session from "./Session.js"

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
 * Reads `[start, end)` of a file in chunks and hands each complete line (as bytes, valid during the call) to `onLine`;
 * then the unfinished last line, if any, to `onTail`. Returns how many bytes the complete lines took. Memory holds one
 * chunk, never the whole file. The reads are synchronous on purpose: files are read one at a time, and waiting on the
 * thread pool per chunk is slower.
 */
const eachLineOf = (
  path: string,
  range: ReadRange,
  onLine: (line: Buffer) => void,
  onTail: ((line: Buffer) => void) | undefined
): { readonly start: number; readonly consumed: number } => {
  const fd = openSync(path, "r")
  try {
    const start = Math.max(0, range.start ?? 0)
    const end = Math.min(range.end ?? Number.POSITIVE_INFINITY, fstatSync(fd).size)
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(range.chunkBytes ?? CHUNK_BYTES, end - start)))
    const lines = Lines.makeLineBuffer()
    let position = start
    while (position < end) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, end - position), position)
      if (read === 0) break
      position += read
      lines.push(buffer.subarray(0, read), onLine)
    }
    if (onTail !== undefined) lines.end(onTail)
    return { start, consumed: lines.consumed() }
  } finally {
    closeSync(fd)
  }
}

/**
 * Reads and parses a transcript file, or a byte range of one: only the lines of interest are decoded (most of a
 * 2.1.332 transcript is recognised and dropped as bytes).
 */
export const readTranscriptFile = (
  path: string,
  range: ReadRange = {}
): Effect.Effect<ReadResult, TranscriptReadError> =>
  Effect.try({
    try: () => {
      const collector = Lines.makeCollector()
      const read = eachLineOf(path, range, collector.add, range.completeLinesOnly === true ? undefined : collector.add)
      return { ...collector.result(), nextOffset: read.start + read.consumed }
    },
    catch: (cause) => new TranscriptReadError({ path, cause })
  })

/** What feeding a file into a fold read. */
export interface FedRange {
  readonly malformed: number
  readonly skipped: number
  /** 1 when the last line is not whole yet (Claude Code is writing it; `nextOffset` points at it), else 0. */
  readonly unfinished: number
  /** Where the next read goes on: past the last line read, or before an unfinished last line. */
  readonly nextOffset: number
}

/**
 * Feeds the lines of a file from `start` (the start of a line) into a fold, one at a time, without keeping them. A last
 * line without a line break is fed when it is a whole JSON line (a writer that has not added the break yet); when it is
 * not (Claude Code is writing it), it is left for the next read, `nextOffset` pointing at it, and not counted malformed.
 */
export const feedFile = (
  path: string,
  fold: Session.Fold,
  range: Omit<ReadRange, "completeLinesOnly"> = {}
): Effect.Effect<FedRange, TranscriptReadError> =>
  Effect.try({
    try: () => {
      const counts: Lines.LineCounts = { malformed: 0, skipped: 0 }
      const sink = Lines.lineSink(counts, (line) => Session.feed(fold, line))
      let tail = 0
      let unfinished = 0
      const read = eachLineOf(path, range, sink, (line) => {
        const result = Lines.parseLineBytes(line)
        // Claude Code is still writing it: not malformed, and the next read starts at it.
        if (result._tag === "Malformed") {
          unfinished = 1
          return
        }
        if (result._tag === "Line") Session.feed(fold, result.line)
        else if (result._tag === "Skipped") counts.skipped++
        tail = line.length
      })
      return { ...counts, unfinished, nextOffset: read.start + read.consumed + tail }
    },
    catch: (cause) => new TranscriptReadError({ path, cause })
  })
