/** Stable JSON: object keys sorted, `undefined` members dropped, so equal values always serialize equally. */
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

const finish = (h1: number, h2: number): string => {
  const a = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  const b = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909)
  return (((a >>> 0) ^ Math.imul(b >>> 0, 31)) >>> 0).toString(16).padStart(8, "0")
}

/**
 * A deterministic, non-cryptographic 128-bit digest of a string, as 32 hex characters (ids, not secrets): four
 * 64-bit-state multiplicative lanes with different seeds, computed in one pass over the string.
 */
export const digest = (text: string): string => {
  let a1 = 0xdeadbeef ^ SEEDS[0]
  let a2 = 0x41c6ce57 ^ SEEDS[0]
  let b1 = 0xdeadbeef ^ SEEDS[1]
  let b2 = 0x41c6ce57 ^ SEEDS[1]
  let c1 = 0xdeadbeef ^ SEEDS[2]
  let c2 = 0x41c6ce57 ^ SEEDS[2]
  let d1 = 0xdeadbeef ^ SEEDS[3]
  let d2 = 0x41c6ce57 ^ SEEDS[3]
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
  return finish(a1, a2) + finish(b1, b2) + finish(c1, c2) + finish(d1, d2)
}
