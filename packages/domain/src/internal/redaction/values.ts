/**
 * Judgements about a candidate secret value: placeholders, masks, password hashes, documentation examples, prose,
 * code, and how token-like a string is. Pure functions over strings, no Node APIs.
 */

/** The text every replacement starts with; spans that contain it are never redacted again. */
export const MARKER_PREFIX = "[REDACTED:"

/** The replacement for a secret found by `rule`. */
export const marker = (rule: string): string => `${MARKER_PREFIX}${rule}]`

export const hasDigit = (s: string): boolean => /\d/.test(s)
export const hasLetter = (s: string): boolean => /[A-Za-z]/.test(s)
export const hasUpper = (s: string): boolean => /[A-Z]/.test(s)
export const hasLower = (s: string): boolean => /[a-z]/.test(s)
export const digitAndLetter = (s: string): boolean => hasDigit(s) && hasLetter(s)

/** Values that stand in for a secret as a whole: templates, env references, masks and the usual dummy words. */
const PLACEHOLDER = new RegExp(
  `^(?:${[
    "<[^>]*>",
    "\\{\\{[\\s\\S]*\\}\\}",
    "\\$\\{?[A-Za-z_(][\\s\\S]*",
    "\\$\\d+",
    "%[A-Za-z_][A-Za-z0-9_]*%",
    "[xX*.#•-]{3,}",
    "(?:[A-Za-z0-9]{1,12}[-_]){1,3}(?:[xX*•]{4,}|\\.{3,})",
    "\\[[A-Za-z_ -]+\\]",
    "(?:change|replace|update)[-_ ]?(?:me|it|this)",
    "your[-_ ][\\s\\S]*",
    "[\\s\\S]*[-_ ]here",
    "(?:my|your|some|random|super|default|example|test|dummy|fake|sample|the)[-_ ]?(?:secret|password|passwd|pass|pwd|token|key|api[-_ ]?key)(?:[-_]?(?:secret|password|passwd|pass|pwd|token|key|here|\\d{1,3}))*",
    "example[\\s\\S]*",
    "[\\s\\S]*example",
    "ENC\\[[\\s\\S]*",
    "placeholder|dummy|sample|redacted|masked|hidden|changeit|notasecret|not[-_ ]set|unset|empty|default|secure",
    "secrets?|password\\d*|passwd|passw0rd|pass|pwd|token|api[-_]?key|credentials?|bearer|basic|inherit|prompt",
    "same-origin|include|omit|anonymous|use-credentials",
    "undefined|null|none|nil|true|false|yes|no|on|off|required|optional|disabled|enabled|auto|env",
    "string|str|number|boolean|bool|int|integer|object|todo|tbd|fixme|foobar|foo|bar|baz|test|testing|admin"
  ].join("|")})$`,
  "i"
)

/** Masks and templates inside a value (`ghp_****`, `AKIA0000…`, `sk-...abcd`, `<token>`, `${VAR}`, `{{ x }}`, `#{x}`). */
const MASK_INSIDE = /[xX]{5}|[*•]{3}|0{8}|\.\.\.|…|<[A-Za-z_ -]+>|\$\{|\{\{|\{[A-Za-z_][\w.]*\}|#\{/
/** Dummy words inside a value (`sk_live_YOUR_KEY`, `AKIA…EXAMPLE`, `my-placeholder-token`, `…_here`). */
const DUMMY_WORD_INSIDE =
  /example|(?:^|[^a-z0-9])(?:your[-_ .]|your(?:api|access|auth|secret|private)?(?:key|token|secret|password|pass)|sample|placeholder|dummy|changeme|replace[-_]?me|redacted|insert[-_ ]|enter[-_ ])|[-_]here$/i
const SEQUENCES = ["0123456789", "1234567", "abcdefg", "ABCDEFG"]

/** Markers of a placeholder or a mask anywhere inside a value. */
const hasPlaceholderInside = (v: string): boolean =>
  MASK_INSIDE.test(v) || SEQUENCES.some((s) => v.includes(s)) || DUMMY_WORD_INSIDE.test(v)

/**
 * Under a name that says password or secret (`DB_PASSWORD`, `"password"`, `client_secret`), only what stands for a
 * password as a whole, a template, a reference or a mask of `x`, `*` or `•` (`changeme`, `<password>`, `${VAR}`, `***`,
 * `your_password_here`), not what merely contains a run (`Acme1234567!`, `Qwerty1234567`, `Zx9abcdefgQ!`), dots
 * (`Hunter2...`) or zeros: people choose such passwords.
 */
const PASSWORD_MASK_INSIDE = /[xX]{5}|[*•]{3}|…|<[A-Za-z_ -]+>|\$\{|\{\{|\{[A-Za-z_][\w.]*\}|#\{/
/** Masks of a token under a password-like name (`ghp_...`, `sk-...abcd`, `eyJhbGciOi...`): a prefix and dots. */
const TOKEN_DOTS = /^(?:[A-Za-z]{1,8}[-_.]){1,3}\.{3}|^eyJ[\w-]*\.{3}|\.{3}[A-Za-z0-9]{2,6}$/

/**
 * What a key's name says its value is: `password` (`DB_PASSWORD`, `passwd`, `PGPWD`, `passphrase`), `pass` (`pass`,
 * `REDIS_PW`: also a test runner's count, `pass: 3`), `secret` (`client_secret`), `token` (`auth_token`: also a
 * lifetime or an id, `REFRESH_TOKEN=604800`). Under `secret` and `token`, dots and zeros still mask a value
 * (`ghp_...`, `AKIA00000000…`); only under `password` and `secret` is a number a secret (`secretKindTakesDigits`).
 */
export type SecretKind = "password" | "pass" | "secret" | "token"

/** True when a value of digits alone (`83920174`, a PIN) is a secret under a name of this kind. */
export const secretKindTakesDigits = (kind: SecretKind | undefined): boolean => kind === "password" || kind === "secret"

/** True when a value under a password- or secret-named key stands for the password rather than being one. */
export const isPasswordPlaceholder = (value: string, kind: SecretKind = "password"): boolean => {
  const tokenish = kind === "secret" || kind === "token"
  return (
    PASSWORD_MASK_INSIDE.test(value) ||
    DUMMY_WORD_INSIDE.test(value) ||
    (value.includes("...") && (tokenish || TOKEN_DOTS.test(value))) ||
    (tokenish && value.includes("00000000")) ||
    PRINTF.test(value) ||
    PLACEHOLDER.test(value) ||
    SECRET_REFERENCE.test(value) ||
    PLACEHOLDER_PAIR.test(value) ||
    SYMFONY_ENV.test(value)
  )
}

/** printf-style placeholders (`%s`, `%(password)s`), case-sensitive. */
const PRINTF = /%s\b|%\([a-z_]+\)s\b|%\d*d\b/

/**
 * A reference to a secret kept in a secret store, which the tool resolves when it runs: 1Password's `op://vault/item/
 * field`, Vault's `vault:secret/data/app#password` (and `vault://`), Google's `sm://project/name` and
 * `gcp-secret://…`, Azure App Service's `@Microsoft.KeyVault(SecretUri=…)`, an ARM template's `[parameters('…')]`,
 * CloudFormation's `{{resolve:secretsmanager:…}}` (a `{{…}}` template already), an AWS Secrets Manager or SSM ARN.
 * The name of a secret, not the secret.
 */
const SECRET_REFERENCE =
  /^(?:op:\/\/[^\s/]+\/[^\s]+|vault:\/?\/?[\w./-]+(?:#[\w.-]+)?|(?:sm|gcp-secret|gsm|azure-keyvault|keyvault|doppler|infisical|bws|secretsmanager|ssm):\/\/[\w./@:-]+|@Microsoft\.KeyVault\([^)\s]*\)|\[(?:parameters|variables|reference)\('[\w.-]+'\)(?:\.[\w.]+)?\]|arn:aws[\w-]*:(?:secretsmanager|ssm):[\w-]*:\d*:(?:secret|parameter)[:/][\w/+=.@-]+)$/

/** True when the value is a stand-in for a secret (template, reference, mask, dummy word, documentation example). */
export const isPlaceholder = (value: string): boolean =>
  hasPlaceholderInside(value) ||
  PRINTF.test(value) ||
  PLACEHOLDER.test(value) ||
  SECRET_REFERENCE.test(value) ||
  PLACEHOLDER_PAIR.test(value) ||
  SYMFONY_ENV.test(value)

/** A `user:password` pair of placeholder words (`USERNAME:TOKEN`, `username:password`, docs' examples). */
const PLACEHOLDER_PAIR = /^(?:user(?:name)?|login|x-access-token|token)[:/](?:pass(?:word)?|token|secret|api[_-]?key)$/i
/** Symfony's reference to an environment variable (`%env(PACKAGIST_TOKEN)%`). */
const SYMFONY_ENV = /^%env\([\w:]{1,100}\)%$/

/**
 * A value that stands for a secret rather than being one: a placeholder, or what starts a reference (`$VAR`, `%VAR%`,
 * `{{ secrets.X }}`, `<your-token>`).
 */
export const standsForSecret = (value: string): boolean => isPlaceholder(value) || /^[$%{<]/.test(value)

/** Keys that vendors publish for use in browsers and apps (Stripe/Clerk `pk_`, Mapbox `pk.`, PostHog `phc_`). */
export const isPublishable = (value: string): boolean => /^(?:pk_(?:live|test)_|pk\.eyJ|phc_|NRJS-)/.test(value)

/** Password hashes and key-derivation outputs: what a database stores instead of the password. */
const PASSWORD_HASH =
  /^(?:\{(?:SSHA|SHA|SMD5|MD5|CRYPT|SSHA256|SSHA512|SHA256|SHA512|PBKDF2[-\w]*|ARGON2|BCRYPT|bcrypt|scrypt|pbkdf2[-\w]*|argon2)\}(?!\s*$)|\{bcrypt\}\$|\$(?:2[abxy]?|argon2(?:id|i|d)|scrypt|pbkdf2(?:-sha\d+)?|[1356]|apr1|y|gy|7|md5|sha1|sha256|sha512)\$|(?:pbkdf2_sha\d+|bcrypt(?:_sha256)?|argon2|scrypt|sha1|md5|unsalted_md5|unsalted_sha1)\$|(?:pbkdf2|scrypt):[\w:]{1,40}\$)/

/** True for `$2b$12$…`, `$argon2id$…`, `pbkdf2_sha256$…`, `{SSHA}…` and similar stored hashes. */
export const isPasswordHash = (value: string): boolean => PASSWORD_HASH.test(value)

/** Keys and tokens that vendors publish in their documentation; they unlock nothing. */
const DOCUMENTATION_EXAMPLES: ReadonlyArray<string> = [
  "AKIAIOSFODNN7EXAMPLE",
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "AKIAI44QH8DHBEXAMPLE",
  "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
  // the signature of the jwt.io example token ({"sub":"1234567890","name":"John Doe","iat":1516239022})
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
]

/** True when the value is or contains a published documentation example. */
export const isDocumentationExample = (value: string): boolean =>
  DOCUMENTATION_EXAMPLES.some((example) => value.includes(example))

/** True when a token found by its format is a placeholder, a mask or a documentation example. */
export const isDummyToken = (token: string): boolean =>
  hasPlaceholderInside(token) || isDocumentationExample(token) || /^(.)\1+$/.test(token)

const NUMERIC = /^[-+]?[\d.,_:]+(?:[eE][-+]?\d+)?\s?(?:ms|s|m|h|d|w|k|kb|mb|gb|tb|%|px|em|rem)?$/i
const PATH_LIKE = /^(?:\.{0,2}\/|~\/|[A-Za-z]:\\|file:)\S*$/
const FILE_NAME =
  /^[\w.-]+\.(?:pem|key|crt|cer|csr|p12|pfx|json|txt|ya?ml|env|jks|keystore|der|pub|asc|gpg|conf|cfg|ini|toml)$/i
const ENV_LOOKUP =
  /^(?:process\.env|import\.meta\.env|os\.environ|os\.getenv|env\(|getenv\(|ENV\[|System\.getenv|Deno\.env)/

/** Words that make a quoted string a sentence rather than a passphrase. */
const PROSE_WORDS = new Set(
  (
    "a an the your you yours to of is are be been must please enter at least and or for not no with this that in on " +
    "new old confirm forgot reset change invalid incorrect wrong required characters character field cannot can " +
    "should will was were it its by from as if use used using here there do does did my our we i me keep store never " +
    "missing expired empty set get has have how what when where which who why account user username email login"
  ).split(" ")
)

/** True for a quoted value made of words: a UI string or a log message, unless it reads like a random passphrase. */
export const isProse = (value: string): boolean => {
  if (!/^[A-Za-z][A-Za-z'’,.!?-]*(?:\s+[A-Za-z'’,.!?()-]+)+$/.test(value)) return false
  const words = value.toLowerCase().split(/[\s,.!?()]+/)
  if (/[.!?]$/.test(value) || /^[A-Z]/.test(value)) return true
  return words.some(
    (w) => PROSE_WORDS.has(w.replace(/['’]s$/, "")) || /^(?:secret|password|token|key|passphrase)s?$/.test(w)
  )
}

/** True when one of the words is a word of prose (`the`, `your`, `characters`, `password`…): a note, not a passphrase. */
export const hasProseWord = (words: ReadonlyArray<string>): boolean =>
  words.some((w) => {
    const word = w.toLowerCase().replace(/[,.!?:]+$/, "")
    return PROSE_WORDS.has(word.replace(/['’]s$/, "")) || /^(?:secret|password|token|key|passphrase)s?$/.test(word)
  })

/** Four groups of four lower-case letters, as Google shows an app password (`tixl zwxu qaoy hubf`). */
export const APP_PASSWORD = /^[a-z]{4} [a-z]{4} [a-z]{4} [a-z]{4}$/

/** Random base64 (a key that happens to start with `/`), as opposed to a path: mixed case, digits, no long words. */
const looksLikeBase64 = (v: string): boolean =>
  v.length >= 24 &&
  /^[A-Za-z0-9+/]+={0,2}$/.test(v) &&
  !v.includes("//") &&
  hasUpper(v) &&
  hasLower(v) &&
  hasDigit(v) &&
  (/[+=]/.test(v) || v.length >= 40 || !/[a-z]{7}/.test(v))

/** A package version or range (`^9.0.2`, `~1.4`, `>=2.0.0 <3`, `1.2.3-beta.1`, `workspace:*`): `"jsonwebtoken": "^9.0.2"`. */
export const VERSION_RANGE =
  /^(?:(?:[\^~]|[<>]=?|=)?v?\d+(?:\.(?:\d+|[xX*]))+(?:-[\w.]+)?(?:\+[\w.]+)?(?:\s*(?:\|\||-|[<>]=?)?\s*v?\d+(?:\.(?:\d+|[xX*]))*)*|workspace:[*^~]?[\w.]*|latest|next|\*)$/

/** A relative path, a test's name with its subtests, a module path: `tests/test-parser`, `TestParse/valid_input`. */
const RELATIVE_PATH = /^[\w.-]+(?:\/[\w.-]+)+$/
/** A piece of a path's segment that reads as a word or a name (`Parse`, `input`, `v2`, `e2e`, `API`), not as random. */
const WORD_PIECE = /^(?:(?:[A-Z]?[a-z]{2,})+\d*|[a-z]*\d+[a-z]*|[A-Z]{1,5}\d*)$/

/** Every segment made of words (`TestParseConfig/valid_input`), unlike base64 with a `/` in it. */
const wordyPath = (v: string): boolean =>
  RELATIVE_PATH.test(v) &&
  /[A-Za-z]{3}/.test(v) &&
  v
    .split("/")
    .every((segment) =>
      segment
        .split(/[_.-]+/)
        .every(
          (piece) =>
            piece === "" ||
            WORD_PIECE.test(piece) ||
            (/^[A-Za-z]+$/.test(piece) && /[a-z]{3}/.test(piece) && !randomLetters(piece))
        )
    )

/** An ISO 8601 date and time (`2025-03-14T09:12:44+00:00`, `2025-03-14 09:12:44Z`): when something happened, not a secret. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$/

/**
 * A BuildKit secret's spec (`docker build --secret id=npm,src=$HOME/.npmrc`, `env=GH_TOKEN`): where a secret comes
 * from (it names its `src`, `source` or `env`), not one. Read as the `--secret` flag's value, it took the command's
 * arguments with it.
 */
const SECRET_SPEC =
  /^(?:id|type|src|source|target|dst|env|required|mode|uid|gid)=[^,\s]*(?:,(?:id|type|src|source|target|dst|env|required|mode|uid|gid)=[^,\s]*)*$/

/**
 * True for values that look like a literal secret and not like a placeholder, a number, a path or prose. Under a name
 * that says password or secret (`password`), a password with a run, dots or zeros in it (`Acme1234567!`) counts too:
 * only what stands for a password as a whole is a placeholder there; and under a password's or a secret's own name
 * (not `pass`, `pw` or a token's: `pass: 123456` counts tests, `REFRESH_TOKEN=604800` is a lifetime), so does a number
 * of six digits or more.
 */
export const plausibleSecretValue = (value: string, password?: SecretKind): boolean => {
  const v = value.trim()
  if (v.length < 6 || v.length > 4096) return false
  if (v.includes(MARKER_PREFIX)) return false
  if (/^(.)\1+$/.test(v)) return false
  if (
    (NUMERIC.test(v) && !(secretKindTakesDigits(password) && /^\d{6,64}$/.test(v))) ||
    (password !== undefined ? isPasswordPlaceholder(v, password) : isPlaceholder(v)) ||
    FILE_NAME.test(v) ||
    isPasswordHash(v) ||
    VERSION_RANGE.test(v) ||
    TIMESTAMP.test(v) ||
    (SECRET_SPEC.test(v) && /(?:^|,)(?:src|source|env)=/.test(v))
  )
    return false
  if ((PATH_LIKE.test(v) && !looksLikeBase64(v)) || wordyPath(v)) return false
  if (isProse(v) || ENV_LOOKUP.test(v) || isDocumentationExample(v)) return false
  return true
}

/** Shannon entropy in bits per character. */
export const entropy = (s: string): number => {
  const counts = new Map<number, number>()
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    counts.set(c, (counts.get(c) ?? 0) + 1)
  }
  let bits = 0
  for (const n of counts.values()) {
    const p = n / s.length
    bits -= p * Math.log2(p)
  }
  return bits
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/**
 * True for a random-looking credential: 16-512 characters of a token alphabet, either hex of 32+ digits, a UUID, or
 * mixed upper case, lower case and digits, with enough entropy. Used where only a weak hint (a key named `…_KEY`,
 * `auth`) says the value might be a secret.
 */
export const tokenLike = (value: string): boolean => {
  const v = value
  if (v.length < 16 || v.length > 512 || !/^[A-Za-z0-9+/=_.~:-]+$/.test(v)) return false
  if (isDummyToken(v) || isPasswordHash(v) || wordyPath(v)) return false
  if (UUID.test(v)) return true
  if (/^[0-9a-fA-F]{32,}$/.test(v)) return entropy(v) > 3
  if (/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+){1,2}$/.test(v) && /\.(?:[a-z]{2,4})$/.test(v)) return false
  // camelCase and PascalCase identifiers (`useAuthFromAuth0`, `DefaultApiKeyProvider2`)
  if (/^[a-z]+(?:[A-Z][a-z]+)+\d{0,3}$|^(?:[A-Z][a-z]+){2,}\d{0,3}$/.test(v)) return false
  return hasUpper(v) && hasLower(v) && hasDigit(v) && entropy(v) > 3.2
}

/**
 * Words of code: lower-case letters (or one capital before a hump: `IPassword`, `OAuth`), then humps (`Client`, `Id`)
 * and acronyms of two capitals or more (`HTTP`).
 */
const IDENTIFIER_SHAPE = /^(?:[a-z]+|[A-Z](?=[A-Z][a-z]))?(?:[A-Z]{2,}(?![a-z])|[A-Z][a-z]+)*$/
const IDENTIFIER_WORD = /^[a-z]+|[A-Z]{2,}(?![a-z])|[A-Z][a-z]+/g

/**
 * True for 8-64 letters of both cases that do not read as an identifier (`XQuUoJEWCxzx`, not `newPassword` or
 * `getHTTPClient`). A name in code has the shape above, a two-letter hump at most once (`userIdToken`), no run of five
 * lower-case consonants (`https` and `html` aside) and words of three letters or more on average. About one random
 * string of letters in ten still passes for a name.
 */
export const randomLetters = (value: string): boolean => {
  if (value.length < 8 || value.length > 64 || !/^[A-Za-z]+$/.test(value) || !hasUpper(value) || !hasLower(value))
    return false
  if (!IDENTIFIER_SHAPE.test(value)) return true
  if ((value.match(/[A-Z][a-z](?![a-z])/g)?.length ?? 0) > 1) return true
  if (/[b-df-hj-np-tv-xz]{5}/.test(value.replace(/https?|html|xml/gi, ""))) return true
  return value.length / (value.match(IDENTIFIER_WORD)?.length ?? 1) < 3
}

// ---------------------------------------------------------------------------------------------------------------------
// Base64 (pure: no Buffer, no atob) for the few rules that look inside an encoded value
// ---------------------------------------------------------------------------------------------------------------------

const B64_VALUES = (() => {
  const table = new Int16Array(128).fill(-1)
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i
  table["-".charCodeAt(0)] = 62
  table["_".charCodeAt(0)] = 63
  return table
})()

/** Decodes standard or URL-safe base64 (at most `maxChars` input characters) to a Latin-1 string; "" when invalid. */
export const decodeBase64 = (input: string, maxChars = 4096): string => {
  let out = ""
  let buffer = 0
  let bits = 0
  const n = Math.min(input.length, maxChars)
  for (let i = 0; i < n; i++) {
    const code = input.charCodeAt(i)
    if (code === 61) break
    const value = code < 128 ? B64_VALUES[code] : -1
    if (value < 0) return ""
    buffer = (buffer << 6) | value
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out += String.fromCharCode((buffer >> bits) & 0xff)
    }
  }
  return out
}
