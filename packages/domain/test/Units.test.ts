import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { isWellFormed } from "../src/Units.js"

/** The definition: every high surrogate is followed by a low one, and no low surrogate stands alone. */
const reference = (text: string): boolean => {
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

describe("isWellFormed (Text)", () => {
  it("refuses unpaired surrogates and accepts whole code points", () => {
    expect(isWellFormed("plain — é 😀")).toBe(true)
    expect(isWellFormed("\ud83d")).toBe(false)
    expect(isWellFormed("\ude00x")).toBe(false)
    expect(isWellFormed("a\ud83d\ude00b")).toBe(true)
  })

  it("agrees with a scan of the code units on any mix of surrogates and other characters", () => {
    const unit = FastCheck.constantFrom(0x61, 0xe9, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xd83d, 0xde00, 0xffff)
    const text = FastCheck.array(unit, { maxLength: 12 }).map((units) => String.fromCharCode(...units))
    FastCheck.assert(
      FastCheck.property(text, (t) => {
        expect(isWellFormed(t)).toBe(reference(t))
      }),
      { numRuns: 20_000, seed: 23 }
    )
  })
})
