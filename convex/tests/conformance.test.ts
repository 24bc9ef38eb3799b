// @vitest-environment edge-runtime
import { conformanceSuite } from "../../packages/server/test/conformance/Suite.js"
import { createUser, fetchVia, makeBackend, origin } from "./backend.harness.js"

/** The HTTP conformance suite, unchanged, against the Convex HTTP router (through convex-test). */
conformanceSuite("Convex backend (convex-test)", async () => {
  const t = makeBackend()
  const alice = await createUser(t, "Alice")
  const bob = await createUser(t, "Bob")
  return { url: origin, keyA: alice.key, keyB: bob.key, fetch: fetchVia(t), close: async () => {} }
})
