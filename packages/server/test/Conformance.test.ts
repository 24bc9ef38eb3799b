import { conformanceSuite } from "@opensync/testkit/conformance/Suite"
import { startServer } from "@opensync/testkit/Server"

/** The HTTP conformance suite against the real local server (the built `opensync serve` on a fresh data dir). */
conformanceSuite("local server (opensync serve)", async () => {
  const server = await startServer()
  try {
    const created: unknown = JSON.parse(
      await server.cli(["keys", "create", "--name", "other", "--user", "bob", "--scope", "full", "--json"])
    )
    const keyB =
      typeof created === "object" && created !== null && "key" in created && typeof created.key === "string"
        ? created.key
        : ""
    if (!server.key.startsWith("osk_") || !keyB.startsWith("osk_")) throw new Error("could not obtain two API keys")
    return { url: server.url, keyA: server.key, keyB, close: server.stop }
  } catch (error) {
    await server.stop()
    throw error
  }
})
