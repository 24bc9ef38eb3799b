import { FileSystem, HttpServerRequest } from "@effect/platform"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import { Errors, Limits } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * Limits checked before a body is parsed: its size (from `Content-Length` before reading, and while reading) and how
 * deeply its JSON nests (a linear scan of the text, stopping at the first level too deep). The platform then parses
 * the text it already read (request bodies are read once and cached).
 */

/** Deepest JSON nesting accepted: far more than any event, legacy or OTLP body needs. */
export const maxJsonDepth = 64

/** The body of `POST /auth/session` (`{"apiKey":"osk_…"}`) is tiny; anything much larger is refused unread. */
export const maxSignInBodyBytes = 16 * 1024

/**
 * True when JSON text nests deeper than `max` arrays/objects; strings are skipped, so brackets in them do not count. A
 * string is skipped by looking for its closing quote with `indexOf` (a quote after an odd run of backslashes is
 * escaped): 0.26 ms for a 544 KiB batch body, against 0.74 for a regular expression matching each string and bracket
 * (it allocated a match for every string) and more for a loop over every character.
 */
export const nestsDeeperThan = (text: string, max: number): boolean => {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) {
      // The closing quote: the first one after `i` not escaped. An unterminated string runs to the end.
      for (let from = i + 1; ; ) {
        const quote = text.indexOf('"', from)
        if (quote < 0) return false
        let backslashes = 0
        while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++
        if (backslashes % 2 === 0) {
          i = quote
          break
        }
        from = quote + 1
      }
    } else if (c === 91 || c === 123) {
      if (++depth > max) return true
    } else if (c === 93 || c === 125) depth--
  }
  return false
}

const tooLarge = (limit: number) =>
  new Errors.PayloadTooLarge({ error: `Request body is larger than ${limit} bytes; send smaller batches.` })

/** Requests whose body is read: every method that may carry one (a Fetch `Request` has no `Content-Length`). */
const hasBody = (request: HttpServerRequest.HttpServerRequest) =>
  request.method !== "GET" && request.method !== "HEAD" && request.method !== "OPTIONS"

/**
 * Whether a request's `Content-Type` is one a JSON route reads: JSON (`application/json`, `…+json`), or none. The
 * platform would otherwise decode a form or a multipart body for the route: a page on any site may post those to
 * 127.0.0.1 without asking (no CORS preflight), and a multipart body, read once here already, left its request waiting
 * for an answer that never came.
 */
export const isJsonContentType = (header: string | undefined): boolean => {
  const media = (header ?? "").split(";")[0]?.trim().toLowerCase() ?? ""
  return media === "" || media === "application/json" || media.endsWith("+json")
}

/**
 * Reads the current request's body within `limit` bytes and checks its nesting; does nothing for bodiless requests.
 * A body that is not JSON is refused unread (400).
 */
export const guardBody = (limit: number = Limits.maxBodyBytes) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (!hasBody(request)) return
    const type = request.headers["content-type"]
    if (!isJsonContentType(type)) {
      return yield* new Errors.BadRequest({
        error: `Request bodies are JSON: send Content-Type: application/json (this one is ${JSON.stringify(type)}).`
      })
    }
    if (Number(request.headers["content-length"] ?? 0) > limit) return yield* tooLarge(limit)
    const text = yield* request.text.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, Option.some(FileSystem.Size(limit))),
      Effect.catchAll(
        (cause): Effect.Effect<never, Errors.PayloadTooLarge | Errors.BadRequest> =>
          /size|too large|exceed/i.test(String((cause as { cause?: unknown }).cause ?? cause))
            ? Effect.fail(tooLarge(limit))
            : Effect.fail(new Errors.BadRequest({ error: "The request body could not be read." }))
      )
    )
    if (text.length > limit && new TextEncoder().encode(text).length > limit) return yield* tooLarge(limit)
    if (nestsDeeperThan(text, maxJsonDepth)) {
      return yield* new Errors.BadRequest({
        error: `Request body nests deeper than ${maxJsonDepth} levels of JSON arrays and objects.`
      })
    }
  })
