// @vitest-environment edge-runtime
import { vi } from "@effect/vitest"
import { conformanceSuite } from "@opensync/testkit/conformance/Suite"
import { bundleDir, createUser, drain, fetchVia, makeBackend, origin, tuning } from "./backend.harness.js"

/**
 * The HTTP conformance suite, unchanged, against the Convex HTTP router (through convex-test), with Convex's production
 * transaction limits on: on the source modules, or on the bundle of `npx convex deploy` (`OPENSYNC_CONVEX_BUNDLE`).
 * Exports past 16 KiB are answered as files of 8 KiB parts (production: 8 MiB), so the export sections run through
 * file storage too.
 */
Object.assign(tuning, { exportInlineBytes: 16 * 1024, exportPartBytes: 8 * 1024 })

conformanceSuite(`Convex backend (convex-test${bundleDir === undefined ? "" : ", deployed bundle"})`, async () => {
  const t = makeBackend(true)
  const alice = await createUser(t, "Alice")
  const bob = await createUser(t, "Bob")
  return {
    url: origin,
    keyA: alice.key,
    keyB: bob.key,
    fetch: fetchVia(t),
    settle: async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] })
      try {
        await drain(t)
      } finally {
        vi.useRealTimers()
      }
    },
    close: async () => {}
  }
})
