import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as F from "../src/format.js"
import { rangeOf } from "../src/pages/range.js"

/** The dashboard's formatting and ranges, in a time zone behind UTC (the browser's is the user's). */
const zone = process.env.TZ
beforeAll(() => {
  process.env.TZ = "America/Los_Angeles"
})
afterAll(() => {
  if (zone === undefined) delete process.env.TZ
  else process.env.TZ = zone
})

describe("durations", () => {
  it("round as a whole before they are split: no 60 s, no 1m 60s", () => {
    expect(
      [420, 999.4, 999.6, 1_500, 9_949, 9_960, 59_400, 59_600, 119_600, 3_599_600, 7_200_000].map(F.duration)
    ).toEqual(["420 ms", "999 ms", "1.0 s", "1.5 s", "9.9 s", "10 s", "59 s", "1m 0s", "2m 0s", "1h 0m", "2h 0m"])
  })
})

describe("token totals", () => {
  it("name every kind of token the total holds", () => {
    const usage = { input: 100, output: 200, cacheRead: 1_000, cacheWrite5m: 40, cacheWrite1h: 10, reasoning: 0 }
    expect(F.tokenParts(usage)).toBe("100 in · 200 out · 1,000 cached · 50 cache write")
    expect(F.tokenParts({ ...usage, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 7 })).toBe(
      "100 in · 200 out · 1,000 cached · 7 reasoning"
    )
  })
})

describe("stats ranges", () => {
  // 03:00 UTC on 7 December is still 6 December in Los Angeles
  const now = Date.UTC(2026, 11, 7, 3, 0)
  it("label a preset range with the UTC days it covers, which Custom keeps", () => {
    const week = rangeOf(new URLSearchParams("range=7"), now)
    expect([week.fromDay, week.toDay]).toEqual(["2026-12-01", "2026-12-07"])
    expect([week.from, week.to]).toEqual([Date.UTC(2026, 11, 1), Date.UTC(2026, 11, 8) - 1])
    // "Custom" copies the labels into the URL: the same range, the same totals
    const custom = rangeOf(new URLSearchParams(`range=custom&from=${week.fromDay}&to=${week.toDay}`), now)
    expect([custom.from, custom.to]).toEqual([week.from, week.to])
    const fallback = rangeOf(new URLSearchParams("range=custom"), now)
    expect([fallback.fromDay, fallback.toDay]).toEqual(["2026-11-08", "2026-12-07"])
  })
})
