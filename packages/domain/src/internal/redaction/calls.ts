/**
 * Calls that take a password as a positional argument, without a name at the call: `new PDO($dsn, $user, "…")`,
 * `new mysqli($host, $user, "…", $db)`, `mysqli_connect($host, $user, "…", $db)`, JDBC's
 * `DriverManager.getConnection(url, user, "…")`, Go's `smtp.PlainAuth("", user, "…", host)`, Azure's
 * `ClientSecretCredential(tenant, client, "…")`, a client's `.login(user, "…")` (Python's `ftplib`, `smtplib`,
 * `imaplib`, `poplib`'s `.pass_` aside), Algolia's `algoliasearch(appId, "…")`.
 */
import { type Scan, type Scanner, stickyAt } from "./engine.js"
import {
  entropy,
  hasDigit,
  hasLetter,
  hasLower,
  hasUpper,
  isPlaceholder,
  plausibleSecretValue,
  randomLetters,
  standsForSecret,
  tokenLike
} from "./values.js"

/** An argument (a string, or an expression without a comma, a quote or parentheses) and the comma after it. */
const ARGUMENT = /\s*(?:(["'])[^"'\n]{0,200}\1|[^"',()\n]{1,200})\s*,/y
/** A string argument, then the comma or the parenthesis after it. */
const STRING_ARGUMENT = /\s*(["'])(?<s>[^"'\n]{1,300})\1\s*[,)]/y

/** Redacts the argument at `index` (from 0) of the call whose arguments start at `i`, when it is a string literal. */
export const stringArgument = (scan: Scan, i: number, index: number, rule: string): void => {
  const text = scan.text
  let at = i
  for (let n = 0; n < index; n++) {
    const m = stickyAt(ARGUMENT, text, at)
    if (m === null) return
    at += m[0].length
  }
  const m = stickyAt(STRING_ARGUMENT, text, at)
  const value = m?.groups?.s
  if (m === null || value === undefined || value.length < 4 || standsForSecret(value)) return
  const start = at + m[0].indexOf(value)
  scan.add(rule, start, start + value.length)
}

/** The anchor regex's alternatives for these calls (each in the group of its first character, see `rules.ts`). */
export const CALL_HIT = /^(?:pdo|mysqli(?:_connect)?|connection|\.login|algoliasearch)\($/i

/** At `PDO(`, `mysqli(`, `getConnection(`: the password argument (the third); at `.login(`, `algoliasearch(`: the second. */
export const positionalCallScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  const c = text.charCodeAt(at) | 0x20
  // `Connection(` only as JDBC's `getConnection(`
  if (c === 0x63 /* c */ && !text.startsWith("get", at - 3)) return
  stringArgument(scan, end, c === 0x2e /* . */ || c === 0x61 /* a */ ? 1 : 2, "cli-password")
}

/** A string literal in a call's arguments: `"…"`, `'…'` (also inside `b"…"`, `Some("…")`, `"…".getBytes()`). */
const LITERAL = /(["'])(?<s>[^"'\n\\]{8,200})\1/g
const IDENTIFIER_CHAR = /[A-Za-z0-9_]/
const HOST_OR_NAME = /^[\w-]+(?:\.[\w-]+)+$|:\/\/|^[\w.-]*[/\\]/
/** An argument named for what is not a secret (`tenantId: "…"`, `account_name=`, `region = `). */
const NAMED_NOT_SECRET =
  /(?:id|name|user(?:name)?|login|region|location|host|endpoint|url|uri|account|tenant|project|scope|audience|issuer|algorithm)["']?\s*[:=]\s*$/i
const UUID = /^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/

/**
 * A literal that reads as a secret in a call named for one: random-looking (`tokenLike`, `randomLetters`), or a
 * password's mix (lower and upper case and digits, or letters, digits and a symbol), not a host, URL, path, name with
 * a dot, UUID (a tenant's or a client's id) or placeholder. User names, algorithm names and headers (`"admin"`,
 * `"sha256"`, `"Bearer"`) are not, nor a value named for what is not a secret (`tenantId: "…"`).
 */
const secretLiteral = (value: string): boolean => {
  if (/\s/.test(value) || HOST_OR_NAME.test(value) || UUID.test(value) || isPlaceholder(value)) return false
  if (!plausibleSecretValue(value)) return false
  if (tokenLike(value) || randomLetters(value)) return true
  // (its letters not an identifier's with digits in it: `getUint8Array`, `base64UrlEncode`)
  const mixed = hasUpper(value) && hasLower(value) && hasDigit(value) && randomLetters(value.replace(/\d+/g, ""))
  const symbol = /[^A-Za-z0-9_.-]/.test(value) && hasDigit(value) && hasLetter(value)
  return (mixed || symbol) && entropy(value) > 3
}

/**
 * A call whose name holds the keyword at `[at, end)` (`AzureKeyCredential(`, `pika.PlainCredentials(`,
 * `req.SetBasicAuth(`, `Keys.hmacShaKeyFor(`, `new SymmetricSecurityKey(`, `AuthenticationHeaderValue(`,
 * `slack.NewWithAPIToken(`): the literals among its arguments that read as secrets (`secretLiteral`), up to its
 * closing parenthesis (at most 400 characters on).
 */
export const credentialCallScanner: Scanner = (scan, _at, end) => {
  const text = scan.text
  let i = end
  while (i < text.length && i - end < 60 && IDENTIFIER_CHAR.test(text[i])) i++
  while (text[i] === " ") i++
  if (text[i] !== "(") return
  const open = i + 1
  let depth = 1
  let close = open
  const limit = Math.min(text.length, open + 400)
  for (; close < limit && depth > 0; close++) {
    const c = text[close]
    if (c === "(") depth++
    else if (c === ")") depth--
    else if (c === "\n") break
  }
  const args = text.slice(open, close)
  for (const m of args.matchAll(LITERAL)) {
    const value = m.groups?.s
    const index = m.index ?? 0
    if (
      value === undefined ||
      !secretLiteral(value) ||
      NAMED_NOT_SECRET.test(args.slice(Math.max(0, index - 40), index))
    ) {
      continue
    }
    const start = open + index + 1
    scan.add("secret-assignment", start, start + value.length)
  }
}

/**
 * Calls that take a key without saying so in their name: an HMAC's key (`crypto.createHmac("sha256", "…")`,
 * `hmac.new(b"…", msg, sha256)`, Go's `hmac.New(sha256.New, []byte("…"))`), a Fernet key (`Fernet(b"…")`), a JWT's
 * signing key (`token.SignedString([]byte("…"))`). The anchor's hit ends at the call's parenthesis; the literals that
 * read as secrets among its arguments are redacted as in a call named for a credential.
 */
export const KEY_CALL_HIT = /^(?:hmac(?:\.new)?|fernet|signedstring)\($/i

export const keyCallScanner: Scanner = (scan, _at, end) => credentialCallScanner(scan, end - 1, end - 1)

/** `"user:password"` as a call's first argument. */
const PAIR_ARGUMENT = /\s*b?(["'`])(?<u>[^"'`:\s\\]{1,64}):(?<p>[^"'`\s\\]{4,200})\1/y
/** What makes `Buffer.from("a:b")` an encoding for basic auth: base64 asked for on the same line. */
const TO_BASE64 = /^\)\s*\.toString\(\s*["'`]base64/

/**
 * A `user:password` pair encoded for HTTP basic auth: `btoa("user:…")`, Python's `base64.b64encode(b"user:…")`,
 * Node's `Buffer.from("user:…").toString("base64")`: the password (not a `$`/`{` template, a placeholder or a word
 * that reads as prose; any other value, since a pair encoded this way is a credential).
 */
export const PAIR_CALL_HIT = /^(?:btoa|b64encode|buffer\.from)\($/i

export const basicPairCallScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  const m = stickyAt(PAIR_ARGUMENT, text, end)
  const password = m?.groups?.p
  if (m === null || password === undefined || standsForSecret(password)) return
  const after = end + m[0].length
  if ((text.charCodeAt(at + 1) | 0x20) === 0x75 /* Buffer */ && !TO_BASE64.test(text.slice(after, after + 40))) return
  if (password.length < 6 ? !/\d/.test(password) : !plausibleSecretValue(password)) return
  const stop = after - 1
  scan.add("basic-auth", stop - password.length, stop)
}
