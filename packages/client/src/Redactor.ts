import { Event, Ingest } from "@opensync/domain"
import {
  compileExtraPattern,
  type ExtraPattern,
  InvalidRedactionPattern,
  MARKER_PREFIX,
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
 * Redacts every string of each event, then fits each message to what a server keeps (`Ingest.fitMessage`: a long
 * paste goes out cut, not as an event too large for any request); an event that changed gets the id of its new
 * content, so an id never digests a secret and the same redacted event always has the same id. Unchanged events keep
 * their id.
 */
export const redactEvents = (
  events: ReadonlyArray<Event.EventEncoded>
): Effect.Effect<ReadonlyArray<Event.EventEncoded>, never, Redactor> =>
  Effect.gen(function* () {
    const redactor = yield* Redactor
    const contents = events.map(({ id: _id, ...content }) => content)
    // One walk over the whole batch: `value` returns every unchanged element as the same object.
    const redacted = yield* redactor.value(contents)
    return redacted.map((content, i) => {
      // Cut after redaction: what is left of a text is whole and redacted.
      const fitted: typeof content = content.kind === "message" ? Ingest.fitMessage(content) : content
      return fitted === contents[i] ? events[i] : Event.make(fitted)
    })
  })
