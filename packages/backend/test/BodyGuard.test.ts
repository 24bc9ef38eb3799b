import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { nestsDeeperThan } from "../src/BodyGuard.js"

/** The definition: walk the characters, skip string contents (a backslash escapes the next one), count brackets. */
const reference = (text: string, max: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) {
      if (++depth > max) return true
    } else if (c === 93 || c === 125) depth--
  }
  return false
}

describe("nestsDeeperThan (the request body's JSON depth check)", () => {
  it("counts brackets outside strings only", () => {
    expect(nestsDeeperThan('{"a":[[1]]}', 2)).toBe(true)
    expect(nestsDeeperThan('{"a":[1]}', 2)).toBe(false)
    expect(nestsDeeperThan('{"a":"[[[[[[[["}', 1)).toBe(false)
    expect(nestsDeeperThan('{"a":"\\"[[["}', 1)).toBe(false)
    expect(nestsDeeperThan('["\\\\",[[', 2)).toBe(true)
    expect(nestsDeeperThan('"unterminated [[[[', 0)).toBe(false)
  })

  it("agrees with a character-by-character scan on any text of quotes, backslashes and brackets", () => {
    const text = FastCheck.array(FastCheck.constantFrom('"', "\\", "[", "]", "{", "}", "a", ",", ":"), {
      maxLength: 24
    }).map((chars) => chars.join(""))
    FastCheck.assert(
      FastCheck.property(text, FastCheck.integer({ min: 0, max: 4 }), (t, max) => {
        expect(nestsDeeperThan(t, max)).toBe(reference(t, max))
      }),
      { numRuns: 20_000, seed: 17 }
    )
  })
})
