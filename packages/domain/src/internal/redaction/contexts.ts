/**
 * Secrets recognised by their surroundings rather than by a prefix: private key blocks, URLs with credentials,
 * Authorization headers, curl/mysql/sshpass command lines, Kubernetes Secret manifests, AWS secret keys next to their
 * key ids, Twilio auth tokens next to their account SID, Azure SAS signatures, JWTs and base64-encoded credentials.
 */
import { lineEnd, logicalLineBefore, type Scan, type Scanner, stickyAt } from "./engine.js"
import {
  decodeBase64,
  digitAndLetter,
  entropy,
  hasDigit,
  hasLetter,
  hasLower,
  hasUpper,
  isDocumentationExample,
  isDummyToken,
  isPlaceholder,
  tokenLike
} from "./values.js"

const isAlnum = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9]/.test(c)
const isTokenChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_-]/.test(c)

// ---------------------------------------------------------------------------------------------------------------------
// Private keys
// ---------------------------------------------------------------------------------------------------------------------

const PEM_HEAD = /-{4,5} ?BEGIN ((?:[A-Z0-9]{1,20} ){0,4})PRIVATE KEY(?: BLOCK)? ?-{4,5}/y
const PEM_END = /-{4,5} ?END (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)? ?-{4,5}/g
/** The base64 body (and headers) of a key whose END line is missing, also with JSON-escaped line breaks. */
const PEM_BODY = /(?:(?:\s|\\[rn]){0,8}(?!-)[A-Za-z0-9+/=:,._-]{1,200}){0,600}/y
const PEM_WINDOW = 65_536

/** The first private-key END line at or after `from`, memoised per scan so that many BEGIN lines stay linear. */
const nextPemEnd = (scan: Scan, from: number): { readonly start: number; readonly end: number } | null => {
  const memo = scan.pemEnd
  if (memo !== undefined && memo.from <= from && (memo.found === null || from <= memo.found.start)) return memo.found
  PEM_END.lastIndex = from
  const m = PEM_END.exec(scan.text)
  const found = m === null ? null : { start: m.index, end: m.index + m[0].length }
  scan.pemEnd = { from, found }
  return found
}

/** `-----BEGIN … PRIVATE KEY-----` through the matching END line (or the body, when the paste was cut). */
export const pemScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at < scan.pemCoveredUntil) return
  const head = stickyAt(PEM_HEAD, text, at)
  if (head === null) return
  const bodyStart = at + head[0].length
  const end = nextPemEnd(scan, bodyStart)
  let endAt = end !== null && end.start - bodyStart <= PEM_WINDOW ? end.end : -1
  if (endAt === -1) {
    const body = stickyAt(PEM_BODY, text, bodyStart)
    endAt = bodyStart + (body?.[0].length ?? 0)
    while (endAt > bodyStart && /[\s\\]/.test(text[endAt - 1])) endAt--
    if (endAt - bodyStart < 40) return
  }
  scan.pemCoveredUntil = endAt
  scan.add("private-key", at, endAt)
}

/** PuTTY private key files: the `Private-Lines` block through `Private-MAC`. */
export const puttyScanner: Scanner = (scan, at) => {
  const text = scan.text
  const lines = scan.nextIndexOf("Private-Lines:", at)
  if (lines === -1 || lines - at > 8000) return
  const mac = scan.nextIndexOf("Private-MAC:", lines)
  const end = mac !== -1 && mac - lines < 16_000 ? lineEnd(text, mac) : Math.min(text.length, lines + 4000)
  scan.add("private-key", lines, end)
}

const B64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/]{10,60000}={0,2}/y

/** A base64-encoded PEM private key (`tls.key: LS0tLS1CRUdJTi…` in a Kubernetes Secret). */
export const base64PemScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z0-9+/]/.test(text[at - 1])) return
  const m = stickyAt(B64_PEM, text, at)
  if (m === null || !/PRIVATE KEY/.test(decodeBase64(m[0], 120))) return
  scan.add("private-key", at, at + m[0].length)
}

// ---------------------------------------------------------------------------------------------------------------------
// JWTs and base64 JSON ("eyJ…")
// ---------------------------------------------------------------------------------------------------------------------

const JWT =
  /eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,16384}\.[A-Za-z0-9_-]{8,8192}(?:\.[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,8192})?(?![A-Za-z0-9_-])/y
const B64_JSON = /eyJ[A-Za-z0-9+/_-]{20,60000}={0,2}/y
const GRAFANA = /eyJrIjoi[A-Za-z0-9]{70,400}={0,3}/y
const CREDENTIAL_JSON_KEY =
  /"(?:auths?|password|passwd|secret|token|access_token|refresh_token|api_?key|private_key|client_secret|credentials?)"\s*:/i

/** JWTs (except the Supabase anon key and the jwt.io example), Grafana keys and base64 JSON holding credentials. */
export const eyjScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z0-9_+/-]/.test(text[at - 1])) return
  const jwt = stickyAt(JWT, text, at)
  if (jwt !== null) {
    const token = jwt[0]
    const dot = token.indexOf(".")
    const payload = decodeBase64(token.slice(dot + 1, token.indexOf(".", dot + 1)), 2048)
    if (/"role"\s*:\s*"anon"/.test(payload) || isDocumentationExample(token)) return
    scan.add("jwt", at, at + token.length)
    return
  }
  const grafana = stickyAt(GRAFANA, text, at)
  if (grafana !== null) {
    scan.add("grafana-token", at, at + grafana[0].length)
    return
  }
  const blob = stickyAt(B64_JSON, text, at)
  if (blob !== null && blob[0].length >= 40 && CREDENTIAL_JSON_KEY.test(decodeBase64(blob[0], 4096))) {
    scan.add("encoded-credentials", at, at + blob[0].length)
  }
}

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
    return
  }
  const userinfo = text.slice(from, userinfoEnd)
  if (userinfo.length === 0) return
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
  if (isPlaceholder(password) || /^[$%]/.test(password) || (WEAK_USERINFO.test(password) && WEAK_USERINFO.test(user)))
    return
  if (/^\d{1,5}(?:[?#]|$)/.test(password)) return
  const rule = CONNECTION_SCHEMES.has(scheme) ? "connection-string" : "url-password"
  scan.add(rule, from + colon + 1, userinfoEnd)
}

// ---------------------------------------------------------------------------------------------------------------------
// Authorization headers and command-line credentials
// ---------------------------------------------------------------------------------------------------------------------

const BEARER = /[Bb][Ee][Aa][Rr][Ee][Rr](?:[ \t]{1,5}|%20|\+)(?<s>[A-Za-z0-9._~+/:-]{12,8192}=*)/y

/** `Bearer <token>`. */
export const bearerScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z]/.test(text[at - 1])) return
  const m = stickyAt(BEARER, text, at)
  const token = m?.groups?.s
  if (m === null || token === undefined) return
  if (!hasLetter(token) || !(hasDigit(token) || /[.~+/-]/.test(token))) return
  if (isPlaceholder(token) || isDummyToken(token) || /^[a-z]+(?:[._-][a-z]+)+$/i.test(token)) return
  scan.add("bearer-token", at + m[0].length - token.length, at + m[0].length)
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
  const rule = scheme?.toLowerCase() === "basic" ? "basic-auth" : "authorization-header"
  scan.add(rule, head + m[0].length - value.length, head + m[0].length)
}

const BASIC = /[Bb](?:asic|ASIC)[ \t]{1,3}(?<s>[A-Za-z0-9+/]{6,4096}={0,2})(?![A-Za-z0-9+/=])/y

/** `Basic <base64 of user:password>` anywhere (headers in code, docs, logs). */
export const basicScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z]/.test(text[at - 1])) return
  const m = stickyAt(BASIC, text, at)
  const value = m?.groups?.s
  if (m === null || value === undefined) return
  const decoded = decodeBase64(value, 600)
  if (!/^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded)) return
  scan.add("basic-auth", at + m[0].length - value.length, at + m[0].length)
}

const HTTP_CLIENT = /(?:^|[\s;|&(`$])(?:curl|wget|http|https|xh|httpie|gh api|twilio|ab|siege|hey)(?:\.exe)?\s/
const USER_FLAG =
  /(?:-u|--user|--auth|-a|--http-user)(?:[ \t]{1,5}|=)(?<q>["']?)(?<user>[^\s:"']{0,200}):(?<pw>[^\s"']{0,300})\k<q>/y

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

const PW = `(?<pw>"[^"\\n]{1,500}"|'[^'\\n]{1,500}'|[^\\s"'-][^\\s"']{0,499})`
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
  [/^gh\s+secret\s+set$/, new RegExp(`(?:--body|-b)[ =]${PW}`, "y")]
]
const COMMAND =
  /(?:^|[\s;|&(`$])((?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlsh|mariadb(?:-dump|-admin)?|sshpass|redis-cli|sqlcmd|bcp|osql|isql|mongo(?:sh|dump|restore|export|import)?|ldap(?:search|modify|add|delete|whoami|passwd|compare)|(?:docker|podman|buildah|skopeo|nerdctl|helm|oras)\s+(?:\w+\s+)?login|az\s+login|gh\s+secret\s+set)(?:\.exe)?)\b/g

/**
 * A short flag on a command line (`-p`, `-P`, `-a`, `-w`, `-u`, `--user`, `--body`...): HTTP clients' `-u user:pass`,
 * and the password flags of database, LDAP and login commands (`mysql -pS3cret`, `sshpass -p …`, `redis-cli -a …`).
 */
export const flagScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  const flagAt = at + 1
  const flag = text.slice(flagAt, end)
  if (/^(?:-u|--user|--auth|-a|--http-user)/.test(flag)) cliUserScanner(scan, at, end)
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
    if (/^["']/.test(pw)) {
      pw = pw.slice(1, -1)
      start++
    }
    if (pw.length === 0 || isPlaceholder(pw) || /^[$%]/.test(pw)) return
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

// ---------------------------------------------------------------------------------------------------------------------
// Keys that are only recognisable next to their companion
// ---------------------------------------------------------------------------------------------------------------------

const AWS_KEY_ID = /(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/y
const AWS_SECRET_NEARBY = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g

const awsSecretLike = (s: string): boolean =>
  hasUpper(s) && hasLower(s) && (hasDigit(s) || /[/+]/.test(s)) && !isDummyToken(s) && entropy(s) > 3.5

/** AWS access key ids, and the 40-character secret access key that follows one within a few lines. */
export const awsKeyIdScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && isAlnum(text[at - 1])) return
  const m = stickyAt(AWS_KEY_ID, text, at)
  if (m === null || isDummyToken(m[0])) return
  const end = at + m[0].length
  scan.add("aws-access-key", at, end)
  const window = text.slice(end, Math.min(text.length, end + 300))
  AWS_SECRET_NEARBY.lastIndex = 0
  for (const s of window.matchAll(AWS_SECRET_NEARBY)) {
    if (/(?:AKIA|ASIA)[A-Z0-9]{16}/.test(window.slice(0, s.index))) break
    if (awsSecretLike(s[0])) {
      scan.add("aws-secret-key", end + s.index, end + s.index + 40)
      break
    }
  }
}

const AWS_SECRET_LABEL =
  /secret[ _-]?access[ _-]?key["'\]]{0,3}[ \t]{0,5}(?:\[[^\]\r\n]{0,40}\][ \t]{0,5})?(?:=>|:=|[:=,])?[ \t]{0,5}["']?(?<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/iy

/** `AWS Secret Access Key [None]: …` (aws configure), `aws_secret_access_key <value>`, `--secret-access-key …`. */
export const awsSecretLabelScanner: Scanner = (scan, at) => {
  const m = stickyAt(AWS_SECRET_LABEL, scan.text, at)
  const secret = m?.groups?.s
  if (m === null || secret === undefined || !awsSecretLike(secret)) return
  scan.add("aws-secret-key", at + m[0].length - 40, at + m[0].length)
}

const TWILIO_SID = /AC[0-9a-f]{32}(?![A-Za-z0-9])/y
const HEX32 = /(?<![A-Za-z0-9])[0-9a-f]{32}(?![A-Za-z0-9])/g

/** A Twilio account SID followed by its auth token (`Client("AC…", "…")`, `AC…:…`): both go. */
export const twilioPairScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && isAlnum(text[at - 1])) return
  const m = stickyAt(TWILIO_SID, text, at)
  if (m === null) return
  const end = at + m[0].length
  const window = text.slice(end, Math.min(text.length, end + 200))
  HEX32.lastIndex = 0
  const token = HEX32.exec(window)
  if (token === null || !digitAndLetter(token[0])) return
  scan.add("twilio-account-sid", at, end)
  scan.add("twilio-auth-token", end + token.index, end + token.index + 32)
}

/** An Azure SAS signature: `sig=` in a URL or connection string that also has `sv=`/`se=`/`sr=`/`skn=`. */
export const sasScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at < scan.sasUntil || (at > 0 && !/[?&;"'\s]/.test(text[at - 1]))) return
  let end = at + 4
  const limit = Math.min(text.length, end + 300)
  while (end < limit && /[A-Za-z0-9%+/=_-]/.test(text[end])) end++
  scan.sasUntil = end
  const value = text.slice(at + 4, end)
  if (value.length < 16 || isPlaceholder(value)) return
  const around = text.slice(Math.max(0, at - 600), Math.min(text.length, end + 300))
  if (!/(?:^|[?&;\s"'])(?:sv|se|sr|sp|skn|spr|srt|ss|st)=|SharedAccessSignature/.test(around)) return
  scan.add("azure-sas-token", at + 4, end)
}

/** Azure AD client secrets: 3 characters, a digit, `Q~`, then 31-34 characters (e.g. `abc8Q~…`). */
export const azureClientSecretScanner: Scanner = (scan, at) => {
  const text = scan.text
  const start = at - 4
  if (start < 0 || !/^[A-Za-z0-9_~.-]{3}\d$/.test(text.slice(start, at))) return
  if (start > 0 && /[A-Za-z0-9_~.-]/.test(text[start - 1])) return
  let end = at + 2
  while (end < text.length && end - at < 40 && /[A-Za-z0-9_~.-]/.test(text[end])) end++
  const n = end - at - 2
  if (n < 31 || n > 34 || !digitAndLetter(text.slice(at + 2, end))) return
  scan.add("azure-client-secret", start, end)
}

const DISCORD = /[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_-])/y

/** Discord bot tokens: base64 of the bot's id, a timestamp and an HMAC, separated by dots. */
export const discordScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z0-9_.-]/.test(text[at - 1])) return
  const m = stickyAt(DISCORD, text, at)
  if (m === null) return
  const [id = "", , hmac = ""] = m[0].split(".")
  const idDigits = /^\d{15,21}$/.test(decodeBase64(id))
  const classes = Number(hasUpper(hmac)) + Number(hasLower(hmac)) + Number(hasDigit(hmac))
  if (!idDigits && !(digitAndLetter(id) && classes >= 2)) return
  scan.add("discord-token", at, at + m[0].length)
}

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

const TELEGRAM_TAIL = /:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])/y

/** Telegram bot tokens `<bot id>:AA…` (also inside `api.telegram.org/bot<token>/`). */
export const telegramScanner: Scanner = (scan, at) => {
  const text = scan.text
  let s = at
  while (s > at - 12 && s > 0 && /\d/.test(text[s - 1])) s--
  if (at - s < 6 || (s > 0 && isAlnum(text[s - 1]) && !text.slice(Math.max(0, s - 3), s).endsWith("bot"))) return
  const m = stickyAt(TELEGRAM_TAIL, text, at)
  if (m === null) return
  scan.add("telegram-bot-token", s, at + m[0].length)
}

/** Mailchimp API keys: 32 hex digits, `-us`, the datacenter number. */
export const mailchimpScanner: Scanner = (scan, at) => {
  const text = scan.text
  const start = at - 32
  if (start < 0 || !/^[0-9a-f]{32}$/.test(text.slice(start, at)) || (start > 0 && isTokenChar(text[start - 1]))) return
  let end = at + 3
  while (end < text.length && end - at < 5 && /\d/.test(text[end])) end++
  if (isAlnum(text[end])) return
  scan.add("mailchimp-api-key", start, end)
}

/** New Relic license keys: 36 hex digits and `NRAL`. */
export const newRelicLicenseScanner: Scanner = (scan, at) => {
  const text = scan.text
  const start = at - 36
  if (start < 0 || !/^[0-9a-f]{36}$/i.test(text.slice(start, at)) || (start > 0 && isAlnum(text[start - 1]))) return
  if (isAlnum(text[at + 4])) return
  scan.add("newrelic-key", start, at + 4)
}

/** Firebase Cloud Messaging server keys: `AAAA<7>:APA91b<…>`. */
export const fcmScanner: Scanner = (scan, at) => {
  const text = scan.text
  const start = at - 11
  if (start < 0 || !/^AAAA[A-Za-z0-9_-]{7}$/.test(text.slice(start, at))) return
  let end = at + 7
  while (end < text.length && end - at < 300 && /[A-Za-z0-9_-]/.test(text[end])) end++
  if (end - at < 100) return
  scan.add("firebase-server-key", start, end)
}

/** Terraform Cloud tokens: `<14>.atlasv1.<60-70>`. */
export const terraformScanner: Scanner = (scan, at) => {
  const text = scan.text
  const start = at - 14
  if (start < 0 || !/^[A-Za-z0-9]{14}$/.test(text.slice(start, at)) || (start > 0 && isAlnum(text[start - 1]))) return
  let end = at + 9
  while (end < text.length && end - at < 90 && /[A-Za-z0-9_=-]/.test(text[end])) end++
  if (end - at - 9 < 60) return
  scan.add("terraform-cloud-token", start, end)
}

const VAULT_LEGACY = /s\.[A-Za-z0-9]{24}(?![A-Za-z0-9_.-])/y

/** Legacy Vault tokens (`s.` + 24 characters), only where the text mentions Vault. */
export const vaultLegacyScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z0-9_.$/-]/.test(text[at - 1])) return
  const m = stickyAt(VAULT_LEGACY, text, at)
  if (m === null) return
  const body = m[0].slice(2)
  if (!(hasUpper(body) && hasLower(body) && hasDigit(body))) return
  if (!/vault/i.test(text.slice(Math.max(0, at - 600), at))) return
  scan.add("vault-token", at, at + m[0].length)
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
        else {
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
const JSON_ENTRY = /\s*"[^"\n]{1,253}"\s*:\s*"(?<v>[^"\n]*)"\s*,?/y

const jsonSecretData = (scan: Scan, doc: string, offset: number): void => {
  JSON_DATA.lastIndex = 0
  for (const block of doc.matchAll(JSON_DATA)) {
    let pos = block.index + block[0].length
    for (let n = 0; n < 500; n++) {
      const m = stickyAt(JSON_ENTRY, doc, pos)
      if (m === null) break
      const value = m.groups?.v ?? ""
      const at = pos + m[0].lastIndexOf(`"${value}"`) + 1
      if (value.length > 0 && !isPlaceholder(value))
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
