import { describe, expect, it } from "@effect/vitest"
import { Lenient } from "@opensync/client"
import * as Schema from "effect/Schema"

describe("Lenient", () => {
  it("reads a value of the wrong type as absent", () => {
    expect([Lenient.isRecord({}), Lenient.isRecord([]), Lenient.isRecord(null), Lenient.isRecord("x")]).toEqual([
      true,
      false,
      false,
      false
    ])
    expect(Lenient.record([1])).toEqual({})
    expect(Lenient.record({ a: 1 })).toEqual({ a: 1 })
    expect([Lenient.text("a"), Lenient.text(""), Lenient.text(1)]).toEqual(["a", undefined, undefined])
    expect([Lenient.field({ k: "v" }, "k"), Lenient.field({ k: 2 }, "k"), Lenient.field({}, "k")]).toEqual([
      "v",
      undefined,
      undefined
    ])
    expect([Lenient.number(1.5), Lenient.number(Number.NaN), Lenient.number(Infinity), Lenient.number("1")]).toEqual([
      1.5,
      undefined,
      undefined,
      undefined
    ])
  })

  it("rounds times and counts, never negative", () => {
    expect([Lenient.millis(12.6), Lenient.millis(-1), Lenient.millis("5"), Lenient.millis(0)]).toEqual([
      13,
      undefined,
      undefined,
      0
    ])
    expect([Lenient.count(7.9), Lenient.count(-3), Lenient.count(Number.NaN), Lenient.count(undefined)]).toEqual([
      7, 0, 0, 0
    ])
    // past what any count can be (the events' own limit): a damaged record, counted 0 rather than refused by the server
    expect([Lenient.count(1e12), Lenient.count(1e12 + 1), Lenient.count(2 ** 70)]).toEqual([1e12, 0, 0])
  })

  it("measures JSON without keeping it", () => {
    expect(Lenient.jsonLength(undefined)).toBe(0)
    expect(Lenient.jsonLength({ a: "xy" })).toBe('{"a":"xy"}'.length)
    expect(Lenient.jsonLength("abc")).toBe(5)
  })

  it("reads exit codes from numbers and from Claude Code's error texts", () => {
    expect([Lenient.exitCode(2), Lenient.exitCode(2.7), Lenient.exitCode("2"), Lenient.exitCode(undefined)]).toEqual([
      2,
      2,
      null,
      null
    ])
    expect(Lenient.exitCodeOfText("Exit code 2\nls: cannot access")).toBe(2)
    expect(Lenient.exitCodeOfText("Error: Exit code 127\ncommand not found")).toBe(127)
    expect(Lenient.exitCodeOfText("Exit code 0")).toBe(0)
    expect(Lenient.exitCodeOfText("Exit code ")).toBeNull()
    expect(Lenient.exitCodeOfText("Exit code 1234567890")).toBeNull()
    expect(Lenient.exitCodeOfText("The command failed. Exit code 2")).toBeNull()
    expect(Lenient.exitCodeOfText("String not found in file")).toBeNull()
  })

  it("names a project by the last segment of its path, POSIX or Windows", () => {
    expect(Lenient.projectNameOf("/home/dev/projects/demo")).toBe("demo")
    expect(Lenient.projectNameOf("/home/dev/projects/demo//")).toBe("demo")
    expect(Lenient.projectNameOf("C:\\Users\\dev\\demo\\")).toBe("demo")
    expect(Lenient.projectNameOf("demo")).toBe("demo")
    expect(Lenient.projectNameOf("/")).toBe("")
  })
  it("decodes a record field of the wrong type as absent, keeping the rest of the record", () => {
    const Record = Schema.Struct({ id: Schema.String, count: Lenient.optional(Schema.Number) })
    const decode = Schema.decodeUnknownSync(Record)
    expect(decode({ id: "a", count: 3 })).toEqual({ id: "a", count: 3 })
    expect(decode({ id: "a", count: "three" })).toEqual({ id: "a", count: undefined })
    expect(decode({ id: "a" })).toEqual({ id: "a" })
    expect(() => decode({ count: 3 })).toThrow()
  })
})
