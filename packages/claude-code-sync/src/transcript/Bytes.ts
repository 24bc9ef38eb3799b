import { isAscii } from "node:buffer"

/*
 * Transcript lines as raw bytes. Most of a transcript is never synced: Claude Code 2.1.332's prompt snapshots and
 * request journals (skipped whole) and the tool results' text (only its length is kept). Decoding all of it from UTF-8
 * was half of the reader's time, so lines are recognised on their bytes, and in a long tool-result line the long
 * strings are measured where they lie instead of being decoded (`parseEliding`).
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const BRACE = 0x7b
const CLOSING_BRACE = 0x7d
const LETTER_U = 0x75

const TYPE_KEY = Buffer.from('"type":"')
const ATTACHMENT_KEY = Buffer.from('"attachment":{')
const TOOL_RESULT = Buffer.from('"type":"tool_result"')
const FOLDED_PREFIXES = [
  Buffer.from('user"'),
  Buffer.from('assistant"'),
  Buffer.from('summary"'),
  Buffer.from('cost-state"')
]

const isSpace = (byte: number): boolean => byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a
const startsWith = (line: Uint8Array, at: number, prefix: Uint8Array): boolean => {
  if (at < 0 || at + prefix.length > line.length) return false
  for (let i = 0; i < prefix.length; i++) if (line[at + i] !== prefix[i]) return false
  return true
}

/**
 * The line without the white space around it, as `String.prototype.trim` would leave it: JSON white space and a
 * byte-order mark are cut here; a line that starts or ends with another non-ASCII character is decoded and trimmed as
 * text (rare enough not to matter for speed).
 */
export const trim = (line: Buffer): Buffer => {
  let start = 0
  let end = line.length
  if (line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) start = 3
  while (start < end && isSpace(line[start])) start++
  while (end > start && isSpace(line[end - 1])) end--
  if (start < end && (line[start] >= 0x80 || line[end - 1] >= 0x80)) {
    return Buffer.from(line.toString("utf8", start, end).trim())
  }
  return line.subarray(start, end)
}

/** Whether the (trimmed) line at least looks like one JSON object: `{` … `}`. */
export const looksLikeObject = (line: Buffer): boolean =>
  line.length >= 2 && line[0] === BRACE && line[line.length - 1] === CLOSING_BRACE

const isAttachmentAt = (line: Buffer, brace: number): boolean =>
  startsWith(line, brace + 1 - ATTACHMENT_KEY.length, ATTACHMENT_KEY)

/**
 * The top-level `type` of a raw line, read without parsing it; undefined when it cannot be read that way. Claude Code
 * writes compact JSON, the top-level `type` before any nested object (at offset 1 for `api-request*`, `cost-state`,
 * `queue-operation`…, after a few scalar fields for `user`, `assistant`, `system`), except in `attachment` lines,
 * which start `{"parentUuid":…,"isSidechain":…,"attachment":{…` and carry their `type` after the attachment (the
 * 110 KB `prompt_snapshot` ones included). So: when no `{` comes before the first `"type":"`, that key is a member of
 * the root object (quotes inside strings are escaped and never match; a key can only be an object's member); when the
 * first nested object is the value of a top-level `attachment` key, the line is an attachment. Anything else (another
 * nested object first, a brace inside a string) gives undefined, and the caller parses the line.
 */
export const peekType = (line: Buffer): string | undefined => {
  const brace = line.indexOf(BRACE, 1)
  const head = brace < 0 ? line : line.subarray(0, brace)
  const at = head.indexOf(TYPE_KEY)
  if (at < 0) return brace >= 0 && isAttachmentAt(line, brace) ? "attachment" : undefined
  const from = at + TYPE_KEY.length
  const end = line.indexOf(QUOTE, from)
  if (end < 0) return undefined
  for (let i = from; i < end; i++) if (line[i] === BACKSLASH) return undefined
  return line.toString("utf8", from, end)
}

/**
 * The `type` of an attachment line's attachment, read without parsing it: Claude Code writes it as the attachment
 * object's first member (`"attachment":{"type":"prompt_snapshot",…`); undefined when it is not there.
 */
export const peekAttachmentType = (line: Buffer): string | undefined => {
  const brace = line.indexOf(BRACE, 1)
  if (brace < 0 || !isAttachmentAt(line, brace) || !startsWith(line, brace + 1, TYPE_KEY)) return undefined
  const from = brace + 1 + TYPE_KEY.length
  const end = line.indexOf(QUOTE, from)
  return end < 0 ? undefined : line.toString("utf8", from, end)
}

/** Whether any `"type":"…"` of the line names a folded type (the slow path, for lines `peekType` cannot read). */
export const mentionsFoldedType = (line: Buffer): boolean => {
  let at = line.indexOf(TYPE_KEY)
  if (at < 0) return true
  while (at >= 0) {
    const from = at + TYPE_KEY.length
    for (const prefix of FOLDED_PREFIXES) if (startsWith(line, from, prefix)) return true
    at = line.indexOf(TYPE_KEY, from)
  }
  return false
}

/**
 * Whether the line has a `tool_result` block: `"type":"tool_result"` can only be JSON structure (a quote inside a
 * string is always escaped), though it may belong to another object than a content block; the caller checks.
 */
export const mentionsToolResult = (line: Buffer): boolean => line.indexOf(TOOL_RESULT) >= 0

// ---------------------------------------------------------------------------------------------------------------------
// Measuring UTF-8 as UTF-16

/** Adjusts a byte count by the bytes `[start, end)` hold: continuation bytes add no code unit, 4-byte sequences two. */
const nonAsciiAdjustment = (bytes: Uint8Array, start: number, end: number): number => {
  let adjustment = 0
  let i = start
  const adjustByte = (byte: number) => {
    if ((byte & 0xc0) === 0x80) adjustment--
    else if (byte >= 0xf0) adjustment++
  }
  for (; i < end && ((bytes.byteOffset + i) & 3) !== 0; i++) adjustByte(bytes[i])
  const words = (end - i) >>> 2
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words)
    for (let k = 0; k < words; k++) {
      const word = view[k]
      if ((word & 0x80808080) === 0) continue
      // A byte is a continuation byte when its bit 7 is set and bit 6 is not; it starts a 4-byte sequence when its
      // four top bits are set. Each mask keeps bit 7 of the bytes that are; the multiply adds the (0/1) bytes up.
      const continuation = word & ~(word << 1) & 0x80808080
      if (continuation !== 0) adjustment -= Math.imul(continuation >>> 7, 0x01010101) >>> 24
      const four = word & (word << 1) & (word << 2) & (word << 3) & 0x80808080
      if (four !== 0) adjustment += Math.imul(four >>> 7, 0x01010101) >>> 24
    }
    i += words * 4
  }
  for (; i < end; i++) adjustByte(bytes[i])
  return adjustment
}

/**
 * The length in UTF-16 code units (what `string.length` gives) of the JSON string literal whose content is
 * `[start, end)` of `bytes`, given how many bytes its escapes take beyond the one unit each decodes to.
 */
const utf16Length = (bytes: Buffer, start: number, end: number, escapeOverhead: number): number => {
  const raw = end - start
  return raw - escapeOverhead + (isAscii(bytes.subarray(start, end)) ? 0 : nonAsciiAdjustment(bytes, start, end))
}

// ---------------------------------------------------------------------------------------------------------------------
// Parsing without decoding long strings

/** A string of the line left undecoded: where its content lies and how long it is as text. */
export interface LongString {
  readonly start: number
  readonly end: number
  /** Its length in UTF-16 code units, as `string.length` would give it. */
  readonly length: number
}

/** A line parsed with its long strings left in place: they read as markers, which `Elided` resolves. */
export interface Elided {
  readonly value: unknown
  /** The length of a string of `value`: its own, or the long string's it stands for. */
  readonly lengthOf: (text: string) => number
  /** The text of a string of `value`: itself, or the long string it stands for, decoded now. */
  readonly textOf: (text: string) => string
}

const MARKER = "\u0000\u0001"

/**
 * Parses one JSON line, leaving every string literal of at least `minBytes` bytes undecoded: it becomes a short marker
 * (`"\u0000\u0001<n>"`) in the text given to `JSON.parse`, and `lengthOf`/`textOf` answer for it from the bytes. The
 * scan only looks for quotes and backslashes (native `indexOf`), so a line costs little more than finding its strings.
 * Undefined when the line is not JSON (the caller counts it as malformed).
 */
export const parseEliding = (line: Buffer, minBytes: number): Elided | undefined => {
  const pieces: Array<string> = []
  const long: Array<LongString> = []
  let copyFrom = 0
  let position = 0
  let nextQuote = line.indexOf(QUOTE, 0)
  let nextBackslash = line.indexOf(BACKSLASH, 0)
  for (;;) {
    if (nextQuote >= 0 && nextQuote < position) nextQuote = line.indexOf(QUOTE, position)
    if (nextQuote < 0) break
    const open = nextQuote
    let cursor = open + 1
    let overhead = 0
    for (;;) {
      if (nextQuote < cursor) nextQuote = line.indexOf(QUOTE, cursor)
      if (nextQuote < 0) return undefined
      if (nextBackslash >= 0 && nextBackslash < cursor) nextBackslash = line.indexOf(BACKSLASH, cursor)
      if (nextBackslash < 0 || nextBackslash > nextQuote) break
      const width = line[nextBackslash + 1] === LETTER_U ? 6 : 2
      overhead += width - 1
      cursor = nextBackslash + width
      nextBackslash = line.indexOf(BACKSLASH, cursor)
    }
    const close = nextQuote
    if (close - open - 1 >= minBytes) {
      pieces.push(line.toString("utf8", copyFrom, open), `"\\u0000\\u0001${long.length}"`)
      long.push({ start: open + 1, end: close, length: utf16Length(line, open + 1, close, overhead) })
      copyFrom = close + 1
    }
    position = close + 1
  }
  let value: unknown
  try {
    value = JSON.parse(long.length === 0 ? line.toString("utf8") : pieces.join("") + line.toString("utf8", copyFrom))
  } catch {
    return undefined
  }
  const find = (text: string): LongString | undefined => {
    if (!text.startsWith(MARKER)) return undefined
    const index = Number(text.slice(MARKER.length))
    return Number.isInteger(index) ? long[index] : undefined
  }
  return {
    value,
    lengthOf: (text) => find(text)?.length ?? text.length,
    textOf: (text) => {
      const found = find(text)
      return found === undefined ? text : (JSON.parse(`"${line.toString("utf8", found.start, found.end)}"`) as string)
    }
  }
}

/** `Elided` for a value parsed whole: every string is itself. */
export const whole = (value: unknown): Elided => ({ value, lengthOf: (text) => text.length, textOf: (text) => text })
