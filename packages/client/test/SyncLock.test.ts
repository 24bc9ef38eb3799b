import { existsSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { SyncLock } from "@opensync/client"
import * as Effect from "effect/Effect"

describe("SyncLock", () => {
  it.live("is held by one scope at a time and released when the scope closes", () =>
    Effect.gen(function* () {
      const file = join(mkdtempSync(join(tmpdir(), "synclock-")), "state", "sync.lock")
      const inner = yield* Effect.scoped(
        Effect.gen(function* () {
          expect(yield* SyncLock.acquire(file)).toBe(true)
          expect(existsSync(file)).toBe(true)
          return yield* Effect.scoped(SyncLock.acquire(file))
        })
      )
      expect(inner).toBe(false)
      expect(existsSync(file)).toBe(false)
      expect(yield* Effect.scoped(SyncLock.acquire(file))).toBe(true)
    })
  )

  it.live("takes over a lock left by a process that died over 5 minutes ago, but not a recent one", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "synclock-"))
      const file = join(dir, "sync.lock")
      writeFileSync(file, "")
      expect(yield* Effect.scoped(SyncLock.acquire(file))).toBe(false)
      const old = (Date.now() - 6 * 60_000) / 1000
      utimesSync(file, old, old)
      expect(yield* Effect.scoped(SyncLock.acquire(file))).toBe(true)
      expect(existsSync(file)).toBe(false)
    })
  )
})
