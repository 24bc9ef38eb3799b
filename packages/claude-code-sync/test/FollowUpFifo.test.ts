/**
 * A turn whose transcript path is not a file (a FIFO nobody writes to, a folder): the sync after it says so and goes
 * on. Reading the FIFO blocked the sync for ever while it held the sync lock; the follow-up was never removed, so
 * every later sync blocked on it too, and nothing more was sent.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { getSession } from "@opensync/testkit/Server"
import * as Cli from "./support/cli.js"

const context = Cli.serverAndHome("ccs-fifo-")

describe("a follow-up that is not a file", { timeout: 120_000 }, () => {
  it("is reported and left out; the sync finishes and sends the other session", async () => {
    const { home, server } = context
    const env = { CLAUDE_SYNC_CONVEX_URL: server.url, CLAUDE_SYNC_API_KEY: server.key, CLAUDE_SYNC_AUTO_SYNC: "0" }
    Cli.transcripts(home)
    const fifo = join(home, "wedge.jsonl")
    execFileSync("mkfifo", [fifo])
    const folder = join(home, "folder.jsonl")
    mkdirSync(folder)
    for (const [sessionId, path] of [
      ["11111111-2222-4333-8444-555555555555", fifo],
      ["11111111-2222-4333-8444-666666666666", folder]
    ]) {
      const stop = JSON.stringify({
        session_id: sessionId,
        transcript_path: path,
        cwd: home,
        hook_event_name: "Stop",
        stop_hook_active: false
      })
      const hooked = await Cli.node(home, [Cli.hook, "Stop"], env, stop)
      expect(hooked).toEqual({ code: 0, signal: null, stdout: "", stderr: "" })
    }
    for (const payload of Cli.payloads(home)) {
      expect(await Cli.node(home, [Cli.hook, payload.event], env, payload.stdin)).toMatchObject({ code: 0 })
    }
    // Killed if it hangs (as it did): the test then fails on the exit code, not on its time limit
    const synced = await Cli.node(home, ["-e", syncWithin(30_000), Cli.cli], env)
    expect(synced.stdout).toMatch(/Sent \d+ event\(s\), 0 rejected by the server, 0 pending\./)
    expect(synced.code, synced.stderr).toBe(0)
    const stored = await getSession(server, Cli.SESSION_ID)
    expect(stored?.detail.session.usage).toEqual(Cli.SESSION_USAGE)
    const log = readFileSync(join(Cli.stateDir(home), "claude-code-sync.log"), "utf8")
    expect(log).toContain(`cannot read ${fifo}: it is a FIFO, not a file; left out`)
    expect(log).toContain(`cannot read ${folder}: it is a folder, not a file; left out`)
    // A second sync has nothing left to block on
    const again = await Cli.node(home, ["-e", syncWithin(30_000), Cli.cli], env)
    expect(again.code, again.stderr).toBe(0)
  })
})

/** A script that runs `claude-code-sync sync` (argv[1]) and kills it after `ms`, exiting 124 then. */
const syncWithin = (ms: number) => `
const { spawn } = require("node:child_process")
const child = spawn(process.execPath, [process.argv[1], "sync"], { stdio: "inherit" })
const timer = setTimeout(() => { child.kill("SIGKILL"); process.exit(124) }, ${ms})
child.on("exit", (code) => { clearTimeout(timer); process.exit(code ?? 1) })
`
