import { afterEach, beforeEach, vi } from "vitest"
import { tuning } from "./deployment.harness.js"

/** What several Convex test files build the same way: their events and the clock and tuning of each test. */

/** Makes Claude Code events from their other fields, with ids `${prefix}_1`, `${prefix}_2`, ... */
export const eventMaker = (prefix: string) => {
  let n = 0
  return <F extends Record<string, unknown>>(fields: F) => ({
    id: `${prefix}_${++n}`,
    source: "claude-code",
    ...fields
  })
}

/**
 * Inside a `describe`: every test starts on a fake clock (`vi.useFakeTimers(clock)`) and ends on the real one, with
 * the tuning it changed restored.
 */
export const fakeClockEachTest = (clock: Parameters<typeof vi.useFakeTimers>[0]) => {
  const saved = { ...tuning }
  beforeEach(() => {
    vi.useFakeTimers(clock)
  })
  afterEach(() => {
    Object.assign(tuning, saved)
    vi.useRealTimers()
  })
}
