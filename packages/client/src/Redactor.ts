import { Event, Ingest } from "@opensync/domain"
import {
  compileExtraPattern,
  type ExtraPattern,
  InvalidRedactionPattern,
  MARKER_PREFIX,
  marker,
  type RedactionResult,
  type RedactOptions,
  redactText,
  redactValue,
  type SecretRule
} from "@opensync/domain/Redaction"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

// The rules and the pure functions live in @opensync/domain (no Node APIs) so that the servers and Convex run the same
// redaction on events that arrive through the legacy protocol.
export type {
  ExtraPattern,
  Finding,
  RedactionResult,
  RedactOptions,
  SecretMatch,
  SecretRule
} from "@opensync/domain/Redaction"
export {
  compileExtraPattern,
  findSecrets,
  InvalidRedactionPattern,
  isSecretFieldName,
  redactText,
  redactValue
} from "@opensync/domain/Redaction"

const make = (extraRules: ReadonlyArray<SecretRule>) => {
  const options: RedactOptions = { extraRules }
  return {
    /** The rules it applies besides the built-in ones. */
    options,
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

type ToolCallContent = Omit<typeof Event.ToolCallEvent.Encoded, "id">

/**
 * A failed tool call's error redacted once more, together with its command (`input.summary`): a command that prints a
 * secret (`vault kv get -field=password …`, `aws ecr get-login-password`) and what it printed are two fields, and the
 * rule that finds a printed secret needs both in one text. What that finds in the error part is replaced there.
 */
const errorWithCommand = (content: ToolCallContent, options: RedactOptions): ToolCallContent => {
  const summary = content.input?.summary
  const error = content.output?.error
  if (content.output === undefined || summary == null || error == null || summary === "" || error === "") return content
  // What the command printed follows it; Claude Code's `Exit code N` line before it is not output.
  const exitLine = /^Exit code -?\d+\r?\n/.exec(error)?.[0] ?? ""
  const offset = summary.length + 1 - exitLine.length
  const found = redactText(`${summary}\n${error.slice(exitLine.length)}`, options)
    .findings.filter((finding) => finding.end > summary.length + 1)
    .map((finding) => ({
      rule: finding.rule,
      start: Math.max(exitLine.length, finding.start - offset),
      end: finding.end - offset
    }))
    .sort((a, b) => a.start - b.start)
  if (found.length === 0) return content
  let out = ""
  let at = 0
  for (const { rule, start, end } of found) {
    if (start < at) continue
    out += error.slice(at, start) + marker(rule)
    at = end
  }
  out += error.slice(at)
  return out === error ? content : { ...content, output: { ...content.output, error: out } }
}

/**
 * Redacts every string of each event (a failed tool call's error also together with its command), then fits each
 * message to what a server keeps (`Ingest.fitMessage`: a long paste goes out cut, not as an event too large for any
 * request); an event that changed gets the id of its new content, so an id never digests a secret and the same
 * redacted event always has the same id. Unchanged events keep their id.
 */
export const redactEvents = (
  events: ReadonlyArray<Event.EventEncoded>
): Effect.Effect<ReadonlyArray<Event.EventEncoded>, never, Redactor> =>
  Effect.gen(function* () {
    const redactor = yield* Redactor
    const contents = events.map(({ id: _id, ...content }) => content)
    // One walk over the whole batch: `value` returns every unchanged element as the same object.
    const redacted = yield* Effect.map(redactor.value(contents), (all) =>
      all.map((content) => (content.kind === "tool_call" ? errorWithCommand(content, redactor.options) : content))
    )
    return redacted.map((content, i) => {
      // Cut after redaction: what is left of a text is whole and redacted.
      const fitted: typeof content = content.kind === "message" ? Ingest.fitMessage(content) : content
      return fitted === contents[i] ? events[i] : Event.make(fitted)
    })
  })
