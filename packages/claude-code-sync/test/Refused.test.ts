/** A refused event: set aside, named by `status`, and sent again by `sync --retry-rejected`. */
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Outbox } from "@opensync/client"
import { type RunningServer, startServer } from "@opensync/testkit/Server"
import * as Effect from "effect/Effect"

const cli = resolve(__dirname, "../dist/cli.mjs")

let server: RunningServer
let home = ""
beforeAll(async () => {
  server = await startServer()
  home = mkdtempSync(join(tmpdir(), "ccs-refused-"))
})
afterAll(async () => {
  await server?.stop()
  rmSync(home, { recursive: true, force: true })
})

const run = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        XDG_CONFIG_HOME: join(home, ".config"),
        CLAUDE_SYNC_CONVEX_URL: server.url,
        CLAUDE_SYNC_API_KEY: server.key
      }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => done({ code, stdout, stderr }))
  })

describe("an event the server refuses", () => {
  it("is set aside, named by status, and queued again by sync --retry-rejected", async () => {
    const outbox = join(home, ".config", "claude-code-sync", "outbox")
    // An event no backend accepts (no session id), queued as the outbox queues any event.
    const refused = { id: "evt_refused", kind: "message", source: "claude-code", at: 1 }
    await Effect.runPromise(
      Effect.flatMap(Outbox.Outbox, (queue) => queue.append([refused])).pipe(Effect.provide(Outbox.layer(outbox)))
    )
    const first = await run(["sync"])
    expect(first.stdout).toContain("Sent 0 event(s), 1 rejected by the server, 0 pending.")
    expect(readdirSync(join(outbox, "rejected"))).toHaveLength(1)
    const status = await run(["status"])
    expect(status.stdout).toMatch(
      /^ {15}1 refused by the server, kept in outbox\/rejected\/ \(the last .*\); `sync --retry-rejected` sends them again$/m
    )

    const again = await run(["sync", "--retry-rejected"])
    expect(again.stdout).toContain("Queued 1 rejected event(s) again.")
    expect(again.stdout).toContain("Sent 0 event(s), 1 rejected by the server, 0 pending.")
    expect(readdirSync(join(outbox, "rejected"))).toHaveLength(1)
  }, 60_000)
})
