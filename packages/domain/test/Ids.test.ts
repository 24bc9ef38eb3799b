import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { dayOf, maxEpochMillis } from "../src/Ids.js"

const formatted = (at: number) => new Date(at).toISOString().slice(0, 10)
const DAY_MS = 86_400_000

// `dayOf` remembers the last day it formatted: whatever the order of the calls, it must say what the date says.
describe("dayOf", () => {
  it("gives each timestamp's UTC day, at the edges of days and in any order", () => {
    const start = Date.UTC(2026, 11, 7)
    const edges = [
      start,
      start - 1,
      start + DAY_MS - 1,
      start + DAY_MS,
      start + 1,
      0,
      1,
      DAY_MS - 1,
      DAY_MS,
      maxEpochMillis
    ]
    for (const at of [...edges, ...edges.reverse(), start + 0.5, start - 0.5]) expect(dayOf(at)).toBe(formatted(at))
    FastCheck.assert(
      FastCheck.property(
        FastCheck.array(FastCheck.integer({ min: 0, max: maxEpochMillis }), { maxLength: 50 }),
        (times) => {
          for (const at of times) {
            expect(dayOf(at)).toBe(formatted(at))
            // and the same day again, and its neighbours, right after
            expect(dayOf(at)).toBe(formatted(at))
            if (at + DAY_MS <= maxEpochMillis) expect(dayOf(at + DAY_MS)).toBe(formatted(at + DAY_MS))
            if (at >= DAY_MS) expect(dayOf(at - DAY_MS)).toBe(formatted(at - DAY_MS))
          }
        }
      ),
      { numRuns: 300 }
    )
  })

  it("drops a fraction toward zero, as the date does, before 1970 too", () => {
    const times = [-0.5, -1000, -1, -0.5, -86_400_001, -86_400_000.5, -86_400_000, 0.5, -0, 86_399_999.9, 86_400_000.1]
    for (const at of [...times, ...times.reverse()]) expect(dayOf(at)).toBe(formatted(at))
    FastCheck.assert(
      FastCheck.property(FastCheck.array(FastCheck.double({ min: -1e13, max: 1e13, noNaN: true })), (times) => {
        for (const at of times) expect(dayOf(at)).toBe(formatted(at))
      }),
      { numRuns: 200 }
    )
  })

  it("refuses a time no date has, as the date does", () => {
    dayOf(Date.UTC(2026, 0, 1))
    expect(() => dayOf(Number.NaN)).toThrow(RangeError)
    expect(() => dayOf(8.64e15 + 1)).toThrow(RangeError)
    // (past the last day a date can hold, even right after that day)
    expect(dayOf(8.64e15)).toBe(formatted(8.64e15))
    expect(() => dayOf(8.64e15 + 1)).toThrow(RangeError)
    expect(dayOf(-8.64e15)).toBe(formatted(-8.64e15))
    expect(() => dayOf(-8.64e15 - 1)).toThrow(RangeError)
    expect(() => dayOf(Number.POSITIVE_INFINITY)).toThrow(RangeError)
  })
})
