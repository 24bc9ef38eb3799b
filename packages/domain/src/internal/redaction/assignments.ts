/**
 * Values assigned to secret-named keys: `KEY=value` (env files, shell, docker -e), `key: value` (YAML, headers),
 * `"key": "value"` (JSON, also escaped inside JSON strings), `key = "value"` (TOML, INI, code), `key := "value"`,
 * `:key => "value"`, `?key=value&`, `--flag=value` / `--flag value`, `<password>value</password>`, name/value pairs
 * (`- name: DB_PASSWORD` + `value: …`, `<add key="ApiKey" value="…"/>`), calls (`setApiKey("…")`,
 * `define('DB_PASSWORD', '…')`), `ENV KEY value`, `set -gx KEY value`, tables (`token    hvs.…`) and `.netrc`.
 */
import { stringArgument } from "./calls.js"
import { lineEnd, lineHeadBefore, type Scan, stickyAt } from "./engine.js"
import {
  COMPOSER_TOKEN_MAP,
  containerKeyStrength,
  fitsStrength,
  isPasswordKey,
  type KeyStrength,
  keyStrength,
  passwordKeyKind,
  WORDPRESS_KEY
} from "./keyNames.js"
import {
  APP_PASSWORD,
  digitAndLetter,
  hasDigit,
  hasLower,
  hasProseWord,
  hasUpper,
  isDummyToken,
  isPlaceholder,
  isPublishable,
  plausibleSecretValue,
  randomLetters,
  standsForSecret,
  tokenLike
} from "./values.js"

const RULE = "secret-assignment"
const NETRC_RULE = "netrc-password"
const MAX_KEY = 100
const MAX_VALUE = 4096
/** Unquoted values are shorter: a run without any end character is not a value. */
const MAX_UNQUOTED = 512

const isKeyCode = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46
const isQuote = (c: string | undefined): boolean => c === '"' || c === "'" || c === "`"
const isBlank = (c: string | undefined): boolean => c === " " || c === "\t"

/** Characters that end an unquoted value in code, YAML and headers. */
/** An ASCII lookup table: 1 for the characters of `chars` (all of them ASCII). */
const asciiTable = (chars: string): Uint8Array => {
  const table = new Uint8Array(128)
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1
  return table
}

const UNQUOTED_END = asciiTable(" \t\r\n\"'`,;&<>(){}[]\\")
/** Characters that end an unquoted value in `KEY=value` (env files, shell, flags): passwords may contain brackets. */
const SHELL_VALUE_END = asciiTable(" \t\r\n\"'`;&|\\")
/**
 * The same where an `&` is no query's separator (`password=Xy7&kQ9…`, `Password=…&…;` in a connection string): a value
 * that holds `&&` or ends with `&` is cut there (`PASSWORD=x&& next`, `… &` sent to the background).
 */
const SHELL_VALUE_END_AMP = asciiTable(" \t\r\n\"'`;|\\")
/** Characters that end a value in a table row, `.netrc` or `ENV KEY value`: only whitespace and quotes. */
const WORD_END = asciiTable(" \t\r\n\"'`")

interface ParsedValue {
  readonly start: number
  readonly end: number
  readonly quote: string
  /** The character right after the value (after the closing quote for quoted values). */
  readonly next: string
}

const readValue = (text: string, i: number, unquotedEnd: Uint8Array): ParsedValue | undefined => {
  let q = text[i]
  let escaped = false
  if (q === "\\" && isQuote(text[i + 1])) {
    escaped = true
    q = text[i + 1]
    i++
  } else if ((q === "b" || q === "r" || q === "u" || q === "@") && (text[i + 1] === '"' || text[i + 1] === "'")) {
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
      if (escaped ? c === "\\" && text[j + 1] === q : c === q) break
      if (!escaped && c === "\\") j++
      j++
    }
    if (j >= limit) return undefined
    const after = escaped ? j + 2 : j + 1
    return { start, end: j, quote: q, next: text[after] ?? "" }
  }
  const start = i
  let j = i
  const limit = Math.min(text.length, start + MAX_UNQUOTED)
  while (j < limit) {
    const c = text.charCodeAt(j)
    if (c < 128 && unquotedEnd[c] === 1) break
    j++
  }
  if (j >= limit && j < text.length) return undefined
  return { start, end: j, quote: "", next: text[j] ?? "" }
}

/** `: Type =` between a key and its value, the value quoted after it (Kotlin, TypeScript, Swift, Rust, Scala). */
const TYPE_ANNOTATION =
  /:[ \t]*&?(?:'static[ \t]+)?[A-Za-z_][\w.:]{0,40}(?:<[^<>=\n]{0,40}>)?\??(?:\[\])?[ \t]*=(?=[ \t]*(?:["'`]|[A-Z]\w*::(?:from|new)\())/y
/** Constructors around a string literal: `String::from(`, `SecretString::new(`, `Secret::new(`, Go's `[]byte(`. */
const LITERAL_WRAPPER = /(?:[A-Z]\w*::(?:from|new)|String|Some|\[\]byte)\([ \t]*(?=["'`])/y

const ENV_KEY = /^[A-Z][A-Z0-9_]*$/
const MEMBER_PATH = /^[A-Za-z_$][\w$]*!?(?:(?:\.|\?\.|!\.|::|->)[A-Za-z_$][\w$]*!?)+$/
const CODE_WORD =
  /^(?:await|yield\*?|new|typeof|function|async|return|lambda|this|self|super|const|let|var|def|fn|static|readonly|nil|null|None)$/
/** Type names and keywords that follow `password:` in type annotations and schemas, not in YAML. */
const TYPE_WORDS =
  /^(?:string|number|boolean|bigint|object|unknown|any|never|void|str|int|bytes|float|bool|char|text|varchar|secret|password|required|optional|inherit|bearer|basic|digest|sensitive|hidden|masked|redacted|encrypted|plaintext|generated|random|prompt|ask|input|stdin|file|none|null|true|false|yes|no|nullable|keyword|integer|uuid|email)$/

/** A PowerShell command (`ConvertTo-SecureString`, `Get-Credential`): its approved verb, a dash and a noun. */
const POWERSHELL_CMDLET =
  /^(?:Get|Set|New|Remove|ConvertTo|ConvertFrom|Read|Write|Invoke|Add|Import|Export|Start|Stop|Test|Out|Select|Join|Split|Resolve|Format|Protect|Unprotect)-[A-Z][A-Za-z]+$/

/** A character class with a quantifier, an anchored pattern, a group construct: a regular expression. */
const REGEX_LIKE = /\[[^\]\s]{1,40}\](?:\{\d+(?:,\d*)?\}|[*+?])|^\^.*\$$|\(\?[:=!<]/

/** A command's next flag after a secret's name (`$env:PASS -AsPlainText`, `password --stdin`), not its value. */
const FLAG = /^--?[A-Za-z][A-Za-z-]*$/

/** True when an unquoted value is an identifier, call or member path in code rather than a literal secret. */
const looksLikeCode = (value: string, next: string): boolean =>
  next === "(" ||
  MEMBER_PATH.test(value) ||
  CODE_WORD.test(value) ||
  /^[:@?*&|!%]/.test(value) ||
  /^[A-Za-z_$]+$/.test(value)

/** An environment variable read as a member: `process.env.X`, `import.meta.env.X`, `Bun.env.X`. */
const ENV_MEMBER = /(?:process|meta|Bun)\.env\.[A-Za-z_][\w]*$/

/**
 * Call names whose quoted arguments are (name, value): `define('DB_PASSWORD', '…')`, `.header("X-Api-Key", "…")`, and
 * lookups with a default written in (`os.getenv("API_KEY", "…")`, `ENV.fetch("DB_PASSWORD", "…")`); a tuple in a list of
 * them (`[("x-api-key", "…")]`, Rust's and Python's headers).
 */
const PAIR_CALL =
  /(?:^|[^\w$])(?:define|setenv|putenv|Setenv|setdefault|setProperty|put|set|header|setHeader|addHeader|withHeader|append|add|Add|Set|insert|store|setItem|setSecret|set_secret|add_header|env|set_var|putString|SetEnvironmentVariable|getenv|Getenv|getEnv|get|getOrDefault|getProperty|fetch|setRequestHeader|insert_header|append_header|TryAddWithoutValidation)\s*\(\s*$|(?:^|[[,{]\s*)\(\s*$/

/** `ENV.fetch(` before a quoted key, and the start of a block with its default after the call (`) { "…" }`). */
const FETCH_CALL = /(?:^|[^\w$])fetch\s*\(\s*$/
const BLOCK_DEFAULT = /[ \t]*\{[ \t]*(?:\|[^|\n]{0,40}\|[ \t]*)?(?=["'][^"'\n]{1,300}["'][ \t]*\})/y

/** Methods whose single quoted argument is the secret: `setApiKey("…")`, `.apiKey("…")`, `withToken('…')`. */
const SETTER_VERB =
  /^(?:set|with|use|put|add|update)[A-Z_]|^(?:api[_-]?key|access[_-]?token|auth[_-]?token|token|password|secret|api[_-]?token|bearer[_-]?token|client[_-]?secret)$/i

/** `.bearer_auth("…")` (reqwest), `withBearerToken("…")`: the argument is a token. */
const BEARER_SETTER = /^(?:bearer_?auth|with_?bearer(?:_?token)?|set_?bearer(?:_?token)?)$/i

/**
 * Words before a key on its line that make `KEY value` (no operator) an assignment (Apache's `SetEnv API_SECRET …`,
 * nginx's `fastcgi_param DB_PASSWORD …;`); npm's keys may be scoped to a registry (`npm config set
 * //npm.pkg.github.com/:_authToken <token>`).
 */
const SPACE_ASSIGN_PREFIX =
  /(?:^|[\s;])(?:(?:ENV|ARG|set\s+-[gUxl]{1,4}|set\s+--(?:global|universal|export)(?:\s+--export)?|setx|setenv|Set-Item\s+-Path\s+env:|config(?:\s+(?:set|--global|--local|--system|-g))+|login\s+\S+|ngrok(?:\s+config)?|configure\s+set(?:\s+--profile\s+\S+)?|(?:hub|poetry|composer|glab|gh|conda)\s+config(?:\s+(?:set|--global|--auth|-g|-a))*|rclone\s+config\s+(?:create|update)(?:\s[^\n]*)?|convex\s+env\s+set(?:\s+--prod)?|(?:proxy|grpc|uwsgi)_set_header|add_header|RequestHeader\s+(?:set|append|add|merge|setifempty)|SetEnv|(?:fastcgi|uwsgi|scgi)_param)\s+|config(?:\s+(?:set|--global|--local|--system|-g))+\s+\/\/[^\s/]+(?:\/[^\s]*)?:)$/

const NAME_FIELD =
  /(?:^|[\s{,;(["':])(?:name|Name|NAME|key|Key|KEY|keyName|KeyName|variable|Variable|ParameterKey|OptionName|env_var|envVar)["']?\s*[:=]\s*["']?$/
const VALUE_FIELD = /(?:^|[\s,;{"':])["']?(?:value|Value|VALUE|ParameterValue|defaultValue)["']?[ \t]*[:=][ \t]*/

/** Finds the value of a secret-named key around a keyword hit at [at, anchorEnd). */
export const scanAssignment = (scan: Scan, at: number, anchorEnd: number): void => {
  const text = scan.text
  let keyStart = at
  const floor = Math.max(0, at - MAX_KEY)
  while (keyStart > floor && isKeyCode(text.charCodeAt(keyStart - 1))) keyStart--
  if (keyStart === floor && floor > 0 && isKeyCode(text.charCodeAt(floor - 1))) return
  let keyEnd = anchorEnd
  const ceiling = Math.min(text.length, anchorEnd + MAX_KEY)
  while (keyEnd < ceiling && isKeyCode(text.charCodeAt(keyEnd))) keyEnd++
  if (keyEnd === ceiling && ceiling < text.length && isKeyCode(text.charCodeAt(ceiling))) return
  if (keyEnd <= scan.lastKeyEnd) return
  scan.lastKeyEnd = keyEnd
  while (keyEnd > keyStart && (text[keyEnd - 1] === "." || text[keyEnd - 1] === "-")) keyEnd--
  if (keyEnd <= keyStart) return
  matchAt(scan, keyStart, keyEnd)
}

/** A label of two words (`API Key: …`, `Auth Token    …`): the word before the key when together they name a secret. */
const LABEL_WORD = /(?:^|[^A-Za-z0-9_.-])([A-Za-z]{2,20}) $/

/** A key that ends a quoted .NET configuration path (`"Authentication:Google:` before `ClientSecret"`). */
const COLON_PATH = /["'][\w.-]{1,60}(?::[\w.-]{1,60}){0,5}:$/
/** PHP curl options that hold credentials. */
const CURL_OPTION = /^CURLOPT_(?:USERPWD|PROXYUSERPWD|PASSWORD|PROXYPASSWORD|KEYPASSWD|SSLKEYPASSWD|XOAUTH2_BEARER)$/

/**
 * What may come before a statement of a name and a quoted value (`storePassword "…"`): the start of a line or a block,
 * C's `#define`, a Lisp's `(def`, an Elixir module attribute's `@`.
 */
const STATEMENT_HEAD = /(?:(?:^|[{;])\s*|#\s*define\s+|\((?:def|defonce|defconst|defvar|setq|setf|define)\s+|^\s*@)$/

/** A label's qualifier in parentheses, then its colon: `(prod):`, `(staging) =`. */
const QUALIFIER = /\([\w .,/-]{1,30}\)[ \t]*(?=[:=])/y
/**
 * Whether the value of a bare `key` in prose may be a secret: not a hash (a cache key, a digest, a GPG key's id),
 * unless a label names the key (`Datadog key: <hex>`, with `labelled`), and not words joined by dashes
 * (`Linux-pnpm-store-83ea…`, a cache key).
 */
const proseKeyValue = (text: string, keyStart: number, value: string, labelled: boolean): boolean => {
  if (/[A-Za-z]{3,}-[A-Za-z]{3,}-/.test(value)) return false
  if (!/^[0-9a-fA-F]+$/.test(value)) return true
  const label = LABEL_WORD.exec(text.slice(Math.max(0, keyStart - 22), keyStart))
  return labelled && label !== null && keyStrength(`${label[1]}_key`) !== "none"
}

/** The word a value would be, in prose (up to a blank or punctuation that ends a sentence's word). */
const NEXT_WORD = /^[^\s,;!?)]+/
/** What may come before a bare `key` label in prose: a blank, the start of a line, Markdown's bold or a bullet. */
const PROSE_BEFORE = /^(?:| |\t|\n|\*)$/

/** The value of a property list's `<key>`: `<string>…</string>` after blanks. */
const PLIST_STRING = /[ \t\r\n]{0,40}<string>(?<s>[^<\n]{1,4096})<\/string>/y

const XML_PREFIX = /<([A-Za-z_][\w.-]{0,40}:)?$/
const XML_ATTRIBUTES = /^(?:\s[^<>]{0,300})?>/

/** The element whose name ends at `keyEnd` (`<password>`, `<wsse:Password Type="…">`): its qualified name and content. */
const xmlElementAt = (
  text: string,
  keyStart: number,
  keyEnd: number
): { readonly name: string; readonly contentStart: number } | undefined => {
  const before = text[keyStart - 1]
  if (before !== "<" && before !== ":") return undefined
  const open = XML_PREFIX.exec(text.slice(Math.max(0, keyStart - 42), keyStart))
  if (open === null) return undefined
  const rest = XML_ATTRIBUTES.exec(text.slice(keyEnd, keyEnd + 302))
  if (rest === null) return undefined
  return { name: `${open[1] ?? ""}${text.slice(keyStart, keyEnd)}`, contentStart: keyEnd + rest[0].length }
}

const matchAt = (scan: Scan, keyStartAt: number, keyEnd: number): void => {
  const text = scan.text
  let keyStart = keyStartAt
  let nameStart = keyStart
  while (nameStart < keyEnd && (text[nameStart] === "-" || text[nameStart] === ".")) nameStart++
  let key = text.slice(nameStart, keyEnd)
  let before = text[keyStart - 1] ?? ""

  // XML element: <password>value</password>, also with a namespace and attributes (`<wsse:Password Type="…">`)
  const element = xmlElementAt(text, keyStart, keyEnd)
  if (element !== undefined) {
    const start = element.contentStart
    const close = text.indexOf("<", start)
    if (close === -1 || close - start > MAX_VALUE || keyStrength(key) !== "strong") return
    if (!text.startsWith(`</${element.name}>`, close)) return
    const value = text.slice(start, close)
    if (!value.includes("\n") && plausibleSecretValue(value, passwordKeyKind(key))) scan.add(RULE, start, close)
    return
  }

  // A property list's entry: `<key>API_KEY</key>`, then its value as `<string>…</string>`
  if (before === ">" && text.startsWith("</key>", keyEnd) && text.startsWith("<key>", keyStart - 5)) {
    const entry = stickyAt(PLIST_STRING, text, keyEnd + 6)
    const value = entry?.groups?.s
    const strength = keyStrength(key)
    if (entry === null || value === undefined || strength === "none") return
    if (strength === "strong" ? plausibleSecretValue(value) : tokenLike(value)) {
      const end = keyEnd + 6 + entry[0].length - "</string>".length
      scan.add(RULE, end - value.length, end)
    }
    return
  }

  let i = keyEnd
  let keyQuote = ""
  if (isQuote(text[i]) && text[i] === before) {
    keyQuote = text[i]
    i++
  } else if (text[i] === "\\" && isQuote(text[i + 1]) && before === text[i + 1]) {
    keyQuote = text[i + 1]
    i += 2
  }
  // .NET configuration paths: `"Authentication:Google:ClientSecret": "…"`, `"ConnectionStrings:Db"`
  if (
    keyQuote === "" &&
    before === ":" &&
    isQuote(text[i]) &&
    COLON_PATH.test(text.slice(Math.max(0, keyStart - 120), keyStart))
  ) {
    keyQuote = text[i]
    i++
  }
  // A C array: `constexpr char kApiToken[] = "…"`
  if (keyQuote === "" && text.startsWith("[]", i)) i += 2
  if (keyQuote !== "" && text[i] === "]") i++
  // Perl's `$ENV{API_KEY} = '…'`, `$ENV{'API_KEY'}`: the hash's closing brace
  else if (text[i] === "}" && text.startsWith("ENV{", keyStart - 4 - keyQuote.length)) i++
  const opStart = i
  while (i < text.length && i - opStart < 10 && isBlank(text[i])) i++
  // A label's qualifier in prose (`API key (prod): …`, `Password (staging) = …`): skipped to its colon
  if (text[i] === "(" && keyQuote === "" && (before === " " || before === "" || before === "\n")) {
    const qualifier = stickyAt(QUALIFIER, text, i)
    if (qualifier !== null) i += qualifier[0].length
  }
  const blanksBefore = i - opStart
  // A typed declaration (`const val API_TOKEN: String = "…"`, `let apiKey: string = '…'`): the type is skipped
  const typed = text[i] === ":" ? stickyAt(TYPE_ANNOTATION, text, i) : null
  if (typed !== null) i += typed[0].length - 1
  const c = text[i]
  let op = ""
  if (c === ":") {
    if (text[i + 1] === "=") op = ":="
    else if (text[i + 1] === ":" || text[i + 1] === "/") return
    else op = ":"
  } else if (c === "=") {
    if (text[i + 1] === "=" || text[i + 1] === "~") return
    op = text[i + 1] === ">" ? "=>" : "="
  } else if (c === "<" && text[i + 1] === "-" && isBlank(text[i + 2] ?? "")) {
    // R: `apiKey <- "…"` (a quoted value only: Haskell's `token <- getToken` binds an action's result)
    if (!isQuote(text[i + 3] ?? "") && !isQuote(text[i + 4] ?? "")) return
    op = "<-"
  } else if ((c === "|" || c === "?") && text[i + 1] === c && text[i + 2] === "=") {
    // `ENV['SMTP_PASSWORD'] ||= '…'`, `process.env.DB_PASSWORD ??= "…"`: a default given in the code (quoted only)
    let j = i + 3
    while (j < text.length && j - i < 12 && isBlank(text[j])) j++
    if (!isQuote(text[j] ?? "")) return
    op = `${c}${c}=`
  } else if (c === "?" && text[i + 1] === "=") {
    op = "?="
  }

  // A two-word label (`API Key: …`, `Auth Token    …`, `API key is …`) names a secret where its last word alone does not
  const labelled = op !== "" || blanksBefore >= 2 || (blanksBefore === 1 && PROSE_LINK.test(text.slice(i, i + 80)))
  if (before === " " && labelled && /^[A-Za-z]+$/.test(key) && keyStrength(key) !== "strong") {
    const label = LABEL_WORD.exec(text.slice(Math.max(0, keyStart - 22), keyStart))
    if (label !== null && keyStrength(`${label[1]}_${key}`) === "strong") {
      keyStart -= label[1].length + 1
      key = `${label[1]}_${key}`
      before = text[keyStart - 1] ?? ""
    }
  }
  const isFlag = text.startsWith("--", keyStart) || (text[keyStart] === "-" && /[\s"']/.test(before))
  // `Key: …`, `Datadog key: …`, `my mistral key is …` in prose: a bare `key` label, its value a random run
  const keyLabel = /^key$/i.test(key) ? LABEL_WORD.exec(text.slice(Math.max(0, keyStart - 22), keyStart)) : null
  const proseKey =
    /^key$/i.test(key) &&
    PROSE_BEFORE.test(before) &&
    // (not `VAPID public key: …`, `primary key`, `cache key`: a public value or an id)
    (keyLabel === null || keyStrength(`${keyLabel[1]}_key`) !== "none") &&
    (labelled || (blanksBefore === 1 && tokenLike(NEXT_WORD.exec(text.slice(i, i + 520))?.[0] ?? ""))) &&
    !isFieldValue(text, keyStart)

  if (op === "") {
    otherForms(scan, keyStart, keyEnd, key, keyQuote, i, blanksBefore, isFlag, proseKey)
    return
  }
  // `?key=…` in a query string: bare `key` is a weak hint there
  const scalarStrength =
    key === "key" && (before === "?" || before === "&") ? "weak" : proseKey ? "weak" : keyStrength(key)
  i += op.length
  // Markdown's bold label: `**Password:** …`
  if (before === "*" && text.startsWith("**", i)) i += 2
  const valueStart = i
  while (i < text.length && i - valueStart < 10 && isBlank(text[i])) i++
  // A list or a YAML block below (`"tokens": [`, `api_keys:` + items): a plural of a secret name counts too
  const below =
    op === ":" &&
    keyQuote === "" &&
    (restOfLineBlank(text, i) || /^[|>][+-]?[ \t]*(?:\r?\n|$)/.test(text.slice(i, i + 4)))
  const strength = scalarStrength === "none" && (text[i] === "[" || below) ? containerKeyStrength(key) : scalarStrength
  // Composer's auth.json: `"github-oauth": {"github.com": "…"}`, `"bearer": {"packages.acme.io": "…"}`
  if (text[i] === "{" && keyQuote !== "" && COMPOSER_TOKEN_MAP.test(key)) {
    hostTokens(scan, i + 1)
    return
  }
  if (strength === "none") return
  // A literal wrapped in a constructor (`String::from("…")`, `SecretString::new("…".into())`): the literal
  const wrapped = stickyAt(LITERAL_WRAPPER, text, i)
  if (wrapped !== null) i += wrapped[0].length
  const compact = blanksBefore === 0 && i === valueStart
  // `…:secret:prod/db` inside an ARN or another colon-separated path is not a key
  if (op === ":" && before === ":" && keyQuote === "" && isKeyCode(text.charCodeAt(keyStart - 2))) return
  const lineHead = lineHeadBefore(text, keyStart)
  const keyStartsLine = lineHead !== undefined && KEY_STARTS_LINE.test(lineHead)
  const queryOrConnection =
    before === "?" || before === "&" || before === ";" || before === "=" || lastNonBlankBefore(text, keyStart) === ";"
  let lineValue = keyStartsLine && keyQuote === "" && !isQuote(text[i]) ? restOfLineToken(text, i) : undefined
  // `"API_TOKEN=…",` (a list of a container's environment, `jq` output): the value ends at the quote that opened it
  const opening = lineHead?.at(-1)
  if (lineValue !== undefined && opening !== undefined && isQuote(opening)) {
    const close = lineValue.indexOf(opening)
    lineValue = close === -1 ? lineValue : close === 0 ? undefined : lineValue.slice(0, close)
  }
  // A password of several words, unquoted, on a line of its own (`DB_PASSWORD=correct horse battery staple`, YAML's
  // `password: tixl zwxu qaoy hubf`): dotenv and YAML read the rest of the line
  if (
    lineValue === undefined &&
    keyQuote === "" &&
    (op === ":" || (op === "=" && compact)) &&
    lineHead !== undefined &&
    PHRASE_LINE_HEAD.test(lineHead) &&
    passphraseKey(key) !== undefined
  ) {
    // (`Password: …`: a capitalised name that is no environment variable's is a label in prose)
    const dotenv = op === "=" && ENV_STYLE_NAME.test(key)
    const phrase = restOfLinePhrase(text, i, passphraseKey(key) === "app", dotenv, op === "=", /^[A-Z][a-z]/.test(key))
    // (a note about the password, `password: ask admin`, is left whole: none of its words is a secret)
    if (phrase === null) return
    if (phrase !== undefined) {
      scan.add(RULE, i, i + phrase.length)
      return
    }
  }
  const literalStyle =
    op === "=" &&
    ((compact && (ENV_KEY.test(key) || isFlag || queryOrConnection || keyStartsLine)) || lineValue !== undefined)
  if ((text[i] === "(" || text[i] === "[") && /auth$/i.test(key)) {
    tupleSecret(scan, i + 1)
    return
  }
  // Seed words unquoted to the end of the line, or alone on the next: `recovery phrase: legal winner thank …`
  if (SEED_WORDS_KEY.test(key) && !isQuote(text[i]) && seedWords(scan, i)) return
  // A list of secrets: `"tokens": ["…", "…"]`, `api_keys = ['…']`
  if (text[i] === "[") {
    listItems(scan, i + 1)
    return
  }
  // ODBC's braced value (`…;UID=sa;PWD={…}`): up to the `}` that ends it (`}}` stands for one `}`)
  if (text[i] === "{" && op === "=" && keyQuote === "" && queryOrConnection && /^(?:pwd|password)$/i.test(key)) {
    const braced = stickyAt(ODBC_BRACED, text, i)
    const value = braced?.groups?.v ?? ""
    if (braced !== null && plausibleSecretValue(value, "password")) scan.add(RULE, i + 1, i + 1 + value.length)
    return
  }
  // A secret-named object that holds its value (`terraform output -json`: `"db_password": {"sensitive": true, …,
  // "value": "…"}`)
  if (text[i] === "{" && strength === "strong") {
    objectValue(scan, i + 1)
    return
  }
  // YAML: the value on the lines below (`api_keys:` + `- …` items, `secrets:` + `github: …`, `password: |` + its block)
  if (below) {
    yamlBelow(scan, keyStart, lineEnd(text, i), strength)
    return
  }
  let parsed: ParsedValue | undefined
  if (lineValue !== undefined && (literalStyle || op === ":")) {
    parsed = { start: i, end: i + lineValue.length, quote: "", next: text[i + lineValue.length] ?? "" }
  } else {
    const query = before === "?" || before === "&"
    parsed = readValue(text, i, literalStyle ? (query ? SHELL_VALUE_END : SHELL_VALUE_END_AMP) : UNQUOTED_END)
    // `password=JfDr4U&14+tL` (a connection string's keyword=value): an `&` inside a value is not its end
    if (parsed !== undefined && !literalStyle && !query && parsed.quote === "" && parsed.next === "&") {
      const rest = stickyAt(/&[^\s"'`,;&<>(){}[\]\\]+/y, text, parsed.end)
      if (rest !== null)
        parsed = { ...parsed, end: parsed.end + rest[0].length, next: text[parsed.end + rest[0].length] ?? "" }
    }
    if (parsed !== undefined && literalStyle && !query && parsed.quote === "") {
      const value = text.slice(parsed.start, parsed.end)
      const cut = value.includes("&&") ? value.indexOf("&&") : value.replace(/&+$/, "").length
      if (cut < value.length) parsed = { ...parsed, end: parsed.start + cut, next: "&" }
    }
  }
  if (parsed === undefined) return
  // An unquoted value ends before the next parameter of a query or a form (`api_key=…&format=json`) and before a
  // bracket or a quote it did not open (`(API_KEY=…)`, the closing `"` of a here-string, `"""` of a Python string)
  if (parsed.quote === "" && parsed.end > parsed.start) {
    const value = text.slice(parsed.start, parsed.end)
    // (not in a value that is a query itself: `SAS_TOKEN=sv=…&sig=…`)
    const param = literalStyle ? NEXT_PARAM.exec(value) : null
    if (param !== null && value.lastIndexOf("=", param.index) !== -1) param.index = value.length
    const cut = closedEnd(param === null ? value : value.slice(0, param.index))
    if (cut > 0 && cut < value.length) parsed = { ...parsed, end: parsed.start + cut, next: value[cut] }
  }
  // `pw = process.env.X || "…"`, `api_key = os.environ.get("API_KEY") or "…"`: the default written into the code
  if (parsed.quote === "") {
    const fallback = stickyAt(FALLBACK_AFTER_REFERENCE, text, parsed.start)
    if (fallback !== null) {
      quotedValueAfter(scan, key, parsed.start + fallback[0].length)
      return
    }
  }
  const { start } = parsed
  let { end } = parsed
  if (parsed.quote === "" && literalStyle) {
    while (end > start && text[end - 1] === ",") end--
  }
  const value = text.slice(start, end)
  if (proseKey && !proseKeyValue(text, keyStart, value, true)) return
  const yamlLine = op === ":" && lineValue !== undefined
  if (!acceptValue(strength, key, value, parsed, literalStyle, yamlLine, compact)) return
  scan.add(RULE, start, end)
}

/** An ODBC connection string's braced value, `{…}` (`}}` inside stands for `}`). */
const ODBC_BRACED = /\{(?<v>(?:[^}\n]|\}\}){1,500})\}(?!\})/y

/** The next parameter of a query string or a form after a value: `&format=json`. */
const NEXT_PARAM = /&[A-Za-z_][\w.-]{0,40}=/

/**
 * The length of `value` without the closing brackets and quotes at its end that it did not open: `…)` after `(KEY=…`,
 * `…"` and `…"""` after a string that opened before the key (`<<< "A=1\nKEY=…"`).
 */
const closedEnd = (value: string): number => {
  let n = value.length
  // (a few closers at most: each step reads the value once)
  for (let step = 0; step < 8; step++) {
    const c = value[n - 1]
    if (c === ")" || c === "]") {
      const open = c === ")" ? "(" : "["
      let depth = 0
      for (let k = 0; k < n; k++) {
        if (value[k] === open) depth++
        else if (value[k] === c) depth--
      }
      if (depth >= 0) return n
      n--
    } else if (c === '"' || c === "'" || c === "`") {
      let run = n
      while (run > 0 && value[run - 1] === c) run--
      // (a quote inside the value opens what the last one closes: `pa"ss"`)
      if (value.lastIndexOf(c, run - 1) !== -1) return n
      n = run
    } else {
      return n
    }
  }
  return n
}

/** A reference (a name, a member, a lookup or a call), then `||`, `??` or `or` before a quote: a fallback's start. */
const FALLBACK_AFTER_REFERENCE =
  /[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[[^\]\n]{0,60}\]|\([^()\n]{0,80}\))*[ \t]*(?:\|\||\?\?|[ \t]or)[ \t]*(?=["'`])/y

/** True when the text before `keyStart` (a quote, blanks) ends with `:` or `=`: the key is some field's value. */
const isFieldValue = (text: string, keyStart: number): boolean => {
  let j = keyStart - 1
  if (isQuote(text[j])) j--
  while (j >= 0 && keyStart - j < 12 && isBlank(text[j])) j--
  return text[j] === ":" || text[j] === "="
}

/** The rest of the line from `i` when it is one token (no inner whitespace), without a trailing `#` comment, `,`, `;`. */
const restOfLineToken = (text: string, i: number): string | undefined => {
  let end = i
  const limit = Math.min(text.length, i + MAX_VALUE)
  while (end < limit && text[end] !== "\n" && text[end] !== "\r") end++
  let line = text.slice(i, end)
  const comment = line.search(/\s#/)
  if (comment !== -1) line = line.slice(0, comment)
  line = line.replace(/\s+$/, "").replace(/[,;]$/, "")
  if (line.length === 0 || /\s/.test(line)) return undefined
  return line
}

/** Where a dotenv or YAML line that holds a passphrase starts: indentation, `export `, a list's `- `, a diff's `+`. */
const PHRASE_LINE_HEAD = /^\+?[ \t]*(?:export[ \t]+|-[ \t]+)?$/
/** A word of a passphrase: nothing a shell, code or a template would need (operators, quotes, brackets, `$`, `=`). */
const PHRASE_WORD = /^[^\s|&;<>()[\]{}$`"'\\=#]{1,64}$/
/** Commands run with a password in their environment (`PGPASSWORD=… psql`, `DB_PASSWORD=… npm start`). */
const COMMAND_AFTER =
  /^(?:sudo|env|exec|time|nohup|npm|npx|pnpm|yarn|bun|bunx|deno|node|tsx|python3?|pip|uv|uvx|poetry|pytest|ruby|rails|rake|bundle|php|composer|java|mvn|gradle|go|cargo|make|docker|podman|kubectl|helm|terraform|ansible|ansible-playbook|psql|pg_dump|pg_restore|pg_dumpall|createdb|dropdb|mysql|mysqldump|mariadb|mongo|mongosh|mongodump|mongorestore|redis-cli|sqlcmd|sqlplus|clickhouse-client|curl|wget|git|gh|ssh|sh|bash|zsh|dotnet|flask|uvicorn|gunicorn|celery|alembic|prisma|drizzle-kit|jest|vitest|mocha|vite|next|nuxt|rspec|hasura|supabase|wrangler|vercel|fly|flyctl|heroku|aws|gcloud|az|doppler|op|vault|echo|printf|cat|true)$/

/** The sources of `/etc/nsswitch.conf` (`passwd: files systemd`, `shadow: compat`). */
const NSS_SOURCE =
  /^(?:files|systemd|compat|db|nis|nisplus|ldap|sss|winbind|mymachines|altfiles|cache|usrfiles|extrausers)$/

/**
 * What a key's multi-word value can be: `phrase` under a password's or a secret's name (`DB_PASSWORD`, `APP_SECRET`),
 * `app` (a Google app password's letters only) under `pass` or `pw` (`pass: 3 fail: 0` counts a test runner's tests),
 * `undefined` under a token's or a key's.
 */
const passphraseKey = (key: string): "phrase" | "app" | undefined => {
  const kind = passwordKeyKind(key)
  return kind === "password" || kind === "secret" ? "phrase" : kind === "pass" ? "app" : undefined
}

/** The name of an environment variable as dotenv and shells write it: `DB_PASSWORD`, `db_password` (not `dbPassword`). */
const ENV_STYLE_NAME = /^(?:[A-Z][A-Z0-9_]*|[a-z][a-z0-9_]*)$/

/**
 * A word of a note rather than of a passphrase: letters only, a small number (`min 8 chars`), or a word of the trade
 * with digits in it (`base64`, `sha256`). Not a word with digits in it otherwise (`hunter22`, `Xk3pL9`).
 */
const PLAIN_WORD =
  /^(?:[A-Za-z]+|\d{1,4}|base(?:32|58|64)|sha(?:1|224|256|384|512)|md5|utf-?8|aes-?(?:128|192|256)|rsa-?(?:2048|3072|4096)|x509|pkcs(?:1|7|8|12)|ed25519|argon2(?:id)?|2fa)$/i

/** Words of a note about a password (`ask admin`, `none needed`, `min 8 chars`, `via keychain`, `rotate monthly`). */
const NOTE_WORDS = new Set(
  (
    "ask admin admins administrator none needed need required optional min max minimum maximum chars char digits " +
    "letters symbols via keychain keyring vault manager base32 base58 base64 hex encoded encrypted hashed rotate " +
    "rotated rotates rotating daily weekly monthly yearly see docs doc below above same default unset blank todo tbd " +
    "stored generated random auto sso ldap oauth env file prompt prompted later ignored unused disabled"
  ).split(" ")
)

/**
 * The rest of the line from `i` after a password's or a secret's name: its text when it is a passphrase of 2-12 words
 * (`correct horse battery staple`, a Google app password's `tixl zwxu qaoy hubf`) that reads like no sentence, type or
 * code, up to a ` #` comment (under `pass` or `pw`, `appOnly`, only an app password); `null` when it is a note about the password (`ask admin`, `min 8 chars`), which is left
 * whole; `undefined` when it is neither (the value is then read as one word, as ever).
 *
 * - A dotenv or shell assignment (`dotenv`: `DB_PASSWORD=a b c`, `export …`, an environment-style name): dotenv reads
 *   the rest of the line, so all of it is the passphrase, but not a note of at most 3 plain words with a word of a
 *   note among them (`DB_PASSWORD=ask admin`), nor words of prose (`the`, `your`, `password`…). In a shell line
 *   (`shell`), `PGPASSWORD=x psql -h db` runs a command with the variable set: a word with a flag's dash, a path's `/`
 *   or a file's `.`, or a command after the first word, ends it.
 * - Anything else (YAML's `password: …`, `dbPassword=…`): only a Google app password's letters, or a quoted value
 *   (read elsewhere), is read whole. Plain words are a note (`password: none needed`, `secret: rotate monthly`) under
 *   YAML's `:`; other words are read one at a time.
 */
const restOfLinePhrase = (
  text: string,
  i: number,
  appOnly: boolean,
  dotenv: boolean,
  shell: boolean,
  label: boolean
): string | null | undefined => {
  let end = i
  const limit = Math.min(text.length, i + 200)
  while (end < limit && text[end] !== "\n" && text[end] !== "\r") end++
  if (end === limit && limit < text.length) return undefined
  let line = text.slice(i, end)
  const comment = line.search(/[ \t]#/)
  if (comment !== -1) line = line.slice(0, comment)
  // (trailing blanks cut by hand: `/[ \t]+$/` tries every run of blanks in the line)
  let cut = line.length
  while (cut > 0 && (line[cut - 1] === " " || line[cut - 1] === "\t")) cut--
  line = line.slice(0, cut)
  const words = line.split(/[ \t]+/)
  if (words.length < 2 || words.length > 12) return undefined
  for (const word of words) if (!PHRASE_WORD.test(word) || word.startsWith("-")) return undefined
  if (shell && (COMMAND_AFTER.test(words[1]) || words.slice(1).some((w) => /[/.:]/.test(w)))) return undefined
  if (APP_PASSWORD.test(line)) return line
  if (appOnly) return undefined
  // (`/etc/nsswitch.conf`'s `passwd: files systemd`: where accounts are looked up)
  if (NSS_SOURCE.test(words[0])) return undefined
  const plain = words.every((w) => PLAIN_WORD.test(w))
  if (!dotenv) return plain && !shell ? null : undefined
  if (plain && words.length <= 3 && words.some((w) => NOTE_WORDS.has(w.toLowerCase()))) return null
  // (a label in prose, `Password: see the vault`, holds no passphrase but a Google app password's letters)
  if (label || hasProseWord(words)) return undefined
  return plausibleSecretValue(line, "password") ? line : undefined
}

/** Line heads before a key that starts an assignment line: indentation, `export `, `- `, `+`/`-` (diffs), `$env:`. */
const KEY_STARTS_LINE = /^[+-]?\s*(?:export\s+|[-*>]\s+|\$env:|\$|setenv\s+)?["']?$/

const lastNonBlankBefore = (text: string, index: number): string => {
  let j = index - 1
  while (j >= 0 && index - j < 12 && isBlank(text[j])) j--
  return text[j] ?? ""
}

const restOfLineBlank = (text: string, from: number): boolean => {
  for (let j = from; j < text.length; j++) {
    const c = text[j]
    if (c === "\n" || c === "\r") return true
    if (c !== " " && c !== "\t") return false
  }
  return true
}

/** Objects whose members are references, not literals (`config.apiKey`, `process.env.X`, `secrets.TOKEN`). */
const REFERENCE_ROOT =
  /^(?:process|os|env|ENV|config|conf|cfg|settings|self|this|secrets|vars|inputs|github|steps|needs|Rails|app|options|opts|params|props|window|global|globalThis|context|ctx|request|req|args|System|Environment)\./
const CALL = /^[A-Za-z_$][\w$.]*\(/
const GENERIC_TYPE = /^[A-Za-z_$][\w$.]*<.*>$|^[A-Z]\w*\[\]$/

/** Names under which a value is a wallet's seed words (`mnemonic`, `seed_phrase`, `recovery phrase`, `backup words`). */
const SEED_WORDS_KEY = /mnemonic|phrase|words$/i
const MNEMONIC = /^(?:[a-z]{3,8}[ \t]+){11,23}[a-z]{3,8}$/
const MNEMONIC_LINE = /^((?:[a-z]{3,8}[ \t]+){11,23}[a-z]{3,8})[ \t]*[,;.]?[ \t]*\r?$/
/** 12 to 24 seed words in a sentence, ended by punctuation or the line (`My seed phrase is … — keep it`). */
const MNEMONIC_RUN = /^((?:[a-z]{3,8} ){11,23}[a-z]{3,8})(?=[ \t]*(?:[-—–.,;:!?)]|\r?\n|$))/

/** Seed words from `i` to the end of its line, or on the next line when `i` ends one; true when found. */
const seedWords = (scan: Scan, i: number): boolean => {
  const text = scan.text
  let at = i
  if (restOfLineBlank(text, i)) {
    at = lineEnd(text, i) + 1
    while (at < text.length && isBlank(text[at])) at++
  }
  const words = MNEMONIC_LINE.exec(text.slice(at, lineEnd(text, at))) ?? MNEMONIC_RUN.exec(text.slice(at, at + 240))
  if (words === null) return false
  scan.add(RULE, at, at + words[1].length)
  return true
}

/** What a signing key setting names instead of holding it: a GPG key id or fingerprint, an SSH public key, a path. */
const SIGNING_KEY_REFERENCE = /^(?:0x)?(?:[0-9A-Fa-f]{8}){1,5}!?$|^(?:key::)?ssh-|^[~/.]/
/** `user.signingkey CCE18F2EA5B529D0`: a signing key's setting naming the key rather than holding it. */
const namesSigningKey = (key: string, value: string): boolean =>
  /signingkey$/i.test(key) && SIGNING_KEY_REFERENCE.test(value)

const acceptValue = (
  strength: KeyStrength,
  key: string,
  value: string,
  parsed: ParsedValue,
  literalStyle: boolean,
  yamlLine: boolean,
  compact: boolean
): boolean => {
  if (namesSigningKey(key, value)) return false
  if (parsed.quote === "") {
    // `_token=_token,`, `key_password=key_password`: an argument passed through under its own name
    if (value === key || value === key.replace(/^.*[.>$]/, "")) return false
    // `e.apiKey=e.apiKey||""` (minified code): a member or a variable, then an operator
    if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*(?:\|\||\?\?|&&)/.test(value)) return false
  }
  // `HEX_PAT = "[0-9A-Fa-f]{1,4}"`: a regular expression, not a token
  if (REGEX_LIKE.test(value)) return false
  // `$pw = ConvertTo-SecureString "…" -AsPlainText`: a PowerShell command, not the value
  if (parsed.quote === "" && POWERSHELL_CMDLET.test(value)) return false
  // A wallet's seed words (BIP39: 12 to 24 lower-case words) under `mnemonic`, `seed_phrase`, `recovery phrase`
  if (MNEMONIC.test(value) && SEED_WORDS_KEY.test(key)) return true
  // GraphQL and TypeScript types: `$password: String!`, `token?: string | null`
  if (parsed.quote === "" && /^[A-Za-z]+[!?]$/.test(value) && TYPE_WORDS.test(value.slice(0, -1).toLowerCase()))
    return false
  if (strength === "weak") return tokenLike(value) && !isPublishable(value)
  if (!plausibleSecretValue(value, passwordKeyKind(key)) || isPublishable(value)) return false
  if (parsed.quote !== "") {
    if (/\s$/.test(value)) return false
    if (parsed.quote === "`" && /\s/.test(value)) return false
    return true
  }
  if (value.endsWith(":")) return false
  const memberPath = MEMBER_PATH.test(value) && (!hasDigit(value) || REFERENCE_ROOT.test(value))
  if (literalStyle) {
    if (memberPath || CALL.test(value) || parsed.next === "(" || /^[@:]/.test(value)) return false
    // `--secret=db-password`, `--token=ci-deploy`: the name of a secret in a store, not its value
    if (/(?:secret|token)$/i.test(key) && /^[a-z]+(?:[-_.][a-z]+)+$/.test(value)) return false
    // `token = value[pos]`, and slices: `token = line[start:pos]`, `secret = keypair[:32]`, `pw = pw[:-1]`
    if (!compact && /^[A-Za-z_$][\w$.]*\[[\w$."' :+-]*\]/.test(value)) return false
    // `password = hashedPassword` at the start of a code line is a variable, `password=letmein` in a .env is not
    return compact || !/^[A-Za-z_$][A-Za-z_$]*$/.test(value)
  }
  if (yamlLine) {
    if (/[()]/.test(value) || GENERIC_TYPE.test(value) || memberPath) return false
    if (/^[:@?*&|!%]/.test(value) || CODE_WORD.test(value) || TYPE_WORDS.test(value)) return false
    if (/^[A-Za-z_$]+$/.test(value)) {
      // `password: newPassword` is a variable; `password: XQuUoJEWCxzx` is not
      if (ENV_KEY.test(key)) return !/[a-z][A-Z]/.test(value) || randomLetters(value)
      return isPasswordKey(key) && (/^[a-z][a-z_-]+$/.test(value) || randomLetters(value))
    }
    return true
  }
  if (MEMBER_PATH.test(value) && !memberPath) return parsed.next !== "("
  return !looksLikeCode(value, parsed.next) && !GENERIC_TYPE.test(value)
}

/**
 * The quoted value a few blanks after `from`, given as `key`'s (a call's second argument, a default after `||`): a
 * plausible secret under a strong name, a random-looking one under a weak name.
 */
const quotedValueAfter = (scan: Scan, key: string, from: number, strength = keyStrength(key)): void => {
  if (strength === "none") return
  const text = scan.text
  let j = from
  while (j < text.length && j - from < 10 && isBlank(text[j])) j++
  const parsed = readValue(text, j, UNQUOTED_END)
  if (parsed === undefined || parsed.quote === "") return
  if (fitsStrength(strength, text.slice(parsed.start, parsed.end))) scan.add(RULE, parsed.start, parsed.end)
}

/** Forms without an operator right after the key. `i` is the first non-blank character after the key (and quote). */
const otherForms = (
  scan: Scan,
  keyStart: number,
  keyEnd: number,
  key: string,
  keyQuote: string,
  i: number,
  blanks: number,
  isFlag: boolean,
  proseKey = false
): void => {
  const text = scan.text
  const c = text[i]

  // HTTPBasicAuth("user", "password"), BasicAuth('user', 'password')
  if (
    c === "(" &&
    blanks === 0 &&
    keyQuote === "" &&
    /(?:(?:basic|digest|plain)_?auth|credentials?|passwordauthentication)$/i.test(key)
  ) {
    // Azure's `ClientSecretCredential(tenantId, clientId, clientSecret)`, Go's `smtp.PlainAuth(identity, user,
    // password, host)`: the third argument (the others are ids and names)
    if (/(?:ClientSecretCredential|PlainAuth)$/.test(key)) stringArgument(scan, i + 1, 2, RULE)
    else tupleSecret(scan, i + 1)
    return
  }
  // setApiKey("…"), .apiKey('…'), withToken("…")
  if (c === "(" && blanks === 0 && keyQuote === "") {
    const parsed = readValueAfter(text, i + 1)
    if (parsed === undefined || parsed.quote === "" || !/^\s*[),]/.test(text.slice(parsed.end + 1, parsed.end + 3)))
      return
    const method = key.replace(/^.*\./, "")
    const value = text.slice(parsed.start, parsed.end)
    if (BEARER_SETTER.test(method)) {
      if (tokenLike(value)) scan.add(RULE, parsed.start, parsed.end)
      return
    }
    if (keyStrength(key) !== "strong" || !SETTER_VERB.test(method)) return
    if (plausibleSecretValue(value) && (digitAndLetter(value) || value.length >= 16) && !ENV_KEY.test(value)) {
      scan.add(RULE, parsed.start, parsed.end)
    }
    return
  }

  // `process.env.SESSION_SECRET || '…'`, `import.meta.env.VITE_API_KEY ?? "…"`: a default written into the code
  if (
    (c === "|" || c === "?") &&
    text[i + 1] === c &&
    keyQuote === "" &&
    ENV_MEMBER.test(text.slice(Math.max(0, keyStart - 16), keyEnd))
  ) {
    quotedValueAfter(scan, key, i + 2)
    return
  }

  // define('DB_PASSWORD', '…'), os.Setenv("API_KEY", "…"), .header("X-Api-Key", "…")
  // PHP's `curl_setopt($ch, CURLOPT_USERPWD, "user:password")`: the password (or the whole value of the others)
  if (c === "," && keyQuote === "" && CURL_OPTION.test(key)) {
    const parsed = readValueAfter(text, i + 1)
    if (parsed === undefined || parsed.quote === "") return
    const value = text.slice(parsed.start, parsed.end)
    const colon = /USERPWD$/.test(key) ? value.indexOf(":") + 1 : 0
    const pw = value.slice(colon)
    if (pw.length >= 4 && !standsForSecret(pw)) scan.add(RULE, parsed.start + colon, parsed.end)
    return
  }

  if (c === "," && keyQuote !== "") {
    const callHead = text.slice(Math.max(0, keyStart - 41), keyStart - 1)
    if (PAIR_CALL.test(callHead)) {
      // WordPress's keys in wp-config.php: random text with any punctuation (`AUTH_KEY` alone names many other things)
      const wordpress = WORDPRESS_KEY.test(key) && /define\s*\(\s*$/.test(callHead)
      quotedValueAfter(scan, key, i + 1, wordpress ? "strong" : keyStrength(key))
      return
    }
  }

  // Ruby's default in a block: `ENV.fetch("DB_PASSWORD") { "…" }` (in an ERB tag of database.yml, too)
  if (c === ")" && keyQuote !== "" && FETCH_CALL.test(text.slice(Math.max(0, keyStart - 12), keyStart - 1))) {
    const block = stickyAt(BLOCK_DEFAULT, text, i + 1)
    if (block !== null) quotedValueAfter(scan, key, i + 1 + block[0].length)
    return
  }

  // The key is the value of a name field: `- name: DB_PASSWORD` + `value: …`, `<add key="ApiKey" value="…"/>`
  const head = isFieldValue(text, keyStart) ? text.slice(Math.max(0, keyStart - 40), keyStart) : ""
  if (head !== "" && NAME_FIELD.test(head)) {
    // `"keyName": "key1", …, "value": "…"` (az storage account keys list)
    const strength = /^key\d$/i.test(key) && /keyName["']?\s*:\s*["']?$/i.test(head) ? "weak" : keyStrength(key)
    if (strength === "none") return
    // <entry key="password">value</entry>
    if (keyQuote !== "" && text[i] === ">") {
      const close = text.indexOf("<", i + 1)
      if (close !== -1 && close - i < MAX_VALUE) {
        const value = text.slice(i + 1, close)
        if (!value.includes("\n") && plausibleSecretValue(value)) scan.add(RULE, i + 1, close)
      }
      return
    }
    const from = keyEnd + (keyQuote === "" ? 0 : 1)
    const window = text.slice(from, Math.min(text.length, from + 200))
    const m = VALUE_FIELD.exec(window)
    if (m === null || /[{}]|\n\s*-\s|(?:name|Name|NAME|key|Key)["']?\s*[:=]/.test(window.slice(0, m.index))) return
    const valueAt = from + m.index + m[0].length
    const parsed = readValue(text, valueAt, UNQUOTED_END)
    if (parsed === undefined) return
    const value = text.slice(parsed.start, parsed.end)
    // (`android:value="@string/maps_key"`: a resource, `${KEY}`: a reference)
    const ok =
      !/^[@$%{]/.test(value) &&
      (strength === "weak"
        ? tokenLike(value)
        : plausibleSecretValue(value, passwordKeyKind(key)) &&
          (parsed.quote !== "" || !looksLikeCode(value, parsed.next) || digitAndLetter(value)))
    if (ok) scan.add(RULE, parsed.start, parsed.end)
    return
  }

  // Terraform: variable "db_password" { … default = "…" }
  if (keyQuote === '"' && text.startsWith("variable ", keyStart - 10)) {
    if (keyStrength(key) !== "strong") return
    const block = /^[^}]{0,300}?\bdefault\s*=\s*/.exec(text.slice(i, i + 320))
    if (block === null) return
    const parsed = readValue(text, i + block[0].length, UNQUOTED_END)
    if (parsed !== undefined && parsed.quote !== "" && plausibleSecretValue(text.slice(parsed.start, parsed.end))) {
      scan.add(RULE, parsed.start, parsed.end)
    }
    return
  }

  // Markdown table: | DB_PASSWORD | s3cr3t |
  if (
    (c === "|" || (text[i] === "`" && text[i + 1] === " ")) &&
    /^\s*\|\s*`?$/.test(lineHeadBefore(text, keyStart) ?? "")
  ) {
    const cell = /^`?\s*\|\s*`?([^|`\s]{1,200})`?\s*\|/.exec(text.slice(i, i + 240))
    if (cell === null || keyStrength(key) !== "strong") return
    const value = cell[1]
    if (plausibleSecretValue(value) && /[^A-Za-z]/.test(value) && !ENV_KEY.test(value)) {
      const at = i + cell[0].indexOf(value)
      scan.add(RULE, at, at + value.length)
    }
    return
  }

  if (blanks === 0 || (keyQuote !== "" && keyQuote !== "`") || c === undefined || c === "\n" || c === "\r") return
  const strength = proseKey ? "weak" : keyStrength(key)
  if (strength === "none") return
  const lineHead = lineHeadBefore(text, keyStart) ?? ""

  // Prose: `the password is Tr0ub4dor&3`, `set DD_API_KEY to 0123…`: only values that cannot be words
  const prose = PROSE_LINK.exec(text.slice(i, i + 80))
  if (keyQuote === "`" && prose === null) return
  if (prose !== null) {
    if (SEED_WORDS_KEY.test(key) && strength === "strong" && seedWords(scan, i + prose[0].length)) return
    const parsed = readValue(text, i + prose[0].length, WORD_END)
    if (parsed === undefined) return
    let end = parsed.end
    while (end > parsed.start && /[.,;:!?)]/.test(text[end - 1])) end--
    const value = text.slice(parsed.start, end)
    const ok =
      strength === "weak"
        ? tokenLike(value) && (!proseKey || proseKeyValue(text, keyStart, value, true))
        : value.length >= 8 && plausibleSecretValue(value) && digitAndLetter(value)
    if (ok) scan.add(RULE, parsed.start, end)
    return
  }

  // SQL: CREATE USER app WITH PASSWORD 'secret', ALTER ROLE … PASSWORD '…'
  const sqlHead = text.slice(Math.max(0, keyStart - 80), keyStart)
  if (/^(?:password|passwd)$/i.test(key) && isQuote(c) && /\b(?:with|user|role|login|alter|create)\b/i.test(sqlHead)) {
    const parsed = readValue(text, i, UNQUOTED_END)
    if (parsed !== undefined && plausibleSecretValue(text.slice(parsed.start, parsed.end))) {
      scan.add(RULE, parsed.start, parsed.end)
    }
    return
  }

  // --password value (not `pulumi config set --secret <name> <value>`: a switch, then the config's name)
  if (isFlag && blanks === 1 && !/\bpulumi\s+config\s+set\b[^\n]*$/.test(lineHead)) {
    const parsed = readValue(text, i, SHELL_VALUE_END)
    if (parsed === undefined) return
    const value = text.slice(parsed.start, parsed.end)
    if (
      strength === "weak"
        ? tokenLike(value)
        : plausibleSecretValue(value, passwordKeyKind(key)) && !value.startsWith("-")
    ) {
      scan.add(RULE, parsed.start, parsed.end)
    }
    return
  }

  // .netrc: machine host login user password secret
  if (
    /^(?:password|passwd)$/i.test(key) &&
    /(?:^|\s)(?:machine|login|default)\s+\S+\s*$/.test(text.slice(Math.max(0, keyStart - 300), keyStart))
  ) {
    const parsed = readValue(text, i, WORD_END)
    if (parsed === undefined) return
    const value = text.slice(parsed.start, parsed.end)
    if (value.length >= 1 && !isPlaceholder(value) && !value.startsWith("$"))
      scan.add(NETRC_RULE, parsed.start, parsed.end)
    return
  }

  // Prose without a link word: `log in as admin with password fbqrBmbEJl!`, `hardcode token 407Alg… for now`: only
  // values that cannot be words or names (a token, or upper and lower case with a digit or a symbol)
  if (blanks === 1 && keyQuote === "" && (strength === "strong" || proseKey) && !isFlag && /^[A-Za-z]+$/.test(key)) {
    const parsed = readValue(text, i, WORD_END)
    // (a value in backticks, as prose quotes code: `use token \`…\` for the API`)
    if (parsed !== undefined && (parsed.quote === "" || parsed.quote === "`")) {
      let end = parsed.end
      while (end > parsed.start && /[.,;:?)]/.test(text[end - 1])) end--
      const value = text.slice(parsed.start, end)
      // (not across an escape of raw JSON text, `through.\n\nOnly`: the decoded view reads that part as it is meant)
      const wordy =
        hasUpper(value) && hasLower(value) && (hasDigit(value) || /[^A-Za-z0-9]/.test(value)) && !value.includes("\\")
      if (
        value.length >= 8 &&
        (tokenLike(value) || wordy) &&
        plausibleSecretValue(value) &&
        !ENV_KEY.test(value) &&
        !looksLikeCode(value, parsed.next) &&
        !/^[A-Za-z]+(?:[-_.][A-Za-z]+)*$/.test(value) &&
        !FLAG.test(value) &&
        // `storePassword keystoreProperties['storePassword']`: an index or a call
        !/^[A-Za-z_$][\w$]*[[(]/.test(value) &&
        (!proseKey || (tokenLike(value) && proseKeyValue(text, keyStart, value, false)))
      ) {
        scan.add(RULE, parsed.start, end)
        return
      }
    }
  }

  // Gradle's and other DSLs' `storePassword "…"`: a statement of a name and a quoted value (also in a block on one
  // line: `release { storePassword "…" }`)
  // (not a backtick: Markdown quotes code with it, `token \`tokenizer\``; prose below takes it)
  if (
    blanks === 1 &&
    keyQuote === "" &&
    strength === "strong" &&
    isQuote(c) &&
    c !== "`" &&
    STATEMENT_HEAD.test(lineHead)
  ) {
    const parsed = readValue(text, i, UNQUOTED_END)
    if (
      parsed !== undefined &&
      parsed.quote !== "" &&
      /^\s*(?:\r?\n|$|\/\/|#|\}|\))/.test(text.slice(parsed.end + 1, parsed.end + 4))
    ) {
      const value = text.slice(parsed.start, parsed.end)
      if (plausibleSecretValue(value) && !isPublishable(value)) scan.add(RULE, parsed.start, parsed.end)
      return
    }
  }

  // ENV KEY value, set -gx KEY value, setx KEY value, npm config set KEY value
  // (a switch after them is not the key: `pulumi config set --secret <name> <value>`)
  const prefixed = !isFlag && SPACE_ASSIGN_PREFIX.test(lineHead)
  // A table row: `token    hvs.…` (vault), `password   s3cret` at the start of a line, the value ending the line
  const tableRow =
    /^\s*(?:[A-Z][A-Za-z]{1,19} )?$/.test(lineHead) && (blanks >= 2 || text[keyEnd] === "\t" || isConfigDirective(key))
  if (!prefixed && !tableRow) return
  const parsed = readValue(text, i, WORD_END)
  if (parsed === undefined) return
  const value = text.slice(parsed.start, parsed.end)
  if (tableRow && !prefixed && (parsed.quote !== "" || !restOfLineBlank(text, parsed.end))) return
  if (namesSigningKey(key, value) || FLAG.test(value)) return
  const ok =
    strength === "weak"
      ? tokenLike(value)
      : plausibleSecretValue(value, passwordKeyKind(key)) &&
        (prefixed || digitAndLetter(value) || /[^A-Za-z]/.test(value))
  if (ok) scan.add(RULE, parsed.start, parsed.end)
}

/** The members of a flat object before its `"value"` member (at most 300 characters), then that member's string. */
const OBJECT_VALUE = /^[^{}[\]]{0,300}?(?:^|[{,\s])["']?value["']?\s*[:=]\s*(["'])(?<v>[^"'\\\n]{1,500})\1/

/** The `value` member of an object under a secret-named key, `i` just past its `{`. */
const objectValue = (scan: Scan, i: number): void => {
  const m = OBJECT_VALUE.exec(scan.text.slice(i, i + 900))
  const value = m?.groups?.v
  if (m === null || value === undefined || !plausibleSecretValue(value) || isPublishable(value)) return
  const start = i + m[0].length - 1 - value.length
  scan.add(RULE, start, start + value.length)
}

/** A member of a map of a token per host: a dotted host, or a name with a port. */
const HOST_TOKEN =
  /[ \t\r\n]*"[\w-]{1,63}(?:(?:\.[\w-]{1,63}){1,8}(?::\d{1,5})?|:\d{1,5})"[ \t]*:[ \t]*"(?<v>[^"\n\\]{8,512})"[ \t\r\n]*(?<sep>[,}])/y

/** The values of a map of a token per host from `i` (after its `{`), up to the closing `}`. */
const hostTokens = (scan: Scan, i: number): void => {
  const text = scan.text
  let at = i
  for (let n = 0; n < 100; n++) {
    const m = stickyAt(HOST_TOKEN, text, at)
    const value = m?.groups?.v
    if (m === null || value === undefined) return
    if (plausibleSecretValue(value) && !standsForSecret(value) && !isDummyToken(value)) {
      const start = at + m[0].lastIndexOf(value)
      scan.add(RULE, start, start + value.length)
    }
    if (m.groups?.sep === "}") return
    at += m[0].length
  }
}

const LIST_ITEM = /[ \t\r\n]*(["'])(?<v>[^"'\n\\]{1,512})\1[ \t\r\n]*(?<sep>[,\]])/y

/** The quoted items of a list from `i` (after its `[`) that look random, up to the closing `]`. */
const listItems = (scan: Scan, i: number): void => {
  const text = scan.text
  let at = i
  for (let n = 0; n < 100; n++) {
    LIST_ITEM.lastIndex = at
    const m = LIST_ITEM.exec(text)
    const value = m?.groups?.v
    if (m === null || value === undefined) return
    if (tokenLike(value) && !isPublishable(value)) {
      const start = at + m[0].indexOf(value)
      scan.add(RULE, start, start + value.length)
    }
    if (m.groups?.sep === "]") return
    at += m[0].length
  }
}

const YAML_CHILD = /^(?<indent>[ \t]*)(?:-[ \t]+)?(?:(?<key>[\w.-]{1,100})[ \t]*:[ \t]+)?(?<v>.*?)[ \t]*\r?$/

/**
 * The lines below `key:` indented deeper than the key (YAML): a block scalar (`password: |`) is the value when its lines
 * could be one; list items and a value on the next line count when they look random (or, under a strong name, like a
 * password: a digit and a letter, no spaces); so do the members of a nested map whose own names say nothing.
 */
const yamlBelow = (scan: Scan, keyStart: number, lineEndIndex: number, strength: KeyStrength): void => {
  const text = scan.text
  const head = lineHeadBefore(text, keyStart)
  if (head === undefined || !/^[ \t]*(?:-[ \t]+)?$/.test(head)) return
  const keyIndent = head.replace(/-[ \t]+$/, "").length
  const block = /[|>][+-]?[ \t]*$/.test(text.slice(lineEndIndex - 4, lineEndIndex).replace(/\r$/, ""))
  let at = lineEndIndex + 1
  for (let n = 0; n < 50 && at < text.length; n++) {
    const end = lineEnd(text, at)
    const line = text.slice(at, end)
    if (line.trim() === "") {
      at = end + 1
      continue
    }
    const m = YAML_CHILD.exec(line)
    const indent = m?.groups?.indent ?? ""
    if (m === null || indent.length <= keyIndent) return
    const value = m.groups?.v ?? ""
    const start = at + line.indexOf(value, indent.length)
    if (block) {
      if (plausibleSecretValue(line.trim()) && !/\s/.test(line.trim()))
        scan.add(RULE, at + indent.length, at + indent.length + line.trim().length)
    } else if (value.length > 0 && !/^["']?[[{]/.test(value)) {
      const unquoted = value.replace(/^(["'])(.*)\1$/, "$2")
      const offset = value.indexOf(unquoted)
      const childKey = m.groups?.key
      const random = tokenLike(unquoted) && !isPublishable(unquoted)
      const passwordLike =
        strength === "strong" &&
        childKey === undefined &&
        !/\s/.test(unquoted) &&
        unquoted.length >= 6 &&
        digitAndLetter(unquoted) &&
        plausibleSecretValue(unquoted)
      if ((random || passwordLike) && (childKey === undefined || keyStrength(childKey) !== "strong"))
        scan.add(RULE, start + offset, start + offset + unquoted.length)
    }
    at = end + 1
  }
}

const TUPLE = /\s*(["'])[^"'\n]{0,200}\1\s*,\s*(?:Some\(\s*)?(?:String::from\(\s*)?(["'])(?<pw>[^"'\n]{1,300})\2/y

/** The second string of `("user", "password")` after an `auth` key or a BasicAuth call (Rust's `Some("password")`). */
const tupleSecret = (scan: Scan, i: number): void => {
  TUPLE.lastIndex = i
  const m = TUPLE.exec(scan.text)
  const pw = m?.groups?.pw
  if (m === null || pw === undefined || pw.length < 4 || isPlaceholder(pw) || /^[$%]/.test(pw)) return
  const end = i + m[0].length - 1
  scan.add(RULE, end - pw.length, end)
}

/**
 * The words between a key and its value in prose (`… is …`, `… was …`, `… to …`; German `ist`/`war`/`lautet` and
 * `für den … lautet`, French `est`,
 * Spanish and Portuguese `es`/`é`/`era` after a name those languages share, `Passwort`, `token`; `… should be …`, an
 * arrow or a dash), with an optional backtick.
 */
const PROSE_LINK =
  /^(?:(?:is|was|to|with|ist|war|lautet|est|es|é|è|era|→|->|—|–):?|(?:should|will|would|must)\s+be:?|is\s+now:?|for\s+(?:the\s+)?[\w.-]{1,30}(?:\s+[\w.-]{1,30})?\s*(?::|is|(?:should|will|would|must)\s+be)|für\s+(?:(?:den|die|das|dem)\s+)?[\w.-]{1,30}(?:\s+[\w.-]{1,30})?\s*(?::|ist|lautet)|(?:(?:di|del|della|of|de|do|da)\s+|dell')(?:the\s+)?[\w.-]{1,30}(?:\s+[\w.-]{1,30})?\s+(?:è|is|es|est|é))\s+`?/

/** Space-separated config directives whose value is a password (`requirepass` in redis.conf, `masterauth`). */
const isConfigDirective = (key: string): boolean =>
  /^(?:requirepass|masterauth|masterpass|password|passwd|secret|rpcpassword|rootpw)$/i.test(key)

const readValueAfter = (text: string, i: number): ParsedValue | undefined => {
  let j = i
  while (j < text.length && j - i < 10 && isBlank(text[j])) j++
  return readValue(text, j, UNQUOTED_END)
}
