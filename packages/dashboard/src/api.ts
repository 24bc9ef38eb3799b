import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { ExportFiles, exportFilesType, OpenSyncApi } from "@opensync/domain/Api"
import * as SignIn from "@opensync/domain/SignIn"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * How the dashboard talks to a backend. Another origin: the whole sign-in token as a bearer header. The same origin:
 * the HttpOnly cookie holds one half of the token and this page sends the other half (`secret`) as a header, so the
 * cookie, which the browser also sends to other servers on the same host, authenticates nothing alone.
 */
export interface Connection {
  readonly baseUrl: string
  /** The whole sign-in token, only for another origin. */
  readonly token: string | null
  /** The page's half of a same-origin sign-in. */
  readonly secret?: string | null | undefined
}

/** The headers that authenticate a connection's requests (the browser adds the cookie on the same origin). */
export const authHeaders = (connection: Connection): Record<string, string> =>
  connection.token !== null
    ? { authorization: `Bearer ${connection.token}` }
    : connection.secret
      ? { [SignIn.secretHeader]: connection.secret }
      : {}

/**
 * The path (`/api/sessions/a%2Fb`) of the call being made, with each path parameter percent-encoded. `HttpApiClient`
 * pastes path parameters into the URL as they are: a session id `../data` became `DELETE /api/sessions/../data`,
 * which `fetch` resolves to `DELETE /api/data` (every session of the user deleted), and ids such as `a/b`, `q?x=1#y` or
 * `100%` asked for other paths. Each call with path parameters runs with this path, and the request's URL is replaced
 * by it before it is sent (`encodedPaths`).
 */
class EncodedPath extends Context.Tag("@opensync/dashboard/EncodedPath")<EncodedPath, string>() {}

/** A path template's parameters, as `HttpApiClient` finds them (`/api/keys/:id`). */
const pathParameter = /:(\w+)\??/g

/** A path parameter that `fetch` would resolve as a dot segment even when percent-encoded (`.`, `..`, `%2e%2e`, …). */
const dotSegment = /^(\.|%2e){1,2}$/i

/** Builds an endpoint's path with its parameters (already encoded by the endpoint's schema) percent-encoded. */
export const encodePath = (template: string, params: Readonly<Record<string, unknown>>): string =>
  template.replace(pathParameter, (_, name: string) => {
    const segment = encodeURIComponent(String(params[name] ?? ""))
    if (dotSegment.test(segment)) {
      throw new ApiError(`The ${name} "${String(params[name])}" cannot be sent in a URL.`, "BadRequest", 400)
    }
    return segment
  })

type Endpoint = (request?: { readonly path?: unknown }) => Effect.Effect<unknown, unknown>

/** Wraps every endpoint of the client that has path parameters so that its request carries the encoded path. */
const encodedPaths = (client: Record<string, unknown>): Record<string, unknown> => {
  const wrapped: Record<string, unknown> = { ...client }
  HttpApi.reflect(OpenSyncApi, {
    onGroup: ({ group }) => {
      if (!group.topLevel) wrapped[group.identifier] = { ...(client[group.identifier] as object) }
    },
    onEndpoint: ({ group, endpoint }) => {
      if (Option.isNone(endpoint.pathSchema)) return
      const encode = Schema.encodeUnknown(endpoint.pathSchema.value)
      const target = (group.topLevel ? wrapped : wrapped[group.identifier]) as Record<string, Endpoint>
      const call = target[endpoint.name]!
      target[endpoint.name] = (request) =>
        request?.path === undefined
          ? call(request)
          : Effect.flatMap(encode(request.path), (params) =>
              Effect.try({
                try: () => encodePath(endpoint.path, params as Record<string, unknown>),
                catch: (e) => e
              })
            ).pipe(Effect.flatMap((path) => Effect.provideService(call(request), EncodedPath, path)))
    }
  })
  return wrapped
}

/** The typed client derived from the domain's HTTP contract; responses are decoded with the domain schemas. */
const makeClient = (connection: Connection) =>
  HttpApiClient.make(OpenSyncApi, {
    baseUrl: connection.baseUrl,
    transformClient: (client) =>
      client.pipe(
        // No `traceparent` header: another origin's CORS preflight (Convex, another server) would refuse it.
        HttpClient.withTracerPropagation(false),
        HttpClient.mapRequest(HttpClientRequest.setHeaders(authHeaders(connection))),
        // (runs before the base URL is prepended: the URL here is the endpoint's path)
        HttpClient.mapRequestEffect((request) =>
          Effect.map(Effect.serviceOption(EncodedPath), (path) =>
            Option.isSome(path) ? HttpClientRequest.setUrl(request, path.value) : request
          )
        )
      )
  }).pipe(
    Effect.map((client) => encodedPaths(client as unknown as Record<string, unknown>) as unknown as typeof client),
    Effect.provide(FetchHttpClient.layer)
  )

export type ApiClient = Effect.Effect.Success<ReturnType<typeof makeClient>>

/** A failed call, with the server's own `error` text when it sent one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly tag: string,
    readonly status: number | null
  ) {
    super(message)
  }
}

const statusOf: Record<string, number> = {
  Unauthorized: 401,
  Forbidden: 403,
  BadRequest: 400,
  NotFound: 404,
  PayloadTooLarge: 413,
  TooManyRequests: 429,
  InternalError: 500,
  InsufficientStorage: 507
}

const toApiError = (e: unknown): ApiError => {
  if (e instanceof ApiError) return e
  const tag = typeof e === "object" && e !== null && "_tag" in e ? String(e._tag) : "Error"
  if (tag in statusOf) return new ApiError(String((e as { error?: unknown }).error ?? tag), tag, statusOf[tag])
  if (tag === "RequestError") return new ApiError("Cannot reach the server. Is `opensync serve` running?", tag, null)
  if (tag === "ResponseError") {
    const status = (e as { response?: { status?: number } }).response?.status ?? null
    return new ApiError(`The server answered ${status ?? "an error"}.`, tag, status)
  }
  if (tag === "ParseError") return new ApiError("The server's answer did not match the expected shape.", tag, null)
  return new ApiError(e instanceof Error ? e.message : String(e), tag, null)
}

/** The client for a connection, built once. */
export const clientFor = (() => {
  let cached: { key: string; client: ApiClient } | undefined
  return (connection: Connection): ApiClient => {
    const key = `${connection.baseUrl}\n${connection.token ?? ""}\n${connection.secret ?? ""}`
    if (cached?.key !== key) cached = { key, client: Effect.runSync(makeClient(connection)) }
    return cached.client
  }
})()

/**
 * What runs when a request of the signed-in dashboard is refused with 401 (its key revoked, its sign-in ended
 * elsewhere): set by the app while signed in. Without it the pages kept their cached figures on screen, and only a
 * reload said the sign-in had ended.
 */
let unauthorized: (() => void) | undefined
export const onUnauthorized = (handler: (() => void) | undefined) => {
  unauthorized = handler
}

const refused = (error: ApiError): ApiError => {
  if (error.status === 401) unauthorized?.()
  return error
}

/** Runs one call of the typed client as a promise; failures become `ApiError`s. */
export const run = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.failureOption(exit.cause)
  throw refused(toApiError(Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)))
}

const mediaType = (response: Response) => response.headers.get("content-type")?.split(";")[0]?.trim()

const decodeExportFiles = Schema.decodeUnknownEither(ExportFiles)

/**
 * Fetches a file (export) with the connection's credentials, for a download. A backend that cannot send the export in
 * one response (Convex) answers an `ExportFiles` instead: its parts are downloaded in order, without credentials (each
 * URL is a capability on the backend's file storage), and joined.
 */
export const fetchBlob = async (
  connection: Connection,
  path: string,
  fetchImpl: typeof fetch = (input, init) => fetch(input, init)
): Promise<Blob> => {
  const response = await fetchImpl(new URL(path, connection.baseUrl), {
    credentials: "same-origin",
    headers: authHeaders(connection)
  })
  if (!response.ok) {
    const body = await response.json().catch(() => ({}) as { error?: string })
    throw refused(
      new ApiError(body.error ?? `The server answered ${response.status}.`, "ResponseError", response.status)
    )
  }
  if (mediaType(response) !== exportFilesType) return response.blob()
  const files = decodeExportFiles(await response.json().catch(() => null))
  if (Either.isLeft(files)) {
    throw new ApiError("The server's export answer did not match the expected shape.", "ParseError", null)
  }
  const { parts, contentType } = files.right
  const blobs: Array<Blob> = []
  for (const [i, part] of parts.entries()) {
    const reply = await fetchImpl(part.url)
    const blob = reply.ok ? await reply.blob() : null
    if (blob === null || blob.size !== part.bytes) {
      throw new ApiError(
        `Part ${i + 1} of ${parts.length} of the export could not be downloaded (${reply.ok ? "incomplete" : `status ${reply.status}`}). Export again.`,
        "ResponseError",
        reply.status
      )
    }
    blobs.push(blob)
  }
  return new Blob(blobs, { type: contentType })
}
