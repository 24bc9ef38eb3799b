import type { Me } from "@opensync/domain/Api"
import * as SignIn from "@opensync/domain/SignIn"
import { ApiError, type Connection, clientFor, run } from "./api.js"

/**
 * Sign-in. On the page's own origin the server sets an HttpOnly cookie with one half of the sign-in token and this
 * page keeps the other half in localStorage (per origin: a server on another port cannot read it) and sends it as a
 * header; neither half authenticates alone. For another origin (a Convex deployment) the whole token lives in memory
 * plus sessionStorage (this tab only, 7 days at most, revocable). The API key itself is never stored anywhere.
 */

export interface Auth {
  readonly connection: Connection
  readonly me: Me
  /** What to tell the user about how the sign-in was picked up (a `#key=` link that was ignored). */
  readonly notice?: string
}

const storageKey = "opensync.session"
const secretKey = "opensync.signin-secret"

const readSecret = (): string | null => {
  try {
    return localStorage.getItem(secretKey)
  } catch {
    return null
  }
}

const writeSecret = (secret: string | null) => {
  try {
    if (secret === null) localStorage.removeItem(secretKey)
    else localStorage.setItem(secretKey, secret)
  } catch {
    // storage unavailable (private mode): this page stays signed in until it is closed
  }
}

export const sameOrigin = (baseUrl: string) => {
  try {
    return new URL(baseUrl).origin === location.origin
  } catch {
    return false
  }
}

/** A URL typed by a person: trims, adds https:// when no scheme, drops a trailing slash; `.convex.cloud` → `.site`. */
export const normalizeUrl = (input: string): string => {
  const text = input.trim() === "" ? location.origin : input.trim()
  const url = new URL(/^https?:\/\//i.test(text) ? text : `https://${text}`)
  url.hostname = url.hostname.replace(/\.convex\.cloud$/, ".convex.site")
  return url.origin + url.pathname.replace(/\/+$/, "")
}

interface Stored {
  readonly baseUrl: string
  readonly token: string
  readonly expiresAt: number
}

const readStored = (): Stored | null => {
  try {
    const value = JSON.parse(sessionStorage.getItem(storageKey) ?? "null") as Stored | null
    if (value === null || typeof value.token !== "string" || value.expiresAt <= Date.now()) return null
    return value
  } catch {
    return null
  }
}

const me = (connection: Connection) => run(clientFor(connection).auth.me())

/** Exchanges an API key for a session on `baseUrl`. */
export const signIn = async (baseUrl: string, apiKey: string): Promise<Auth> => {
  const key = apiKey.trim()
  if (!key.startsWith("osk_")) throw new ApiError('API keys start with "osk_". Paste the whole key.', "BadRequest", 400)
  const local = sameOrigin(baseUrl)
  const created = await run(clientFor({ baseUrl, token: null }).auth.createSession({ payload: { apiKey: key } }))
  const secret = local ? SignIn.split(created.token).secret : null
  const connection: Connection = { baseUrl, token: local ? null : created.token, secret }
  if (!local) {
    sessionStorage.setItem(storageKey, JSON.stringify({ baseUrl, token: created.token, expiresAt: created.expiresAt }))
  } else {
    sessionStorage.removeItem(storageKey)
    writeSecret(secret)
  }
  return { connection, me: await me(connection) }
}

/** What the sign-in form says when a sign-in this browser held was refused (signed out elsewhere, its key revoked). */
const endedMessage =
  "Your sign-in has ended: it was signed out, it expired, or its key was revoked. Sign in again with a full key."

/** What the dashboard says when a `#key=` link is opened in a browser that is already signed in (the link is ignored). */
export const keyLinkIgnored = (me: Me) =>
  `You are already signed in as ${me.user.name}; sign out first to use the key in this link.`

/**
 * The sign-in this browser holds: a tab session, or the page's half of a cookie sign-in. `ended` when the server
 * refused the one it held.
 */
const held = async (): Promise<{ readonly auth: Auth | null; readonly ended: boolean }> => {
  let ended = false
  const stored = readStored()
  if (stored !== null) {
    const connection = { baseUrl: stored.baseUrl, token: stored.token }
    try {
      return { auth: { connection, me: await me(connection) }, ended }
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        sessionStorage.removeItem(storageKey)
        ended = true
      } else throw e
    }
  }
  const secret = readSecret()
  if (secret !== null) {
    const connection = { baseUrl: location.origin, token: null, secret }
    try {
      return { auth: { connection, me: await me(connection) }, ended }
    } catch (e) {
      if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 404)) throw e
      if (e.status === 401) {
        writeSecret(null)
        ended = true
      }
    }
  }
  return { auth: null, ended }
}

/**
 * Picks up an existing sign-in: a tab session, a cookie, or a `#key=osk_…` link (removed from the URL at once). A link
 * never replaces a sign-in this browser holds: any page can link here with its own key, which would sign the browser
 * into that key's account without a word. It is then ignored, and `notice` says so. Null when there is no sign-in;
 * fails, saying so, when the server refused the one this browser held (and there is no link to sign in with).
 */
export const restore = async (): Promise<Auth | null> => {
  const fragment = new URLSearchParams(location.hash.slice(1)).get("key")
  if (fragment !== null) history.replaceState(null, "", location.pathname + location.search)
  const { auth, ended } = await held()
  if (fragment !== null) {
    if (auth === null) return signIn(location.origin, fragment)
    return { ...auth, notice: keyLinkIgnored(auth.me) }
  }
  if (auth !== null) return auth
  if (ended) throw new Error(endedMessage)
  return null
}

/** Forgets a sign-in the server refused while the dashboard was open; the error the sign-in form then shows. */
export const ended = (): Error => {
  sessionStorage.removeItem(storageKey)
  writeSecret(null)
  return new Error(endedMessage)
}

/** Ends the session on the server (revokes the token, clears the cookie) and forgets it here. */
export const signOut = async (auth: Auth) => {
  sessionStorage.removeItem(storageKey)
  await run(clientFor(auth.connection).auth.deleteSession()).catch(() => undefined)
  writeSecret(null)
}
