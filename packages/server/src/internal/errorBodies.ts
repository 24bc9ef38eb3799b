import { HttpApiBuilder, type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Limits } from "@opensync/domain"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"

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

/** Maps one failure to a JSON error response, or undefined to leave it to the API's own error encoding. */
const toResponse = (e: unknown): HttpServerResponse.HttpServerResponse | undefined => {
  switch (tagOf(e)) {
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
      return json(400, "BadRequest", `Invalid ${where}: ${first?.message ?? "does not match the schema"}`, { issues })
    }
    default:
      return undefined
  }
}

const tooLarge = () =>
  json(413, "PayloadTooLarge", `Request body is larger than ${Limits.maxBodyBytes} bytes; send smaller batches.`)

/** Answers 413 from `Content-Length` before reading a body that could never be accepted. */
const rejectOversized = <E, R>(app: HttpApp.Default<E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const length = Number(request.headers["content-length"] ?? 0)
    return length > Limits.maxBodyBytes ? Effect.succeed(tooLarge()) : app
  })

/**
 * API-level middleware: every error response carries a JSON body whose `error` says what is wrong, including
 * unknown routes, bodies that are not JSON or too large, and parameter decode failures.
 */
export const ErrorBodiesLive = HttpApiBuilder.middleware((app) =>
  Effect.catchAllCause(rejectOversized(app), (cause) => {
    for (const failure of [...Cause.failures(cause), ...Cause.defects(cause)]) {
      const response = toResponse(failure)
      if (response !== undefined) return Effect.succeed(response)
    }
    return Effect.failCause(cause)
  })
)
