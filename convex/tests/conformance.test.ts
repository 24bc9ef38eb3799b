// @vitest-environment edge-runtime
import { vi } from "@effect/vitest"
import { conformanceSuite } from "@opensync/testkit/conformance/Suite"
import { createUser, drain, fetchVia, makeBackend, origin } from "./backend.harness.js"

/** The HTTP conformance suite, unchanged, against the Convex HTTP router (through convex-test). */
conformanceSuite("Convex backend (convex-test)", async () => {
  const t = makeBackend()
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
