/**
 * A hook killed after it wrote its item to `tmp/` and before it moved it into the inbox (Claude Code kills a SessionEnd
 * hook past its budget): the next sync moves the item on, and the session gets its end. It used to be ignored, then
 * removed as a dead temp file after 10 minutes, and the session never ended on the server.
 */
import { readdirSync, renameSync, utimesSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { getSession } from "@opensync/testkit/Server"
import * as Cli from "./support/cli.js"

const context = Cli.serverAndHome("ccs-killed-hook-")

describe("a hook killed between writing its item and moving it into the inbox", () => {
  it("leaves an item the next sync moves on: the session gets its end", async () => {
    const { home, server } = context
    const env = { CLAUDE_SYNC_CONVEX_URL: server.url, CLAUDE_SYNC_API_KEY: server.key, CLAUDE_SYNC_AUTO_SYNC: "0" }
    Cli.transcripts(home)
    const state = Cli.stateDir(home)
    const inbox = join(state, "inbox")
    const tmp = join(state, "tmp")
    const payloads = Cli.payloads(home)
    const end = payloads.at(-1)
    expect(end?.event).toBe("SessionEnd")
    for (const { event, stdin } of payloads.slice(0, -1)) {
      expect((await Cli.node(home, [Cli.hook, event], env, stdin)).code).toBe(0)
    }
    expect((await Cli.node(home, [Cli.cli, "sync"], env)).code).toBe(0)
    expect((await getSession(server, Cli.SESSION_ID))?.detail.session.endReason ?? null).toBeNull()

    // The SessionEnd hook's item, where the kill left it: written to tmp/, never renamed into the inbox.
    expect((await Cli.node(home, [Cli.hook, "SessionEnd"], env, end?.stdin)).code).toBe(0)
    const [item] = readdirSync(inbox)
    expect(item).toMatch(/\.hook$/)
    renameSync(join(inbox, item!), join(tmp, item!))
    // A minute and more ago: no hook runs that long. One written just now may be a hook still running: left alone.
    const past = (Date.now() - 2 * 60_000) / 1000
    utimesSync(join(tmp, item!), past, past)
    const synced = await Cli.node(home, [Cli.cli, "sync"], env)
    expect(synced.code, synced.stderr).toBe(0)
    expect(readdirSync(tmp).filter((name) => name.endsWith(".hook"))).toEqual([])
    expect((await getSession(server, Cli.SESSION_ID))?.detail.session.endReason).toBe("other")

    expect((await Cli.node(home, [Cli.hook, "SessionEnd"], env, end?.stdin)).code).toBe(0)
    const [running] = readdirSync(inbox)
    renameSync(join(inbox, running!), join(tmp, running!))
    expect((await Cli.node(home, [Cli.cli, "sync"], env)).code).toBe(0)
    expect(readdirSync(tmp)).toContain(running)
  }, 120_000)
})
