/** A refused event: set aside, named by `status`, and sent again by `sync --retry-rejected`. */
import { readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Outbox } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Cli from "./support/cli.js"

const context = Cli.serverAndHome("ccs-refused-")
const run = (args: ReadonlyArray<string>) =>
  Cli.run(context.home, args, {
    CLAUDE_SYNC_CONVEX_URL: context.server.url,
    CLAUDE_SYNC_API_KEY: context.server.key
  })

describe("an event the server refuses", () => {
  it("is set aside, named by status, and queued again by sync --retry-rejected", async () => {
    const outbox = join(Cli.stateDir(context.home), "outbox")
    // An event no backend accepts (no session id), queued as the outbox queues any event.
    const refused = { id: "evt_refused", kind: "message", source: "claude-code", at: 1 }
    await Effect.runPromise(
      Effect.flatMap(Outbox.Outbox, (queue) => queue.append([refused])).pipe(Effect.provide(Outbox.layer(outbox)))
    )
    const first = await run(["sync"])
    expect(first.stdout).toContain("Sent 0 event(s), 1 rejected by the server, 0 pending.")
    // and why, and where to look
    expect(first.stdout).toMatch(/^The server refused it: .+\. `claude-code-sync status` lists what was refused\.$/m)
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

describe("what status says sends the queue", () => {
  it("a refused key waits for a login, a server down for the server", async () => {
    const outbox = join(Cli.stateDir(context.home), "outbox")
    const queued = { id: "evt_waiting", kind: "session", source: "claude-code", sessionId: "s-waiting", at: 1 }
    await Effect.runPromise(
      Effect.flatMap(Outbox.Outbox, (queue) => queue.append([queued])).pipe(Effect.provide(Outbox.layer(outbox)))
    )
    const withKey = (url: string, key: string) => (args: ReadonlyArray<string>) =>
      Cli.run(context.home, args, { CLAUDE_SYNC_CONVEX_URL: url, CLAUDE_SYNC_API_KEY: key })
    const wrongKey = withKey(context.server.url, `osk_${"A".repeat(42)}`)
    const refused = await wrongKey(["status"])
    expect(refused.stdout).toMatch(/1 pending since .*; they are sent once `claude-code-sync login` has a key and URL/)
    const down = withKey("http://127.0.0.1:9", context.server.key)
    expect((await down(["status"])).stdout).toMatch(/1 pending since .*; the next hook or turn retries/)
    expect((await run(["status"])).stdout).toMatch(/1 pending since .*; the next hook or turn sends them/)

    // who holds the sync lock: an older version's empty one (until when), or a dead one the next sync takes over
    const lock = join(Cli.stateDir(context.home), "sync.lock")
    writeFileSync(lock, "")
    expect((await run(["status"])).stdout).toMatch(
      /^sync {11}an older version's lock \(.*sync\.lock, written .*\), counted as running until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m
    )
    writeFileSync(lock, "garbage")
    const old = (Date.now() - 60_000) / 1000
    utimesSync(lock, old, old)
    expect((await run(["status"])).stdout).toMatch(/^sync {11}none running \(a dead sync's lock in .*sync\.lock/m)
    rmSync(lock)
    expect((await run(["status"])).stdout).not.toMatch(/^sync {11}/m)
  }, 60_000)
})

describe("a sync with nothing to send", () => {
  it("still says when the server refuses the key (it printed Sent 0 and exited 0)", async () => {
    const wrongKey = (args: ReadonlyArray<string>) =>
      Cli.run(context.home, args, {
        CLAUDE_SYNC_CONVEX_URL: context.server.url,
        CLAUDE_SYNC_API_KEY: `osk_${"B".repeat(42)}`
      })
    // what an earlier test queued goes first, with the right key
    expect((await run(["sync"])).code).toBe(0)
    const refused = await wrongKey(["sync"])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain("Sent 0 event(s), 0 rejected by the server, 0 pending.")
    expect(refused.stderr).toMatch(/Nothing to send, but the server refuses this configuration: /)
    // with the key it accepts, nothing to send is no error; nor is a server that is down (nothing waits for it)
    expect((await run(["sync"])).code).toBe(0)
    const down = await Cli.run(context.home, ["sync"], {
      CLAUDE_SYNC_CONVEX_URL: "http://127.0.0.1:9",
      CLAUDE_SYNC_API_KEY: context.server.key
    })
    expect(down.code).toBe(0)
    expect(down.stdout).toMatch(/Nothing waits for the server, which does not answer now: .*127\.0\.0\.1:9/)
  }, 60_000)
})
