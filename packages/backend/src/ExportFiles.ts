import { HttpServerResponse } from "@effect/platform"
import { Api, type Ids } from "@opensync/domain"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { StorageError } from "./SessionStore.js"

/**
 * File storage for exports, the port of a backend whose responses are capped (Convex: 20 MiB per HTTP response, 64 MiB
 * of memory per action). With it, an export larger than `inlineBytes` is written as parts of `partBytes` while it is
 * built and answered with `Api.ExportFiles`; at most one part is held in memory. A backend without it (the local
 * server) streams every export.
 */
export class ExportFiles extends Context.Tag("@opensync/backend/ExportFiles")<
  ExportFiles,
  {
    /** Largest export answered in the response itself. */
    readonly inlineBytes: number
    /** Bytes of each stored part (the last may be shorter). */
    readonly partBytes: number
    /** Stores one part (its bytes, in pieces) for the user; answers where to download it and until when. */
    readonly store: (
      userId: Ids.UserId,
      pieces: ReadonlyArray<Uint8Array>,
      contentType: string
    ) => Effect.Effect<{ readonly url: string; readonly expiresAt: number }, StorageError>
  }
>() {}

/** What the answer says about the export besides its bytes. */
export interface ExportMeta {
  readonly format: Api.ExportFormat
  readonly contentType: string
  readonly filename: string
  readonly headers: Record<string, string>
}

/** A queue of byte pieces from which parts of an exact size are cut. */
const pieceQueue = () => {
  let pieces: Array<Uint8Array> = []
  let head = 0
  let size = 0
  return {
    get size() {
      return size
    },
    push: (piece: Uint8Array) => {
      if (piece.length === 0) return
      pieces.push(piece)
      size += piece.length
    },
    /** The first `n` bytes (at most `size`), as pieces; splits a piece that straddles the cut. */
    take: (n: number): Array<Uint8Array> => {
      const out: Array<Uint8Array> = []
      let need = Math.min(n, size)
      while (need > 0) {
        const piece = pieces[head] as Uint8Array
        if (piece.length <= need) {
          out.push(piece)
          head++
          need -= piece.length
          size -= piece.length
        } else {
          out.push(piece.subarray(0, need))
          pieces[head] = piece.subarray(need)
          size -= need
          need = 0
        }
      }
      if (head > 1024 && head * 2 > pieces.length) {
        pieces = pieces.slice(head)
        head = 0
      }
      return out
    }
  }
}

const concat = (pieces: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(pieces.reduce((n, piece) => n + piece.length, 0))
  let at = 0
  for (const piece of pieces) {
    out.set(piece, at)
    at += piece.length
  }
  return out
}

/**
 * Answers an export body through `files`: the body itself when it ends within `inlineBytes`; otherwise the bytes cut
 * into parts of exactly `partBytes` (the last shorter), each stored as soon as it is full, and an `Api.ExportFiles`
 * naming them in order.
 */
export const answer = <E, R>(
  files: ExportFiles["Type"],
  userId: Ids.UserId,
  body: Stream.Stream<string, E, R>,
  meta: ExportMeta
): Effect.Effect<HttpServerResponse.HttpServerResponse, E | StorageError, R> =>
  Effect.gen(function* () {
    const partBytes = Math.max(1, Math.floor(files.partBytes))
    const queue = pieceQueue()
    const parts: Array<{ url: string; bytes: number }> = []
    let total = 0
    let expiresAt = Number.POSITIVE_INFINITY
    const storePart = (bytes: number) =>
      Effect.map(files.store(userId, queue.take(bytes), meta.contentType), (stored) => {
        parts.push({ url: stored.url, bytes })
        expiresAt = Math.min(expiresAt, stored.expiresAt)
      })
    const filing = () => parts.length > 0 || queue.size > files.inlineBytes
    yield* Stream.runForEach(Stream.encodeText(body), (chunk) =>
      Effect.gen(function* () {
        queue.push(chunk)
        total += chunk.length
        while (filing() && queue.size >= partBytes) yield* storePart(partBytes)
      })
    )
    if (!filing()) {
      return HttpServerResponse.uint8Array(concat(queue.take(queue.size)), {
        contentType: meta.contentType,
        headers: meta.headers
      })
    }
    if (queue.size > 0) yield* storePart(queue.size)
    const manifest: Api.ExportFiles = {
      format: meta.format,
      contentType: meta.contentType,
      filename: meta.filename,
      bytes: total,
      expiresAt,
      parts
    }
    return HttpServerResponse.text(JSON.stringify(manifest), { contentType: Api.exportFilesType })
  })
