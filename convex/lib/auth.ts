import { Api, ApiKey } from "@opensync/domain"
import { ConvexError } from "convex/values"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import type { Id } from "../_generated/dataModel.js"
import type { QueryCtx } from "../_generated/server.js"

/** Who is calling: the owner of an API key (`osk_…`) or of a dashboard session token (`oss_…`). */
export interface Caller {
  readonly userId: Id<"users">
  readonly keyId: string
  readonly via: "apiKey" | "session"
  /** The SHA-256 of the session token, and when it expires; null for API keys. */
  readonly session: { readonly hash: string; readonly expiresAt: number } | null
}

/** How often `lastUsedAt` of a key is written at most. */
export const lastUsedResolutionMs = 60_000

/** SHA-256, hex: how keys and session tokens are stored. */
export const sha256Hex = (text: string): Promise<string> => Effect.runPromise(ApiKey.hash(text))

/** The format of a session token; anything else is rejected before a lookup. */
export const sessionTokenPattern = /^oss_[A-Za-z0-9_-]{43}$/

/** A new session token: `oss_` + 32 random bytes, base64url. Generate it in an action (true randomness). */
export const generateSessionToken = (): string => {
  const bytes = new Uint8Array(32)
  crypto.getRandomValues(bytes)
  return `${Api.sessionTokenPrefix}${Encoding.encodeBase64Url(bytes)}`
}

/** Why a bearer token was refused, in the words of the local server. */
export const unauthorized = {
  missing: "Missing Authorization header: send `Authorization: Bearer osk_…`.",
  format: "Invalid API key format: keys start with osk_ (session tokens with oss_).",
  key: "Invalid API key: it does not exist or was revoked. Create one with the dashboard or `npx convex run users:create`.",
  session: "Your dashboard session expired or was signed out. Sign in again with an API key."
} as const

/** The API key with this digest, revoked or not. */
export const findKey = (ctx: QueryCtx, hash: string) =>
  ctx.db
    .query("apiKeys")
    .withIndex("by_hash", (q) => q.eq("hash", hash))
    .unique()

/** Looks up a caller from the hash of its token (`kind` says which table). */
export const resolveHash = async (
  ctx: QueryCtx,
  kind: "apiKey" | "session",
  hash: string,
  now: number
): Promise<Caller | string> => {
  if (kind === "apiKey") {
    const key = await findKey(ctx, hash)
    if (key === null || key.revokedAt !== null) return unauthorized.key
    return { userId: key.userId, keyId: key.id, via: "apiKey", session: null }
  }
  const session = await ctx.db
    .query("authSessions")
    .withIndex("by_hash", (q) => q.eq("hash", hash))
    .unique()
  if (session === null || session.revokedAt !== null || session.expiresAt <= now) return unauthorized.session
  return {
    userId: session.userId,
    keyId: session.keyId,
    via: "session",
    session: { hash, expiresAt: session.expiresAt }
  }
}

/** The kind of a bearer token and its hash, or the reason it is refused before any lookup. */
export const classify = async (
  token: string
): Promise<{ readonly kind: "apiKey" | "session"; readonly hash: string } | string> => {
  if (token.length === 0) return unauthorized.missing
  if (token.startsWith("osk_")) return { kind: "apiKey", hash: await sha256Hex(token) }
  if (token.startsWith(Api.sessionTokenPrefix)) {
    return sessionTokenPattern.test(token) ? { kind: "session", hash: await sha256Hex(token) } : unauthorized.session
  }
  return unauthorized.format
}

/** Authenticates a token inside a query or mutation (the dashboard's Convex functions take it as an argument). */
export const authenticate = async (ctx: QueryCtx, token: string): Promise<Caller | string> => {
  const classified = await classify(token.trim())
  return typeof classified === "string" ? classified : resolveHash(ctx, classified.kind, classified.hash, Date.now())
}

/** The caller of a public function that takes a token argument; an `Unauthorized` ConvexError when refused. */
export const requireCaller = async (ctx: QueryCtx, token: string): Promise<Caller> => {
  const caller = await authenticate(ctx, token)
  if (typeof caller === "string") throw new ConvexError({ _tag: "Unauthorized", error: caller })
  return caller
}
