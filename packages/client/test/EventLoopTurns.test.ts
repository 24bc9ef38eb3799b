/**
 * The suite's setup (scripts/vitest-setup.ts) lets a worker's event loop turn after each test: without it a file of
 * synchronous tests longer than a minute failed a whole run ("[vitest-worker]: Timeout calling onTaskUpdate", every
 * test passed). The turn is what is checked here: an immediate scheduled by one synchronous test has run by the next.
 */
import { describe, expect, it } from "vitest"

describe("the test workers' event loop", () => {
  let turned = false
  it("schedules an immediate and ends without waiting for it", () => {
    setImmediate(() => {
      turned = true
    })
    expect(turned).toBe(false)
  })

  it("finds it run before the next test starts", () => {
    expect(turned).toBe(true)
  })
})
