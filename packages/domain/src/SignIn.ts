import * as Encoding from "effect/Encoding"
import * as Schema from "effect/Schema"
import { EpochMillis } from "./Ids.js"

/**
 * Dashboard sign-ins. Signing in with a `full` API key makes a token `oss_` + 43 base64url characters (32 random
 * bytes), valid 7 days, stored only as its SHA-256. Non-browser clients and a dashboard on another origin send it
 * whole as `Authorization: Bearer`. A dashboard on the server's own origin never holds it whole: the token is split in
 * two halves, the HttpOnly cookie holds one and the page keeps the other (per origin) and sends it as a header. A
 * browser sends cookies to every port of a host, so another local server the user opens receives the cookie half,
 * which alone authenticates nothing.
 */

export const tokenPrefix = "oss_"

/** The format of a whole token; anything else is refused before a lookup. */
export const tokenPattern = /^oss_[A-Za-z0-9_-]{43}$/

/** Lifetime of a sign-in: 7 days. */
export const lifetimeMs = 7 * 24 * 60 * 60 * 1000

/** How often `lastSeenAt` of a sign-in is written at most. */
export const lastSeenResolutionMs = 60_000

/** The cookie that holds the cookie half of a same-origin sign-in. */
export const cookieName = "opensync_session"

/** The header that carries the page's half of a same-origin sign-in. */
export const secretHeader = "x-opensync-session"

/** Characters of the token body the page keeps; the cookie holds the rest. */
const secretLength = 22

/** A new sign-in token. Generate it where randomness is real (a request handler, an action). */
export const generateToken = (): string => {
  const bytes = new Uint8Array(32)
  crypto.getRandomValues(bytes)
  return `${tokenPrefix}${Encoding.encodeBase64Url(bytes)}`
}

/** The two halves of a token: what the page keeps and sends as a header, and what the cookie holds. */
export const split = (token: string): { readonly secret: string; readonly cookie: string } => ({
  secret: token.slice(tokenPrefix.length, tokenPrefix.length + secretLength),
  cookie: token.slice(tokenPrefix.length + secretLength)
})

/** The whole token from its two halves, or undefined when they cannot form one. */
export const join = (secret: string, cookie: string): string | undefined => {
  const token = `${tokenPrefix}${secret.trim()}${cookie.trim()}`
  return secret.trim().length === secretLength && tokenPattern.test(token) ? token : undefined
}

/** A short label of the browser and system from a `User-Agent` header ("Chrome 156 on Linux"), for the sign-in list. */
export const browserOf = (userAgent: string | null | undefined): string => {
  const ua = userAgent ?? ""
  if (ua.trim() === "") return "Unknown client"
  const browsers: ReadonlyArray<readonly [string, RegExp]> = [
    ["Edge", /Edg(?:e|A|iOS)?\/(\d+)/],
    ["Opera", /OPR\/(\d+)/],
    ["Firefox", /(?:Firefox|FxiOS)\/(\d+)/],
    ["Chromium", /Chromium\/(\d+)/],
    ["Chrome", /(?:Chrome|CriOS)\/(\d+)/],
    ["Safari", /Version\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//],
    ["curl", /^curl\/(\d+)/],
    ["Node.js", /^node(?:-fetch)?\/?(\d*)/i]
  ]
  const systems: ReadonlyArray<readonly [string, RegExp]> = [
    ["Android", /Android/],
    ["iOS", /iPhone|iPad|iPod/],
    ["Windows", /Windows/],
    ["macOS", /Mac OS X|Macintosh/],
    ["ChromeOS", /CrOS/],
    ["Linux", /Linux|X11/]
  ]
  const browser = browsers.find(([, pattern]) => pattern.test(ua))
  const version = browser === undefined ? "" : (browser[1].exec(ua)?.[1] ?? "")
  const system = systems.find(([, pattern]) => pattern.test(ua))?.[0]
  const name =
    browser === undefined ? ua.split(/[\s/]/)[0]!.slice(0, 40) : `${browser[0]}${version ? ` ${version}` : ""}`
  return system === undefined ? name : `${name} on ${system}`
}

/** A sign-in as listed in Settings and by `opensync sign-ins list`. */
export const SignInInfo = Schema.Struct({
  id: Schema.String,
  keyId: Schema.String,
  keyName: Schema.NullOr(Schema.String),
  browser: Schema.String,
  createdAt: EpochMillis,
  lastSeenAt: EpochMillis,
  expiresAt: EpochMillis,
  revokedAt: Schema.NullOr(EpochMillis),
  /** True for the sign-in the request itself was made with. */
  current: Schema.Boolean
}).annotations({ identifier: "SignInInfo" })
export type SignInInfo = typeof SignInInfo.Type
