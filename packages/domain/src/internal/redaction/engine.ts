/**
 * The scanning engine. Two linear passes find where a secret can be: one case-insensitive regex of key-name keywords
 * and a few structural anchors (`://`, `bearer`, command-line flags…), and a character loop that finds runs of 20+
 * token characters (a candidate credential, dispatched on its first two characters). Each hit runs only its scanners,
 * which look at a bounded window around it and report spans; overlapping spans are merged, the highest-priority rule
 * names the result.
 */
import { MARKER_PREFIX } from "./values.js"

/** A span of the input that a rule identified as a secret (`end` is exclusive). */
export interface SecretMatch {
  readonly rule: string
  readonly start: number
  readonly end: number
}

/** A candidate span and the priority of its rule (lower wins when spans overlap). */
export interface Candidate extends SecretMatch {
  readonly priority: number
}

const MARKER = /\[REDACTED:[A-Za-z0-9_.-]{1,64}\]/g

/** One pass over one text: the text, the candidates found so far and per-pass memos that keep scanners linear. */
export class Scan {
  readonly candidates: Array<Candidate> = []
  /** End of the last key the assignment scanner looked at (keys with several keywords are looked at once). */
  lastKeyEnd = -1
  /** End of the last private key block found (later BEGIN lines inside it are not scanned again). */
  pemCoveredUntil = -1
  /** The first private-key END line found searching from `from` (null: none). */
  pemEnd: { readonly from: number; readonly found: { readonly start: number; readonly end: number } | null } | undefined
  /** End of the last Kubernetes document scanned. */
  kubernetesDocEnd = -1
  /** End of the last SAS value scanned (later `sig=` inside it are not scanned again). */
  sasUntil = -1
  /** End of the last `.pgpass` listing scanned. */
  pgpassUntil = -1
  /** End of the last command line checked for printing a secret (`gh auth token`, `cat config/master.key`). */
  printedUntil = -1
  /** End of the last line checked for passwords given as arguments (`htpasswd -b`, `sqlplus user/pw`). */
  argumentsUntil = -1
  /** End of the last line checked for being a `.pgpass` line on its own. */
  pgpassLineUntil = -1
  /** End of the last line checked for being a Postfix `sasl_passwd` line. */
  saslUntil = -1
  /** End of the last `::add-mask::` value scanned. */
  addMaskUntil = -1
  private readonly nextMemo = new Map<string, { from: number; found: number }>()
  /** Start and end offsets of the `[REDACTED:…]` markers already in the text (sorted, disjoint). */
  private readonly markers: ReadonlyArray<number> | undefined

  constructor(readonly text: string) {
    if (text.includes(MARKER_PREFIX)) {
      const spans: Array<number> = []
      for (const m of text.matchAll(MARKER)) spans.push(m.index, m.index + m[0].length)
      this.markers = spans
    }
  }

  /** `text.indexOf(needle, from)`, memoised so that repeated searches for the same needle stay linear. */
  nextIndexOf(needle: string, from: number): number {
    const memo = this.nextMemo.get(needle)
    if (memo !== undefined && memo.from <= from && (memo.found === -1 || from <= memo.found)) return memo.found
    const found = this.text.indexOf(needle, from)
    this.nextMemo.set(needle, { from, found })
    return found
  }

  /** True when [start, end) touches a `[REDACTED:…]` marker already in the text. */
  touchesMarker(start: number, end: number): boolean {
    const m = this.markers
    if (m === undefined) return false
    // Binary search for the first marker that ends after `start` (markers are sorted and disjoint)
    let lo = 0
    let hi = m.length / 2
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (m[2 * mid + 1] > start) hi = mid
      else lo = mid + 1
    }
    return lo < m.length / 2 && m[2 * lo] < end
  }

  /** Records a secret span for `rule` unless it is empty or touches an existing marker. */
  add(rule: string, start: number, end: number): void {
    if (end <= start || this.touchesMarker(start, end)) return
    this.candidates.push({ rule, start, end, priority: priorityOf(rule) })
  }
}

/** A scanner runs at an anchor hit `[at, anchorEnd)` and reports spans through `scan.add`. */
export type Scanner = (scan: Scan, at: number, anchorEnd: number) => void

const priorities = new Map<string, number>()

/** Declares the rule names in priority order (earlier wins where spans overlap). */
export const declareRules = (names: ReadonlyArray<string>): void => {
  for (const name of names) if (!priorities.has(name)) priorities.set(name, priorities.size)
}

/** The priority of a rule; undeclared (user) rules come after all built-in ones. */
export const priorityOf = (rule: string): number => priorities.get(rule) ?? 1_000_000

/** Escapes a literal for use in a regex. */
export const lit = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

/**
 * Runs the scanner of every anchor hit over the text; `dispatch` picks it from the matched text. Anchors never consume
 * text: the next search starts one character further.
 */
export const runAnchors = (scan: Scan, regex: RegExp, dispatch: (hit: string) => Scanner): void => {
  const text = scan.text
  regex.lastIndex = 0
  let m = regex.exec(text)
  while (m !== null) {
    const at = m.index
    dispatch(m[0])(scan, at, at + m[0].length)
    regex.lastIndex = at + 1
    m = regex.exec(text)
  }
}

/**
 * Calls `scanner` for every run of at least `min` characters of `chars` (a token-like word: a candidate credential).
 * Samples every `min`-th character: a run that long must contain a sample, so only the runs around samples that are
 * token characters are read (about half of a typical text instead of all of it).
 */
export const runTokenRuns = (scan: Scan, table: Uint8Array, min: number, scanner: Scanner): void => {
  const text = scan.text
  const n = text.length
  let floor = 0
  let i = min - 1
  while (i < n) {
    if (table[text.charCodeAt(i)] === 0) {
      i += min
      continue
    }
    let start = i
    while (start > floor && table[text.charCodeAt(start - 1)] === 1) start--
    let end = i + 1
    while (end < n && table[text.charCodeAt(end)] === 1) end++
    if (end - start >= min) scanner(scan, start, end)
    floor = end
    i = end + min
  }
}

/** A lookup table over all UTF-16 code units: 1 for the characters of `chars`. */
export const charTable = (chars: string): Uint8Array => {
  const table = new Uint8Array(65536)
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1
  return table
}

/** Merges overlapping candidates; each merged span takes the name of its highest-priority rule. Sorted by start. */
export const mergeCandidates = (candidates: ReadonlyArray<Candidate>): ReadonlyArray<SecretMatch> => {
  if (candidates.length === 0) return []
  const sorted = [...candidates].sort((a, b) => a.start - b.start || a.priority - b.priority)
  const out: Array<SecretMatch> = []
  let cur = sorted[0]
  for (let i = 1; i < sorted.length; i++) {
    const c = sorted[i]
    if (c.start < cur.end) {
      const best = c.priority < cur.priority ? c : cur
      cur = { rule: best.rule, priority: best.priority, start: cur.start, end: Math.max(cur.end, c.end) }
    } else {
      out.push({ rule: cur.rule, start: cur.start, end: cur.end })
      cur = c
    }
  }
  out.push({ rule: cur.rule, start: cur.start, end: cur.end })
  return out
}

/** Applies a sticky regex at `at`; returns the match or null. */
export const stickyAt = (regex: RegExp, text: string, at: number): RegExpExecArray | null => {
  regex.lastIndex = at
  return regex.exec(text)
}

/** The text between the start of the line and `index`, at most `max` characters (none: the line starts earlier). */
export const lineHeadBefore = (text: string, index: number, max = 80): string | undefined => {
  const floor = Math.max(0, index - max)
  let i = index - 1
  while (i >= floor && text.charCodeAt(i) !== 10) i--
  if (i < floor && floor > 0) return undefined
  return text.slice(i + 1, index)
}

/** How far the line helpers look (a minified file can be one megabyte-long line). */
const MAX_LINE = 4096

/** Start of the line containing `index`, looking back at most `max` characters. */
export const lineStart = (text: string, index: number, max = MAX_LINE): number => {
  const floor = Math.max(0, index - max)
  let i = index - 1
  while (i >= floor && text.charCodeAt(i) !== 10) i--
  return i + 1
}

/** End of the line containing `index` (the offset of its `\n`, or the text length), looking ahead at most `max`. */
export const lineEnd = (text: string, index: number, max = MAX_LINE): number => {
  const ceiling = Math.min(text.length, index + max)
  let i = index
  while (i < ceiling && text.charCodeAt(i) !== 10) i++
  return i
}

/**
 * The logical command line around `index`: the physical line plus up to `maxLines` earlier lines that end with a
 * shell continuation (`\`, `^` or PowerShell's backtick), looking back at most `maxChars` characters.
 */
export const logicalLineBefore = (text: string, index: number, maxLines = 12, maxChars = 400): string => {
  let start = lineStart(text, index, maxChars)
  const floor = Math.max(0, index - maxChars)
  for (let i = 0; i < maxLines && start > floor; i++) {
    const prevEnd = start - 1
    let j = prevEnd - 1
    if (text[j] === "\r") j--
    while (j >= 0 && (text[j] === " " || text[j] === "\t")) j--
    if (text[j] !== "\\" && text[j] !== "^" && text[j] !== "`") break
    start = lineStart(text, prevEnd, prevEnd - floor)
  }
  return text.slice(Math.max(start, floor), index)
}

/**
 * The bounds of the line holding `at`, looked at once per pass for each memo (`scan[memo]` is where the last looked-at
 * line ended), and only when it is a short line (at most `max` characters: a command line, not minified code or a
 * JSON line).
 */
export const shortLineOnce = (
  scan: Scan,
  at: number,
  memo: "printedUntil" | "argumentsUntil" | "pgpassLineUntil" | "saslUntil",
  max = 400
): { readonly start: number; readonly end: number } | undefined => {
  if (at < scan[memo]) return undefined
  const text = scan.text
  const newline = text.indexOf("\n", at)
  const end = newline === -1 ? text.length : newline
  scan[memo] = end
  if (end - at > max) return undefined
  const start = text.lastIndexOf("\n", at - 1) + 1
  return end - start > max ? undefined : { start, end }
}
