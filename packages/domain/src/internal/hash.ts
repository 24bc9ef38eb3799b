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

/** The lanes a digest starts from: two per seed (the eight 32-bit halves of four 64-bit states). */
const SEEDED = Int32Array.from(SEEDS.flatMap((seed) => [0xdeadbeef ^ seed, 0x41c6ce57 ^ seed]))

// The lanes of the digest under way, between the pieces fed to them (module state: a digest runs to its end synchronously)
const lanes = new Int32Array(8)

/**
 * The digest of what `body(input)` feeds, from fresh lanes. The lanes of a digest already under way (one that reached
 * this one through a getter of the value it walks) are put back as they were, whatever happens.
 */
const digesting = <I>(body: (input: I) => void, input: I): string => {
  const saved = lanes.slice()
  try {
    lanes.set(SEEDED)
    body(input)
    return (
      finish(lanes[0] as number, lanes[1] as number) +
      finish(lanes[2] as number, lanes[3] as number) +
      finish(lanes[4] as number, lanes[5] as number) +
      finish(lanes[6] as number, lanes[7] as number)
    )
  } finally {
    lanes.set(saved)
  }
}

/** Feeds `text` to the lanes, one character at a time: feeding pieces equals feeding them joined. */
const feed = (text: string): void => {
  let a1 = lanes[0] as number
  let a2 = lanes[1] as number
  let b1 = lanes[2] as number
  let b2 = lanes[3] as number
  let c1 = lanes[4] as number
  let c2 = lanes[5] as number
  let d1 = lanes[6] as number
  let d2 = lanes[7] as number
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    a1 = Math.imul(a1 ^ ch, 2654435761)
    a2 = Math.imul(a2 ^ ch, 1597334677)
    b1 = Math.imul(b1 ^ ch, 2654435761)
    b2 = Math.imul(b2 ^ ch, 1597334677)
    c1 = Math.imul(c1 ^ ch, 2654435761)
    c2 = Math.imul(c2 ^ ch, 1597334677)
    d1 = Math.imul(d1 ^ ch, 2654435761)
    d2 = Math.imul(d2 ^ ch, 1597334677)
  }
  lanes[0] = a1
  lanes[1] = a2
  lanes[2] = b1
  lanes[3] = b2
  lanes[4] = c1
  lanes[5] = c2
  lanes[6] = d1
  lanes[7] = d2
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
