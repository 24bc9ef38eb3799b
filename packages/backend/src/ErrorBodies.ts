import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Limits } from "@opensync/domain"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { requestId } from "./Storage.js"

/**
 * API-level middleware: every error response carries a JSON body whose `error` says what is wrong, including unknown
 * routes, bodies that are not JSON or too large, parameter decode failures, and faults nobody expected (500 with a
 * request id that the log line carries too).
 */

const json = (status: number, tag: string, error: string, extra: Record<string, unknown> = {}) =>
  HttpServerResponse.unsafeJson({ error, _tag: tag, ...extra }, { status })

const tagOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "_tag" in e && typeof e._tag === "string" ? e._tag : undefined

interface DecodeIssue {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

const describe = (cause: unknown): string => {
  const text = String((cause as { message?: string } | undefined)?.message ?? cause ?? "")
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

export const tooLarge = () =>
  json(413, "PayloadTooLarge", `Request body is larger than ${Limits.maxBodyBytes} bytes; send smaller batches.`)

/**
 * The message of `first`, or, when a value may be one of several (a union of literals: `bucket`, `sort`, `scope`…),
 * every one of them: `Expected "day", "week" or "month", actual "year"` instead of the first alone.
 */
const expectedOf = (issues: ReadonlyArray<DecodeIssue>, first: DecodeIssue): string => {
  const at = first.path.join(".")
  const alternatives = issues
    .filter((issue) => issue.path.join(".") === at)
    .map((issue) => /^Expected (.+), actual (.+)$/s.exec(issue.message))
  if (alternatives.length < 2 || alternatives.some((m) => m === null)) return first.message
  // (`undefined`: the parameter may be left out, which the caller knows)
  const expected = [...new Set(alternatives.map((m) => m![1]!))].filter((value) => value !== "undefined")
  const list = expected.length === 1 ? expected[0] : `${expected.slice(0, -1).join(", ")} or ${expected.at(-1)}`
  return `Expected ${list}, actual ${alternatives[0]![2]}`
}

/** Maps one failure to a JSON error response, or undefined to leave it to the API's own error encoding. */
const toResponse = (e: unknown): HttpServerResponse.HttpServerResponse | undefined => {
  switch (tagOf(e)) {
    case "TooManyRequests": {
      // The contract's body, and the wait in the header every HTTP client and proxy reads too
      const { error, retryAfterSeconds } = e as { error: string; retryAfterSeconds: number }
      return HttpServerResponse.setHeader(
        json(429, "TooManyRequests", error, { retryAfterSeconds }),
        "retry-after",
        String(Math.max(1, Math.ceil(retryAfterSeconds)))
      )
    }
    case "RouteNotFound": {
      const request = (e as { request: { method: string; url: string } }).request
      return json(404, "NotFound", `No such route: ${request.method} ${request.url.split("?")[0]}`)
    }
    case "RequestError": {
      const text = describe((e as { cause?: unknown }).cause)
      if (/size|too large|exceed/i.test(text)) return tooLarge()
      return json(400, "BadRequest", `Request body is not valid JSON${text ? ` (${text})` : ""}.`)
    }
    case "HttpApiDecodeError": {
      const issues = (e as { issues: ReadonlyArray<DecodeIssue> }).issues
      const first = issues[0]
      const where = first === undefined || first.path.length === 0 ? "request" : first.path.join(".")
      return json(
        400,
        "BadRequest",
        `Invalid ${where}: ${first === undefined ? "does not match the schema" : expectedOf(issues, first)}`,
        {
          issues: issues.slice(0, 20)
        }
      )
    }
    default:
      return undefined
  }
}

const unexpected = (cause: Cause.Cause<unknown>) => {
  const id = requestId()
  return Effect.logError(`unexpected failure (${id})`, cause).pipe(
    Effect.as(
      json(500, "InternalError", `Internal server error; the server log has details under ${id}.`, { requestId: id })
    )
  )
}

export const layer = HttpApiBuilder.middleware((app) =>
  Effect.catchAllCause(app, (cause) => {
    for (const failure of [...Cause.failures(cause), ...Cause.defects(cause)]) {
      const response = toResponse(failure)
      if (response !== undefined) return Effect.succeed(response)
    }
    if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
    // Failures of the contract's own errors are encoded by the API with their annotated status.
    if (Cause.failures(cause).length > 0 && Cause.defects(cause).length === 0) return Effect.failCause(cause)
    return unexpected(cause)
  })
)
