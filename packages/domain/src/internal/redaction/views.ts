/**
 * Decoded views of a text: the same characters with terminal colours, backslash escapes, percent-encoding and HTML
 * entities undone, and for each character of the view the span of the original it came from. A secret written
 * through one of these (a token coloured by a CLI, `\nghp_…` in a raw JSON line, `token%3Dghp_…` in a URL,
 * `&quot;password&quot;:` in HTML) hides the boundaries and quotes the rules look for; the rules run on the view too,
 * and what they find there is redacted in the original.
 */
import { lineEnd, lineStart } from "./engine.js"

/** A decoded copy of a text, and where in the text it was made from each of its characters came from. */
export interface View {
  readonly text: string
  /** The start in the original of the view's character `i`. */
  readonly startOf: (i: number) => number
  /** The (exclusive) end in the original of the view's character `i`. */
  readonly endOf: (i: number) => number
  /**
   * The parts of the view worth scanning, `[start, end)` pairs in order: the lines within `CONTEXT` characters of a
   * place where something was decoded. Elsewhere the view equals the text, which was scanned already.
   */
  readonly regions: ReadonlyArray<readonly [number, number]>
  /** Whether decoding made characters that may decode again (`\\` → `\`, `%25` → `%`, `&amp;` → `&`). */
  readonly decodesAgain: boolean
}

/** How far around a decoded place the view is scanned again (a key, its operator and the start of its value). */
const CONTEXT = 512

const ESC = 0x1b
const BACKSLASH = 0x5c

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)

/** The end of a CSI sequence's parameters and final byte starting at `i` (just after `ESC[`), or -1. */
const csiEnd = (text: string, i: number): number => {
  const limit = Math.min(text.length, i + 32)
  for (let j = i; j < limit; j++) {
    const c = text.charCodeAt(j)
    if (c >= 0x40 && c <= 0x7e) return j + 1
    if (c < 0x20 || c > 0x3f) return -1
  }
  return -1
}

/** The spelled-out escape character in source text (`\u001b`, `\x1b`, `\033`, `\e`) at `i`: its length, or 0. */
const spelledEscape = (text: string, i: number): number => {
  if (text.charCodeAt(i) !== BACKSLASH) return 0
  const next = text[i + 1]
  if (next === "e") return 2
  if (next === "0" && text.startsWith("33", i + 2)) return 4
  if ((next === "x" || next === "X") && /^1b$/i.test(text.slice(i + 2, i + 4))) return 4
  if (next === "u" && /^001b$/i.test(text.slice(i + 2, i + 6))) return 6
  return 0
}

const ENTITIES: ReadonlyArray<readonly [string, string]> = [
  ["&quot;", '"'],
  ["&#34;", '"'],
  ["&#x22;", '"'],
  ["&apos;", "'"],
  ["&#39;", "'"],
  ["&#x27;", "'"],
  ["&amp;", "&"],
  ["&lt;", "<"],
  ["&gt;", ">"],
  ["&#x2F;", "/"],
  ["&#47;", "/"],
  ["&#61;", "="],
  ["&#x3D;", "="]
]

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  '"': '"',
  "'": "'",
  "/": "/",
  "\\": "\\"
}

/** The segment holding a view's character `v`, given where each segment starts in the view (in order). */
const segmentAt = (viewAt: ReadonlyArray<number>, v: number): number => {
  let lo = 0
  let hi = viewAt.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (viewAt[mid] <= v) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * One level of decoding, or undefined when nothing in `text` decodes (the common case: no second scan). Undone:
 * ANSI escape sequences (CSI and OSC, with a real or a spelled-out escape character: dropped), backslash escapes
 * (`\n`, `\t`, `\r`, `\"`, `\'`, `\/`, `\\`, `\uXXXX`), percent-encoded printable ASCII (`%3D`), and the HTML entities
 * of quotes, `&`, `<`, `>`, `/` and `=`.
 */
export const decodedView = (text: string): View | undefined => {
  const first = nextCandidate(text, 0)
  if (first === -1) return undefined
  const n = text.length
  // The view as segments: a run copied as it is, or one decoded character standing for `[from, to)` of the text.
  const out: Array<string> = []
  const viewAt: Array<number> = []
  const from: Array<number> = []
  const to: Array<number> = []
  const copied: Array<boolean> = []
  /** View offsets where something was decoded or dropped. */
  const changes: Array<number> = []
  let decodesAgain = false
  let length = 0
  let runStart = 0
  let changed = false
  let i = first
  const flushRun = (until: number) => {
    if (until > runStart) {
      out.push(text.slice(runStart, until))
      viewAt.push(length)
      from.push(runStart)
      to.push(until)
      copied.push(true)
      length += until - runStart
    }
  }
  const emit = (decoded: string, start: number, end: number, region = true) => {
    flushRun(start)
    if (region) changes.push(length)
    if (decoded === "\\" || decoded === "%" || decoded === "&" || decoded === "\x1b") decodesAgain = true
    out.push(decoded)
    viewAt.push(length)
    from.push(start)
    to.push(end)
    copied.push(false)
    length += decoded.length
    runStart = end
    changed = true
  }
  const skip = (start: number, end: number) => {
    flushRun(start)
    changes.push(length)
    runStart = end
    changed = true
  }
  while (i < n) {
    const c = text.charCodeAt(i)
    // Terminal escape sequences: ESC [ … final (colours, cursor moves), ESC ] … BEL/ST (titles, links), ESC x.
    const escLength = c === ESC ? 1 : c === BACKSLASH ? spelledEscape(text, i) : 0
    if (escLength > 0) {
      const after = i + escLength
      if (text[after] === "[") {
        const end = csiEnd(text, after + 1)
        if (end !== -1) {
          skip(i, end)
          i = end
          continue
        }
      } else if (text[after] === "]" && c === ESC) {
        const bel = text.indexOf("\x07", after)
        const st = text.indexOf("\x1b\\", after)
        const stop = bel === -1 ? st : st === -1 ? bel : Math.min(bel, st)
        if (stop !== -1 && stop - after < 2048) {
          const end = stop + (stop === st ? 2 : 1)
          skip(i, end)
          i = end
          continue
        }
      } else if (c === ESC && after < n) {
        skip(i, after + 1)
        i = after + 1
        continue
      }
    }
    if (c === BACKSLASH && i + 1 < n) {
      const next = text[i + 1]
      const simple = SIMPLE_ESCAPES[next]
      if (simple !== undefined) {
        emit(simple, i, i + 2)
        i += 2
        continue
      }
      if (next === "u" && i + 5 < n && [2, 3, 4, 5].every((k) => isHex(text.charCodeAt(i + k)))) {
        emit(String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16)), i, i + 6)
        i += 6
        continue
      }
    }
    if (c === 0x25 /* % */ && i + 2 < n && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      const code = Number.parseInt(text.slice(i + 1, i + 3), 16)
      if (code >= 0x20 && code < 0x7f) {
        emit(String.fromCharCode(code), i, i + 3)
        i += 3
        continue
      }
    }
    if (c === 0x26 /* & */) {
      const entity = ENTITIES.find(([name]) => text.startsWith(name, i))
      if (entity !== undefined) {
        emit(entity[1], i, i + entity[0].length)
        i += entity[0].length
        continue
      }
    }
    // Nothing decodes here: on to the next character that could start something that does.
    const next = nextCandidate(text, i + 1)
    i = next === -1 ? n : next
  }
  if (!changed) return undefined
  flushRun(n)
  const segmentOf = (v: number): number => segmentAt(viewAt, v)
  const view = out.join("")
  return {
    text: view,
    regions: regionsAround(view, changes),
    decodesAgain,
    startOf: (v) => {
      const k = segmentOf(v)
      return copied[k] ? from[k] + (v - viewAt[k]) : from[k]
    },
    endOf: (v) => {
      const k = segmentOf(v)
      return copied[k] ? from[k] + (v - viewAt[k]) + 1 : to[k]
    }
  }
}

/** The lines within `CONTEXT` characters of each change (looking at most `CONTEXT` further for their ends), merged. */
const regionsAround = (view: string, changes: ReadonlyArray<number>): ReadonlyArray<readonly [number, number]> => {
  const regions: Array<[number, number]> = []
  for (const at of changes) {
    const end = lineEnd(view, Math.min(view.length, at + CONTEXT), CONTEXT)
    const last = regions[regions.length - 1]
    if (last !== undefined && at - CONTEXT < last[1]) last[1] = Math.max(last[1], end)
    else regions.push([lineStart(view, Math.max(0, at - CONTEXT), CONTEXT), end])
  }
  return regions
}

/** Characters that can start a decodable sequence (the escape character from its code: no control character literal). */
const CANDIDATE = new RegExp(`[\\\\%&${String.fromCharCode(ESC)}]`, "g")

/** The index of the next character at or after `from` that can start a decodable sequence, or -1. */
const nextCandidate = (text: string, from: number): number => {
  CANDIDATE.lastIndex = from
  return CANDIDATE.exec(text)?.index ?? -1
}

/** `inner` (a view of `outer`'s text) with its characters traced back to `outer`'s original. */
export const compose = (outer: View, inner: View): View => ({
  text: inner.text,
  regions: inner.regions,
  decodesAgain: inner.decodesAgain,
  startOf: (v) => outer.startOf(inner.startOf(v)),
  endOf: (v) => outer.endOf(inner.endOf(v) - 1)
})

/**
 * What tools put before each line of what they print: `cat -n` and `nl` (`     7\t`), Claude Code's Read tool
 * (`     7→`), `grep -n` and `rg -n` with a file name (`config/app.env:7:`; a name has a letter, `_`, `.` or `/`, not a
 * log line's `10:30:00`), a unified diff's added lines (`+`) and `docker compose logs` (`api-1  | `). Rules that expect
 * a command, a key or a URL at the start of a line (`mysql -p…`, `token: …`, `+amqps://user:pass@…`) do not see it
 * there. A diff's removed lines (`-`) count only in a text with a diff's header: YAML lists, `ls -l` and Markdown lists
 * start with `-` too.
 */
const linePrefix = (diffLine: string): RegExp =>
  new RegExp(
    [
      "[ \\t]{0,8}\\d{1,7}(?:\\t|→)",
      "(?=[^\\s:]{0,255}[A-Za-z_./])[^\\s:|\"'`]{1,256}:\\d{1,7}:",
      diffLine,
      "[A-Za-z0-9][\\w.-]{0,63}[ \\t]{1,16}\\|[ \\t]"
    ].join("|"),
    "y"
  )
const LINE_PREFIX = linePrefix("\\+(?!\\+)")
const DIFF_LINE_PREFIX = linePrefix("[+-](?![+-])")
/** A unified diff's hunk header or file header. */
const DIFF_HEADER = /^(?:@@ -\d|\+\+\+ |--- a\/|diff --git )/m

/**
 * The text with the prefix of each line that has one (`LINE_PREFIX`) left out, traced back to the text; undefined
 * when no line has one. The rules run on it too, within `CONTEXT` characters of those lines: a secret on a prefixed
 * line is then found as on a line of its own.
 */
export const unprefixedView = (text: string): View | undefined => {
  const prefixes = DIFF_HEADER.test(text) ? DIFF_LINE_PREFIX : LINE_PREFIX
  // The prefixes found, as pairs of where each starts and ends in the text (most texts have none).
  const cuts: Array<number> = []
  for (let start = 0; start < text.length; ) {
    prefixes.lastIndex = start
    const prefix = prefixes.exec(text)
    if (prefix !== null && prefix[0].length > 0) cuts.push(start, start + prefix[0].length)
    const newline = text.indexOf("\n", start)
    if (newline === -1) break
    start = newline + 1
  }
  if (cuts.length === 0) return undefined
  // The runs of the text between them: where each starts in the view and in the text.
  const viewAt: Array<number> = []
  const from: Array<number> = []
  const parts: Array<string> = []
  /** View offsets where a prefix was left out. */
  const changes: Array<number> = []
  let length = 0
  let kept = 0
  for (let i = 0; i <= cuts.length; i += 2) {
    const until = i < cuts.length ? cuts[i] : text.length
    if (until > kept) {
      viewAt.push(length)
      from.push(kept)
      parts.push(text.slice(kept, until))
      length += until - kept
    }
    if (i < cuts.length) {
      changes.push(length)
      kept = cuts[i + 1]
    }
  }
  const view = parts.join("")
  const startOf = (v: number) => {
    const k = segmentAt(viewAt, v)
    return from[k] + (v - viewAt[k])
  }
  return {
    text: view,
    // Only around the lines that had a prefix: the rest is as the text has it, and was scanned already.
    regions: regionsAround(view, changes),
    decodesAgain: false,
    startOf,
    endOf: (v) => startOf(v) + 1
  }
}
