/**
 * Stable JSON: object keys sorted, `undefined` members dropped, so equal values always serialize equally. An event's
 * id is defined as `digest(canonicalJson(event))`; `digestOfJson` computes it without building this text, and the
 * tests hold the two equal (this function is their reference, not called on the way to an id).
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null"
  if (Array.isArray(value)) {
    let out = "["
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      out += (i > 0 ? "," : "") + canonicalJson(item === undefined ? null : item)
    }
    return `${out}]`
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  let out = "{"
  for (const key of keys) {
    const member = record[key]
    if (member === undefined) continue
    out += `${out.length > 1 ? "," : ""}${JSON.stringify(key)}:${canonicalJson(member)}`
  }
  return `${out}}`
}

const SEEDS = [0x9e3779b9, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f] as const

/** Two hex digits per byte value: a lane's 8 digits are 4 lookups (3 times faster than `toString(16)` and padding). */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"))

const finish = (h1: number, h2: number): string => {
  const a = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  const b = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909)
  const n = ((a >>> 0) ^ Math.imul(b >>> 0, 31)) >>> 0
  return (HEX[n >>> 24] as string) + HEX[(n >>> 16) & 255] + HEX[(n >>> 8) & 255] + HEX[n & 255]
}

// The lanes of a digest, between the pieces fed to them (module state: a digest runs to its end synchronously)
let a1 = 0
let a2 = 0
let b1 = 0
let b2 = 0
let c1 = 0
let c2 = 0
let d1 = 0
let d2 = 0

/** Sets the lanes to their seeds: a digest starts. */
const start = (): void => {
  a1 = 0xdeadbeef ^ SEEDS[0]
  a2 = 0x41c6ce57 ^ SEEDS[0]
  b1 = 0xdeadbeef ^ SEEDS[1]
  b2 = 0x41c6ce57 ^ SEEDS[1]
  c1 = 0xdeadbeef ^ SEEDS[2]
  c2 = 0x41c6ce57 ^ SEEDS[2]
  d1 = 0xdeadbeef ^ SEEDS[3]
  d2 = 0x41c6ce57 ^ SEEDS[3]
}

/** The digest of what was fed since `start`. */
const end = (): string => finish(a1, a2) + finish(b1, b2) + finish(c1, c2) + finish(d1, d2)

/**
 * The digest of what `body(input)` feeds, from fresh lanes. The lanes of a digest already under way (one that reached
 * this one through a getter of the value it walks) are put back as they were, whatever happens.
 */
const digesting = <I>(body: (input: I) => void, input: I): string => {
  const saved1 = a1
  const saved2 = a2
  const saved3 = b1
  const saved4 = b2
  const saved5 = c1
  const saved6 = c2
  const saved7 = d1
  const saved8 = d2
  try {
    start()
    body(input)
    return end()
  } finally {
    a1 = saved1
    a2 = saved2
    b1 = saved3
    b2 = saved4
    c1 = saved5
    c2 = saved6
    d1 = saved7
    d2 = saved8
  }
}

/** Feeds `text` to the lanes, one character at a time: feeding pieces equals feeding them joined. */
const feed = (text: string): void => {
  let x1 = a1
  let x2 = a2
  let y1 = b1
  let y2 = b2
  let z1 = c1
  let z2 = c2
  let w1 = d1
  let w2 = d2
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    x1 = Math.imul(x1 ^ ch, 2654435761)
    x2 = Math.imul(x2 ^ ch, 1597334677)
    y1 = Math.imul(y1 ^ ch, 2654435761)
    y2 = Math.imul(y2 ^ ch, 1597334677)
    z1 = Math.imul(z1 ^ ch, 2654435761)
    z2 = Math.imul(z2 ^ ch, 1597334677)
    w1 = Math.imul(w1 ^ ch, 2654435761)
    w2 = Math.imul(w2 ^ ch, 1597334677)
  }
  a1 = x1
  a2 = x2
  b1 = y1
  b2 = y2
  c1 = z1
  c2 = z2
  d1 = w1
  d2 = w2
}

/**
 * A deterministic, non-cryptographic 128-bit digest of a string, as 32 hex characters (ids, not secrets): four
 * 64-bit-state multiplicative lanes with different seeds, computed in one pass over the string.
 */
export const digest = (text: string): string => digesting(feed, text)

/** Characters JSON.stringify writes escaped (quotes, backslashes, controls, and lone surrogates: any surrogate here). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it looks for
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/

/** Feeds a string as JSON.stringify writes it, without building that copy when nothing in it is escaped. */
const feedString = (text: string): void => {
  if (ESCAPED.test(text)) {
    feed(JSON.stringify(text))
    return
  }
  feed('"')
  feed(text)
  feed('"')
}

/** Feeds `canonicalJson(value)`, piece by piece, in the order that function writes it. */
const feedJson = (value: unknown): void => {
  if (typeof value === "string") {
    feedString(value)
    return
  }
  if (value === null || typeof value !== "object") {
    feed(JSON.stringify(value) ?? "null")
    return
  }
  if (Array.isArray(value)) {
    feed("[")
    for (let i = 0; i < value.length; i++) {
      if (i > 0) feed(",")
      const item: unknown = value[i]
      feedJson(item === undefined ? null : item)
    }
    feed("]")
    return
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  feed("{")
  let first = true
  for (const key of keys) {
    const member = record[key]
    if (member === undefined) continue
    if (!first) feed(",")
    first = false
    feedString(key)
    feed(":")
    feedJson(member)
  }
  feed("}")
}

/**
 * `digest(canonicalJson(value))`, computed while walking the value instead of on the string: the same digest without
 * building the canonical text (a copy of every string in it, joined) first. Event ids are made this way on every event
 * an import or a sync builds.
 */
export const digestOfJson = (value: unknown): string => digesting(feedJson, value)
