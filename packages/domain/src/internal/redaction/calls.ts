/**
 * Calls that take a password as a positional argument, without a name at the call: `new PDO($dsn, $user, "…")`,
 * `new mysqli($host, $user, "…", $db)`, JDBC's `DriverManager.getConnection(url, user, "…")`, Go's `smtp.PlainAuth("",
 * user, "…", host)`, Azure's `ClientSecretCredential(tenant, client, "…")`, a client's `.login(user, "…")` (Python's
 * `ftplib`, `smtplib`, `imaplib`, `poplib`'s `.pass_` aside), Algolia's `algoliasearch(appId, "…")`.
 */
import { type Scan, type Scanner, stickyAt } from "./engine.js"
import { isPlaceholder } from "./values.js"

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
  if (m === null || value === undefined || value.length < 4 || isPlaceholder(value) || /^[$%{<]/.test(value)) return
  const start = at + m[0].indexOf(value)
  scan.add(rule, start, start + value.length)
}

/** The anchor regex's alternatives for these calls (each in the group of its first character, see `rules.ts`). */
export const CALL_HIT = /^(?:pdo|mysqli|connection|\.login|algoliasearch)\($/i

/** At `PDO(`, `mysqli(`, `getConnection(`: the password argument (the third); at `.login(`, `algoliasearch(`: the second. */
export const positionalCallScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  const c = text.charCodeAt(at) | 0x20
  // `Connection(` only as JDBC's `getConnection(`
  if (c === 0x63 /* c */ && !text.startsWith("get", at - 3)) return
  stringArgument(scan, end, c === 0x2e /* . */ || c === 0x61 /* a */ ? 1 : 2, "cli-password")
}
