import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { isWellFormed, scanWellFormed } from "../src/Units.js"

describe("isWellFormed (Text)", () => {
  it("refuses unpaired surrogates and accepts whole code points", () => {
    expect(isWellFormed("plain — é 😀")).toBe(true)
    expect(isWellFormed("\ud83d")).toBe(false)
    expect(isWellFormed("\ude00x")).toBe(false)
    expect(isWellFormed("a\ud83d\ude00b")).toBe(true)
  })

  it("agrees with a scan of the code units on any mix of surrogates and other characters", () => {
    // On Node 20+ isWellFormed is the engine's own check, so this holds the fallback scan to the engine's definition.
    expect(typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed).toBe("function")
    const unit = FastCheck.constantFrom(0x61, 0xe9, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xd83d, 0xde00, 0xffff)
    const text = FastCheck.array(unit, { maxLength: 12 }).map((units) => String.fromCharCode(...units))
    FastCheck.assert(
      FastCheck.property(text, (t) => {
        expect(isWellFormed(t)).toBe(scanWellFormed(t))
      }),
      { numRuns: 20_000, seed: 23 }
    )
  })
})
