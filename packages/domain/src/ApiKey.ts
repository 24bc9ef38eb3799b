import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { ApiKeyId, EpochMillis, UserId } from "./Ids.js"

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const randomLength = 32
const checksumLength = 6

/** An OpenSync API key: `osk_` + 32 random base62 characters + a 6-character CRC-32 checksum (base62). */
export const pattern = /^osk_[0-9A-Za-z]{38}$/

/** Legacy keys (`osk_` + 32 nanoid characters) are still accepted when a server imports them. */
export const legacyPattern = /^osk_[A-Za-z0-9_-]{32}$/

const crc32 = (text: string): number => {
  let crc = 0xffffffff
  for (let i = 0; i < text.length; i++) {
    crc ^= text.charCodeAt(i)
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1))
  }
  return (crc ^ 0xffffffff) >>> 0
}

const base62 = (value: number, width: number): string => {
  let out = ""
  let n = value
  for (let i = 0; i < width; i++) {
    out = alphabet[n % 62] + out
    n = Math.floor(n / 62)
  }
  return out
}

const checksum = (random: string): string => base62(crc32(random), checksumLength)

/** True when the key has OpenSync's format and its checksum matches (a typo or a truncated paste fails). */
export const isWellFormed = (key: string): boolean =>
  pattern.test(key) && checksum(key.slice(4, 4 + randomLength)) === key.slice(4 + randomLength)

/** Why a key string is not usable, or undefined when it is; the text tells the user what to do. */
export const problem = (key: string): string | undefined => {
  if (!key.startsWith("osk_"))
    return 'API keys start with "osk_". Copy the whole key from `opensync keys create` or the dashboard.'
  if (isWellFormed(key) || legacyPattern.test(key)) return undefined
  return "This API key is malformed (wrong length or checksum). Copy it again, whole, from where it was created."
}

const randomString = (length: number): string => {
  const bytes = new Uint8Array(length * 2)
  crypto.getRandomValues(bytes)
  let out = ""
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    if (bytes[i] < 248) out += alphabet[bytes[i] % 62]
  }
  return out.length === length ? out : out + randomString(length - out.length)
}

/** A new random API key secret. Show it once; store only `hash(key)`. */
export const generate = (): string => {
  const random = randomString(randomLength)
  return `osk_${random}${checksum(random)}`
}

/** A new key id (not secret). */
export const generateId = (): ApiKeyId => ApiKeyId.make(`key_${randomString(16)}`)

/** The short, non-secret prefix shown in key lists so a user can tell keys apart. */
export const displayPrefix = (key: string): string => key.slice(0, 12)

/** SHA-256 of the key, hex: what is stored. Keys are 190+ bits of randomness, so a plain digest is enough. */
export const hash = (key: string): Effect.Effect<string> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(key))).pipe(
    Effect.map((buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join(""))
  )

/**
 * What a key may do. `ingest`: what the plugins hold (write events, the legacy sync routes, health, `GET /auth/me` for
 * their status checks, the OTLP receiver). `full`: everything, and the only scope that can sign in to the dashboard,
 * manage keys and sign-ins, read session contents, export and delete.
 */
export const Scope = Schema.Literal("ingest", "full").annotations({ identifier: "Scope" })
export type Scope = typeof Scope.Type

/** The scope a new key gets when none is asked for: the plugins' scope. */
export const defaultScope: Scope = "ingest"

/** True when a key of scope `held` may do what needs `needed`. */
export const allows = (held: Scope, needed: Scope): boolean => held === "full" || needed === "ingest"

/** A stored key as listed: never the secret, never the hash. */
export const ApiKeyInfo = Schema.Struct({
  id: ApiKeyId,
  userId: UserId,
  name: Schema.String,
  prefix: Schema.String,
  scope: Scope,
  createdAt: EpochMillis,
  lastUsedAt: Schema.NullOr(EpochMillis),
  revokedAt: Schema.NullOr(EpochMillis)
}).annotations({ identifier: "ApiKeyInfo" })
export type ApiKeyInfo = typeof ApiKeyInfo.Type

/** A key just created: the only time its secret is ever returned. */
export const CreatedApiKey = Schema.Struct({
  ...ApiKeyInfo.fields,
  key: Schema.String
}).annotations({ identifier: "CreatedApiKey" })
export type CreatedApiKey = typeof CreatedApiKey.Type
