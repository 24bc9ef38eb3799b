/**
 * Secrets in URLs, headers, command lines and manifests: `scheme://user:password@host`, `Authorization: …`,
 * `Bearer …`, `curl -u user:pass`, `mysql -p…`, `sshpass -p …`, SQL `IDENTIFIED BY`, SDK clients built with a literal
 * key, `heroku auth:token`, `.pgpass`, Kubernetes Secret manifests and Convex deploy keys.
 */
import { lineEnd, logicalLineBefore, type Scan, type Scanner, shortLineOnce, stickyAt } from "./engine.js"
import { containerKeyStrength, fitsStrength, keyStrength } from "./keyNames.js"
import {
  decodeBase64,
  digitAndLetter,
  entropy,
  hasDigit,
  hasLetter,
  isDummyToken,
  isPlaceholder,
  plausibleSecretValue,
  standsForSecret,
  tokenLike
} from "./values.js"

// ---------------------------------------------------------------------------------------------------------------------
// URLs with credentials
// ---------------------------------------------------------------------------------------------------------------------

const CONNECTION_SCHEMES = new Set(
  (
    "postgres postgresql mysql mariadb mongodb mongodb+srv redis rediss amqp amqps mssql sqlserver oracle clickhouse " +
    "cockroachdb couchdb neo4j neo4j+s neo4j+ssc bolt bolt+s nats kafka memcached ldap ldaps mqtt mqtts cassandra " +
    "elasticsearch influxdb snowflake db2 firebird sqlite"
  ).split(" ")
)
/** Characters that end a URL's userinfo for sure (`#`, `?` and `@` may appear unencoded in pasted passwords). */
const USERINFO_END = /[\s"'<>`\\)(\]{}|,]/
const WEAK_USERINFO = /^(?:user|username|usr|login|name|me|admin|root)$/i

const DISCORD_WEBHOOK = /\/api\/webhooks\/\d{5,30}\/(?<s>[A-Za-z0-9_-]{30,100})/y

/** `https://discord.com/api/webhooks/<id>/<token>`: the token. */
const discordWebhookScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (!/discord(?:app)?\.com$/.test(text.slice(Math.max(0, at - 30), at))) return
  const m = stickyAt(DISCORD_WEBHOOK, text, at)
  const token = m?.groups?.s
  if (m === null || token === undefined) return
  scan.add("discord-webhook", at + m[0].length - token.length, at + m[0].length)
}

/** Endpoints whose path holds the API key (blockchain RPC providers): the key. */
const KEY_IN_PATH: ReadonlyArray<readonly [string, RegExp]> = [
  ["alchemy-api-key", /(?:[\w-]+\.){1,4}alchemy\.com\/v2\/(?<s>[A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])/y],
  ["infura-api-key", /(?:[\w-]+\.){1,4}infura\.io\/(?:v3|ws\/v3)\/(?<s>[0-9a-f]{32})(?![0-9a-f])/y],
  ["quicknode-api-key", /(?:[\w-]+\.){1,5}quiknode\.pro\/(?<s>[0-9a-f]{40})(?![0-9a-f])/y],
  // An Azure Functions key in its URL's query (`https://<app>.azurewebsites.net/api/<fn>?code=<key>`)
  [
    "azure-function-key",
    /(?:[\w-]+\.){1,3}azurewebsites\.net\/[^\s?#"'<>]{0,300}\?(?:[^\s#"'<>&]{0,300}&){0,8}code=(?<s>[A-Za-z0-9_%=/+-]{20,200})(?![A-Za-z0-9_%=/+-])/y
  ]
]

/** Go's MySQL driver's DSN, `user:password@tcp(host:3306)/db` (no scheme): the password, found from `@tcp(`. */
export const goDsnScanner: Scanner = (scan, at) => {
  const text = scan.text
  const end = at - 1
  let start = end
  while (start > 0 && end - start < 300 && !/[\s"'`,(]/.test(text[start - 1])) start--
  const userinfo = text.slice(start, end)
  const colon = userinfo.indexOf(":")
  if (colon <= 0) return
  const pw = userinfo.slice(colon + 1)
  if (pw.length < 4 || standsForSecret(pw) || pw === userinfo.slice(0, colon)) return
  scan.add("connection-string", start + colon + 1, end)
}

/** A query parameter's value that is a key: a run of 24+ characters with digits and letters, up to the next `&`. */
const QUERY_KEY_VALUE = /[A-Za-z0-9_-]{24,200}(?=[&#\s"'`<>)\]]|$)/y

/**
 * Query parameters that carry an API key without a keyword in their name: `appid=` (OpenWeatherMap and others),
 * `ak=` (Baidu). The anchor's lookbehind has checked the `?` or `&` before the name; a numeric id (`appid=1234567890`,
 * a Facebook app id) is not a key.
 */
export const queryKeyScanner: Scanner = (scan, _at, end) => {
  const m = stickyAt(QUERY_KEY_VALUE, scan.text, end)
  if (m === null || !digitAndLetter(m[0]) || isDummyToken(m[0]) || isPlaceholder(m[0])) return
  scan.add("url-password", end, end + m[0].length)
}

/** `scheme://user:password@host` (password only), Sentry DSN keys and bare tokens used as the user. */
export const urlScanner: Scanner = (scan, at) => {
  const text = scan.text
  let s = at
  while (s > at - 30 && s > 0 && /[A-Za-z0-9+.-]/.test(text[s - 1])) s--
  const scheme = text
    .slice(s, at)
    .toLowerCase()
    .replace(/^jdbc:/, "")
  if (scheme.length < 2 || !/^[a-z]/.test(scheme)) return
  const from = at + 3
  let end = from
  const limit = Math.min(text.length, from + 600)
  while (end < limit && text[end] !== "/" && !USERINFO_END.test(text[end])) end++
  let userinfoEnd = end - 1
  while (userinfoEnd >= from && text.charCodeAt(userinfoEnd) !== 64 /* @ */) userinfoEnd--
  if (userinfoEnd < from) {
    if (/^(?:(?:canary|ptb)\.)?discord(?:app)?\.com\/api\/webhooks\//.test(text.slice(from, from + 40))) {
      discordWebhookScanner(scan, text.indexOf("/api/webhooks/", from), end)
    }
    for (const [rule, path] of KEY_IN_PATH) {
      const m = stickyAt(path, text, from)
      const key = m?.groups?.s
      if (m !== null && key !== undefined && !isDummyToken(key))
        scan.add(rule, from + m[0].length - key.length, from + m[0].length)
    }
    return
  }
  const userinfo = text.slice(from, userinfoEnd)
  // `jdbc:sqlserver://host:1433;database=app;user=admin@tenant;…`: properties after the host, not a userinfo
  if (userinfo.length === 0 || /;[\w.-]+=/.test(userinfo)) return
  const colon = userinfo.indexOf(":")
  if (colon === -1) {
    const host = text.slice(userinfoEnd + 1, Math.min(text.length, userinfoEnd + 80))
    if (/^[0-9a-f]{32}$/.test(userinfo) && /^[\w.-]*(?:sentry|ingest)/i.test(host))
      scan.add("sentry-dsn", from, userinfoEnd)
    else if (/^[A-Za-z0-9_-]{20,200}$/.test(userinfo) && digitAndLetter(userinfo) && entropy(userinfo) > 3.5) {
      if (!isDummyToken(userinfo)) scan.add("url-password", from, userinfoEnd)
    }
    return
  }
  const password = userinfo.slice(colon + 1)
  const user = userinfo.slice(0, colon)
  if (/[?#]/.test(user)) return
  if (password.length === 0) {
    if (tokenLike(user)) scan.add("url-password", from, from + colon)
    return
  }
  // `postgres:postgres@`, `guest:guest@`: a default account, as in the images' documentation
  if (password === user || isPlaceholder(password) || /^[$%]/.test(password)) return
  if (WEAK_USERINFO.test(password) && WEAK_USERINFO.test(user)) return
  if (password.length < 4 || /^\d{1,5}(?:[?#]|$)/.test(password)) return
  const rule = CONNECTION_SCHEMES.has(scheme) ? "connection-string" : "url-password"
  scan.add(rule, from + colon + 1, userinfoEnd)
}

// ---------------------------------------------------------------------------------------------------------------------
// Authorization headers and command-line credentials
// ---------------------------------------------------------------------------------------------------------------------

/** The sticky match of `re` at `at` unless `at` follows a letter: its `s` group and where the match ends. */
const wordAt = (re: RegExp, text: string, at: number): { readonly value: string; readonly end: number } | null => {
  if (at > 0 && /[A-Za-z]/.test(text[at - 1])) return null
  const m = stickyAt(re, text, at)
  const value = m?.groups?.s
  return m === null || value === undefined ? null : { value, end: at + m[0].length }
}

const BEARER = /[Bb][Ee][Aa][Rr][Ee][Rr](?:[ \t]{1,5}|%20|\+)(?<s>[A-Za-z0-9._~+/:-]{12,8192}=*)/y

/** `Bearer <token>`. */
export const bearerScanner: Scanner = (scan, at) => {
  const hit = wordAt(BEARER, scan.text, at)
  if (hit === null) return
  const token = hit.value
  if (!hasLetter(token) || !(hasDigit(token) || /[.~+/-]/.test(token))) return
  if (isPlaceholder(token) || isDummyToken(token) || /^[a-z]+(?:[._-][a-z]+)+$/i.test(token)) return
  scan.add("bearer-token", hit.end - token.length, hit.end)
}

const AUTHORIZATION =
  /(?:proxy-)?authorization["']?[ \t]{0,5}[:=][ \t]{0,5}["']?(?:(?<scheme>basic|token|bot|apikey|api-key|key|ssws|splunk|geniekey|negotiate|ntlm|sharedkey|dsn)[ \t]{1,5})?(?<s>[A-Za-z0-9._~+/:=-]{8,8192})/iy

/** `Authorization: Basic|Token|Bot|SSWS|… <value>` and bare `Authorization: <token>`. */
export const authorizationScanner: Scanner = (scan, at) => {
  const text = scan.text
  const head = at >= 6 && /proxy-$/i.test(text.slice(at - 6, at)) ? at - 6 : at
  const m = stickyAt(AUTHORIZATION, text, head)
  const value = m?.groups?.s
  if (m === null || value === undefined) return
  const scheme = m.groups?.scheme
  if (/^bearer$/i.test(value)) return
  if (scheme === undefined) {
    if (!digitAndLetter(value) || value.length < 12 || /^[A-Z0-9-]+$/.test(value) || /^bearer/i.test(value)) return
  }
  if (isPlaceholder(value) || isDummyToken(value) || /^\$/.test(value)) return
  const basic = scheme?.toLowerCase() === "basic"
  if (basic) {
    const decoded = decodeBase64(value, 600)
    if (decoded.includes(":") && isPlaceholder(decoded.slice(decoded.indexOf(":") + 1))) return
  }
  const rule = basic ? "basic-auth" : "authorization-header"
  scan.add(rule, head + m[0].length - value.length, head + m[0].length)
}

const BASIC = /[Bb](?:asic|ASIC)[ \t]{1,3}(?<s>[A-Za-z0-9+/]{6,4096}={0,2})(?![A-Za-z0-9+/=])/y

/** `Basic <base64 of user:password>` anywhere (headers in code, docs, logs). */
export const basicScanner: Scanner = (scan, at) => {
  const hit = wordAt(BASIC, scan.text, at)
  if (hit === null) return
  const decoded = decodeBase64(hit.value, 600)
  if (!/^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded) || isPlaceholder(decoded.slice(decoded.indexOf(":") + 1))) return
  scan.add("basic-auth", hit.end - hit.value.length, hit.end)
}

const HTTP_CLIENT = /(?:^|[\s;|&(`$"'])(?:curl|wget|http|https|xh|httpie|gh api|twilio|ab|siege|hey)(?:\.exe)?\s/
const USER_FLAG =
  /(?:-u|--user|--auth|-a|--http-user)(?:[ \t]{1,5}|=)(?<q>\\?["']|)(?<user>[^\s:"'`\\]{0,200}):(?<pw>[^\s"'`\\]{0,300})\k<q>/y

/** `curl -u user:password` (also on a continuation line), httpie `-a user:password`, `wget --user …`. */
const cliUserScanner: Scanner = (scan, at) => {
  const text = scan.text
  const flagAt = at + 1
  const m = stickyAt(USER_FLAG, text, flagAt)
  if (m === null || m.groups === undefined) return
  const { user = "", pw = "" } = m.groups
  if (!HTTP_CLIENT.test(logicalLineBefore(text, flagAt, 12, 300))) return
  const pwStart = flagAt + m[0].length - (m.groups.q ?? "").length - pw.length
  if (pw.length === 0) {
    if (tokenLike(user) || /^[A-Za-z0-9_]{3,12}_[A-Za-z0-9_]{16,}$/.test(user))
      scan.add("basic-auth", pwStart - 1 - user.length, pwStart - 1)
    return
  }
  if (isPlaceholder(pw) || /^[$%]/.test(pw) || /^(?:pass(?:word)?|pwd|secret|token|x+)$/i.test(pw)) return
  scan.add("basic-auth", pwStart, pwStart + pw.length)
}

// (a quoted value may be quoted once more inside another: `bash -c "mysql -p\\"…\\""`, a command in raw JSON text)
const PW = `(?<pw>\\\\"[^"\\n\\\\,:}\\]][^"\\n\\\\]{0,499}\\\\"|"[^"\\n,:}\\]][^"\\n]{0,499}"|'[^'\\n]{1,500}'|[^\\s"'\`,;:|&\\\\)}\\]>-][^\\s"'\`]{0,499})`
/** Commands that take a password in a short flag, and how (`mysql -pS3cret`, `sshpass -p …`, `redis-cli -a …`). */
const CLI_PASSWORD_FLAGS: ReadonlyArray<readonly [RegExp, RegExp]> = [
  [
    /^(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlsh|mariadb|mariadb-dump|mariadb-admin)$/,
    new RegExp(`-p${PW}`, "y")
  ],
  [/^sshpass$/, new RegExp(`-p\\s*${PW}`, "y")],
  [/^redis-cli$/, new RegExp(`-a\\s+${PW}`, "y")],
  [/^(?:sqlcmd|bcp|osql|isql)$/, new RegExp(`-P\\s*${PW}`, "y")],
  [/^(?:mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport)$/, new RegExp(`-p\\s+${PW}`, "y")],
  [
    /^(?:docker|podman|buildah|skopeo|nerdctl|helm|oras)\s+(?:\w+\s+)?login$|^az\s+login$/,
    new RegExp(`-p\\s+${PW}`, "y")
  ],
  [/^(?:ldapsearch|ldapmodify|ldapadd|ldapdelete|ldapwhoami|ldappasswd|ldapcompare)$/, new RegExp(`-w\\s+${PW}`, "y")],
  [/^gh\s+secret\s+set$/, new RegExp(`(?:--body[ =]|-b[ =]?)${PW}`, "y")],
  // InfluxDB's CLI (`influx setup -u admin -p …`), NuGet sources (`dotnet nuget add source … -u bob -p …`)
  [/^influx$|^dotnet\s+nuget\s+(?:add|update)\s+source$/, new RegExp(`-p\\s+${PW}`, "y")],
  // VS Code's and Open VSX's publishers take a personal access token, Apple's altool an app-specific password
  [
    /^(?:vsce|ovsx)\s+(?:publish|login|verify-pat)$|^xcrun\s+altool$/,
    new RegExp(`(?:-p|--pat|--password)[ =]${PW}`, "y")
  ]
]
const COMMAND =
  /(?:^|[\s;|&(`$"'=])((?:influx|dotnet\s+nuget\s+(?:add|update)\s+source|mysql|mysqldump|mysqladmin|mysqlimport|mysqlsh|mariadb(?:-dump|-admin)?|sshpass|redis-cli|sqlcmd|bcp|osql|isql|mongo(?:sh|dump|restore|export|import)?|ldap(?:search|modify|add|delete|whoami|passwd|compare)|(?:docker|podman|buildah|skopeo|nerdctl|helm|oras)\s+(?:\w+\s+)?login|az\s+login|gh\s+secret\s+set|(?:vsce|ovsx)\s+(?:publish|login|verify-pat)|xcrun\s+altool)(?:\.exe)?)\b/g

/**
 * A short flag on a command line (`-p`, `-P`, `-a`, `-w`, `-u`, `--user`, `--body`...): HTTP clients' `-u user:pass`,
 * and the password flags of database, LDAP and login commands (`mysql -pS3cret`, `sshpass -p …`, `redis-cli -a …`).
 */
export const flagScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  const flagAt = at + 1
  const flag = text.slice(flagAt, end)
  if (/^(?:-u|--user|--auth|-a|--http-user)/.test(flag)) cliUserScanner(scan, at, end)
  passwordArgumentsScanner(scan, at, end)
  // `curl -b "name=value; sessionid=…"`: the cookies sent
  if (flag === "-b" && /\bcurl\b/.test(logicalLineBefore(text, flagAt, 12, 300))) {
    const value = stickyAt(/[ \t]+["']?/y, text, end)
    if (value !== null) cookiePairs(scan, end + value[0].length)
  }
  if (!CLI_PASSWORD_FLAGS.some(([, pattern]) => stickyAt(pattern, text, flagAt) !== null)) return
  const line = logicalLineBefore(text, flagAt, 12, 300)
  const segment = line.slice(Math.max(line.lastIndexOf(";"), line.lastIndexOf("|"), line.lastIndexOf("&")) + 1)
  let command: string | undefined
  COMMAND.lastIndex = 0
  for (let m = COMMAND.exec(segment); m !== null; m = COMMAND.exec(segment)) command = m[1].replace(/\s+/g, " ")
  if (command === undefined) return
  for (const [name, pattern] of CLI_PASSWORD_FLAGS) {
    if (!name.test(command)) continue
    const m = stickyAt(pattern, text, flagAt)
    let pw = m?.groups?.pw
    if (m === null || pw === undefined) return
    let start = flagAt + m[0].length - pw.length
    const quote = /^\\?["']/.exec(pw)?.[0].length ?? 0
    pw = pw.slice(quote, pw.length - quote)
    start += quote
    // `-p\nEnter password:` in raw JSON text: a prompt on the next line, not an attached password
    // (`-p @keychain:AC_PASSWORD`, `@env:VAR`: Apple's tools name where the password is)
    if (pw.length === 0 || isPlaceholder(pw) || /^[$%]|^@(?:keychain|env):/.test(pw) || /^\\[nrt]/.test(pw)) return
    scan.add("cli-password", start, start + pw.length)
    return
  }
}

const OPENSSL_PASS = /pass:(?<pw>"[^"\n]{1,200}"|'[^'\n]{1,200}'|[^\s"']{1,200})/y

/** `openssl … -passin pass:secret` / `-passout pass:secret` / `-pass pass:secret`. */
export const opensslPassScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (!/-pass(?:in|out)?\s+$/.test(text.slice(Math.max(0, at - 12), at))) return
  if (!/\bopenssl\b/.test(logicalLineBefore(text, at))) return
  const m = stickyAt(OPENSSL_PASS, text, at)
  let pw = m?.groups?.pw
  if (m === null || pw === undefined) return
  let start = at + 5
  if (/^["']/.test(pw)) {
    pw = pw.slice(1, -1)
    start++
  }
  if (!isPlaceholder(pw) && !/^[$%]/.test(pw)) scan.add("cli-password", start, start + pw.length)
}

const UUID_AFTER = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i

/** The UUID that `heroku auth:token` prints. */
export const herokuTokenScanner: Scanner = (scan, at) => {
  const text = scan.text
  const from = at + 17
  const window = text.slice(from, Math.min(text.length, from + 240))
  const m = UUID_AFTER.exec(window)
  if (m === null) return
  scan.add("heroku-api-key", from + m.index, from + m.index + m[0].length)
}

const PGPASS_LINE = /^([^:\s]+):(\d+|\*):([^:\s]+):([^:\s]+):(\S+)$/

/** Password fields of `.pgpass` lines (`host:port:db:user:password`) shown after a mention of the file. */
export const pgpassScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at < scan.pgpassUntil) return
  let pos = lineEnd(text, at) + 1
  for (let n = 0; n < 20 && pos < text.length; n++) {
    scan.pgpassUntil = pos
    const end = lineEnd(text, pos)
    const line = text.slice(pos, end).replace(/\r$/, "")
    const m = PGPASS_LINE.exec(line.trim())
    if (m !== null) {
      const pw = m[5]
      const offset = pos + line.indexOf(line.trim()) + line.trim().length - pw.length
      if (!isPlaceholder(pw)) scan.add("connection-string", offset, offset + pw.length)
    }
    pos = end + 1
  }
}

/**
 * A line (of at most 600 characters, looked at once per pass: `memo`) that is one secret's context as a whole: the
 * group `pw` of `pattern` over the trimmed line, unless it is a placeholder or a reference or `accept` says no.
 */
const lineSecret = (
  scan: Scan,
  at: number,
  memo: "pgpassLineUntil" | "saslUntil",
  pattern: RegExp,
  rule: string,
  accept: (pw: string, lineStart: number) => boolean
): void => {
  const bounds = shortLineOnce(scan, at, memo, 600)
  if (bounds === undefined) return
  const raw = scan.text.slice(bounds.start, bounds.end)
  const line = raw.trim()
  const span = pattern.exec(line)?.indices?.groups?.pw
  if (span === undefined) return
  const pw = line.slice(span[0], span[1])
  if (isPlaceholder(pw) || /^[$%<{]/.test(pw) || !accept(pw, bounds.start)) return
  const offset = bounds.start + raw.indexOf(line)
  scan.add(rule, offset + span[0], offset + span[1])
}

/**
 * A `.pgpass` line on its own (`db.internal:5432:app:appuser:password`), found from its port (`:5432:`, `:*:`): a host
 * name (with a letter), an IPv4 address or `*`, a port, a database and a user of name characters, then a password with
 * a digit and a letter or of 8 characters or more; the whole line nothing else.
 */
const BARE_PGPASS =
  /^(?:[\d.-]{0,252}[A-Za-z_][\w.-]{0,252}|\d{1,3}(?:\.\d{1,3}){3}|\*):(?:\d{1,5}|\*):(?:[\w.$-]{1,63}|\*):(?:[\w.@$-]{1,63}|\*):(?<pw>\S{4,200})$/d

export const pgpassLineScanner: Scanner = (scan, at) =>
  lineSecret(
    scan,
    at,
    "pgpassLineUntil",
    BARE_PGPASS,
    "connection-string",
    (pw, lineStart) => lineStart >= scan.pgpassUntil && (digitAndLetter(pw) || (pw.length >= 8 && entropy(pw) > 2.5))
  )

const ADD_MASK = /::add-mask::(?<s>[^\s"'`\\]{4,4096})/y

/** GitHub Actions' `::add-mask::<value>`: a value the workflow masks in its logs, a secret by definition. */
export const addMaskScanner: Scanner = (scan, at) => {
  if (at < scan.addMaskUntil) return
  const m = stickyAt(ADD_MASK, scan.text, at)
  const value = m?.groups?.s
  if (m !== null) scan.addMaskUntil = at + m[0].length
  if (m === null || value === undefined || isPlaceholder(value) || /^[$%{]/.test(value)) return
  scan.add("printed-secret", at + m[0].length - value.length, at + m[0].length)
}

const SASL_PASSWD = /^\[[\w.-]{1,253}\](?::\d{1,5})?[ \t]+[^\s:]{1,200}:(?<pw>\S{1,200})$/d

/** Postfix's `sasl_passwd`: `[smtp.example.com]:587 user@example.com:password`, found from `]:587 `. */
export const saslPasswdScanner: Scanner = (scan, at) =>
  lineSecret(scan, at, "saslUntil", SASL_PASSWD, "cli-password", () => true)

// ---------------------------------------------------------------------------------------------------------------------
// Kubernetes Secret manifests: every value under `data:` / `stringData:`
// ---------------------------------------------------------------------------------------------------------------------

const DOC_WINDOW = 20_000

/** Values of a Kubernetes Secret's `data`/`stringData` (YAML or JSON), found from its `kind: Secret` line. */
export const kubernetesSecretScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at < scan.kubernetesDocEnd) return
  const windowStart = Math.max(0, at - DOC_WINDOW)
  const sepBefore = text.slice(windowStart, at).lastIndexOf("\n---")
  const docStart = sepBefore === -1 ? windowStart : windowStart + sepBefore + 4
  let docEnd = Math.min(text.length, at + DOC_WINDOW)
  const sepAfter = scan.nextIndexOf("\n---", at)
  if (sepAfter !== -1 && sepAfter < docEnd) docEnd = sepAfter
  scan.kubernetesDocEnd = docEnd
  const doc = text.slice(docStart, docEnd)
  if (/"kind"\s*:/.test(text.slice(at, at + 8))) jsonSecretData(scan, doc, docStart)
  else yamlSecretData(scan, doc, docStart)
}

const YAML_DATA = /^([ \t]*)(?:data|stringData):[ \t]*\r?$/gm
const YAML_ENTRY = /^([ \t]+)(["']?[\w.-]+["']?):[ \t]*(.*?)[ \t]*\r?$/

const yamlSecretData = (scan: Scan, doc: string, offset: number): void => {
  YAML_DATA.lastIndex = 0
  for (const block of doc.matchAll(YAML_DATA)) {
    const baseIndent = block[1].length
    let pos = block.index + block[0].length + 1
    let blockScalarIndent = -1
    while (pos < doc.length) {
      const end = doc.indexOf("\n", pos) === -1 ? doc.length : doc.indexOf("\n", pos)
      const line = doc.slice(pos, end)
      const indent = line.length - line.trimStart().length
      if (line.trim().length === 0) {
        pos = end + 1
        continue
      }
      if (indent <= baseIndent) break
      if (blockScalarIndent >= 0 && indent > blockScalarIndent) {
        scan.add("kubernetes-secret", offset + pos + indent, offset + end)
        pos = end + 1
        continue
      }
      blockScalarIndent = -1
      const m = YAML_ENTRY.exec(line)
      if (m !== null) {
        const raw = m[3]
        if (/^[|>][-+]?$/.test(raw)) blockScalarIndent = m[1].length
        else if (!PUBLIC_SECRET_ENTRY.test(m[2].replace(/["']/g, ""))) {
          const value = raw.replace(/^["']|["']$/g, "")
          if (value.length > 0 && !isPlaceholder(value) && !/^\{\{/.test(value)) {
            const at = line.lastIndexOf(value)
            scan.add("kubernetes-secret", offset + pos + at, offset + pos + at + value.length)
          }
        }
      }
      pos = end + 1
    }
  }
}

const JSON_DATA = /"(?:data|stringData)"\s*:\s*\{/g
const JSON_ENTRY = /\s*"(?<k>[^"\n]{1,253})"\s*:\s*"(?<v>[^"\n]*)"\s*,?/y
/** Entries of a Secret that are public: certificates (`tls.crt`, `ca.crt`) and a token Secret's `namespace`. */
const PUBLIC_SECRET_ENTRY = /(?:^|[._-])(?:crt|cert|certificate)$|^namespace$/i

const jsonSecretData = (scan: Scan, doc: string, offset: number): void => {
  JSON_DATA.lastIndex = 0
  for (const block of doc.matchAll(JSON_DATA)) {
    let pos = block.index + block[0].length
    for (let n = 0; n < 500; n++) {
      const m = stickyAt(JSON_ENTRY, doc, pos)
      if (m === null) break
      const value = m.groups?.v ?? ""
      const at = pos + m[0].lastIndexOf(`"${value}"`) + 1
      if (value.length > 0 && !isPlaceholder(value) && !PUBLIC_SECRET_ENTRY.test(m.groups?.k ?? ""))
        scan.add("kubernetes-secret", offset + at, offset + at + value.length)
      pos += m[0].length
    }
  }
}

const IDENTIFIED_BY = /identified\s+(?:with\s+\w+\s+)?by\s+(?:password\s+)?(?<q>['"])(?<pw>[^'"\n]{1,200})\k<q>/iy

/** SQL `IDENTIFIED BY 'password'` (MySQL, Oracle). */
export const identifiedByScanner: Scanner = (scan, at) => {
  const m = stickyAt(IDENTIFIED_BY, scan.text, at)
  const pw = m?.groups?.pw
  if (m === null || pw === undefined || isPlaceholder(pw)) return
  const end = at + m[0].length - 1
  scan.add("cli-password", end - pw.length, end)
}

const CLIENT_LITERAL = /Client(?:V\d)?\(\s*(?<q>["'])(?<s>[A-Za-z0-9_.~+/=-]{24,200})\k<q>/y
const UUID_ONLY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** An SDK client constructed with a literal key: `cohere.Client("…")`, `new WebClient("…")`. */
export const clientLiteralScanner: Scanner = (scan, at) => {
  const m = stickyAt(CLIENT_LITERAL, scan.text, at)
  const secret = m?.groups?.s
  if (m === null || secret === undefined || UUID_ONLY.test(secret) || !tokenLike(secret)) return
  const end = at + m[0].length - 1
  scan.add("secret-assignment", end - secret.length, end)
}

const CONVEX_DEPLOY_KEY = /(?:prod|dev|preview|project):[a-z0-9-]{3,64}\|(?<s>[A-Za-z0-9+/=_-]{20,1000})/y

/** Convex deploy keys: `prod:<deployment>|<secret>` (also `dev:`, `preview:`, `project:`). */
export const convexDeployKeyScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z0-9_-]/.test(text[at - 1])) return
  const m = stickyAt(CONVEX_DEPLOY_KEY, text, at)
  const secret = m?.groups?.s
  if (m === null || secret === undefined || !digitAndLetter(secret) || isDummyToken(secret)) return
  scan.add("convex-deploy-key", at + m[0].length - secret.length, at + m[0].length)
}

// ---------------------------------------------------------------------------------------------------------------------
// Cookies
// ---------------------------------------------------------------------------------------------------------------------

/** Cookie names that hold a session or a credential (`sessionid`, `PHPSESSID`, `connect.sid`, `_app_session`, `jwt`). */
const SESSION_COOKIE = /sess|sid$|^sid|auth|token|jwt|csrf|xsrf|remember|login|secret|passw|credential|api[_-]?key/i
/** Attributes of a `Set-Cookie` line, not cookies. */
const COOKIE_ATTRIBUTE =
  /^(?:path|domain|expires|max-age|samesite|secure|httponly|priority|partitioned|version|comment)$/i
const COOKIE_PAIR = /[ \t]*(?<name>[A-Za-z0-9_.$!#%&'*+^`|~-]{1,100})=(?<value>[^;\s"'\\]{0,4096})[ \t]*;?/y

/** Whether a cookie's value is a secret: a session's or a credential's (by its name), or one that looks like a token. */
const secretCookie = (name: string, value: string): boolean =>
  !COOKIE_ATTRIBUTE.test(name) &&
  value.length >= 8 &&
  !isPlaceholder(value) &&
  !isDummyToken(value) &&
  (SESSION_COOKIE.test(name) ? hasDigit(value) || value.length >= 16 : tokenLike(value))

/**
 * The value of a line of a Netscape cookie file (`curl -c`, `wget --save-cookies`, a browser's export) at `at`, when
 * its name is a session's or a credential's. A line is the domain, the subdomains flag, the path, the secure flag, the
 * expiry, the name and the value, separated by tabs (`.acme.io\tTRUE\t/\tTRUE\t1767225600\tsessionid\t…`); inside a
 * JSON string the tabs and line breaks are written `\t` and `\n`. The fields are read backwards from the value, each
 * up to the tab before it, so a long line of tab-separated runs is read once per field, not once per run.
 */
export const netscapeCookieScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  const escaped = text.charCodeAt(at - 1) !== 9 /* tab */
  const sep = escaped ? "\\t" : "\t"
  // name, expiry, secure flag, path, subdomains flag (nearest first)
  const fields: Array<string> = []
  let fieldEnd = at - sep.length
  for (let k = 0; k < 5; k++) {
    const start = text.lastIndexOf(sep, fieldEnd - 1)
    if (start < 0 || fieldEnd - start > 1_100) return
    const field = text.slice(start + sep.length, fieldEnd)
    const fits =
      k === 0
        ? field.length > 0 && field.length <= 256 && !/[\s"\\]/.test(field)
        : k === 1
          ? /^\d{1,13}$/.test(field)
          : k === 3
            ? field.length > 0 && !/[\n"]/.test(field)
            : field === "TRUE" || field === "FALSE"
    if (!fits) return
    fields.push(field)
    fieldEnd = start
  }
  // The domain, from the line's start (a line break; in a JSON string, its start or `\n`); a comment line is none
  let domainStart = fieldEnd
  while (domainStart > 0) {
    const c = text[domainStart - 1]
    if (c === "\n" || (escaped && (c === '"' || (c === "n" && text[domainStart - 2] === "\\")))) break
    if (c === "\t" || fieldEnd - domainStart >= 253) return
    domainStart--
  }
  if (domainStart === fieldEnd || (text[domainStart] === "#" && !text.startsWith("#HttpOnly_", domainStart))) return
  let stop = end
  while (stop < text.length && !/[\s"\\]/.test(text[stop] ?? "")) stop++
  if (secretCookie(fields[0] as string, text.slice(at, stop))) scan.add("session-cookie", at, stop)
}

/**
 * The `name=value` pairs of a cookie header or jar value from `i` (`Cookie: a=1; sessionid=…`, `Set-Cookie: sid=…;
 * Path=/`): a value is redacted when its name is a session's or a credential's, or when it looks like a token.
 */
export const cookiePairs = (scan: Scan, i: number): void => {
  const text = scan.text
  const limit = Math.min(text.length, i + 8192)
  let at = i
  while (at < limit) {
    const m = stickyAt(COOKIE_PAIR, text, at)
    if (m === null || m[0].length === 0) return
    const name = m.groups?.name ?? ""
    const value = m.groups?.value ?? ""
    const valueEnd = at + m[0].replace(/[ \t]*;?$/, "").length
    const valueStart = valueEnd - value.length
    if (secretCookie(name, value)) scan.add("session-cookie", valueStart, valueEnd)
    at += m[0].length
  }
}

const COOKIE_HEADER = /["']?[ \t]*[:=][ \t]*["']?/y

/** The name field a header's name is the value of: `{"name": "Cookie"`, `- name: Set-Cookie`. */
const COOKIE_NAME_FIELD = /(?:^|[\s{,])["']?name["']?[ \t]*[:=][ \t]*["']?(?:set-)?$/i
/** The value field after it: `", "value": "`, `\n  value: `. */
const COOKIE_VALUE_FIELD = /["']?[ \t]*,?\s{0,40}["']?value["']?[ \t]*[:=][ \t]*["']?/iy
/** A HAR's (or a browser export's) list of cookies after `cookie`: `s": [`. */
const COOKIE_LIST = /s["']?[ \t]*:[ \t]*\[/y
/** One cookie of such a list: its `name` and its `value`, in either order, within its object. */
const LISTED_COOKIE =
  /\{[^{}]{0,400}?"name"[ \t]*:[ \t]*"(?<name>[^"\n]{1,100})"[^{}]{0,400}?"value"[ \t]*:[ \t]*"(?<value>[^"\\\n]{1,4096})"|\{[^{}]{0,400}?"value"[ \t]*:[ \t]*"(?<value2>[^"\\\n]{1,4096})"[^{}]{0,400}?"name"[ \t]*:[ \t]*"(?<name2>[^"\n]{1,100})"/dg

/** `"cookies": [{"name": "sid", "value": "…"}, …]`: the values of the listed cookies that are secrets. */
const cookieList = (scan: Scan, from: number): void => {
  const text = scan.text
  const close = text.indexOf("]", from)
  const list = text.slice(from, close === -1 || close - from > 16_384 ? Math.min(text.length, from + 16_384) : close)
  LISTED_COOKIE.lastIndex = 0
  for (const m of list.matchAll(LISTED_COOKIE)) {
    const groups = m.groups ?? {}
    const span = m.indices?.groups?.value ?? m.indices?.groups?.value2
    const value = groups.value ?? groups.value2 ?? ""
    if (span !== undefined && secretCookie(groups.name ?? groups.name2 ?? "", value)) {
      scan.add("session-cookie", from + span[0], from + span[1])
    }
  }
}

/** `Cookie: …`, `Set-Cookie: …`, `"cookie": "…"`, `document.cookie = "…"`, `--cookie "…"`: the pairs after it. */
export const cookieScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  const header = stickyAt(COOKIE_HEADER, text, end)
  if (header !== null) {
    cookiePairs(scan, end + header[0].length)
    return
  }
  const list = stickyAt(COOKIE_LIST, text, end)
  if (list !== null) {
    cookieList(scan, end + list[0].length)
    return
  }
  // A header as a name and a value (a HAR, a Postman collection, a Kubernetes probe): `{"name": "Cookie", "value": "…"}`
  if (COOKIE_NAME_FIELD.test(text.slice(Math.max(0, at - 40), at))) {
    const field = stickyAt(COOKIE_VALUE_FIELD, text, end)
    if (field !== null) cookiePairs(scan, end + field[0].length)
    return
  }
  const flag = /--$/.test(text.slice(Math.max(0, at - 2), at)) ? /[ \t]+["']?/y : null
  const value = flag === null ? null : stickyAt(flag, text, end)
  if (value !== null) cookiePairs(scan, end + value[0].length)
}

// ---------------------------------------------------------------------------------------------------------------------
// Secrets printed by a command
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Commands whose output is a secret and nothing else: reading a key file, a secret manager's plain value, a CLI's
 * token, a secret-named variable echoed.
 */
const PRINTS_SECRET = new RegExp(
  [
    "\\b(?:cat|head|tail|less|more|bat|type|Get-Content|gc)\\s+\\S*(?:master\\.key|\\.key|_key|privatekey|\\.secret|secret|token|password|\\.pass)\\b[^|;&>\\n]*$",
    // A secret-named output of Terraform or OpenTofu, printed raw
    "\\b(?:terraform|tofu)\\s+output\\s+-raw\\s+[\\w-]*(?:password|passwd|secret|token|key)[\\w-]*\\s*$",
    // Random bytes printed as text by Node (`node -e "console.log(crypto.randomBytes(32).toString('hex'))"`)
    "\\bnode\\s+(?:-e|-p|--eval|--print)\\s+.*randomBytes\\(\\s*\\d+\\s*\\)\\.toString\\(",
    "\\bgcloud\\s+secrets\\s+versions\\s+access\\b",
    "\\bkubectl\\b.*\\bget\\s+secrets?\\b.*(?:jsonpath|go-template)",
    "\\baws\\s+secretsmanager\\s+get-secret-value\\b.*--output\\s+text",
    "\\baz\\s+keyvault\\s+secret\\s+show\\b.*(?:-o|--output)\\s+tsv",
    "\\bvault\\s+(?:kv\\s+get|read)\\b.*-field[= ]",
    "\\bdoppler\\s+secrets\\s+get\\b.*--plain",
    "\\bgh\\s+auth\\s+token\\b",
    // Cloud CLIs' tokens printed for a registry or an API (not piped on to `docker login --password-stdin`)
    "\\baws\\s+ecr(?:-public)?\\s+get-login-password\\b[^|\\n]*$",
    "\\bgcloud\\s+auth\\s+(?:application-default\\s+)?print-(?:access|identity)-token\\b[^|\\n]*$",
    "\\baz\\s+account\\s+get-access-token\\b.*(?:-o|--output)\\s+tsv",
    // WireGuard's new private or pre-shared key, unless piped on to `wg pubkey` (which prints the public one)
    "\\bwg\\s+gen(?:key|psk)\\b(?![^\\n]*\\bwg\\s+pubkey\\b)",
    // Secrets generated and printed: `openssl rand -base64 32`, `php artisan key:generate --show`, `rails secret`
    "\\bopenssl\\s+rand\\s+-(?:hex|base64)\\s+\\d+\\s*$",
    "\\bphp\\s+artisan\\s+key:generate\\b.*--show",
    "\\b(?:bin/)?rails\\s+secret\\s*$",
    "\\bsecrets\\.token_(?:hex|urlsafe|bytes)\\(",
    "\\b(?:glab|fly|flyctl|vercel|npm)\\s+(?:auth\\s+)?token\\b",
    "\\bsecurity\\s+find-(?:generic|internet)-password\\b.*\\s-w\\b",
    "\\b(?:pass|gopass)\\s+(?:show\\s+)?[\\w./-]*(?:token|secret|key|password|pass|pw)[\\w./-]*\\s*$",
    "\\b(?:bw|lpass)\\s+(?:get|show)\\s+(?:password|--password)\\b",
    "\\bargocd\\s+admin\\s+initial-password\\b",
    "\\b(?:echo|printenv|printf\\s+['\"]%s\\\\n['\"])\\s+['\"]?\\$?\\{?[A-Za-z_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|_PAT)\\}?['\"]?\\s*$"
  ].join("|"),
  "i"
)

/** The commands of `PRINTS_SECRET`, a cheap first test of a line. */
const PRINTING_COMMAND =
  /\b(?:cat|head|tail|less|more|bat|type|gc|Get-Content|gcloud|kubectl|aws|az|vault|doppler|gh|glab|fly|flyctl|vercel|npm|security|pass|gopass|bw|lpass|echo|printenv|printf|openssl|php|rails|python3?|wg|argocd|terraform|tofu|node)\s/

/**
 * A REPL's prompt reading a secret-named environment variable (`> process.env.SESSION_SECRET`, `>>>
 * os.environ["API_TOKEN"]`, `irb(main):001> ENV["DB_PASSWORD"]`): the REPL prints its value, quoted, on the next line.
 */
const REPL_ENV_READ =
  /^\s*(?:>{1,3}|irb\([^)]*\)[:\d]*[>*]|pry\([^)]*\)>|In \[\d+\]:|iex\(\d+\)>)\s*(?:(?:console\.log|print|puts|pp|p)[(\s]\s*)?(?:process\.env(?:\.|\[["'])|os\.environ(?:\.get\(|\[)["']|os\.getenv\(["']|ENV(?:\.fetch\(|\[)["']|System\.getenv\(["']|Deno\.env\.get\(["'])[A-Za-z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|_PAT)["']?[)\]]*\s*$/i

/** A line that is one value: no inner whitespace, 8 to 4,096 characters. */
const ONE_VALUE = /^[ \t]*(?<v>[^\s]{8,4096})[ \t]*\r?$/

/**
 * At a keyword on a command line (`$ gh auth token`, `cat config/master.key`, `gcloud secrets versions access …`,
 * `echo $GITHUB_TOKEN`): the next line, when it is one value that could be a secret, is the secret printed.
 */
/** A tool's banner whose next non-blank line is the password it generated (Jenkins' first start, Elasticsearch's). */
const BANNER =
  /(?:following password to proceed to installation|^\s*Elastic password for the \S{1,40} user\b[^\n]{0,120}):\s*$/i
/** `elasticsearch-reset-password`'s answer, the new password on the next line as `New value: …`. */
const RESET_DONE = /^\s*Password for the \[[^\]\n]{1,40}\] user successfully reset\.\s*$/
const NEW_VALUE = /^\s*New value:[ \t]*(?<v>\S{6,200})\s*$/

/** The password a banner line (`line`, ending at `end`) announces on a line below. */
const bannerSecret = (scan: Scan, line: string, end: number): void => {
  const text = scan.text
  let at = end + 1
  if (RESET_DONE.test(line)) {
    const next = NEW_VALUE.exec(text.slice(at, lineEnd(text, at)))
    const value = next?.groups?.v
    if (next === null || value === undefined || isPlaceholder(value)) return
    const start = at + next[0].indexOf(value)
    scan.add("printed-secret", start, start + value.length)
    return
  }
  if (!BANNER.test(line)) return
  // the next non-blank line, within three
  for (let skipped = 0; skipped < 3 && at < text.length; skipped++) {
    const stop = lineEnd(text, at)
    const candidate = text.slice(at, stop)
    if (candidate.trim() !== "") {
      const value = candidate.trim()
      if (/^\S{8,200}$/.test(value) && !isPlaceholder(value) && (digitAndLetter(value) || entropy(value) > 3.5)) {
        const start = at + candidate.indexOf(value)
        scan.add("printed-secret", start, start + value.length)
      }
      return
    }
    at = stop + 1
  }
}

export const printedSecretScanner: Scanner = (scan, at) => {
  const text = scan.text
  const bounds = shortLineOnce(scan, at, "printedUntil")
  if (bounds === undefined || bounds.end >= text.length) return
  const { end } = bounds
  const own = text.slice(bounds.start, end)
  if (/installation:|user successfully reset|Elastic password/i.test(own)) bannerSecret(scan, own, end)
  const line = logicalLineBefore(text, end, 4, 400)
  const repl = /env/i.test(line) && REPL_ENV_READ.test(line)
  if (
    !repl &&
    (!PRINTING_COMMAND.test(line) || !PRINTS_SECRET.test(line.replace(/^\s*(?:[^\n$#%>]{0,60}[$#%>]\s+)?/, "")))
  )
    return
  const next = end + 1
  const nextEnd = lineEnd(text, next)
  const m = ONE_VALUE.exec(text.slice(next, nextEnd))
  let whole = m?.groups?.v
  if (m === null || whole === undefined) return
  let offset = m[0].indexOf(whole)
  // What the REPL printed: a quoted string (`'…'`, `"…"`)
  const quoted = repl ? /^(['"])([^'"\\]+)\1$/.exec(whole) : null
  if (quoted !== null) {
    whole = quoted[2]!
    offset += 1
  }
  // The last line of a JSON string (in a decoded view) ends at its closing quote: `…","is_error":false}`
  const close = whole.search(/\\?"[,}\]:]/)
  const value = close > 0 ? whole.slice(0, close) : whole
  if (isPlaceholder(value) || isDummyToken(value) || /^[$%]/.test(value) || /^[/~.]/.test(value)) return
  // A line of code or JSON (quotes, escapes, brackets, separators) is not a printed value
  if (/["'`\\(){}[\];,]/.test(value)) return
  if (!(tokenLike(value) || (hasDigit(value) && hasLetter(value)) || entropy(value) > 3.5)) return
  const start = next + offset
  scan.add("printed-secret", start, start + value.length)
}

// ---------------------------------------------------------------------------------------------------------------------
// Passwords given as arguments
// ---------------------------------------------------------------------------------------------------------------------

/**
 * An option, `-x`, `--name`, `--with-dashes`: its dashes read one way only. (`--?[\w-]+` reads `--aa` as `-` + `-aa`
 * and as `--` + `aa`: repeated, a line of options takes exponential time to fail.)
 */
const FLAG = "--?\\w[\\w-]*"
const ARG = `(?:\\\\"[^"\\n\\\\]{1,200}\\\\"|"[^"\\n]{1,200}"|'[^'\\n]{1,200}'|[^\\s"'\`;|&\\\\]{1,200})`

/** Commands that take a password as an argument, the password in the group `pw` (`d`: its indices). */
const PASSWORD_ARGUMENTS: ReadonlyArray<RegExp> = [
  // htpasswd -b[c] file user password, htpasswd -nb user password
  // (also run as an image's entry point: `docker run --entrypoint htpasswd httpd:2 -Bbn user password > file`)
  new RegExp(
    `\\bhtpasswd\\s+(?:[\\w.:/-]+\\s+)?(?:-[A-Za-z]*b[A-Za-z]*\\s+)(?:-[A-Za-z]+\\s+)*(?:${ARG}\\s+)?${ARG}\\s+(?<pw>${ARG})\\s*(?:$|[>|;&"])`,
    "dm"
  ),
  // redis CONFIG SET requirepass / masterauth password (at redis-cli's prompt or in its arguments)
  new RegExp(`\\bCONFIG\\s+SET\\s+(?:requirepass|masterauth)\\s+(?<pw>${ARG})`, "di"),
  // redis ACL SETUSER name … >password (a rule adding a password)
  /\bACL\s+SETUSER\s+\S+[^\n]*?\s>(?<pw>[^\s"'>]{1,200})/di,
  // HAProxy: user name insecure-password password
  new RegExp(`^\\s*user\\s+\\S+\\s+insecure-password\\s+(?<pw>${ARG})`, "dm"),
  // rabbitmqctl add_user user password, change_password user password
  new RegExp(`\\brabbitmqctl\\s+(?:add_user|change_password)\\s+${ARG}\\s+(?<pw>${ARG})`, "d"),
  // redis AUTH [user] password (at redis-cli's prompt, `host:port>`, or in its arguments)
  new RegExp(`(?:[\\w.-]+:\\d+>\\s*|\\bredis-cli\\b[^\\n]*?\\s)AUTH\\s+(?:${ARG}\\s+)?(?<pw>${ARG})\\s*$`, "dm"),
  // poetry config pypi-token.<repo> token
  new RegExp(`\\bpoetry\\s+config\\s+pypi-token\\.[\\w.-]+\\s+(?<pw>(?!-)${ARG})`, "d"),
  // poetry config http-basic.<repo> user password
  new RegExp(`\\bpoetry\\s+config\\s+http-basic\\.[\\w.-]+\\s+${ARG}\\s+(?<pw>${ARG})`, "d"),
  // smbclient -U 'DOMAIN\\user%password', --user=user%password
  /\b(?:smbclient|smbmap|rpcclient|net)\b[^\n]*?(?:-U|--user(?:name)?)[ =]["']?[^\s"'%]{1,100}%(?<pw>[^\s"']{1,200})/d,
  // xfreerdp /p:password
  new RegExp(`\\b[wx]?freerdp3?\\b[^\\n]*?\\s/p:(?<pw>${ARG})`, "d"),
  // sqlplus user/password@db
  /\bsqlplus\s+(?:-\w+\s+)*[\w$#.]+\/(?<pw>[^\s@"'/]{1,200})(?=@|\s|$)/d,
  // zip/unzip -P password, 7z -ppassword
  new RegExp(`\\b(?:zip|unzip|zipcloak)\\b[^\\n]*?\\s-P\\s+(?<pw>${ARG})`, "d"),
  /\b7za?\b[^\n]*?\s-p(?<pw>[^\s"']{1,200})/d,
  // ssh-keygen -N new_passphrase, -P old_passphrase (`-N ''` is no passphrase)
  new RegExp(`\\bssh-keygen\\b[^\\n]*?\\s-[NP]\\s*(?<pw>(?!-)${ARG})`, "d"),
  // mc alias set name url access_key secret_key (MinIO's client; `mc config host add` before it)
  new RegExp(
    `\\bmc\\s+(?:alias\\s+set|config\\s+host\\s+add)\\s+${ARG}\\s+${ARG}\\s+${ARG}\\s+(?<pw>(?!-)${ARG})`,
    "d"
  ),
  // aws ssm put-parameter … --value …, for a SecureString or a parameter named for a secret (not `file://…`)
  new RegExp(
    `\\bssm\\s+put-parameter\\b(?=[^\\n]*(?:SecureString|--name[ =]["']?[^\\s"']*(?:passw|secret|token|key|cred)))[^\\n]*?\\s--value[ =](?<pw>(?![a-z]+://)${ARG})`,
    "di"
  ),
  // net use \\\\host\\share password /user:name, net use … /user:name password
  new RegExp(`\\bnet\\s+use\\s+(?:[A-Za-z]:\\s+)?\\\\[^\\s]+\\s+(?<pw>(?![/*])${ARG})`, "d"),
  new RegExp(`\\bnet\\s+use\\b[^\\n]*?\\s/u(?:ser)?:[^\\s]+\\s+(?<pw>(?![/*])${ARG})`, "d"),
  // net user name password [/add] (`net user name *` prompts for it)
  new RegExp(`\\bnet\\s+user\\s+(?!/)${ARG}\\s+(?<pw>(?![/*])${ARG})`, "di"),
  // Registry logins that take the token as their argument: `cargo login <token>`, `snyk auth <token>`, `vault login
  // <token>` (not `vault login -method=… username=…`, whose arguments name what they are)
  new RegExp(
    `\\bcargo\\s+(?:\\+\\S+\\s+)?login\\s+(?:--registry[ =]\\S+\\s+|-(?!-registry)[\\w-]+\\s+)*(?<pw>(?!-)${ARG})\\s*(?:$|[|;&#])`,
    "d"
  ),
  new RegExp(`\\bsnyk\\s+auth\\s+(?:-[\\w-]+(?:=\\S+)?\\s+)*(?<pw>(?!-)${ARG})`, "d"),
  /\bvault\s+login\s+(?:-[\w-]+(?:=\S+)?\s+)*(?<pw>[^\s"'`=;|&-][^\s"'`=;|&]{3,199})(?=\s*(?:$|[|;&#]))/d,
  // Backblaze B2: `b2 authorize-account <key id> <application key>` (`b2 account authorize` since 4.0)
  new RegExp(
    `\\bb2\\s+(?:authorize[-_]account|account\\s+authorize)\\s+(?:--[\\w-]+\\s+)*${ARG}\\s+(?<pw>(?!-)${ARG})`,
    "d"
  ),
  // Bundler: `bundle config [set] [--global] <source> <user>:<password>`
  /\bbundle\s+config\s+(?:set\s+)?(?:--(?:global|local)\s+)?[^\s"']{3,300}\s+["']?[^\s:"'@]{1,100}:(?<pw>[^\s"']{1,200})/d,
  // lftp -u user,password
  /\blftp\b[^\n]*?\s-u\s+["']?[^\s,"']{1,100},(?<pw>[^\s"']{1,200})/d,
  // `-p` password flags of uploaders, shells and account tools: twine, cqlsh, useradd/usermod (an encrypted password)
  new RegExp(
    `\\b(?:twine\\s+(?:upload|register)|cqlsh|useradd|usermod|pgcli|vsql|clickhouse-client|cypher-shell|rabbitmqadmin|crane\\s+auth\\s+login)\\b[^\\n]*?\\s(?:-p|--password)[ =](?<pw>(?!-)${ARG})`,
    "d"
  ),
  // Token flags: `doctl auth init -t …`, `codecov -t …`, `codecovcli upload-process -t …`
  new RegExp(`\\b(?:doctl\\s+auth\\s+init|codecov(?:cli)?)\\b[^\\n]*?\\s-t[ =](?<pw>(?!-)${ARG})`, "d"),
  // SonarQube's scanner: `-Dsonar.login=…`, `-Dsonar.token=…`, `-Dsonar.password=…`
  new RegExp(`(?:\\b|-D)sonar\\.(?:login|token|password)=(?<pw>${ARG})`, "d"),
  // macOS keychain: `security add-generic-password … -w <password>` (`-w` last, with nothing after it, prompts)
  new RegExp(`\\bsecurity\\s+add-(?:generic|internet)-password\\b[^\\n]*?\\s-w\\s+(?<pw>(?!-)${ARG})`, "d"),
  // openssl enc -k <password> (the old form of `-pass pass:`)
  new RegExp(`\\bopenssl\\s+(?:enc|aes-\\S+|des\\S*|bf\\S*|camellia\\S*)\\b[^\\n]*?\\s-k\\s+(?<pw>(?!-)${ARG})`, "d"),
  // wpa_passphrase <ssid> <passphrase>
  new RegExp(`\\bwpa_passphrase\\s+${ARG}\\s+(?<pw>${ARG})`, "d"),
  // Pulumi: `pulumi config set --secret <name> <value>` (the switch anywhere among the options). Each option is read
  // one way only (`FLAG`; an option that takes a value is no other option, and its value no option), or a line of
  // options backtracks exponentially
  new RegExp(
    `\\bpulumi\\s+config\\s+set\\b(?=[^\\n]*\\s--secret\\b)(?:\\s+(?:--stack|-s|--config-file|--cwd|-C)\\s+(?!-)\\S+|\\s+(?!(?:--stack|-s|--config-file|--cwd|-C)\\s)${FLAG}(?:=\\S+)?)*\\s+(?!-)[\\w.:-]+\\s+(?:${FLAG}\\s+)*(?<pw>(?!-)${ARG})`,
    "d"
  ),
  // Neo4j: `neo4j-admin dbms set-initial-password <password>`
  new RegExp(`\\bneo4j-admin\\s+(?:dbms\\s+)?set-initial-password\\s+(?<pw>(?!-)${ARG})`, "d"),
  // Jenkins' CLI: `-auth user:token`
  /\bjenkins-cli(?:\.jar)?\b[^\n]*?\s-auth\s+["']?[^\s:"'@]{1,100}:(?<pw>[^\s"']{1,200})/d,
  // Drone: `drone secret add … --data <value>` (not `--data @file`)
  new RegExp(`\\bdrone\\s+(?:org\\s+)?secret\\s+(?:add|update)\\b[^\\n]*?\\s--data[ =](?<pw>(?![@-])${ARG})`, "d"),
  // NetworkManager: `nmcli dev wifi connect <ssid> password <pw>`, `… wifi-sec.psk <pw>`
  new RegExp(`\\bnmcli\\b[^\\n]*?\\s(?:password|(?:802-11-)?wifi-sec(?:urity)?\\.psk)\\s+(?<pw>${ARG})`, "d"),
  // mysqladmin … password <new password>
  new RegExp(`\\bmysqladmin\\b[^\\n]*?\\spassword\\s+(?<pw>(?!-)${ARG})`, "d"),
  // `openssl passwd [-6|-1|-apr1] <password>`: the password it hashes (for `useradd -p $(…)`, `usermod --password`)
  /\bopenssl\s+passwd\b(?:\s+(?:-salt\s+(?!-)\S+|-in\s+(?!-)\S+|-[\w-]+))*?\s+(?<pw>"[^"\n]{1,200}"|'[^'\n]{1,200}'|[^\s"'`;|&)$-][^\s"'`;|&)]{0,199})(?=\s*(?:\)|$|[;|&]))/d,
  // Azure Key Vault: `az keyvault secret set … --value <value>`
  new RegExp(`\\baz\\s+keyvault\\s+secret\\s+set\\b[^\\n]*?\\s--value[ =](?<pw>(?!-)${ARG})`, "d"),
  // Vault AppRole: `vault write auth/approle/login role_id=… secret_id=<secret>`
  new RegExp(`\\bvault\\s+write\\b[^\\n]*?\\ssecret_id=(?<pw>${ARG})`, "d"),
  // GitLab's CLI: `glab variable set NAME --value <value>`
  new RegExp(`\\bglab\\s+variable\\s+(?:set|create|update)\\b[^\\n]*?\\s(?:--value|-v)[ =](?<pw>(?!-)${ARG})`, "d"),
  // strongSwan / libreswan `ipsec.secrets`: `<ids> : PSK "<secret>"` (also `XAUTH`, `EAP`)
  /(?:^|\s):\s*(?:PSK|XAUTH|EAP)\s+(?<pw>"[^"\n]{1,200}"|'[^'\n]{1,200}')/d,
  // MySQL's first start: `[Note] A temporary password is generated for root@localhost: <password>`
  /\btemporary password is generated for \S+:\s+(?<pw>\S{4,200})/d,
  // An API's error quoting the key it refused: `Invalid API key provided: <key>` (not a masked one: `sk-abc***xyz`)
  /\b(?:Invalid|Incorrect) API key provided:\s*(?<pw>[^\s*.]{8,200})(?=[\s.]|$)/di,
  // .NET's secret manager: `dotnet user-secrets set "Smtp:Password" "<value>"` (a secret-named key: not `Logging:Level`)
  new RegExp(
    `\\buser-secrets\\s+set\\s+(?:${FLAG}\\s+\\S+\\s+)*(["']?)(?![\\w.:-]*(?:public|publishable))[\\w.:-]{0,80}(?:password|passwd|pwd|secret|token|apikey|api_key|key|credential)[\\w.-]{0,20}\\1\\s+(?<pw>(?!-)${ARG})`,
    "di"
  ),
  // Grafana: `grafana-cli admin reset-admin-password <password>` (also `grafana cli …`)
  new RegExp(
    `\\bgrafana(?:-cli|\\s+cli)\\s+(?:${FLAG}(?:[ =](?!-)\\S+)?\\s+)*admin\\s+reset-admin-password\\s+(?<pw>(?!-)${ARG})`,
    "d"
  ),
  // Composer: `composer config [--global] http-basic.<host> <user> <password>`
  new RegExp(`\\bcomposer\\s+config\\s+(?:-[\\w-]+\\s+)*http-basic\\.[\\w.-]+\\s+${ARG}\\s+(?<pw>${ARG})`, "d"),
  // Doppler: `doppler secrets set NAME <value>` (its options before or after; not `NAME=value`, an assignment). An
  // option that takes a value is read only as one, and its value is no option (each option one way: see Pulumi's)
  new RegExp(
    `\\bdoppler\\s+secrets\\s+set\\s+(?:(?:-p|--project|-c|--config|--scope)(?:=|\\s+)(?!-)\\S+\\s+|(?!(?:-p|--project|-c|--config|--scope)[\\s=])${FLAG}\\s+)*[A-Za-z_]\\w*\\s+(?<pw>(?![-<])${ARG})`,
    "d"
  ),
  // sshpass reading its password from a process substitution: `sshpass -f <(echo <password>) ssh …`
  /\bsshpass\b[^\n]*?\s-f\s*<\(\s*(?:echo(?:\s+-[neE]{1,3})*|printf(?:\s+(["'])%s(?:\\n)?\1)?)\s+(["']?)(?<pw>[^\s"'()$`]{1,200})\2\s*\)/d,
  // Wrangler's prompt of `wrangler secret put NAME`, with what was typed at it: `? Enter a secret value: › <value>`
  /(?:^|\s)Enter a secret value:?[ \t]*(?:(?:›|»|>|…)[ \t]*)?(?<pw>[^\s*][^\s]{3,199})[ \t]*$/d,
  // InfluxDB's CLI: `influx … -t <token>` (`--token` is named for what it is)
  new RegExp(`(?:^|[\\s;&|(])influx\\s[^\\n]*?\\s-t[ =](?<pw>(?!-)${ARG})`, "d")
]

/** The commands of `PASSWORD_ARGUMENTS`, a cheap first test of a line. */
const ARGUMENT_COMMAND =
  /\b(?:htpasswd|rabbitmqctl|AUTH|CONFIG|ACL|insecure-password|poetry|smbclient|smbmap|rpcclient|net|[wx]?freerdp3?|sqlplus|zip|unzip|zipcloak|7za?|ssh-keygen|mc|ssm|cargo|snyk|vault|b2|bundle|lftp|twine|cqlsh|useradd|usermod|pgcli|vsql|clickhouse-client|cypher-shell|rabbitmqadmin|crane|doctl|codecov(?:cli)?|D?sonar|security|openssl|wpa_passphrase|composer|pulumi|temporary|provided|neo4j-admin|jenkins-cli|drone|nmcli|mysqladmin|az|vault|glab|PSK|XAUTH|EAP|user-secrets|grafana|doppler|sshpass|Enter|influx)\b/i

/** A literal echoed or printed into a pipe: `echo -n "…" |`, `printf '%s' '…' |`; `cmd` is the rest of the line. */
const PIPED_LITERAL =
  /(?:^|[\s;&(])(?:echo(?:\s+-[neE]{1,3})*|printf(?:\s+(["'])%s(?:\\n)?\1)?)\s+(["']?)(?<s>[^\s"'|;&$`<>]{6,300})\2\s*\|\s*(?<cmd>.*)$/d

/** Commands that read a secret from their input (`--password-stdin`, a secret store's `set`/`put`/`add`). */
const SECRET_READER =
  /^(?:sudo\s+)?(?:(?:npx|bunx|pnpm(?:\s+dlx)?|yarn)\s+)?(?:(?:docker|podman|nerdctl|buildah|helm|oras|crane|skopeo|cosign)\s+(?:registry\s+)?login\b.*--password-stdin|wrangler\s+(?:pages\s+)?secret\s+(?:put|bulk)|vercel\s+env\s+add|netlify\s+env:set|convex\s+env\s+set|supabase\s+secrets\s+set|gh\s+secret\s+set|glab\s+variable\s+(?:set|create)|gcloud\s+secrets\s+(?:create|versions\s+add)|fly(?:ctl)?\s+secrets\s+(?:set|import)|az\s+keyvault\s+secret\s+set|aws\s+secretsmanager|vault\s+(?:kv\s+put|write|login)|doppler\s+secrets\s+set|chpasswd|passwd\s+--stdin|kubectl\s+create\s+secret|(?:docker|podman)\s+secret\s+create|sshpass|sshfs\b.*\bpassword_stdin|sudo\s+(?:-[A-Za-z]+\s+)*-[A-Za-z]*S|sudo\s+(?:-\S+\s+)*--stdin|gh\s+auth\s+login\b.*--with-token|glab\s+auth\s+login\b.*--stdin|cargo\s+login|vault\s+login\s+-(?:\s|$)|op\s+signin|npm\s+login|openconnect\b.*--passwd-on-stdin|passwd(?:\s+[\w.-]+)?\s*$|kinit\b|secret-tool\s+store|keyring\s+set|pass\s+insert|gopass\s+insert)\b/

/** A command that encodes its input as base64 (not `base64 -d`, `--decode`). */
const ENCODES = /^(?:base64|openssl\s+(?:base64|enc\s+-base64|enc\s+-a))(?![^|;&\n]*\s(?:-d|-D|--decode)\b)/

/** `echo "<secret>" | docker login --password-stdin`, `… | wrangler secret put NAME`: the literal piped in. */
const pipedSecret = (scan: Scan, start: number, line: string): void => {
  const m = PIPED_LITERAL.exec(line)
  const span = m?.indices?.groups?.s
  if (m === null || span === undefined) return
  const value = line.slice(span[0], span[1])
  if (isPlaceholder(value) || isDummyToken(value)) return
  const command = m.groups?.cmd ?? ""
  if (SECRET_READER.test(command)) scan.add("cli-password", start + span[0], start + span[1])
  // `echo -n "user:password" | base64`: the credentials of a Basic header being made (not `base64 -d`)
  else if (ENCODES.test(command)) {
    const colon = value.indexOf(":")
    const pw = value.slice(colon + 1)
    if (colon > 0 && !value.includes("://") && pw.length >= 4 && !standsForSecret(pw))
      scan.add("cli-password", start + span[0] + colon + 1, start + span[1])
  }
}

/** `cmd <<< "<secret>"`: a here-string; the command is the line's text before it, from its last `;`, `|` or `&`. */
const HERE_STRING = /<<<\s*(["']?)(?<s>[^\s"'|;&$`<>]{6,300})\1(?=\s*(?:$|[|;&)]))/dg

/** `gh auth login --with-token <<< "<token>"`, `chpasswd <<< "user:password"`: the literal given as input. */
const hereStringSecret = (scan: Scan, start: number, line: string): void => {
  HERE_STRING.lastIndex = 0
  for (let m = HERE_STRING.exec(line); m !== null; m = HERE_STRING.exec(line)) {
    const span = m.indices?.groups?.s
    if (span === undefined) continue
    const before = line.slice(0, m.index)
    // (the command may be in a substitution: `eval $(op signin <<< '…')`)
    const command = before
      .slice(
        Math.max(before.lastIndexOf(";"), before.lastIndexOf("|"), before.lastIndexOf("&"), before.lastIndexOf("(")) + 1
      )
      .trim()
    const value = line.slice(span[0], span[1])
    if (!SECRET_READER.test(command) || isPlaceholder(value) || isDummyToken(value)) continue
    scan.add("cli-password", start + span[0], start + span[1])
  }
}

/** `cmd <<EOF` (or `<<-'EOF'`) ending its line: a heredoc, whose body follows up to the line that is only its tag. */
const HERE_DOC = /<<-?[ \t]*(["']?)(?<tag>[A-Za-z_][\w-]{0,30})\1[ \t]*$/d

/**
 * `docker login --password-stdin <<EOF`, `sudo -S … <<'EOF'`, `chpasswd <<EOF`: the lines of a heredoc given to a
 * command that reads a secret from its input (as a here-string's literal is), up to its tag; at most 20.
 */
const hereDocSecret = (scan: Scan, end: number, line: string): void => {
  const m = HERE_DOC.exec(line)
  if (m === null) return
  const before = line.slice(0, m.index)
  const command = before
    .slice(Math.max(before.lastIndexOf(";"), before.lastIndexOf("|"), before.lastIndexOf("&")) + 1)
    .trim()
  if (!SECRET_READER.test(command)) return
  const tag = m.groups?.tag ?? ""
  const text = scan.text
  let pos = end + 1
  for (let n = 0; n < 20 && pos < text.length; n++) {
    const lineEndAt = lineEnd(text, pos)
    const body = text.slice(pos, lineEndAt).replace(/\r$/, "")
    if (body.trim() === tag) return
    const value = body.trim()
    if (value !== "" && !isPlaceholder(value) && !isDummyToken(value)) {
      const from = pos + body.indexOf(value)
      scan.add("cli-password", from, from + value.length)
    }
    pos = lineEndAt + 1
  }
}

/**
 * `echo "<token>" > ~/.vault-token`, `printf '%s' '…' > secrets/api_token`: a literal written into a file named for a
 * secret (not a file of settings: `.env` and `.npmrc` lines name their keys and are redacted as assignments).
 */
const WRITTEN_LITERAL =
  /(?:^|[\s;&(])(?:echo(?:\s+-[neE]{1,3})*|printf(?:\s+(["'])%s(?:\\n)?\1)?)\s+(["']?)(?<s>[^\s"'|;&$`<>]{6,300})\2\s*>>?\s*["']?(?<file>[^\s"'|;&<>]{1,300})/d
const SECRET_FILE =
  /(?:^|[/\\])(?:\.vault-token|\.?[\w.-]*(?:token|secret|passw(?:or)?d|passphrase|api[_-]?key|credential)s?(?:\.txt)?)$/i

const writtenSecret = (scan: Scan, start: number, line: string): void => {
  const m = WRITTEN_LITERAL.exec(line)
  const span = m?.indices?.groups?.s
  if (m === null || span === undefined || !SECRET_FILE.test(m.groups?.file ?? "")) return
  const value = line.slice(span[0], span[1])
  if (isPlaceholder(value) || isDummyToken(value) || !plausibleSecretValue(value)) return
  // (not a word: `echo tokenizer > tokens.txt`)
  if (!(digitAndLetter(value) || tokenLike(value) || /[^A-Za-z0-9]/.test(value))) return
  scan.add("cli-password", start + span[0], start + span[1])
}

/** A key whose value is a command printing a credential: Claude Code's `apiKeyHelper`, `credential_process`… */
const ECHOED_BY_HELPER =
  /(?:apiKeyHelper|password_?command|pass_?cmd|token_?(?:command|helper)|credential_process|awsCredentialExport)\\?["']?(?:\s*[:=]\s*|\s+)\\?["']?(?:echo(?:\s+-[neE]{1,3})*|printf(?:\s+\\?(["'])%s(?:\\n)?\\?\1)?)\s+\\?(["']?)(?<s>[^\s"'\\|;&$`<>]{6,300})\\?\2(?=\\?["'\s,}]|$)/d

/** `"apiKeyHelper": "echo <key>"`: the literal the helper prints. */
const echoedByHelper = (scan: Scan, start: number, line: string): void => {
  const m = ECHOED_BY_HELPER.exec(line)
  const span = m?.indices?.groups?.s
  if (m === null || span === undefined) return
  const value = line.slice(span[0], span[1])
  if (isPlaceholder(value) || isDummyToken(value) || !plausibleSecretValue(value)) return
  // (not a word: `echo tokenizer > tokens.txt`)
  if (!(digitAndLetter(value) || tokenLike(value) || /[^A-Za-z0-9]/.test(value))) return
  scan.add("cli-password", start + span[0], start + span[1])
}

/** PowerShell's `ConvertTo-SecureString "…" -AsPlainText`: the plain text made a secure string. */
const SECURE_STRING =
  /\bConvertTo-SecureString\s+(?:-String\s+)?(?<q>["'])(?<s>[^"'\n]{1,300})\k<q>(?=[^\n]*-AsPlainText)/dgi

/**
 * `aws ssm get-parameter(s) --with-decryption`: a SecureString parameter's decrypted `"Value"`, after its `"Type"`
 * (on the same line or the next ones, within the parameter's object).
 */
const SSM_SECURE_VALUE = /"Type"\s*:\s*"SecureString"[^{}]{0,300}?"Value"\s*:\s*"(?<s>(?:[^"\\\n]|\\.){1,4096})"/dy

const ssmSecureValue = (scan: Scan, lineStart: number): void => {
  const text = scan.text
  const type = text.indexOf('"Type"', lineStart)
  if (type === -1 || type - lineStart > 300) return
  const m = stickyAt(SSM_SECURE_VALUE, text, type)
  const span = m?.indices?.groups?.s
  if (m === null || span === undefined) return
  const value = m.groups?.s ?? ""
  if (value.length >= 4 && !isPlaceholder(value)) scan.add("printed-secret", span[0], span[1])
}

/** `KeychainWrapper.standard.set("…", forKey: "authToken")`, `UserDefaults.standard.set(…)`: a value stored under a secret-named key. */
const FOR_KEY = /\.set(?:Value)?\(\s*(?<q>["'])(?<s>[^"'\n]{6,300})\k<q>\s*,\s*forKey:\s*["'](?<key>[\w.-]{1,80})["']/dg

const valuesOnLine = (
  scan: Scan,
  start: number,
  line: string,
  pattern: RegExp,
  accept: (m: RegExpExecArray) => boolean
): void => {
  pattern.lastIndex = 0
  for (let m = pattern.exec(line); m !== null; m = pattern.exec(line)) {
    const span = m.indices?.groups?.s
    const value = m.groups?.s
    if (span === undefined || value === undefined || standsForSecret(value) || !accept(m)) continue
    scan.add("cli-password", start + span[0], start + span[1])
  }
}

/** An `expect` (Tcl, pexpect) of a password prompt; the lines after it that answer it are the password. */
const EXPECTS_PASSWORD = /\bexpect\b[^\n]*(?:assword|passphrase|passcode)/i
const SENDS =
  /^[ \t]*(?:[\w.]+\.)?send(?:line)?[ \t]*(?:--[ \t]+)?\(?[ \t]*(?<q>["'])(?<s>[^"'\\\r\n]{1,200})(?:\\[rn]|\r)*\k<q>/d

/**
 * `expect "password:"; send "…\r"` on one line (`expect -c '…'`, a one-line script): what is sent. (The prompt is
 * looked for ahead, once: a lazy `[^;]*?` before it and `[^;]*` after it would try every split of the line.)
 */
const SENDS_AFTER =
  /\bexpect\b(?=[^\n;]*(?:assword|passphrase|passcode))[^\n;]*;[ \t]*send(?:line)?[ \t]+(?:--[ \t]+)?(?<q>\\?["'])(?<s>[^"'\\\r\n]{1,200})(?:\\{1,2}[rn]|\r)*\k<q>/d

/** `expect "password:"` + `send "…\r"`, `child.expect('Password:')` + `child.sendline('…')`: what is sent. */
const expectedAnswer = (scan: Scan, end: number, start: number, line: string): void => {
  const same = SENDS_AFTER.exec(line)
  const sent = same?.indices?.groups?.s
  if (same !== null && sent !== undefined) {
    const value = line.slice(sent[0], sent[1])
    if (!isPlaceholder(value) && !/^[$%{[]/.test(value)) scan.add("cli-password", start + sent[0], start + sent[1])
    return
  }
  const text = scan.text
  let pos = end + 1
  for (let n = 0; n < 2 && pos < text.length; n++) {
    const lineEndAt = lineEnd(text, pos)
    const line = text.slice(pos, lineEndAt)
    const m = SENDS.exec(line)
    const span = m?.indices?.groups?.s
    if (m !== null && span !== undefined) {
      const value = line.slice(span[0], span[1])
      if (!isPlaceholder(value) && !/^[$%{[]/.test(value)) scan.add("cli-password", pos + span[0], pos + span[1])
      return
    }
    pos = lineEndAt + 1
  }
}

/** `jq --arg <name> <value>` (also `--argjson`), each pair. */
const JQ_ARG = new RegExp(`\\s--arg(?:json)?\\s+(?<name>[A-Za-z_]\\w{0,60})\\s+(?<s>${ARG})`, "dg")

/**
 * `jq --arg token <value> …`, `jq --arg k <value> '.token = $k'`: a value given to jq under a secret's name, or put
 * by the filter under a secret-named key (as an assignment of its name would be redacted).
 */
const jqArguments = (scan: Scan, start: number, line: string): void => {
  if (!/\bjq\b/.test(line)) return
  JQ_ARG.lastIndex = 0
  for (let m = JQ_ARG.exec(line); m !== null; m = JQ_ARG.exec(line)) {
    const span = m.indices?.groups?.s
    const name = m.groups?.name ?? ""
    if (span === undefined) continue
    let [from, to] = span
    if (/^["']/.test(line[from] ?? "") && line[to - 1] === line[from]) {
      from++
      to--
    }
    const value = line.slice(from, to)
    if (value.length < 4 || standsForSecret(value) || /^[$%<{`]/.test(value)) continue
    let strength = keyStrength(name)
    if (strength === "none") {
      // the key the filter stores it under: `.token = $k`, `.auth.password |= $k`, `{token: $k}`
      // (from the start of a run of name characters only: from each of its characters, a line of them is quadratic)
      const stored = new RegExp(`(?<![\\w"])([\\w"]+)\\s*(?:\\|?=|:)\\s*\\$${name}\\b`).exec(line)
      strength = stored === null ? "none" : keyStrength(stored[1].replace(/"/g, ""))
    }
    if (fitsStrength(strength, value)) scan.add("cli-password", start + from, start + to)
  }
}

const SQL_INSERT = /\bINSERT\s+INTO\s+[`"[]?([\w.]{1,80})[`"\]]?\s*\(([^()]{1,400})\)\s*VALUES\s*/gi
/** One value of a VALUES tuple, then the `,` or `)` after it: a quoted string (`s`, with its quote `q`) or a bare one. */
const SQL_ITEM = /\s*(?:(?<q>['"])(?<s>(?:[^'"\\]|''|\\.){0,500})\k<q>|[^,()'"]{1,100}(?:\([^()]{0,100}\))?)\s*([,)])/y

/**
 * `INSERT INTO api_keys (name, key) VALUES ('ci', '…'), …`: each quoted value whose column is secret-named (or is `key`
 * or `value` in a table named for secrets, when it looks random).
 */
const sqlInsertValues = (scan: Scan, start: number, line: string): void => {
  SQL_INSERT.lastIndex = 0
  for (let m = SQL_INSERT.exec(line); m !== null; m = SQL_INSERT.exec(line)) {
    const columns = m[2]!.split(",").map((c) => c.trim().replace(/^[`"[]|[`"\]]$/g, ""))
    const secretTable = containerKeyStrength(m[1]!.split(".").pop()!) !== "none"
    const kinds = columns.map((c) =>
      keyStrength(c) === "strong" ? "strong" : secretTable && /^(?:key|value)$/i.test(c) ? "weak" : "none"
    )
    if (kinds.every((k) => k === "none")) continue
    let i = SQL_INSERT.lastIndex
    while (line[i] === "(") {
      i++
      for (let column = 0; ; column++) {
        SQL_ITEM.lastIndex = i
        const item = SQL_ITEM.exec(line)
        if (item === null) return
        const value = item.groups?.s
        const kind = kinds[column] ?? "none"
        if (
          value !== undefined &&
          kind !== "none" &&
          plausibleSecretValue(value) &&
          (kind === "strong" || tokenLike(value))
        ) {
          const from = start + item.index + item[0].indexOf(value)
          scan.add("secret-assignment", from, from + value.length)
        }
        i = SQL_ITEM.lastIndex
        if (item[3] === ")") break
      }
      const more = /^\s*,\s*/.exec(line.slice(i))
      if (more === null) break
      i += more[0].length
    }
    SQL_INSERT.lastIndex = Math.max(SQL_INSERT.lastIndex, i)
  }
}

/**
 * At an anchor on a command line: the passwords its command takes as arguments, a literal piped into a command that
 * reads a secret from its input, and the secret-named columns' values of an SQL `INSERT` (once per line).
 */
export const passwordArgumentsScanner: Scanner = (scan, at) => {
  const text = scan.text
  const bounds = shortLineOnce(scan, at, "argumentsUntil")
  if (bounds === undefined) return
  const { start, end } = bounds
  const line = text.slice(start, end).replace(/\r$/, "")
  if (/echo|printf/.test(line)) {
    if (line.includes("|")) pipedSecret(scan, start, line)
    if (line.includes(">")) writtenSecret(scan, start, line)
    echoedByHelper(scan, start, line)
  }
  if (line.includes("<<<")) hereStringSecret(scan, start, line)
  else if (line.includes("<<")) hereDocSecret(scan, end, line)
  if (EXPECTS_PASSWORD.test(line)) expectedAnswer(scan, end, start, line)
  if (line.includes("--arg")) jqArguments(scan, start, line)
  if (/SecureString/i.test(line)) {
    valuesOnLine(scan, start, line, SECURE_STRING, () => true)
    ssmSecureValue(scan, start)
  }
  if (line.includes("forKey")) {
    valuesOnLine(scan, start, line, FOR_KEY, (m) => fitsStrength(keyStrength(m.groups?.key ?? ""), m.groups?.s ?? ""))
  }
  if (/INSERT\s+INTO/i.test(line)) sqlInsertValues(scan, start, line)
  if (!ARGUMENT_COMMAND.test(line)) return
  for (const pattern of PASSWORD_ARGUMENTS) {
    const m = pattern.exec(line)
    const span = m?.indices?.groups?.pw
    if (m === null || span === undefined) continue
    let [from, to] = span
    if (line[from] === "\\" && line[from + 1] === '"' && line.startsWith('\\"', to - 2)) {
      from += 2
      to -= 2
    } else if (/^["']/.test(line[from] ?? "") && line[to - 1] === line[from]) {
      from++
      to--
    }
    // Not the closing punctuation of prose or Markdown around an example (`sqlplus user/pw`,)
    while (to > from && /[`,.;:)\]]/.test(line[to - 1] ?? "")) to--
    const pw = line.slice(from, to)
    if (pw.length < 4 || isPlaceholder(pw) || /^[$%<{`]/.test(pw) || /^(?:password|passwd|secret|pass)$/i.test(pw))
      continue
    scan.add("cli-password", start + from, start + to)
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// JWT libraries called with a literal secret
// ---------------------------------------------------------------------------------------------------------------------

const JWT_CALL = /\s*\(\s*(?:[^,()\n]|\([^()\n]*\))*?,\s*(["'`])(?<s>[^"'`\n]{6,300})\1/y

/** `jwt.sign(payload, "…")`, `jwt.verify(token, '…')`, `jwt.encode(claims, "…", algorithm=…)`: the second argument. */
export const jwtCallScanner: Scanner = (scan, _at, end) => {
  const text = scan.text
  const m = stickyAt(JWT_CALL, text, end)
  const secret = m?.groups?.s
  if (m === null || secret === undefined || standsForSecret(secret)) return
  if (!hasLetter(secret) || /^[A-Za-z]+(?:[-_.][A-Za-z]+)*$/.test(secret)) return
  const close = end + m[0].length - 1
  scan.add("secret-assignment", close - secret.length, close)
}
