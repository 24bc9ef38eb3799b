import { describe, expect, it } from "@effect/vitest"
import { parseSince } from "../src/kit/Cli.js"

/** `import --since`: a date, a time, or words a person types (it answered "'yesterday' is not a date"). */
describe("import --since", () => {
  const now = new Date(2026, 11, 7, 15, 30).getTime()
  const day = (y: number, m: number, d: number, h = 0, min = 0) => new Date(y, m, d, h, min).getTime()

  it("takes a day (its local midnight), a time, today, yesterday, and days or weeks back", () => {
    expect(parseSince("2026-01-31", now)?.getTime()).toBe(day(2026, 0, 31))
    expect(parseSince("2026-01-31T09:00", now)?.getTime()).toBe(day(2026, 0, 31, 9))
    expect(parseSince("2026-01-31T09:00:00Z", now)?.getTime()).toBe(Date.UTC(2026, 0, 31, 9))
    expect(parseSince("today", now)?.getTime()).toBe(day(2026, 11, 7))
    expect(parseSince("Yesterday", now)?.getTime()).toBe(day(2026, 11, 6))
    expect(parseSince("7d", now)?.getTime()).toBe(day(2026, 10, 30))
    expect(parseSince("2w", now)?.getTime()).toBe(day(2026, 10, 23))
  })

  it("refuses what it cannot read", () => {
    for (const text of ["soon", "2026-13-45", "31/01/2026", "", "7", "-1d", "2026-01-31T25:00"]) {
      expect(parseSince(text, now), text).toBeUndefined()
    }
  })

  it("refuses a day that does not exist (the engine would roll it over into the next month), and takes leap days", () => {
    for (const text of ["2026-02-30", "2026-02-29", "2026-04-31", "2026-02-30T09:00", "2026-00-10", "2026-01-00"]) {
      expect(parseSince(text, now), text).toBeUndefined()
    }
    expect(parseSince("2028-02-29", now)?.getTime()).toBe(day(2028, 1, 29))
    expect(parseSince("2026-12-31T23:59", now)?.getTime()).toBe(day(2026, 11, 31, 23, 59))
  })
})
