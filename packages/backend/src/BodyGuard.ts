import { FileSystem, HttpServerRequest } from "@effect/platform"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import { Errors, Limits } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { shapeProblem } from "./JsonShape.js"

/**
 * Limits checked before a body is parsed: its size (from `Content-Length` before reading, and while reading), how
 * deeply its JSON nests and how many arrays and objects it holds (a linear scan of the text, `JsonShape.ts`). The platform then parses
 * the text it already read (request bodies are read once and cached).
 */

/** Deepest JSON nesting accepted: far more than any event, legacy or OTLP body needs. */
export const maxJsonDepth = 64

/**
 * Most arrays and objects in one request body. A batch of events within the body's size holds far fewer (an event's
 * smallest object, a part, takes more than 16 bytes: 8 MiB of them is ~320,000), while 8 MiB of `{},` would parse
 * into 2.8 million objects.
 */
export const maxJsonContainers = 500_000

/** The body of `POST /auth/session` (`{"apiKey":"osk_…"}`) is tiny; anything much larger is refused unread. */
export const maxSignInBodyBytes = 16 * 1024

const tooLarge = (limit: number) =>
  new Errors.PayloadTooLarge({ error: `Request body is larger than ${limit} bytes; send smaller batches.` })

/** Requests whose body is read: every method that may carry one (a Fetch `Request` has no `Content-Length`). */
const hasBody = (request: HttpServerRequest.HttpServerRequest) =>
  request.method !== "GET" && request.method !== "HEAD" && request.method !== "OPTIONS"

/**
 * Whether a request's `Content-Type` is one a JSON route reads: `application/json` (with any parameters), or no header
 * at all. These are exactly the bodies the platform then decodes as JSON; it would decode any other for the route as
 * what its type says: a form or a multipart body (a page on any site may post those to 127.0.0.1 without asking, no
 * CORS preflight), or raw bytes, which, read once here already, left the request waiting for an answer that never came
 * (`application/ld+json`, a type of spaces or of parameters only). So every other type is refused unread.
 */
export const isJsonContentType = (header: string | undefined): boolean =>
  header === undefined || header === "" || header.split(";")[0]?.trim().toLowerCase() === "application/json"

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
    // A compressed body would be read as text and fail as "not valid JSON": said for what it is
    const encoding = (request.headers["content-encoding"] ?? "").trim().toLowerCase()
    if (encoding !== "" && encoding !== "identity") {
      return yield* new Errors.BadRequest({
        error: `Request bodies of this route are not compressed: send the JSON without Content-Encoding (this one is ${JSON.stringify(encoding)}).`
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
    const problem = shapeProblem(text, maxJsonDepth, maxJsonContainers)
    if (problem === "depth") {
      return yield* new Errors.BadRequest({
        error: `Request body nests deeper than ${maxJsonDepth} levels of JSON arrays and objects.`
      })
    }
    if (problem === "containers") {
      return yield* new Errors.PayloadTooLarge({
        error: `Request body holds more than ${maxJsonContainers} JSON arrays and objects; send smaller batches.`
      })
    }
  })
