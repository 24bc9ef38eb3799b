import { Limits } from "@opensync/domain"
import { ConvexError } from "convex/values"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** HTTP plumbing shared by the routes: CORS, JSON bodies, JSON errors in the local server's shape. */

export const corsHeaders: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  "access-control-allow-headers": "Authorization, Content-Type, X-OpenSync-Request",
  "access-control-max-age": "86400"
}

const statusOf: Record<string, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  PayloadTooLarge: 413,
  InternalError: 500
}

/** A failure that becomes a JSON error response `{error, _tag}`. */
export class HttpError extends Error {
  constructor(
    readonly tag: keyof typeof statusOf,
    readonly error: string,
    readonly extra: Record<string, unknown> = {}
  ) {
    super(error)
  }
}

export const badRequest = (error: string, extra?: Record<string, unknown>) => new HttpError("BadRequest", error, extra)
export const notFound = (error: string) => new HttpError("NotFound", error)

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, "content-type": "application/json", ...headers }
  })

export const text = (body: string, contentType: string, headers: Record<string, string> = {}): Response =>
  new Response(body, { status: 200, headers: { ...corsHeaders, "content-type": contentType, ...headers } })

export const errorResponse = (tag: string, error: string, extra: Record<string, unknown> = {}): Response =>
  json({ error, _tag: tag, ...extra }, statusOf[tag] ?? 500)

/** Maps anything thrown by a route to a response; unexpected faults are logged and answered without internals. */
export const toErrorResponse = (failure: unknown): Response => {
  if (failure instanceof HttpError) return errorResponse(failure.tag, failure.error, failure.extra)
  if (failure instanceof ConvexError) {
    const data = failure.data as { _tag?: unknown; error?: unknown }
    if (typeof data?._tag === "string" && typeof data.error === "string" && data._tag in statusOf) {
      return errorResponse(data._tag, data.error)
    }
  }
  const detail = failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)
  Effect.runSync(Effect.logError(`OpenSync: unexpected failure: ${detail}`))
  return errorResponse("InternalError", "Internal server error; the deployment's logs have details.")
}

export const tooLarge = () =>
  new HttpError("PayloadTooLarge", `Request body is larger than ${Limits.maxBodyBytes} bytes; send smaller batches.`)

/** Reads a JSON body: 413 over the size limit, 400 when it is not JSON. */
export const readJson = async (request: Request): Promise<unknown> => {
  const length = Number(request.headers.get("content-length") ?? 0)
  if (length > Limits.maxBodyBytes) throw tooLarge()
  const body = await request.text()
  if (body.length > Limits.maxBodyBytes && new TextEncoder().encode(body).length > Limits.maxBodyBytes) throw tooLarge()
  try {
    return JSON.parse(body)
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.slice(0, 200) : ""
    throw badRequest(`Request body is not valid JSON${detail ? ` (${detail})` : ""}.`)
  }
}

/** The first issue of a failed decode, as `path: message`. */
export const describe = (error: ParseResult.ParseError): { readonly where: string; readonly message: string } => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return { where: "", message: "does not match the schema" }
  return { where: issue.path.join("."), message: issue.message }
}

/** Decodes with a domain schema; a failure is a 400 naming the field (`Invalid <what>: <reason>`). */
export const decodeOr400 = <A, I>(schema: Schema.Schema<A, I>, value: unknown, what: string): A => {
  const decoded = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })(value)
  if (Either.isRight(decoded)) return decoded.right
  const issues = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
  const first = issues[0]
  const where = first === undefined || first.path.length === 0 ? what : `${what}.${first.path.join(".")}`
  throw badRequest(`Invalid ${where}: ${first?.message ?? "does not match the schema"}`, { issues })
}

/** URL query parameters as a record (the last value of a repeated name wins). */
export const searchParams = (url: URL): Record<string, string> => Object.fromEntries(url.searchParams.entries())

/** Drops `undefined` members, which are not Convex values. */
export const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
