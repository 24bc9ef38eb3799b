import { describe, expect, it } from "@effect/vitest"
import { canonicalJson, digest, digestOfJson } from "../src/internal/hash.js"

// Event ids are digests of canonical JSON, and the server dedupes by id: these values must never change, or events
// queued by an older client would be stored twice. (Pinned from the first implementation.)
describe("canonicalJson + digest (event ids)", () => {
  const value = {
    kind: "message",
    sessionId: "s-1",
    text: 'héllo — 😀\n"q"',
    n: [1, 2.5, null, undefined],
    z: undefined,
    a: { y: true, b: false }
  }

  it("sorts keys, drops undefined members and turns undefined array items into null", () => {
    expect(canonicalJson(value)).toBe(
      '{"a":{"b":false,"y":true},"kind":"message","n":[1,2.5,null,null],"sessionId":"s-1","text":"héllo — 😀\\n\\"q\\""}'
    )
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }))
    expect(canonicalJson([])).toBe("[]")
    expect(canonicalJson({})).toBe("{}")
    expect(canonicalJson({ a: undefined })).toBe("{}")
    expect(canonicalJson(null)).toBe("null")
  })

  it("gives the same 128-bit digests as ever", () => {
    expect(digest(canonicalJson(value))).toBe("1ab7e776663e1313a5923959bce07d59")
    expect(digest("")).toBe("7bfd5dcc4ca48163833baccafa46950c")
    expect(digestOfJson(value)).toBe("1ab7e776663e1313a5923959bce07d59")
  })

  it("changes with any change of the text", () => {
    const base = canonicalJson(value)
    expect(digest(`${base} `)).not.toBe(digest(base))
    expect(digest("ab")).not.toBe(digest("ba"))
  })
})

// Ids are made while walking the event (`digestOfJson`), not on its canonical text: the digest must be the one of that
// text for every value, the awkward ones first, then generated ones.
describe("digestOfJson", () => {
  const awkward: ReadonlyArray<unknown> = [
    null,
    undefined,
    true,
    0,
    -0,
    1e21,
    1e-7,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1.5,
    "",
    "plain",
    'quote " and backslash \\ and tab \t',
    "controls \u0000\u0001\u001f\u007f\u2028\u2029",
    "emoji 😀 pair, lone \ud800 and \udfff, reversed \udc00\ud83d",
    "é — ü ñ 中文 日本語",
    [],
    {},
    [undefined, null, [undefined], {}],
    // (a hole reads as undefined)
    // biome-ignore lint/suspicious/noSparseArray: a hole in an array is one of the values walked
    [1, , 3],
    { b: undefined, a: null },
    { 'k"ey': 1, "k\ney": { "\u0000": [] }, "😀": "v", "": "" },
    { fn: () => 1, date: new Date(0), nested: { deeper: { deepest: [{ x: 1 }, "y"] } } },
    { z: 1, a: 2, m: [3, { q: 4, b: [5] }] }
  ]

  it("equals digest(canonicalJson(value)) on awkward values", () => {
    for (const value of awkward) expect(digestOfJson(value)).toBe(digest(canonicalJson(value)))
    expect(digestOfJson(awkward)).toBe(digest(canonicalJson(awkward)))
  })

  it("is not thrown off by a digest made while it walks the value (a getter), nor by one that failed", () => {
    const value = { a: 1, c: 3 }
    const walked = {
      a: 1,
      get b() {
        digest("x")
        digestOfJson({ nested: [1, 2] })
        return 2
      },
      c: 3
    }
    expect(digestOfJson(walked)).toBe(digest(canonicalJson({ ...value, b: 2 })))
    expect(() => digestOfJson({ a: [1n] })).toThrow(TypeError)
    expect(digestOfJson(value)).toBe(digest(canonicalJson(value)))
  })

  it("equals digest(canonicalJson(value)) on generated values", () => {
    let seed = 7
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed / 4294967296
    }
    const pieces = ["a", "Z", " ", '"', "\\", "\n", "\u0003", "é", "😀", "\ud83d", "\ude00", "中", "{", "]", ":", ","]
    const text = () =>
      Array.from({ length: Math.floor(next() * 12) }, () => pieces[Math.floor(next() * pieces.length)]).join("")
    const valueOf = (depth: number): unknown => {
      const pick = Math.floor(next() * (depth > 3 ? 5 : 8))
      if (pick === 0) return null
      if (pick === 1) return next() < 0.5
      if (pick === 2) return Math.round((next() - 0.5) * 1e6) / (next() < 0.5 ? 1 : 1000)
      if (pick === 3 || pick === 4) return text()
      if (pick === 5) return next() < 0.2 ? undefined : text()
      if (pick === 6) return Array.from({ length: Math.floor(next() * 5) }, () => valueOf(depth + 1))
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [text(), valueOf(depth + 1)]))
    }
    for (let i = 0; i < 2_000; i++) {
      const value = valueOf(0)
      expect(digestOfJson(value)).toBe(digest(canonicalJson(value)))
    }
  })
})
