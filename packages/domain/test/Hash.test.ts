import { describe, expect, it } from "@effect/vitest"
import { canonicalJson, digest } from "../src/internal/hash.js"

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
  })

  it("changes with any change of the text", () => {
    const base = canonicalJson(value)
    expect(digest(`${base} `)).not.toBe(digest(base))
    expect(digest("ab")).not.toBe(digest("ba"))
  })
})
