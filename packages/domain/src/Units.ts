import * as Schema from "effect/Schema"

/**
 * The domain of every number and string an event carries, decided once and used both ways: the batch protocol
 * decodes events with these schemas, the stored records are built from what they decode to, and reads encode with
 * the same schemas, so anything accepted can always be read back.
 */

/** Most tokens one request can count: far above any model's window, far below where sums lose precision. */
export const maxTokens = 1_000_000_000_000

/** Most milliseconds a duration can last (about 31 years). */
export const maxDurationMs = 1_000_000_000_000

/** Most dollars one request can cost. */
export const maxCostUsd = 1_000_000

/** A token count: a whole number from 0 to `maxTokens`. */
export const Tokens = Schema.Number.pipe(
  Schema.int({ message: () => "token counts must be integers" }),
  Schema.between(0, maxTokens, { message: () => `token counts must be between 0 and ${maxTokens}` })
)

/**
 * A duration in milliseconds: any finite number from 0 to `maxDurationMs` in, rounded to whole milliseconds (timers
 * report fractions; every stored duration and timestamp derived from it stays an integer).
 */
export const DurationMs = Schema.transform(
  Schema.Number.pipe(
    Schema.finite({ message: () => "durations must be finite numbers of milliseconds" }),
    Schema.between(0, maxDurationMs, { message: () => `durations must be between 0 and ${maxDurationMs} ms` })
  ),
  Schema.Number.pipe(Schema.int(), Schema.between(0, maxDurationMs)),
  { strict: true, decode: (ms) => Math.round(ms), encode: (ms) => ms }
).annotations({ identifier: "DurationMs" })

/** A cost in US dollars: finite, from 0 to `maxCostUsd`. */
export const CostUsd = Schema.Number.pipe(
  Schema.finite({ message: () => "costs must be finite numbers" }),
  Schema.between(0, maxCostUsd, { message: () => `costs must be between 0 and ${maxCostUsd} USD` })
)

/** A byte count: a whole number, 0 or more. */
export const Bytes = Schema.Number.pipe(
  Schema.int({ message: () => "byte counts must be integers" }),
  Schema.between(0, Number.MAX_SAFE_INTEGER, { message: () => "byte counts must be 0 or more" })
)

/** A process exit code: a whole number. */
export const ExitCode = Schema.Number.pipe(
  Schema.int({ message: () => "exit codes must be integers" }),
  Schema.between(-(2 ** 31), 2 ** 32, { message: () => "exit codes must fit 32 bits" })
)

/** The engine's own check (Node 20+, current browsers), a native scan; undefined where it is missing. */
const nativeWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed

/** The scan `isWellFormed` falls back to: every high surrogate is followed by a low one, no low one stands alone. */
export const scanWellFormed = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    if (c > 0xdbff) return false
    const next = text.charCodeAt(i + 1)
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false
    i++
  }
  return true
}

/** True when a string has no unpaired UTF-16 surrogate (what Convex and any UTF-8 store would refuse). */
export const isWellFormed = (text: string): boolean =>
  nativeWellFormed !== undefined ? nativeWellFormed.call(text) : scanWellFormed(text)

const nativeToWellFormed = (String.prototype as { toWellFormed?: (this: string) => string }).toWellFormed

/** The text with each unpaired UTF-16 surrogate replaced by U+FFFD (what a UTF-8 decoder shows for it). */
export const toWellFormed = (text: string): string => {
  if (isWellFormed(text)) return text
  if (nativeToWellFormed !== undefined) return nativeToWellFormed.call(text)
  let out = ""
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const next = text.charCodeAt(i + 1)
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += text[i] + text[i + 1]
      i++
    } else out += c >= 0xd800 && c <= 0xdfff ? "\uFFFD" : text[i]
  }
  return out
}

/** Text: any string of whole Unicode code points (an unpaired surrogate is refused: it cannot be stored as UTF-8). */
export const Text = Schema.String.pipe(
  Schema.filter(isWellFormed, { message: () => "text contains an unpaired UTF-16 surrogate (not valid Unicode)" })
)
