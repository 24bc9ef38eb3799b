/**
 * Upgrades keep the queue: `fixtures/queue-0.4.0/inbox/` holds the snapshots opencode-sync-plugin 0.4.0 (the release
 * before the agent kit) spooled for the captured `global` run, written by its own plugin code (14-digit item names).
 * The current CLI must turn every one into events and deliver them.
 */
import { cpSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { expectQueueDelivered } from "@opensync/testkit/HookAgent"
import { getSession, type RunningServer, startServer } from "@opensync/testkit/Server"
import * as Either from "effect/Either"
import * as Snapshot from "../src/Snapshot.js"
import { run } from "./support/cli.js"
import { CHILD, MAIN } from "./support/fixtures.js"
import { tempDir } from "./support/outbox.js"

const queue = join(import.meta.dirname, "fixtures/queue-0.4.0")

let server: RunningServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server?.stop()
})

describe("upgrading from opencode-sync-plugin 0.4.0", () => {
  it("every inbox file the older plugin wrote decodes with the current schema", () => {
    const names = readdirSync(join(queue, "inbox"))
    expect(names).toHaveLength(5)
    for (const name of names) {
      expect(name).toMatch(/^\d{14}-\d+-\d{6}\.json$/)
      const decoded = Snapshot.decodeSpoolFile(readFileSync(join(queue, "inbox", name), "utf8"))
      expect(Either.isRight(decoded), name).toBe(true)
    }
  })

  it("delivers the snapshots the older plugin queued", async () => {
    const dir = tempDir("ocs-upgrade-")
    try {
      const state = join(dir.path, ".config", "opencode-sync")
      cpSync(queue, state, { recursive: true })
      const sync = await run(dir.path, ["sync"], {
        OPENCODE_SYNC_CONVEX_URL: server.url,
        OPENCODE_SYNC_API_KEY: server.key
      })
      expectQueueDelivered(sync, state, "Processed 5 session snapshot(s);")
      const main = await getSession(server, MAIN)
      const child = await getSession(server, CHILD)
      expect(main?.detail.messages.length).toBeGreaterThan(0)
      expect(main?.detail.toolCalls.map((call) => call.name)).toEqual(["bash", "write", "bash", "task"])
      expect(child?.detail.session.parentSessionId).toBe(MAIN)
    } finally {
      dir.remove()
    }
  }, 60_000)
})
