/**
 * A hook payload over what a hook stores (`CommandHook.maxStdinBytes`, 32 MiB): it used to be cut and stored, and the
 * sync then set the item aside as "not JSON" with nothing recorded, so the session was never read again and `status`
 * said "last error none". It is not stored: the hook exits 0 silently, records the failure where `status` shows it,
 * and the next sync re-reads the session from its transcript.
 */
import { describe, expect, it } from "@effect/vitest"
import { Kit } from "@opensync/client"
import { getSession } from "@opensync/testkit/Server"
import * as Cli from "./support/cli.js"

const context = Cli.serverAndHomes("ccs-huge-")

describe("a hook payload over 32 MiB", () => {
  it("is not stored; the failure is recorded for status, and the next sync re-reads the session", async () => {
    const home = context.home()
    const env = {
      CLAUDE_SYNC_CONVEX_URL: context.server.url,
      CLAUDE_SYNC_API_KEY: context.server.key,
      CLAUDE_SYNC_AUTO_SYNC: "0"
    }
    Cli.transcripts(home)
    const stop = Cli.payloads(home).find((p) => p.event === "Stop")!
    const payload = JSON.parse(stop.stdin) as Record<string, unknown>
    const huge = JSON.stringify({ ...payload, last_assistant_message: "x".repeat(Kit.CommandHook.maxStdinBytes) })
    const ran = await Cli.node(home, [Cli.hook, "Stop"], env, huge)
    expect(ran).toEqual({ code: 0, signal: null, stdout: "", stderr: "" })

    const status = JSON.parse((await Cli.run(home, ["status", "--json"], env)).stdout)
    expect(status.inbox.failures).toMatchObject({
      count: 1,
      sessions: [{ id: Cli.SESSION_ID }],
      lastError: expect.stringMatching(/the payload is 32\.0 MiB, over the 32 MiB a hook stores/)
    })

    const synced = await Cli.run(home, ["sync"], env)
    expect(synced.stdout).toContain("Re-read 1 session(s) whose hook payloads could not be stored")
    const stored = await getSession(context.server, Cli.SESSION_ID)
    expect(stored?.detail.session.usage).toMatchObject(Cli.SESSION_USAGE)
  })
})
