/**
 * Secret redaction as pure functions over strings and JSON-like values: the plugins run it before anything leaves the
 * machine, and the servers run it again on what arrives through the legacy protocol. No Node APIs (no `node:*`, no
 * Buffer), so it also runs in Convex's V8 runtime and in the browser. Rules: `docs/redaction.md`.
 */
import * as Schema from "effect/Schema"
import {
  type Candidate,
  mergeCandidates,
  runAnchors,
  runTokenRuns,
  Scan,
  type SecretMatch
} from "./internal/redaction/engine.js"
import { containerKeyStrength, keyStrength, passwordKeyKind } from "./internal/redaction/keyNames.js"
import { PEM_LITERAL_GAP } from "./internal/redaction/keys.js"
import { builtin } from "./internal/redaction/rules.js"
import {
  isPasswordPlaceholder,
  isPlaceholder,
  isPublishable,
  MARKER_PREFIX,
  marker,
  plausibleSecretValue,
  type SecretKind,
  secretKindTakesDigits,
  tokenLike,
  VERSION_RANGE
} from "./internal/redaction/values.js"
import { compose, decodedView, unprefixedView } from "./internal/redaction/views.js"
import * as Units from "./Units.js"

export type { SecretMatch } from "./internal/redaction/engine.js"
export { isSecretKeyName } from "./internal/redaction/keyNames.js"
export { MARKER_PREFIX, marker } from "./internal/redaction/values.js"

/** A detection rule added by the user: a name and a finder returning secret spans. */
export interface SecretRule {
  readonly name: string
  /** A cheap pre-check; when it does not match, `find` is not called. */
  readonly trigger?: RegExp
  readonly find: (text: string) => ReadonlyArray<SecretMatch>
}

/** Where a secret was found in the original text and which rule found it (`end` is exclusive). */
export interface Finding {
  readonly rule: string
  readonly start: number
  readonly end: number
}

/** The redacted text and the spans of the original text that were replaced. */
export interface RedactionResult {
  readonly text: string
  readonly findings: ReadonlyArray<Finding>
}

/** A user pattern: its match (or its `secret` group, right after a `pre` group) becomes `[REDACTED:<name>]`. */
export interface ExtraPattern {
  readonly name: string
  readonly pattern: RegExp | string
}

/** Options shared by `redactText` and `redactValue`. */
export interface RedactOptions {
  /** Rules run after the built-in ones (see `compileExtraPattern`). */
  readonly extraRules?: ReadonlyArray<SecretRule>
}

/** A user-supplied pattern that cannot be used (bad regex or bad rule name). */
export class InvalidRedactionPattern extends Schema.TaggedError<InvalidRedactionPattern>()("InvalidRedactionPattern", {
  name: Schema.String,
  reason: Schema.String
}) {}

/**
 * Runs a global regex over the text. When the regex has a `secret` named group it must be preceded only by a `pre`
 * group that starts the match; only the `secret` group is reported.
 */
export const findAll = (pattern: RegExp, text: string, name: string): ReadonlyArray<SecretMatch> => {
  const out: Array<SecretMatch> = []
  pattern.lastIndex = 0
  let m = pattern.exec(text)
  while (m !== null) {
    if (m[0].length === 0) pattern.lastIndex++
    const groups = m.groups
    const secret = groups?.secret ?? m[0]
    const start = m.index + (groups?.secret !== undefined ? (groups.pre ?? "").length : 0)
    if (secret.length > 0 && !secret.includes(MARKER_PREFIX))
      out.push({ rule: name, start, end: start + secret.length })
    m = pattern.exec(text)
  }
  return out
}

const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** Turns a user pattern into a rule; throws `InvalidRedactionPattern` when the name or the regex is invalid. */
export const compileExtraPattern = (extra: ExtraPattern): SecretRule => {
  if (!RULE_NAME.test(extra.name)) {
    throw new InvalidRedactionPattern({
      name: extra.name,
      reason: "rule names are 1-64 letters, digits, '_', '.', '-'"
    })
  }
  let pattern: RegExp
  try {
    const source = typeof extra.pattern === "string" ? new RegExp(extra.pattern) : extra.pattern
    const flags = source.flags.replace(/[gy]/g, "")
    pattern = new RegExp(source.source, `${flags}g`)
  } catch (error) {
    throw new InvalidRedactionPattern({ name: extra.name, reason: String(error) })
  }
  return { name: extra.name, find: (text) => findAll(pattern, text, extra.name) }
}

/** Every rule run over `text` once: the candidate spans, unmerged. */
const scanOnce = (text: string, options: RedactOptions): Array<Candidate> => {
  const scan = new Scan(text)
  runAnchors(scan, builtin.regex, builtin.dispatch)
  runTokenRuns(scan, builtin.runs.table, builtin.runs.min, builtin.runs.scanner)
  for (const rule of options.extraRules ?? []) {
    if (rule.trigger !== undefined && !rule.trigger.test(text)) continue
    for (const m of rule.find(text)) scan.add(m.rule, m.start, m.end)
  }
  return scan.candidates
}

/**
 * Where the first `"` in `[start, end)` of `text` escaped by at most `backslashes` backslashes starts (its backslashes
 * first), or `end`.
 */
const quoteBefore = (text: string, start: number, end: number, backslashes: number): number => {
  for (let q = text.indexOf('"', start); q !== -1 && q < end; q = text.indexOf('"', q + 1)) {
    const n = backslashesBefore(text, q, start)
    if (n <= backslashes) return q - n
  }
  return end
}

/** How many backslashes stand right before `at`, not counting any before `from`. */
const backslashesBefore = (text: string, at: number, from: number): number => {
  let n = 0
  while (at - 1 - n >= from && text.charCodeAt(at - 1 - n) === 92) n++
  return n
}

/**
 * The end of a span of `text` kept within the string it starts in: before the first `"` in it escaped by at most
 * `backslashes` backslashes, unless that quote opens the value (`"…"`, `b"…"`): then after the quote escaped as
 * often that closes it.
 */
const stringEnd = (text: string, start: number, end: number, backslashes: number): number => {
  const cut = quoteBefore(text, start, end, backslashes)
  if (cut === end || cut - start > 1) return cut
  const open = text.indexOf('"', cut)
  const n = open - cut
  for (let q = text.indexOf('"', open + 1); q !== -1 && q < end; q = text.indexOf('"', q + 1)) {
    const m = backslashesBefore(text, q, open + 1)
    if (m === n) return q + 1
    if (m < n) return q - m
  }
  return end
}

/** A JSON member with a string value (`"command":"…"`, `"content": "…"`): the text holds JSON strings. */
const JSON_MEMBER = /"\s*:\s*"/

/**
 * `text` read as JSON strings, at the same offsets: every quote that delimits a string (no backslash escapes it) a line
 * break, and the escapes of one level that break lines (`\n`, `\r`) a space and a line break (`\t` two spaces). Each
 * string's content is then on lines of its own, so a command, a call or a line of a file that starts or ends a string
 * (`{"command":"cargo login <token>"}`) is at a line's start or end, where the rules look for it, and a value ends
 * where its string or line does. Its decoded view (`views.ts`) undoes the escaped quotes within the strings, and
 * the escapes of a JSON string inside a string.
 */
const splitStrings = (text: string): string => {
  let out = ""
  let last = 0
  for (let i = text.indexOf("\\"), q = text.indexOf('"'); i !== -1 || q !== -1; ) {
    if (q !== -1 && (i === -1 || q < i)) {
      out += `${text.slice(last, q)}\n`
      last = q + 1
      q = text.indexOf('"', q + 1)
      continue
    }
    // A run of backslashes: pairs stand for themselves; an odd one escapes the next character.
    let end = i
    while (text.charCodeAt(end) === 92) end++
    const next = text[end]
    const odd = (end - i) % 2 === 1
    const replaced = odd && next !== undefined ? SPLIT_ESCAPES[next] : undefined
    if (replaced !== undefined) {
      out += `${text.slice(last, end - 1)} ${replaced}`
      last = end + 1
    }
    // (an escaped quote is within the string: left as it is, for the decoded view)
    const after = odd && next === '"' ? end + 1 : end
    i = text.indexOf("\\", after)
    if (q !== -1 && q < after) q = text.indexOf('"', after)
  }
  return out + text.slice(last)
}

/**
 * The end of a span of a JSON text that starts within a string, kept within it: before the first quote escaped at
 * most once after `start` (the end of the string, or of a string inside it), and never after a backslash that escapes
 * the next character.
 */
const withinString = (text: string, start: number, end: number): number => {
  const cut = stringEnd(text, start, end, 1)
  return backslashesBefore(text, cut, start + 1) % 2 === 1 ? cut - 1 : cut
}

/**
 * The lines of `text` with a JSON member whose value is a string (`"command":"…"`), `[start, end)` pairs in order: where
 * its JSON strings are (elsewhere the quotes are code's or prose's, and the text's own scan reads them).
 */
const jsonLines = (text: string): ReadonlyArray<readonly [number, number]> => {
  const spans: Array<[number, number]> = []
  const member = new RegExp(JSON_MEMBER.source, "g")
  for (let m = member.exec(text); m !== null; m = member.exec(text)) {
    const start = text.lastIndexOf("\n", m.index) + 1
    let end = text.indexOf("\n", m.index)
    if (end === -1) end = text.length
    const last = spans[spans.length - 1]
    if (last !== undefined && start - last[1] <= 1) last[1] = end
    else spans.push([start, end])
    member.lastIndex = end
  }
  return spans
}

/**
 * Every rule run over the `spans` of a `splitStrings` text, at its offsets; a value read through an escape (`\"…\"`)
 * is left to the decoded view, which reads it unescaped.
 */
const scanSplit = (
  split: string,
  spans: ReadonlyArray<readonly [number, number]>,
  options: RedactOptions
): Array<Candidate> => {
  const found: Array<Candidate> = []
  for (const [from, to] of spans) {
    const part = split.slice(from, to)
    for (const c of scanOnce(part, options)) {
      if (part.lastIndexOf("\\", c.end - 1) < c.start) found.push({ ...c, start: from + c.start, end: from + c.end })
    }
  }
  return found
}

/** The parts of `b`'s spans inside `a`'s (both `[start, end)` pairs in order, each list's spans apart). */
const overlaps = (
  a: ReadonlyArray<readonly [number, number]>,
  b: ReadonlyArray<readonly [number, number]>
): ReadonlyArray<readonly [number, number]> => {
  const out: Array<readonly [number, number]> = []
  let j = 0
  for (const [from, to] of a) {
    while (j < b.length && b[j][1] <= from) j++
    for (let k = j; k < b.length && b[k][0] < to; k++) {
      const start = Math.max(from, b[k][0])
      const end = Math.min(to, b[k][1])
      if (start < end) out.push([start, end])
    }
  }
  return out
}

const LITERAL_GAP = new RegExp(PEM_LITERAL_GAP, "y")
/** A whole string literal that is a line of a key (base64, a header, a blank line), its escaped line break after it. */
const KEY_LINE_LITERAL =
  /^(?:[A-Za-z0-9+/=]{16,200}(?:\\{1,7}[rnt])*|(?:[A-Za-z0-9+/=]{1,15}|[A-Za-z-]{2,20}:[ \t][^"\\\n]{1,200})?(?:\\{1,7}[rn])+)$/
/** The last literal of such a key: its END line, after the last lines of its body. */
const KEY_END_LITERAL = /^[A-Za-z0-9+/=\s]{0,400}(?:\\{1,7}[rn][A-Za-z0-9+/=\s]{0,200})*-{4,5} ?END /

/**
 * A private key found across the string literals of its lines (`"…\n",` + `"…"` in a notebook, `\"…\\n\" +` in a
 * JSON string): the literals' contents, `[start, end)` pairs in order, without the quotes, commas, `+` and line breaks
 * between them, which are JSON (or code) that must stay whole. Stops at a literal that is no line of a key.
 */
const privateKeyPieces = (text: string, start: number, end: number): Array<readonly [number, number]> => {
  const pieces: Array<readonly [number, number]> = []
  let from = start
  for (let n = 0; n < 1000; n++) {
    const q = text.indexOf('"', from)
    const last = q === -1 || q >= end
    const cut = q === -1 ? text.length : q - backslashesBefore(text, q, from)
    const line = pieces.length === 0 || KEY_LINE_LITERAL.test(text.slice(from, cut))
    if (!line && !(last && KEY_END_LITERAL.test(text.slice(from, end)))) break
    if (last) {
      pieces.push([from, end])
      break
    }
    pieces.push([from, cut])
    LITERAL_GAP.lastIndex = cut
    const gap = LITERAL_GAP.exec(text)
    if (gap === null) break
    from = cut + gap[0].length
  }
  return pieces
}

/** The escapes `splitStrings` writes out, each as a space and this. */
const SPLIT_ESCAPES: Readonly<Record<string, string>> = { n: "\n", r: "\n", t: " " }

/** How many levels of escaping are undone (a JSON line inside a JSON string is two). */
const VIEW_DEPTH = 2

/**
 * Finds every secret span of `text`, merged and sorted by start: in the text as it is, and in its decoded views
 * (terminal colours, backslash escapes, percent-encoding and HTML entities undone, up to two levels; see `views.ts`),
 * whose findings are traced back to the text.
 */
export const findSecrets = (text: string, options: RedactOptions = {}): ReadonlyArray<Finding> => {
  if (text.length === 0) return []
  const candidates = scanOnce(text, options)
  const split = JSON_MEMBER.test(text) ? splitStrings(text) : undefined
  if (split !== undefined) {
    for (const c of scanSplit(split, jsonLines(text), options)) candidates.push(c)
    // A secret ends where its string does: what a rule read past the quote that ends it (a private key's lines to
    // the end of the text, a value up to a quote its backslash escapes) is JSON that must stay whole.
    // A private key written a line per string literal keeps its literals' contents, each within its string.
    for (let k = 0, n = candidates.length; k < n; k++) {
      const c = candidates[k]
      const end = withinString(text, c.start, c.end)
      if (end === c.end) continue
      candidates[k] = { ...c, end }
      if (c.rule !== "private-key") continue
      const pieces = privateKeyPieces(text, c.start, c.end)
      for (let p = 1; p < pieces.length; p++) {
        const [from, to] = pieces[p]
        const cut = withinString(text, from, to)
        if (cut > from) candidates.push({ ...c, start: from, end: cut })
      }
    }
  }
  let view = decodedView(split ?? text)
  for (let depth = 1; view !== undefined; depth++) {
    // Quotes in the view may be code's (`{ "Authorization": "…" }`) or a JSON line's inside a JSON string: read as
    // both, the second with its strings on lines of their own (same offsets, same tracing back)
    const viewSplit = JSON_MEMBER.test(view.text) ? splitStrings(view.text) : undefined
    const hits: Array<Candidate> = []
    for (const [from, to] of view.regions) {
      for (const c of scanOnce(view.text.slice(from, to), options))
        hits.push({ ...c, start: from + c.start, end: from + c.end })
    }
    if (viewSplit !== undefined) {
      for (const c of scanSplit(viewSplit, overlaps(view.regions, jsonLines(view.text)), options)) hits.push(c)
    }
    for (const c of hits) {
      const start = view.startOf(c.start)
      const found = view.endOf(c.end - 1)
      // A value read in the view ends where the string holding it ends: at a quote (`","is_error":…` after an escaped
      // `\nAPI_KEY=…`, or `\"}` of a JSON line inside a string, is not part of the value); what is left must still be
      // a value (`REDIS_PASSWORD=null","…` is `null`)
      const end = stringEnd(text, start, found, 2 ** VIEW_DEPTH - 1)
      if (end === found || (end > start && plausibleSecretValue(text.slice(start, end)))) {
        candidates.push({ ...c, start, end })
      }
      if (end !== found && c.rule === "private-key") {
        const pieces = privateKeyPieces(text, start, found)
        for (let p = 1; p < pieces.length; p++) {
          const [from, to] = pieces[p]
          const cut = stringEnd(text, from, to, 2 ** VIEW_DEPTH - 1)
          if (cut > from) candidates.push({ ...c, start: from, end: cut })
        }
      }
    }
    const inner = depth < VIEW_DEPTH && view.decodesAgain ? decodedView(viewSplit ?? view.text) : undefined
    view = inner === undefined ? undefined : compose(view, inner)
  }
  // Lines behind a tool's prefix (`grep -n`, `cat -n`, a diff's `+`): read as the lines they are.
  const unprefixed = split === undefined ? unprefixedView(text) : undefined
  if (unprefixed !== undefined) {
    for (const [from, to] of unprefixed.regions) {
      for (const c of scanOnce(unprefixed.text.slice(from, to), options)) {
        const start = unprefixed.startOf(from + c.start)
        const end = unprefixed.endOf(from + c.end - 1)
        // A finding that took in a prefix of the next line is cut at the end of its own.
        const newline = text.indexOf("\n", start)
        candidates.push({ ...c, start, end: newline !== -1 && newline < end ? newline : end })
      }
    }
  }
  return candidates.length === 0 ? [] : mergeCandidates(candidates)
}

/** Replaces every secret in `text` with `[REDACTED:<rule>]`, keeping the surrounding text intact. */
export const redactText = (text: string, options: RedactOptions = {}): RedactionResult => {
  const findings = findSecrets(text, options)
  if (findings.length === 0) return { text, findings: [] }
  let out = ""
  let last = 0
  for (const f of findings) {
    out += text.slice(last, f.start) + marker(f.rule)
    last = f.end
  }
  out += text.slice(last)
  return { text: out, findings }
}

const FULL_MARKER = /^\[REDACTED:[A-Za-z0-9_.-]{1,64}\]$/
const FIELD_RULE = "secret-field"

/** True when an object key's name says its value is a secret (`password`, `apiKey`, `client_secret`...). */
export const isSecretFieldName = (key: string): boolean =>
  keyStrength(key) === "strong" || /^(?:proxy-)?authorization$/i.test(key)

/**
 * `{ named }`: a secret whose name says password (or pass, secret, token), where only what stands for one as a whole is
 * a placeholder (`isPasswordPlaceholder`), and under a password's or a secret's own name a number is one too.
 */
type FieldKind = "none" | "secret" | "weak" | { readonly named: SecretKind }

const NAMED: Readonly<Record<SecretKind, FieldKind>> = {
  password: { named: "password" },
  pass: { named: "pass" },
  secret: { named: "secret" },
  token: { named: "token" }
}

const fieldKindOf = (key: string, container: boolean): FieldKind => {
  const kind = container ? undefined : passwordKeyKind(key)
  if (kind !== undefined) return NAMED[kind]
  if (isSecretFieldName(key)) return "secret"
  const strength = container ? containerKeyStrength(key) : keyStrength(key)
  return strength === "strong" ? "secret" : strength === "weak" ? "weak" : "none"
}

/** Kinds of the keys seen (of values, of containers): every event repeats the same few keys. */
const fieldKinds = [new Map<string, FieldKind>(), new Map<string, FieldKind>()] as const
const FIELD_KINDS_MAX = 4_096

const fieldKind = (key: string, container = false): FieldKind => {
  const known = fieldKinds[container ? 1 : 0]
  let kind = known.get(key)
  if (kind === undefined) {
    kind = fieldKindOf(key, container)
    if (known.size >= FIELD_KINDS_MAX) known.clear()
    known.set(key, kind)
  }
  return kind
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== "object") return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** An integer of six digits or more (not a fraction, not in exponent form). */
const isNumericSecret = (value: number): boolean => Number.isSafeInteger(value) && value >= 100_000

const walk = (input: unknown, field: FieldKind, options: RedactOptions, active: WeakSet<object>): unknown => {
  // A lone surrogate (an emoji cut in half by the agent) becomes U+FFFD: no server can store it as UTF-8, and the
  // server refuses the whole event with it
  const value = typeof input === "string" ? Units.toWellFormed(input) : input
  if (typeof value === "string") {
    if (value.length === 0) return value
    const redacted = redactText(value, options).text
    if (field === "none" || FULL_MARKER.test(redacted)) return redacted
    if (field === "weak" && !tokenLike(value)) return redacted
    // A placeholder, a reference, a version range or a publishable key says nothing secret (`"${DB_PASSWORD}"`,
    // `"jsonwebtoken": "^9.0.2"`, `accessToken: "pk.eyJ…"`)
    const placeholder = typeof field === "object" ? isPasswordPlaceholder(value, field.named) : isPlaceholder(value)
    if (placeholder || VERSION_RANGE.test(value.trim()) || isPublishable(value)) return redacted
    return marker(FIELD_RULE)
  }
  // A number under a password's or a secret's own name (`{password: 83920174}`, a PIN in parsed JSON) with at least
  // six digits; not counts and limits (`max_tokens`, `password_min_length`), short numbers, nor a number under `pass`
  // or `pw` (`{"pass": 150000}`: a test runner's count) or a token's name (`{"refresh_token": 1700000000}`: a time)
  if (
    typeof value === "number" &&
    typeof field === "object" &&
    secretKindTakesDigits(field.named) &&
    isNumericSecret(value)
  ) {
    return marker(FIELD_RULE)
  }
  if (Array.isArray(value)) {
    if (active.has(value)) return value
    active.add(value)
    let out: Array<unknown> | undefined
    for (let i = 0; i < value.length; i++) {
      // The items of a secret-named list (`"tokens": ["…", "…"]`) when they look random (not `["API_KEY", "DB_URL"]`)
      const next = walk(value[i], field === "none" ? "none" : "weak", options, active)
      if (next !== value[i] && out === undefined) out = value.slice(0, i)
      if (out !== undefined) out.push(next)
    }
    active.delete(value)
    return out ?? value
  }
  if (isPlainObject(value)) {
    if (active.has(value)) return value
    active.add(value)
    let out: Record<string, unknown> | undefined
    for (const key of Object.keys(value)) {
      const current = value[key]
      // Under a secret-named parent (`secrets: {github: …}`), random-looking values are secrets whatever their names
      const own = fieldKind(key, Array.isArray(current) || isPlainObject(current))
      const next = walk(current, own === "none" && field !== "none" ? "weak" : own, options, active)
      if (next !== current) {
        out ??= { ...value }
        out[key] = next
      }
    }
    active.delete(value)
    return out ?? value
  }
  return value
}

/**
 * Redacts every string inside a JSON-like value (objects, arrays, strings); non-empty strings under secret-named keys
 * become `[REDACTED:secret-field]` unless a more specific rule already replaced them whole (under `…_key` names only
 * random-looking values do), and so do integers of six digits or more under a password's or a secret's own name
 * (`{password: 83920174}`). The items of a secret-named list and the members of a secret-named object, whatever their
 * own names, count when they look random. Unchanged parts are shared; the input is never mutated.
 */
export const redactValue = <A>(value: A, options: RedactOptions = {}): A =>
  walk(value, "none", options, new WeakSet()) as A
