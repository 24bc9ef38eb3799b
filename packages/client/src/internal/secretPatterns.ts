/**
 * The secret rule table used by the Redactor. Every rule is written from the provider's published token format.
 *
 * Each rule has a cheap `trigger` (a literal-ish regex, tested before the full rule runs) and a `find` function that
 * returns the spans of the secret part only, so surrounding text such as `KEY=` or `scheme://user:` stays intact.
 * All quantifiers are bounded and no quantified group repeats over characters its neighbour also matches, so every
 * rule runs in linear time on any input.
 */

/** A span of the input that a rule identified as a secret. */
export interface SecretMatch {
  readonly rule: string
  readonly start: number
  readonly end: number
}

/** One detection rule: a name, an optional cheap pre-check and a finder returning secret spans. */
export interface SecretRule {
  readonly name: string
  readonly trigger?: RegExp
  readonly find: (text: string) => ReadonlyArray<SecretMatch>
}

/** The text every replacement starts with; matches that contain it are never redacted again. */
export const MARKER_PREFIX = "[REDACTED:"

/** The replacement for a secret found by `rule`. */
export const marker = (rule: string): string => `${MARKER_PREFIX}${rule}]`

const hasDigit = (s: string): boolean => /\d/.test(s)
const hasLetter = (s: string): boolean => /[A-Za-z]/.test(s)
const hasUpperAndLower = (s: string): boolean => /[A-Z]/.test(s) && /[a-z]/.test(s)
const digitAndLetter = (s: string): boolean => hasDigit(s) && hasLetter(s)

interface RegexRuleOptions {
  readonly trigger?: RegExp
  /** Receives the secret text (the `secret` group, or the whole match) and the full match. */
  readonly validate?: (secret: string, match: RegExpExecArray) => boolean
  /** Picks the rule name per match (e.g. `connection-string` vs `url-password`). */
  readonly nameOf?: (match: RegExpExecArray) => string
}

/**
 * Runs a global regex over the text. When the regex has a `secret` named group it must be preceded only by a `pre`
 * group that starts the match; only the `secret` group is reported.
 */
export const findAll = (
  pattern: RegExp,
  text: string,
  name: string,
  options: RegexRuleOptions = {}
): ReadonlyArray<SecretMatch> => {
  const out: Array<SecretMatch> = []
  pattern.lastIndex = 0
  let m = pattern.exec(text)
  while (m !== null) {
    if (m[0].length === 0) pattern.lastIndex++
    const groups = m.groups
    const secret = groups?.secret ?? m[0]
    const start = m.index + (groups?.secret !== undefined ? (groups.pre ?? "").length : 0)
    if (
      secret.length > 0 &&
      !secret.includes(MARKER_PREFIX) &&
      (options.validate === undefined || options.validate(secret, m))
    ) {
      out.push({ rule: options.nameOf?.(m) ?? name, start, end: start + secret.length })
    }
    m = pattern.exec(text)
  }
  return out
}

const regexRule = (name: string, pattern: RegExp, options: RegexRuleOptions = {}): SecretRule => {
  const rule = { name, find: (text: string) => findAll(pattern, text, name, options) }
  return options.trigger === undefined ? rule : { ...rule, trigger: options.trigger }
}

// ---------------------------------------------------------------------------------------------------------------------
// Value heuristics shared by the key-name based rules
// ---------------------------------------------------------------------------------------------------------------------

/** Values that stand in for a secret: templates, env references, masks and the usual dummy words. */
const PLACEHOLDER = new RegExp(
  `^(?:${[
    "<[^>]*>",
    "\\{\\{[\\s\\S]*\\}\\}",
    "\\$\\{?[A-Za-z_(][\\s\\S]*",
    "%[A-Za-z_][A-Za-z0-9_]*%",
    "[xX*.#•-]{3,}",
    "(?:[A-Za-z0-9]{1,12}[-_]){1,3}(?:[xX*•]{4,}|\\.{3,})",
    "\\[[A-Z_ -]+\\]",
    "(?:change|replace|update)[-_ ]?me",
    "your[-_ ][\\s\\S]*",
    "[\\s\\S]*[-_ ]here",
    "my[-_ ]?(?:secret|password|passwd|token|key|api[-_ ]?key)",
    "example[\\s\\S]*",
    "[\\s\\S]*example",
    "placeholder|dummy|sample|redacted|masked|hidden|changeit|notasecret|not[-_ ]set|unset|empty|default",
    "secrets?|password|passwd|token|api[-_]?key",
    "undefined|null|none|nil|true|false|required|optional|disabled|enabled",
    "string|str|number|boolean|bool|int|object|todo|tbd|fixme|foobar"
  ].join("|")})$`,
  "i"
)

const NUMERIC = /^[-+]?[\d.,_:]+(?:[eE][-+]?\d+)?\s?(?:ms|s|m|h|d|w|k|kb|mb|gb|tb|%|px|em|rem)?$/i
const PATH_LIKE = /^(?:\.{0,2}\/|~\/|[A-Za-z]:\\)\S*$/
const MEMBER_PATH = /^[A-Za-z_$][\w$]*(?:(?:\.|\?\.|::|->)[A-Za-z_$][\w$]*)+$/
const CODE_WORD =
  /^(?:await|yield\*?|new|typeof|function|async|return|lambda|this|self|super|const|let|var|def|fn|static|readonly)$/
const PROSE = /^[A-Za-z][A-Za-z'’,.!?-]*(?:\s+[A-Za-z'’,.!?()-]+)+$/

/** True for values that look like a literal secret and not like a placeholder, a number, a path or prose. */
export const plausibleSecretValue = (value: string): boolean => {
  const v = value.trim()
  if (v.length < 6 || v.length > 1000) return false
  if (v.includes(MARKER_PREFIX)) return false
  if (/^(.)\1+$/.test(v)) return false
  if (NUMERIC.test(v) || PLACEHOLDER.test(v) || PATH_LIKE.test(v)) return false
  if (PROSE.test(v)) return false
  if (/^(?:process\.env|import\.meta\.env|os\.environ|os\.getenv|env\(|getenv\()/.test(v)) return false
  return true
}

// ---------------------------------------------------------------------------------------------------------------------
// Key names
// ---------------------------------------------------------------------------------------------------------------------

/** Trailing words that make a key describe a secret (its name, path, length...) instead of holding one. */
const META_WORDS = new Set([
  "name",
  "names",
  "id",
  "ids",
  "type",
  "types",
  "kind",
  "file",
  "files",
  "path",
  "paths",
  "dir",
  "url",
  "urls",
  "uri",
  "endpoint",
  "ref",
  "arn",
  "env",
  "var",
  "variable",
  "length",
  "len",
  "limit",
  "limits",
  "max",
  "min",
  "count",
  "size",
  "ttl",
  "expiry",
  "expires",
  "expiration",
  "expire",
  "at",
  "header",
  "field",
  "prompt",
  "hint",
  "label",
  "placeholder",
  "policy",
  "mode",
  "provider",
  "version",
  "enabled",
  "required",
  "format",
  "pattern",
  "regex",
  "rule",
  "rules",
  "location",
  "store",
  "source",
  "description",
  "title",
  "text",
  "message",
  "error",
  "prefix",
  "suffix",
  "budget",
  "usage",
  "index",
  "scope",
  "scopes",
  "method",
  "strategy",
  "manager",
  "service",
  "helper",
  "algorithm",
  "algo",
  "cipher",
  "encoding",
  "strength",
  "stdin",
  "generator",
  "validator"
])

const SECRET_WORD_SUFFIXES = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "token",
  "credential",
  "credentials",
  "apikey",
  "accesskey",
  "privatekey",
  "secretkey"
]
const SECRET_WORDS = new Set(["pass", "pwd"])
const KEY_PAIR_FIRST = new Set(["api", "access", "private", "secret"])

const splitWords = (key: string): ReadonlyArray<string> =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0)

/**
 * True when a key name says it holds a secret: one of its words ends with password, passwd, passphrase, secret,
 * token, credential(s), apikey, accesskey or privatekey, or it has the word pairs api/access/private/secret + key —
 * unless its last word only describes the secret (`TOKEN_LIMIT`, `secretName`, `password_file`, `token_url`).
 */
export const isSecretKeyName = (key: string): boolean => {
  const cached = keyNameCache.get(key)
  if (cached !== undefined) return cached
  const result = classifyKeyName(key)
  if (keyNameCache.size >= KEY_NAME_CACHE_SIZE) keyNameCache.clear()
  keyNameCache.set(key, result)
  return result
}

/** Key names repeat a lot (the same config keys in every payload), so their classification is memoised. */
const KEY_NAME_CACHE_SIZE = 2048
const keyNameCache = new Map<string, boolean>()

const classifyKeyName = (key: string): boolean => {
  const words = splitWords(key)
  if (words.length === 0) return false
  const last = words[words.length - 1]
  if (META_WORDS.has(last)) return false
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    if (SECRET_WORDS.has(w)) return true
    if (SECRET_WORD_SUFFIXES.some((s) => w.endsWith(s))) return true
    if (w === "key" && i > 0 && KEY_PAIR_FIRST.has(words[i - 1])) return true
  }
  return false
}

// ---------------------------------------------------------------------------------------------------------------------
// Key/value assignments: `KEY=value`, `"key": "value"`, `key: value`, `--password=value`, `<password>value</password>`
// ---------------------------------------------------------------------------------------------------------------------

const ASSIGNMENT_KEYWORD = /pass|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential/i
const MAX_KEY = 100
const MAX_VALUE = 1000

const isKeyChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46
const isQuote = (c: string): boolean => c === '"' || c === "'" || c === "`"
const isBlank = (c: string): boolean => c === " " || c === "\t"
/** Characters that end an unquoted value. */
const UNQUOTED_END: ReadonlySet<string> = new Set([..." \t\r\n\"'`,;&<>(){}[]\\"])
/** Characters that end an unquoted value in `KEY=value` (env files, shell): passwords may contain brackets. */
const SHELL_VALUE_END: ReadonlySet<string> = new Set([..." \t\r\n\"'`;&|\\"])

interface ParsedValue {
  readonly start: number
  readonly end: number
  readonly quoted: boolean
  readonly next: string
}

const readValue = (text: string, i: number, unquotedEnd: ReadonlySet<string>): ParsedValue | undefined => {
  let q = text[i]
  let escaped = false
  if (q === "\\" && isQuote(text[i + 1] ?? "")) {
    escaped = true
    q = text[i + 1]
    i++
  }
  if (isQuote(q)) {
    const start = i + 1
    let j = start
    const limit = Math.min(text.length, start + MAX_VALUE)
    while (j < limit) {
      const c = text[j]
      if (c === "\n" || c === "\r") return undefined
      if (escaped ? c === "\\" : c === q) break
      j++
    }
    if (j >= limit) return undefined
    if (q === "`" && text.slice(start, j).includes("${")) return undefined
    return { start, end: j, quoted: true, next: text[j] ?? "" }
  }
  const start = i
  let j = i
  const limit = Math.min(text.length, start + MAX_VALUE)
  while (j < limit && !unquotedEnd.has(text[j])) j++
  return { start, end: j, quoted: false, next: text[j] ?? "" }
}

const ENV_KEY = /^[A-Z][A-Z0-9_]*$/

/** True when an unquoted value is an identifier, call or member path in code rather than a literal secret. */
const looksLikeCode = (value: string, next: string): boolean =>
  next === "(" ||
  MEMBER_PATH.test(value) ||
  CODE_WORD.test(value) ||
  /^[:@?*&|!]/.test(value) ||
  /^[A-Za-z_$]+$/.test(value)

/** Finds values assigned to secret-named keys in env files, shell, JSON, YAML, TOML, INI, XML and CLI flags. */
export const findAssignments = (text: string): ReadonlyArray<SecretMatch> => {
  const out: Array<SecretMatch> = []
  const re = new RegExp(ASSIGNMENT_KEYWORD.source, "gi")
  let m = re.exec(text)
  while (m !== null) {
    let keyStart = m.index
    let keyEnd = m.index + m[0].length
    const floor = Math.max(0, m.index - MAX_KEY)
    while (keyStart > floor && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--
    const ceiling = Math.min(text.length, keyEnd + MAX_KEY)
    while (keyEnd < ceiling && isKeyChar(text.charCodeAt(keyEnd))) keyEnd++
    re.lastIndex = keyEnd
    const match = matchAssignment(text, keyStart, keyEnd)
    if (match !== undefined) {
      out.push(match)
      re.lastIndex = Math.max(keyEnd, match.end)
    }
    m = re.exec(text)
  }
  return out
}

const matchAssignment = (text: string, keyStart: number, keyEnd: number): SecretMatch | undefined => {
  const before = text[keyStart - 1] ?? ""
  const isFlag = text.startsWith("--", keyStart)
  const keyName = (): string => text.slice(keyStart, keyEnd).replace(/^[-.]+/, "")

  // XML element: <password>value</password>
  if (before === "<" && text[keyEnd] === ">") {
    const start = keyEnd + 1
    const close = text.indexOf("<", start)
    if (close === -1 || close - start > MAX_VALUE || !isSecretKeyName(keyName())) return undefined
    const value = text.slice(start, close)
    if (value.includes("\n") || !plausibleSecretValue(value)) return undefined
    return { rule: "secret-assignment", start, end: close }
  }

  // The operator first: it rules out most keyword hits (prose, identifiers) before any allocation
  let i = keyEnd
  let compact = true
  if (isQuote(text[i] ?? "")) i++
  else if (text[i] === "\\" && isQuote(text[i + 1] ?? "")) i += 2
  const opStart = i
  while (i < text.length && i - opStart < 10 && isBlank(text[i])) i++
  if (i > opStart) compact = false
  let op = ""
  const c = text[i]
  if (c === ":") {
    if (text[i + 1] === "=") op = ":="
    else if (text[i + 1] === ":") return undefined
    else op = ":"
  } else if (c === "=") {
    if (text[i + 1] === "=") return undefined
    op = text[i + 1] === ">" ? "=>" : "="
  } else if (isFlag && i === keyEnd + 1 && text[keyEnd] === " ") {
    op = " "
  } else {
    return undefined
  }
  if (op !== " ") i += op.length
  const valueStart = i
  while (i < text.length && i - valueStart < 10 && isBlank(text[i])) i++
  if (i > valueStart) compact = false

  const key = keyName()
  if (!isSecretKeyName(key)) return undefined
  // `KEY=value` in env files and shell, and `--flag=value`, hold literals; elsewhere a bare word is usually code
  const literalStyle = compact && op === "=" && (ENV_KEY.test(key) || isFlag)
  const parsed = readValue(text, i, literalStyle ? SHELL_VALUE_END : UNQUOTED_END)
  if (parsed === undefined) return undefined
  const value = text.slice(parsed.start, parsed.end)
  if (!plausibleSecretValue(value)) return undefined
  if (!parsed.quoted) {
    if (!literalStyle && looksLikeCode(value, parsed.next)) return undefined
    if (literalStyle && (MEMBER_PATH.test(value) || parsed.next === "(")) return undefined
  }
  return { rule: "secret-assignment", start: parsed.start, end: parsed.end }
}

// ---------------------------------------------------------------------------------------------------------------------
// The rule table (order is priority: when spans overlap the earlier rule wins)
// ---------------------------------------------------------------------------------------------------------------------

/** True when `curl` appears earlier on the same line (looking back at most 1,000 characters). */
const onCurlLine = (text: string, index: number): boolean => {
  const from = Math.max(0, index - 1000)
  const lineStart = text.lastIndexOf("\n", index) + 1
  return /\bcurl\b/.test(text.slice(Math.max(from, lineStart), index))
}

const CONNECTION_SCHEMES = new Set([
  "postgres",
  "postgresql",
  "mysql",
  "mariadb",
  "mongodb",
  "mongodb+srv",
  "redis",
  "rediss",
  "amqp",
  "amqps",
  "mssql",
  "sqlserver",
  "oracle",
  "clickhouse",
  "cockroachdb",
  "couchdb",
  "neo4j",
  "neo4j+s",
  "bolt",
  "nats",
  "kafka",
  "memcached",
  "ldap",
  "ldaps"
])

/** Joins regex literals and bits of raw syntax (`"(?:"`, `"|"`, `")"`) into one regex, so long rules stay readable. */
const rx = (flags: string, ...parts: ReadonlyArray<RegExp | string>): RegExp =>
  new RegExp(parts.map((p) => (typeof p === "string" ? p : p.source)).join(""), flags)

/** The built-in rules, most specific first. */
export const builtinRules: ReadonlyArray<SecretRule> = [
  regexRule(
    "private-key",
    rx(
      "g",
      /-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----/,
      "(?:",
      /[\s\S]{0,20000}?-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----/,
      // no END line (a truncated paste): the base64 body and the headers of encrypted keys
      "|",
      /(?:\s{0,4}[A-Za-z0-9+/=:,.\\-]{1,200}){0,400}/,
      ")"
    ),
    { trigger: /-----BEGIN /, validate: (s) => s.length > 60 }
  ),
  regexRule("anthropic-api-key", /(?<![A-Za-z0-9_-])sk-ant-[a-z]{2,12}\d{2}-[A-Za-z0-9_-]{20,250}/g, {
    trigger: /sk-ant-/,
    validate: digitAndLetter
  }),
  regexRule(
    "openai-api-key",
    rx(
      "g",
      /(?<![A-Za-z0-9_-])sk-/,
      "(?:",
      /(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,250}/,
      "|",
      /[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}/,
      "|",
      /[A-Za-z0-9]{32,100}(?![A-Za-z0-9_-])/,
      ")"
    ),
    { trigger: /sk-/, validate: (s) => digitAndLetter(s.slice(3)) }
  ),
  regexRule("aws-access-key", /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g, {
    trigger: /A(?:KI|SI|BI|CC)A/
  }),
  regexRule(
    "aws-secret-key",
    rx(
      "gi",
      "(?<pre>",
      /(?:aws_?)?secret_?access_?key["']?[ \t]{0,5}(?:=>|:|=)[ \t]{0,5}["']?/,
      "|",
      /aws_?secret(?:_?key)?["']?[ \t]{0,5}[:=][ \t]{0,5}["']?/,
      ")",
      /(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/
    ),
    { trigger: /secret_?access_?key|aws_?secret/i, validate: digitAndLetter }
  ),
  regexRule(
    "github-token",
    /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{36,244})(?![A-Za-z0-9_])/g,
    { trigger: /gh[pousr]_|github_pat_/, validate: digitAndLetter }
  ),
  regexRule("gitlab-token", /(?<![A-Za-z0-9_-])gl(?:pat|dt|rt|ptt|cbt|soat|ft|imt|agent)-[A-Za-z0-9_.-]{20,250}/g, {
    trigger: /gl(?:pat|dt|rt|ptt|cbt|soat|ft|imt|agent)-/,
    validate: digitAndLetter
  }),
  regexRule(
    "slack-webhook",
    /(?<pre>https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)(?<secret>[A-Za-z0-9_/-]{16,250})/g,
    { trigger: /hooks\.slack\.com/ }
  ),
  regexRule("slack-token", /(?<![A-Za-z0-9_-])(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,250}/g, {
    trigger: /xox[abposre]-|xapp-/,
    validate: (s) => hasDigit(s.slice(5))
  }),
  regexRule("stripe-key", /(?<![A-Za-z0-9_])(?:[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}|whsec_[A-Za-z0-9+/]{24,100})/g, {
    trigger: /[sr]k_(?:live|test)_|whsec_/,
    validate: (s) => digitAndLetter(s.slice(8))
  }),
  regexRule("google-api-key", /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g, { trigger: /AIza/ }),
  regexRule("google-oauth-client-secret", /(?<![A-Za-z0-9_-])GOCSPX-[A-Za-z0-9_-]{24,40}(?![A-Za-z0-9_-])/g, {
    trigger: /GOCSPX-/
  }),
  regexRule("google-oauth-token", /(?<![A-Za-z0-9_-])ya29\.[A-Za-z0-9_-]{30,2048}/g, {
    trigger: /ya29\./,
    validate: digitAndLetter
  }),
  regexRule("npm-token", /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/g, {
    trigger: /npm_/,
    validate: (s) => digitAndLetter(s.slice(4))
  }),
  regexRule("pypi-token", /(?<![A-Za-z0-9_-])pypi-AgE[A-Za-z0-9_-]{50,1000}/g, { trigger: /pypi-AgE/ }),
  regexRule("huggingface-token", /(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,40}(?![A-Za-z0-9_])/g, {
    trigger: /hf_/,
    validate: (s) => hasUpperAndLower(s.slice(3))
  }),
  regexRule("twilio-api-key", /(?<![A-Za-z0-9_])SK[0-9a-f]{32}(?![A-Za-z0-9_])/g, {
    trigger: /SK[0-9a-f]{32}/,
    validate: (s) => digitAndLetter(s.slice(2))
  }),
  regexRule("sendgrid-api-key", /(?<![A-Za-z0-9_-])SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,64}(?![A-Za-z0-9_-])/g, {
    trigger: /SG\./
  }),
  regexRule(
    "azure-storage-key",
    /(?<pre>(?:AccountKey|SharedAccessKey)=)(?<secret>[A-Za-z0-9+/]{20,200}={0,2})(?![A-Za-z0-9+/=])/g,
    { trigger: /AccountKey=|SharedAccessKey=/ }
  ),
  regexRule("opensync-key", /(?<![A-Za-z0-9_-])osk_[A-Za-z0-9_-]{32,48}(?![A-Za-z0-9_-])/g, {
    trigger: /osk_/,
    validate: (s) => !/^[a-z_-]+$/.test(s.slice(4))
  }),
  regexRule(
    "jwt",
    /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,4096}\.[A-Za-z0-9_-]{10,8192}\.[A-Za-z0-9_-]{10,4096}(?![A-Za-z0-9_-])/g,
    { trigger: /eyJ/ }
  ),
  regexRule(
    "url-password",
    rx(
      "g",
      /(?<pre>(?<![A-Za-z0-9+.-])(?<scheme>[A-Za-z][A-Za-z0-9+.-]{1,30}):\/\/[^\s:/?#@"'<>[\]]{0,100}:)/,
      /(?<secret>[^\s/?#@"'<>]{1,200})(?=@[A-Za-z0-9[])/
    ),
    {
      trigger: /:\/\//,
      validate: (s) => !PLACEHOLDER.test(s) && !/^[$%]/.test(s),
      nameOf: (m) =>
        CONNECTION_SCHEMES.has((m.groups?.scheme ?? "").toLowerCase().replace(/^jdbc:/, ""))
          ? "connection-string"
          : "url-password"
    }
  ),
  regexRule("bearer-token", /(?<pre>\bbearer[ \t]{1,5})(?<secret>[A-Za-z0-9._~+/-]{16,4096}=*)/gi, {
    trigger: /bearer/i,
    validate: (s) => hasLetter(s) && (hasDigit(s) || /[._~+/-]/.test(s))
  }),
  regexRule(
    "basic-auth",
    rx(
      "gi",
      "(?<pre>",
      /\b(?:proxy-)?authorization["']?[ \t]{0,5}[:=][ \t]{0,5}["']?/,
      /(?<scheme>basic|token|bot|apikey|key|ssws)?[ \t]{0,5}/,
      ")",
      /(?<secret>[A-Za-z0-9._~+/-]{8,4096}=*)/
    ),
    {
      trigger: /authorization/i,
      validate: (s, m) => (m.groups?.scheme !== undefined ? !PLACEHOLDER.test(s) : digitAndLetter(s)),
      nameOf: (m) => (m.groups?.scheme?.toLowerCase() === "basic" ? "basic-auth" : "authorization-header")
    }
  ),
  regexRule("basic-auth", /(?<pre>(?<=[ \t])(?:-u|--user)[ \t]{1,5}["']?[^\s:"'$]{1,100}:)(?<secret>[^\s"']{1,200})/g, {
    trigger: /curl/,
    validate: (s, m) => !PLACEHOLDER.test(s) && !s.startsWith("$") && onCurlLine(m.input, m.index)
  }),
  { name: "secret-assignment", trigger: ASSIGNMENT_KEYWORD, find: findAssignments }
]

/** One regex that matches wherever any built-in rule could match; when it fails the text is returned as is. */
export const builtinPrecheck: RegExp = new RegExp(
  builtinRules.map((r) => `(?:${(r.trigger ?? /[\s\S]/).source})`).join("|"),
  "i"
)
