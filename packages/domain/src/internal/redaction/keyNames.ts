/**
 * Classifies key names (`DB_PASSWORD`, `apiKey`, `x-api-key`, `DD_APP_KEY`, `secretName`) by how strongly they say
 * that their value is a secret.
 */
import { plausibleSecretValue, type SecretKind, tokenLike } from "./values.js"

/** `strong`: the name says secret (`password`, `api_key`); `weak`: only `…_key` or `auth`, the value must look random. */
export type KeyStrength = "strong" | "weak" | "none"

/**
 * Whether a quoted value given under a name of that strength is its secret: a plausible secret under a strong name (not
 * a lower-case name of one, `db-password`), a random-looking one under a weak name.
 */
export const fitsStrength = (strength: KeyStrength, value: string): boolean =>
  strength === "weak"
    ? tokenLike(value)
    : strength === "strong" && plausibleSecretValue(value) && !/^[a-z]+(?:[-_.][a-z]+)*$/.test(value)

/** Trailing words that make a key describe a secret (its name, path, length...) instead of holding one. */
const META_WORDS = new Set(
  (
    "name names id ids type types kind file files path paths dir url urls uri endpoint ref refs arn env var variable " +
    "length len limit limits max min count size ttl expiry expires expiration expire at header headers field prompt " +
    "hint label placeholder policy mode provider version enabled required format pattern regex rule rules location " +
    "store source description title text message error prefix suffix budget usage index scope scopes method strategy " +
    "manager service helper algorithm algo cipher encoding strength stdin generator validator hash hashed hashes " +
    "digest checksum fingerprint salt rounds iterations cost store stores vault holder getter setter callback " +
    "handler provider providers resolver loader reader writer parser selector input output schema column table " +
    "validation verification request response status state flow grant uses usage list lookup map icon visible " +
    "visibility reset changed updated created issued rotated at date time timestamp expiresat used seen " +
    "valid invalid hidden shown tab page form button dialog modal link hasher hashers validators backends address " +
    "addr contract"
  ).split(" ")
)

/** First words that make a key an action on a secret rather than a secret (`export-secret-keys`, `show_password`). */
const ACTION_WORDS = new Set(
  "export import list delete remove show print rotate revoke generate gen create reset forgot verify validate check hide edit".split(
    " "
  )
)

/** Word endings that make a key name a secret (`password`, `dbpassword`, `authtoken`, `apikey`). */
const SECRET_WORD_SUFFIXES = [
  "password",
  "passwd",
  "passphrase",
  "passwort",
  "passord",
  "secret",
  "token",
  "credential",
  "credentials",
  "apikey",
  "accesskey",
  "privatekey",
  "secretkey",
  "authkey",
  "appkey",
  "masterkey",
  "signingkey",
  "licensekey"
]
/** Whole words that are secret names on their own (`DB_PASS`, `PGPWD`, `GH_PAT`, `REDIS_PW`, `DB_CREDS`, `MNEMONIC`). */
const SECRET_WORDS = new Set(["pass", "pwd", "pw", "pat", "creds", "psk", "passcode", "masterauth", "mnemonic"])
/** Words before `phrase` that make it a wallet's secret words (`seed phrase`, `recovery_phrase`). */
const PHRASE_FIRST = new Set(["seed", "recovery", "backup", "secret", "wallet"])
/** `requirepass`, `storepass`, `keypass`, `dbpass`… but not `bypass`, `compass`. */
const endsWithPass = (w: string): boolean =>
  w.length > 4 && w.endsWith("pass") && !/(?:by|com|tres|sur|over|under)pass$/.test(w)
const PUBLIC_WORDS = new Set(["public", "pub", "publishable"])
/** First words that make `<word> key` a secret name (`api key`, `access key`, `private key`, `secret key`). */
const KEY_PAIR_FIRST = new Set([
  "api",
  "access",
  "private",
  "secret",
  "jwt",
  "signing",
  "encryption",
  "hmac",
  "master",
  "webhook"
])
/** Words that, anywhere in a `…_key` name, make it an id or public value rather than a weak secret. */
const NOT_SECRET_KEY_WORDS = new Set(
  (
    "public pub publishable primary foreign partition sort cache index idempotency dedup dedupe lookup hash row range " +
    "composite unique object s3 file bucket map i18n translation react hot data encoding request trace correlation " +
    "ssh gpg pgp host known item list dict sort group cluster shard route router query search event message " +
    "component entity table column field form state store cursor page next previous continuation anon site"
  ).split(" ")
)

/** Words ending in `key` that name no secret. */
const KEY_WORDS = /(?:monkey|donkey|turkey|hockey|jockey|whiskey|hotkey|turnkey|shortcutkey)$/

const splitWords = (key: string): ReadonlyArray<string> =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0)

/** Words before `token` that make it a lexer, pagination or cancellation token (`nextPageToken`, `cancelToken`). */
const NOT_SECRET_TOKEN_WORDS = new Set(
  (
    "next prev previous last current curr peek lookahead significant expected start end eof sync lexer parser syntax " +
    "word input output bucket rate page pagination cancel cancellation continuation cursor stop special bos pad unk " +
    "mask sep cls max min total prompt completion cached cache reasoning thinking remaining left used num count " +
    "context estimated billed"
  ).split(" ")
)

/** A number at the end of a word of at least three letters (`password2`, `key_v1` stays `v1`). */
const NUMBERED = /(?<=[a-z]{3})\d{1,2}$/

const classify = (fullKey: string): KeyStrength => {
  // A member path names its last member: `spring.datasource.password`, but `this.currentToken.data`
  const dot = fullKey.lastIndexOf(".")
  let key = dot > 0 && dot < fullKey.length - 1 ? fullKey.slice(dot + 1) : fullKey
  // … whose last member is only `key` with the one before it (`stripe.api.key`, `aws.secret.access.key`: `api_key`)
  if (key !== fullKey && /^key$/i.test(key)) {
    const before = fullKey.slice(0, dot)
    key = `${before.slice(before.lastIndexOf(".") + 1)}_key`
  }
  // A numbered secret is one too (`password2`, `DB_PASSWORD2`, `token1`: as `password_2` already was)
  const words = splitWords(key).map((word) => word.replace(NUMBERED, ""))
  if (words.length === 0) return "none"
  const last = words[words.length - 1]
  if (META_WORDS.has(last)) return "none"
  // An action on secrets (`--export-secret-keys`, `show_password`, `rotate-token`) is a command or a switch, not a holder
  if (words.length > 1 && ACTION_WORDS.has(words[0])) return "none"
  if (last === "token" && words.some((w) => NOT_SECRET_TOKEN_WORDS.has(w))) return "none"
  // 1Password CLI's session: `OP_SESSION_<account>`
  if (words[0] === "op" && words[1] === "session" && words.length > 2) return "strong"
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    if (SECRET_WORDS.has(w)) return "strong"
    if (SECRET_WORD_SUFFIXES.some((s) => w.endsWith(s)) || endsWithPass(w)) return "strong"
    // `api key` names a secret, unless it is the public half (`public_api_key`, `publishable_api_key`)
    if (w === "key" && i > 0 && KEY_PAIR_FIRST.has(words[i - 1]) && !words.some((x) => PUBLIC_WORDS.has(x)))
      return "strong"
    if ((w === "phrase" || w === "words") && i > 0 && PHRASE_FIRST.has(words[i - 1])) return "strong"
    // Yarn's `npmAuthIdent` (`user:password`) beside its `npmAuthToken`
    if (w === "ident" && i > 0 && words[i - 1] === "auth") return "strong"
  }
  if (words.some((w) => NOT_SECRET_KEY_WORDS.has(w))) return "none"
  if (last === "key" && words.length > 1) return "weak"
  // `ADMINKEY`, `OPENAIKEY`: a name and `key` run together, as an upper-cased camelCase name reads
  if (last.length > 5 && last.endsWith("key") && !NOT_SECRET_KEY_WORDS.has(last.slice(0, -3)) && !KEY_WORDS.test(last))
    return "weak"
  if (last === "auth") return "weak"
  // A signed URL's signature (`X-Amz-Signature`, `X-Goog-Signature`, CloudFront's `Signature`) grants access
  if (last === "signature") return "weak"
  return "none"
}

/** Key names repeat a lot (the same config keys in every payload), so their classification is memoised. */
const CACHE_SIZE = 4096
const cache = new Map<string, KeyStrength>()

/** How strongly a key name says its value is a secret (see `KeyStrength`). */
/** Composer's kinds of token per host (`auth.json`'s maps, `composer config --auth <kind>.<host> <token>`). */
const COMPOSER_TOKENS = "(?:github-oauth|gitlab-oauth|gitlab-token|bearer)"
/** The name of a map of Composer's tokens per host (`"github-oauth": {"github.com": "…"}`). */
export const COMPOSER_TOKEN_MAP = new RegExp(`^${COMPOSER_TOKENS}$`, "i")
/** Composer's token settings (`composer config --auth github-oauth.github.com <token>`, `bearer.<host>`). */
const COMPOSER_AUTH = new RegExp(`^${COMPOSER_TOKENS}\\.[\\w.-]+\\.[a-z]{2,}$`, "i")

/**
 * Bundler's credentials for a gem server, by its host (`BUNDLE_GEMS__CONTRIBSYS__COM: "user:password"`, the dots of
 * `gems.contribsys.com` written `__`); not its mirrors and build options (`BUNDLE_MIRROR__…`, `BUNDLE_BUILD__…`).
 */
const BUNDLER_SOURCE = /^BUNDLE_(?!MIRROR__|BUILD__)[A-Z0-9_]+__[A-Z]{2,12}$/

/**
 * WordPress's salts (`wp-config.php`'s `define('NONCE_SALT', '…')`, a Bedrock `.env`, the Docker image's
 * `WORDPRESS_NONCE_SALT`): secrets like its keys, whose names say so already.
 */
const WORDPRESS_SECRET = /^(?:WORDPRESS_)?(?:AUTH|SECURE_AUTH|LOGGED_IN|NONCE)_SALT$/
/** WordPress's keys (`define('AUTH_KEY', '…')`): secrets in `define()`, where `AUTH_KEY` alone names many other things. */
export const WORDPRESS_KEY = /^(?:AUTH|SECURE_AUTH|LOGGED_IN|NONCE)_KEY$/
/** Variables that hold a password under a name without a secret word (`REDISCLI_AUTH=… redis-cli`). */
const PASSWORD_VARIABLES = /^REDISCLI_AUTH$/

export const keyStrength = (key: string): KeyStrength => {
  const cached = cache.get(key)
  if (cached !== undefined) return cached
  const result =
    WORDPRESS_SECRET.test(key) || COMPOSER_AUTH.test(key) || BUNDLER_SOURCE.test(key) || PASSWORD_VARIABLES.test(key)
      ? "strong"
      : classify(key)
  if (cache.size >= CACHE_SIZE) cache.clear()
  cache.set(key, result)
  return result
}

/**
 * True when a key name says it holds a secret: one of its words ends with password, passwd, passphrase, secret,
 * token, credential(s), apikey, accesskey or privatekey, is `pass`/`pwd`/`pw`/`pat`/`creds`, or is `key` after
 * api/access/private/secret/app/account/auth/… — unless its last word only describes the secret (`TOKEN_LIMIT`,
 * `secretName`, `password_file`, `token_url`, `password_hash`).
 */
export const isSecretKeyName = (key: string): boolean => keyStrength(key) === "strong"

/** True for the last word of a key that names a password (where a bare lower-case word is still a password). */
export const isPasswordKey = (key: string): boolean => {
  const words = splitWords(key)
  const last = words[words.length - 1] ?? ""
  return /(?:password|passwd|passphrase|secret|pass|pwd|pw)$/.test(last)
}

/**
 * The kind of a key whose last word says it holds a password or a secret (`DB_PASSWORD`, `passwd`, `PGPWD`: `password`;
 * `pass`, `REDIS_PW`: `pass`; `client_secret`: `secret`; `auth_token`: `token`): a value with a run (`1234567`,
 * `abcdefg`) or dots in it is one there, and under `password` and `secret` a value of digits too
 * (`plausibleSecretValue`). Not `SECRET_KEY` or `PASSWORD_TIMEOUT`: their last word says nothing.
 */
export const passwordKeyKind = (key: string): SecretKind | undefined => {
  const cached = kindCache.get(key)
  if (cached !== undefined) return cached === "none" ? undefined : cached
  let kind: SecretKind | "none" = "none"
  if (keyStrength(key) === "strong") {
    const words = splitWords(key.slice(key.lastIndexOf(".") + 1))
    const last = (words[words.length - 1] ?? "").replace(NUMBERED, "")
    if (/(?:password|passwd|passphrase|passwort|pwd)$/.test(last)) kind = "password"
    else if (/(?:pw|pass)$/.test(last)) kind = "pass"
    else if (/secret$/.test(last)) kind = "secret"
    else if (/token$/.test(last)) kind = "token"
  }
  if (kindCache.size >= CACHE_SIZE) kindCache.clear()
  kindCache.set(key, kind)
  return kind === "none" ? undefined : kind
}
const kindCache = new Map<string, SecretKind | "none">()

const PLURAL_SECRET = /(?:token|secret|password|passwd|passphrase|key|credential|pat)s$/i

/**
 * How strongly the name of a list or a map says its items are secrets: as `keyStrength`, and a plural of a secret name
 * too (`tokens`, `api_keys`, `SECRETS`, `passwords`; not `total_tokens`). Only for containers: as the label of a single
 * value a plural is mostly prose (`API keys: GET /api/keys`).
 */
export const containerKeyStrength = (key: string): KeyStrength => {
  const direct = keyStrength(key)
  return direct !== "none" || !PLURAL_SECRET.test(key) ? direct : keyStrength(key.slice(0, -1))
}
