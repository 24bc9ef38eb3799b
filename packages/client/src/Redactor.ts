import { Event } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import {
  builtinPrecheck,
  builtinRules,
  findAll,
  isSecretKeyName,
  MARKER_PREFIX,
  marker,
  type SecretMatch,
  type SecretRule
} from "./internal/secretPatterns.js"

export type { SecretRule } from "./internal/secretPatterns.js"

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

/** Keeps the first-listed candidate wherever spans overlap; the result is sorted by start. */
const selectNonOverlapping = (candidates: ReadonlyArray<SecretMatch>): ReadonlyArray<SecretMatch> => {
  const accepted: Array<SecretMatch> = []
  for (const c of candidates) {
    let lo = 0
    let hi = accepted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (accepted[mid].start < c.start) lo = mid + 1
      else hi = mid
    }
    const prev = accepted[lo - 1]
    const next = accepted[lo]
    if (prev !== undefined && prev.end > c.start) continue
    if (next !== undefined && next.start < c.end) continue
    accepted.splice(lo, 0, c)
  }
  return accepted
}

const collect = (into: Array<SecretMatch>, rule: SecretRule, text: string): void => {
  if (rule.trigger !== undefined && !rule.trigger.test(text)) return
  for (const m of rule.find(text)) into.push(m)
}

/** Replaces every secret in `text` with `[REDACTED:<rule>]`, keeping the surrounding text intact. */
export const redactText = (text: string, options: RedactOptions = {}): RedactionResult => {
  const extraRules = options.extraRules ?? []
  if (text.length === 0) return { text, findings: [] }
  const candidates: Array<SecretMatch> = []
  if (builtinPrecheck.test(text)) {
    for (const rule of builtinRules) collect(candidates, rule, text)
  }
  for (const rule of extraRules) collect(candidates, rule, text)
  if (candidates.length === 0) return { text, findings: [] }
  const findings = selectNonOverlapping(candidates)
  let out = ""
  let last = 0
  for (const f of findings) {
    out += text.slice(last, f.start) + marker(f.rule)
    last = f.end
  }
  out += text.slice(last)
  return { text: out, findings: findings.map((f) => ({ rule: f.rule, start: f.start, end: f.end })) }
}

const FULL_MARKER = /^\[REDACTED:[A-Za-z0-9_.-]{1,64}\]$/
const FIELD_RULE = "secret-field"

/** True when an object key's name says its value is a secret (`password`, `apiKey`, `client_secret`...). */
export const isSecretFieldName = (key: string): boolean =>
  isSecretKeyName(key) || /^(?:proxy-)?authorization$/i.test(key)

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== "object") return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const walk = (value: unknown, secretField: boolean, options: RedactOptions, active: WeakSet<object>): unknown => {
  if (typeof value === "string") {
    if (value.length === 0) return value
    const redacted = redactText(value, options).text
    if (!secretField || FULL_MARKER.test(redacted)) return redacted
    return marker(FIELD_RULE)
  }
  if (Array.isArray(value)) {
    if (active.has(value)) return value
    active.add(value)
    let out: Array<unknown> | undefined
    for (let i = 0; i < value.length; i++) {
      const next = walk(value[i], false, options, active)
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
      const next = walk(current, isSecretFieldName(key), options, active)
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
 * become `[REDACTED:secret-field]` unless a more specific rule already replaced them whole. Unchanged parts are shared.
 */
export const redactValue = <A>(value: A, options: RedactOptions = {}): A =>
  walk(value, false, options, new WeakSet()) as A

const make = (extraRules: ReadonlyArray<SecretRule>) => {
  const options: RedactOptions = { extraRules }
  return {
    /** The text with every secret replaced. */
    text: (text: string): Effect.Effect<string> => Effect.sync(() => redactText(text, options).text),
    /** The redacted text together with what was found where. */
    scan: (text: string): Effect.Effect<RedactionResult> => Effect.sync(() => redactText(text, options)),
    /** The value with every string inside it redacted. */
    value: <A>(value: A): Effect.Effect<A> => Effect.sync(() => redactValue(value, options))
  }
}

/** Removes secrets from hook payloads before they are stored or sent. */
export class Redactor extends Effect.Service<Redactor>()("@opensync/client/Redactor", {
  succeed: make([])
}) {
  /** A Redactor layer that also applies user-supplied patterns (e.g. from the config file). */
  static layerWith(patterns: ReadonlyArray<ExtraPattern>): Layer.Layer<Redactor, InvalidRedactionPattern> {
    return Layer.effect(
      Redactor,
      Effect.forEach(patterns, (p) =>
        Effect.try({
          try: () => compileExtraPattern(p),
          catch: (error) =>
            error instanceof InvalidRedactionPattern
              ? error
              : new InvalidRedactionPattern({ name: p.name, reason: String(error) })
        })
      ).pipe(Effect.map((rules) => Redactor.make(make(rules))))
    )
  }
}

/** The text every replacement starts with. */
export const redactionMarkerPrefix: string = MARKER_PREFIX

/**
 * Redacts every string of each event; an event that changed gets the id of its redacted content, so an id never
 * digests a secret and the same redacted event always has the same id. Unchanged events keep their id.
 */
export const redactEvents = (
  events: ReadonlyArray<Event.EventEncoded>
): Effect.Effect<ReadonlyArray<Event.EventEncoded>, never, Redactor> =>
  Effect.gen(function* () {
    const redactor = yield* Redactor
    const contents = events.map(({ id: _id, ...content }) => content)
    // One walk over the whole batch: `value` returns every unchanged element as the same object.
    const redacted = yield* redactor.value(contents)
    return redacted.map((content, i) => (content === contents[i] ? events[i] : Event.make(content)))
  })
