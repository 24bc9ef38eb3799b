import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { shapeProblem } from "../src/JsonShape.js"

/** The definition: walk the characters, skip string contents (a backslash escapes the next one), count brackets. */
const reference = (text: string, maxDepth: number, maxContainers: number): string | undefined => {
  let depth = 0
  let containers = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) {
      if (++depth > maxDepth) return "depth"
      if (++containers > maxContainers) return "containers"
    } else if (c === 93 || c === 125) depth--
  }
  return undefined
}

describe("shapeProblem (a request body's JSON depth and size in arrays and objects, before it is parsed)", () => {
  it("counts brackets outside strings only", () => {
    expect(shapeProblem('{"a":[[1]]}', 2, 100)).toBe("depth")
    expect(shapeProblem('{"a":[1]}', 2, 100)).toBe(undefined)
    expect(shapeProblem('{"a":"[[[[[[[["}', 1, 100)).toBe(undefined)
    expect(shapeProblem('{"a":"\\"[[["}', 1, 100)).toBe(undefined)
    expect(shapeProblem('["\\\\",[[', 2, 100)).toBe("depth")
    expect(shapeProblem('"unterminated [[[[', 0, 100)).toBe(undefined)
  })

  it("counts every array and object, however flat: 8 MiB of {} is refused unparsed", () => {
    expect(shapeProblem('{"events":[{},{},{}]}', 64, 5)).toBe(undefined)
    expect(shapeProblem('{"events":[{},{},{},{}]}', 64, 5)).toBe("containers")
    expect(shapeProblem('{"t":"{},{},{},{},{}"}', 64, 1)).toBe(undefined)
    const flood = `{"events":[${Array.from({ length: 2_000_000 }, () => "{}").join(",")}]}`
    expect(shapeProblem(flood, 64, 500_000)).toBe("containers")
  })

  it("agrees with a character-by-character scan on any text of quotes, backslashes and brackets", () => {
    const text = FastCheck.array(FastCheck.constantFrom('"', "\\", "[", "]", "{", "}", "a", ",", ":"), {
      maxLength: 24
    }).map((chars) => chars.join(""))
    FastCheck.assert(
      FastCheck.property(
        text,
        FastCheck.integer({ min: 0, max: 4 }),
        FastCheck.integer({ min: 0, max: 6 }),
        (t, maxDepth, maxContainers) => {
          expect(shapeProblem(t, maxDepth, maxContainers)).toBe(reference(t, maxDepth, maxContainers))
        }
      ),
      { numRuns: 20_000, seed: 17 }
    )
  })
})
