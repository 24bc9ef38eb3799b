/**
 * The clock going back (a suspended laptop, a corrected clock) after a sync was killed: the dead sync's lock, and the
 * record of the last backlog sync a hook started, are then dated in the future. Read as "moments ago" they stayed so
 * until the clock caught up: every hook skipped starting a sync for an hour, and the session never reached the server.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Kit, SyncLock } from "@opensync/client"
import * as Effect from "effect/Effect"
import { recent } from "../src/internal/recent.js"

const root = mkdtempSync(join(tmpdir(), "clock-back-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const hourAhead = () => new Date(Date.now() + 3_600_000)

describe("times in the future", () => {
  it("recent: within the window, a few seconds ahead, not an hour ahead nor past the window", () => {
    const now = 1_800_000_000_000
    expect(recent(now - 1_000, 2_000, now)).toBe(true)
    expect(recent(now + 1_000, 2_000, now)).toBe(true)
    expect(recent(now - 3_000, 2_000, now)).toBe(false)
    expect(recent(now + 3_600_000, 2_000, now)).toBe(false)
  })

  it("a hook does not take a lock dated an hour ahead for a sync that started moments ago", () => {
    const stateDir = join(root, "hot")
    mkdirSync(stateDir, { recursive: true })
    const paths = { lock: join(stateDir, "sync.lock") } as Kit.Agent.StatePaths
    writeFileSync(paths.lock, "")
    expect(Kit.HotPath.syncRunning(paths)).toBe(true)
    utimesSync(paths.lock, hourAhead(), hourAhead())
    expect(Kit.HotPath.syncRunning(paths)).toBe(false)
  })

  it.scoped("a sync takes over an older version's lock dated an hour ahead, and a garbage one", () =>
    Effect.gen(function* () {
      for (const [name, text] of [
        ["empty.lock", ""],
        ["garbage.lock", "{half"]
      ] as const) {
        const file = join(root, name)
        writeFileSync(file, text)
        utimesSync(file, hourAhead(), hourAhead())
        expect((yield* SyncLock.take(file, "test")).held, name).toBe(true)
      }
    })
  )
})
