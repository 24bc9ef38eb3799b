import { HttpApiBuilder, HttpApiSecurity, HttpServerRequest } from "@effect/platform"
import { Api, ApiKey, type ApiKey as ApiKeyTypes, Errors, SignIn } from "@opensync/domain"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { guardBody, maxSignInBodyBytes } from "./BodyGuard.js"
import { Keys } from "./Keys.js"
import { ServerInfo } from "./ServerInfo.js"
import { SignIns } from "./SignIns.js"
import { orStorageFailure } from "./Storage.js"
import { AuthThrottle } from "./Throttle.js"

/**
 * Who is calling, and may they: one implementation of authentication and scopes for every route of both backends.
 * A bearer `osk_…` key, a bearer `oss_…` sign-in token, or (same-origin dashboard) the sign-in cookie together with
 * the page's `X-OpenSync-Session` half. Failed attempts count against the client; past the limit, a key or token
 * that does not work is answered 429 (one that works is let in).
 */

export type Caller = Api.CurrentUser["Type"]

/** The address a request comes from: the socket's, else a proxy's forwarded address. */
/**
 * The address a request comes from: the socket's (the local server), else what the proxy in front says (a Convex HTTP
 * action has no socket): the last entry of `X-Forwarded-For`, the one that proxy added (entries before it are the
 * client's own to write: keyed on the first, a client rotating it was a new client each time and never throttled),
 * else `X-Real-IP`.
 */
const addressOf = (request: HttpServerRequest.HttpServerRequest): string =>
  Option.getOrElse(request.remoteAddress, () => {
    const forwarded = (request.headers["x-forwarded-for"] ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "")
    return forwarded.at(-1) ?? (request.headers["x-real-ip"]?.trim() || "unknown")
  })

/** The origin a request names (`Origin`), cut to 200 characters, or undefined. */
const originOf = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const origin = request.headers.origin
  return origin === undefined || origin === "" ? undefined : origin.slice(0, 200)
}

/**
 * The client a request comes from, for rate limits: the socket's address, else a proxy's forwarded address, with the
 * origin of the page that sent it when a browser did.
 */
export const clientOf = (request: HttpServerRequest.HttpServerRequest): string => {
  // A browser names the page a request comes from, and no page can change that: a page on any site may post to a
  // local server without asking (a body without a type needs no preflight), so each origin is a client of its own, and
  // its failures spend its own budget, not the plugins' (no origin) nor the dashboard's (the server's own)
  const origin = originOf(request)
  return origin === undefined ? addressOf(request) : `${addressOf(request)} ${origin}`
}

/** How many clients' worth of failures all the origins of one address may spend together. */
export const originsScale = 4

/**
 * The budgets a request's failures count against: its client's (`clientOf`), and for a request that names an origin,
 * also the one all origins of its address share (`originsScale` times a client's), since anything but a browser may
 * name a new origin with every request.
 */
const budgetsOf = (request: HttpServerRequest.HttpServerRequest) => {
  const client = { client: clientOf(request), scale: 1 }
  if (originOf(request) === undefined) return [client]
  return [client, { client: `${addressOf(request)} (every origin)`, scale: originsScale }]
}

export const messages = {
  missing: "Missing Authorization header: send `Authorization: Bearer osk_…`.",
  scheme:
    "The Authorization header takes a key as `Authorization: Bearer osk_…` (a dashboard sign-in token as `Bearer oss_…`).",
  format: "Invalid API key format: keys start with osk_ (dashboard sign-in tokens with oss_).",
  signIn: "Your dashboard sign-in expired, was signed out, or its key was revoked. Sign in again with an API key.",
  halfSignIn: "This browser's sign-in is incomplete (the page's half of it is missing). Sign in again with an API key.",
  key: (info: ServerInfo["Type"]) =>
    `Invalid API key: it does not exist or was revoked. Create one with ${info.createKey}.`,
  scope: (what: string, info: ServerInfo["Type"]) =>
    `${what} needs a key with the full scope; this key has the ingest scope, which can only sync sessions. ` +
    `Use a full key (create one with ${info.createFullKey}) or sign in to the dashboard.`,
  signInScope: (info: ServerInfo["Type"]) =>
    "Signing in to the dashboard needs a key with the full scope; this key has the ingest scope, which can only " +
    `sync sessions. Create a full key with ${info.createFullKey} and sign in with it.`
}

/** SHA-256 of a key or token, hex: how both are stored. */
export const digest = ApiKey.hash

/** The client of the current request, and how long it must wait before a failed attempt counts again (0: none). */
const clientState = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const throttle = yield* AuthThrottle
  const budgets = budgetsOf(request)
  const now = Date.now()
  let wait = 0
  for (const { client, scale } of budgets) wait = Math.max(wait, yield* throttle.retryAfter(client, now, scale))
  return { budgets, wait }
})

type Client = Effect.Effect.Success<typeof clientState>

/**
 * Fails with `error` after counting the attempt against the client; past the client's limit, with 429 and the wait.
 * A key or token that works is let in all the same: every local client shares 127.0.0.1, so a process sending wrong
 * keys would otherwise lock the plugins and the dashboard out. Keys are far too long to guess, so a lookup past the
 * limit tells nobody anything; it costs a digest and one indexed read.
 */
const refuse = ({ budgets, wait }: Client, error: Errors.Unauthorized) =>
  wait > 0
    ? Effect.fail(
        new Errors.TooManyRequests({
          error: `Too many failed authentication attempts from this client; try again in ${wait} s.`,
          retryAfterSeconds: wait
        })
      )
    : Effect.flatMap(AuthThrottle, (throttle) =>
        Effect.forEach(budgets, ({ client }) => throttle.recordFailure(client, Date.now()), { discard: true })
      ).pipe(Effect.zipRight(Effect.fail(error)))

const byKey = (client: Client, key: string) =>
  Effect.gen(function* () {
    const info = yield* ServerInfo
    const problem = ApiKey.problem(key)
    if (problem !== undefined) return yield* refuse(client, new Errors.Unauthorized({ error: problem }))
    const keys = yield* Keys
    const owner = yield* orStorageFailure(keys.authenticate(yield* digest(key)))
    if (Option.isNone(owner)) {
      return yield* refuse(client, new Errors.Unauthorized({ error: messages.key(info) }))
    }
    return { ...owner.value, via: "apiKey" as const } satisfies Caller
  })

const byToken = (client: Client, token: string, error: string) =>
  Effect.gen(function* () {
    if (!SignIn.tokenPattern.test(token)) return yield* refuse(client, new Errors.Unauthorized({ error }))
    const signIns = yield* SignIns
    const owner = yield* orStorageFailure(signIns.authenticate(yield* digest(token), Date.now()))
    if (Option.isNone(owner)) return yield* refuse(client, new Errors.Unauthorized({ error: messages.signIn }))
    return {
      userId: owner.value.userId,
      keyId: owner.value.keyId,
      scope: "full" as const,
      via: "session" as const,
      session: { id: owner.value.id, expiresAt: owner.value.expiresAt }
    } satisfies Caller
  })

/** The caller of the current request, whatever scope it has. */
export const authenticate = (bearer: string) =>
  Effect.gen(function* () {
    const client = yield* clientState
    // (the platform hands on the header past its first 7 characters, `Bearer `, whatever they are)
    // (`Bearer` alone, as a client with an empty key sends it once the value is trimmed, is no key: the cookie is read)
    const header = ((yield* HttpServerRequest.HttpServerRequest).headers.authorization ?? "").trim()
    if (header !== "" && !/^bearer(?:\s|$)/i.test(header)) {
      return yield* refuse(client, new Errors.Unauthorized({ error: messages.scheme }))
    }
    const value = bearer.trim()
    if (value.startsWith("osk_")) return yield* byKey(client, value)
    if (value.startsWith(SignIn.tokenPrefix)) return yield* byToken(client, value, messages.signIn)
    if (value.length > 0) return yield* refuse(client, new Errors.Unauthorized({ error: messages.format }))
    const request = yield* HttpServerRequest.HttpServerRequest
    const cookie = request.cookies[SignIn.cookieName] ?? ""
    if (cookie === "") return yield* new Errors.Unauthorized({ error: messages.missing })
    const token = SignIn.join(request.headers[SignIn.secretHeader] ?? "", cookie)
    if (token === undefined) return yield* refuse(client, new Errors.Unauthorized({ error: messages.halfSignIn }))
    return yield* byToken(client, token, messages.halfSignIn)
  })

/** Refuses a caller whose scope does not allow `needed` (403 naming the scope). */
export const requireScope = (caller: Caller, needed: ApiKeyTypes.Scope, what: string) =>
  ApiKey.allows(caller.scope, needed)
    ? Effect.succeed(caller)
    : Effect.flatMap(ServerInfo, (info) => Effect.fail(new Errors.Forbidden({ error: messages.scope(what, info) })))

const describeRequest = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
  const path = request.url.split("?")[0] ?? request.url
  return `${request.method} ${path}`
})

/**
 * The two authentication middlewares of the contract: `Authentication` (any scope) and `FullAccess` (the `full`
 * scope). After the caller is known and allowed, the body is read within its limits, so nothing is parsed for a
 * caller who may not send it.
 */
export const layer = Layer.effect(
  Api.Authentication,
  Effect.map(Effect.context<Keys | SignIns | AuthThrottle | ServerInfo>(), (context) => ({
    bearer: (token: Redacted.Redacted) => guarded(Redacted.value(token), "ingest").pipe(Effect.provide(context))
  }))
).pipe(
  Layer.merge(
    Layer.effect(
      Api.FullAccess,
      Effect.map(Effect.context<Keys | SignIns | AuthThrottle | ServerInfo>(), (context) => ({
        bearer: (token: Redacted.Redacted) => guarded(Redacted.value(token), "full").pipe(Effect.provide(context))
      }))
    )
  )
)

/** The OTLP receiver's authentication: any scope, and the body left for the handler to read as bytes. */
export const otlpLayer = Layer.effect(
  Api.OtlpAuthentication,
  Effect.map(Effect.context<Keys | SignIns | AuthThrottle | ServerInfo>(), (context) => ({
    bearer: (token: Redacted.Redacted) =>
      Effect.gen(function* () {
        const caller = yield* authenticate(Redacted.value(token))
        return yield* requireScope(caller, "ingest", yield* describeRequest)
      }).pipe(Effect.provide(context))
  }))
)

/** Before a sign-in request is parsed: the body is small, shallow JSON (the key in it is checked as any other). */
export const signInGuardLayer = Layer.succeed(Api.SignInGuard, guardBody(maxSignInBodyBytes))

const guarded = (token: string, needed: ApiKeyTypes.Scope) =>
  Effect.gen(function* () {
    const caller = yield* authenticate(token)
    yield* requireScope(caller, needed, yield* describeRequest)
    yield* guardBody()
    return caller
  })

/** The cookie of a same-origin sign-in; only its name and attributes matter to the platform. */
export const cookieSecurity = HttpApiSecurity.apiKey({ in: "cookie", key: SignIn.cookieName })

/** `Secure` only over https (directly or behind a TLS-terminating proxy), else browsers drop the cookie on http. */
const isHttps = (request: HttpServerRequest.HttpServerRequest) =>
  request.headers["x-forwarded-proto"] === "https" || request.url.startsWith("https:")

/** Sets (or, with an empty value and no lifetime, clears) the cookie half of a same-origin sign-in. */
export const setSignInCookie = (value: string, maxAgeMs: number) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    HttpApiBuilder.securitySetCookie(cookieSecurity, value, {
      secure: isHttps(request),
      httpOnly: true,
      sameSite: "strict",
      path: "/",
      maxAge: Duration.millis(maxAgeMs)
    })
  )
