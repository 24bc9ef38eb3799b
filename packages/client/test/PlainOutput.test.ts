import { describe, expect, it } from "@effect/vitest"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { PlainOutput } from "../src/index.js"

describe("PlainOutput", () => {
  it("takes out colours and styles, and nothing else", () => {
    expect(PlainOutput.unstyled("\u001b[0;1m\u001b[0;37;1mopensync\u001b[0;1m\u001b[0m\n\u001b[32mok\u001b[39m")).toBe(
      "opensync\nok"
    )
    // Text that only looks like an escape stays.
    expect(PlainOutput.unstyled("[0;1m ESC [1m \\u001b[1m")).toBe("[0;1m ESC [1m \\u001b[1m")
  })

  it("is plain off a terminal, and on one when NO_COLOR is set", () => {
    expect(PlainOutput.plainFor({ isTTY: false }, {})).toBe(true)
    expect(PlainOutput.plainFor({}, {})).toBe(true)
    expect(PlainOutput.plainFor({ isTTY: true }, {})).toBe(false)
    expect(PlainOutput.plainFor({ isTTY: true }, { NO_COLOR: "1" })).toBe(true)
    expect(PlainOutput.plainFor({ isTTY: true }, { NO_COLOR: "" })).toBe(false)
  })

  it.effect("writes what the program logs without colours when the output is piped (as in this test run)", () =>
    Effect.gen(function* () {
      const logged: Array<unknown> = []
      const errors: Array<unknown> = []
      const program = Effect.gen(function* () {
        yield* Console.log("\u001b[0;1mUSAGE\u001b[0m", 42)
        yield* Console.error("\u001b[31mwrong\u001b[39m")
      })
      const plain = process.stdout.isTTY !== true
      yield* Console.consoleWith((console) =>
        Console.withConsole(PlainOutput.plainWhenPiped(program), {
          ...console,
          log: (...args) => Effect.sync(() => void logged.push(...args)),
          error: (...args) => Effect.sync(() => void errors.push(...args))
        })
      )
      expect(logged).toEqual([plain ? "USAGE" : "\u001b[0;1mUSAGE\u001b[0m", 42])
      expect(errors).toEqual([process.stderr.isTTY !== true ? "wrong" : "\u001b[31mwrong\u001b[39m"])
    })
  )
})
