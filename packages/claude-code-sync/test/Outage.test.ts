/**
 * After an outage, what is queued goes out without waiting for a session to end: the next hook of any session that
 * finds events waiting starts a background sync, at most once a minute while the server stays down.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { type AddressInfo, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { getSession, pollFor } from "@opensync/testkit/Server"
import * as Cli from "./support/cli.js"

const context = Cli.serverAndHome("ccs-outage-")
const exec = (file: string, args: ReadonlyArray<string>, stdin = "") =>
  Cli.node(context.home, [file, ...args], {}, stdin)
const { cli, hook } = Cli

const state = () => Cli.stateDir(context.home)
const log = () =>
  existsSync(join(state(), "claude-code-sync.log")) ? readFileSync(join(state(), "claude-code-sync.log"), "utf8") : ""
const attempts = () =>
  log()
    .split("\n")
    .filter((line) => line.includes("sync: Cannot reach")).length
/** Waits until no sync holds the lock (the background sync a hook started has finished). */
const settled = () => pollFor(async () => (existsSync(join(state(), "sync.lock")) ? undefined : true), 20_000)

describe("after an outage", () => {
  it("the next hook retries the queue, at most once a minute while the server is down, and delivers once it is up", async () => {
    const { server } = context
    const payloads = Cli.payloads(context.home)
    Cli.transcripts(context.home)

    // The session happens while the server is down: everything stays queued.
    const down = "http://127.0.0.1:9"
    expect((await exec(cli, ["set", "convexUrl", down])).code).toBe(0)
    expect((await exec(cli, ["set", "apiKey", server.key])).code).toBe(0)
    expect((await exec(cli, ["set", "autoSync", "false"])).code).toBe(0)
    for (const payload of payloads) expect((await exec(hook, [payload.event], payload.stdin)).code).toBe(0)
    const failed = await exec(cli, ["sync"])
    expect(failed.code).toBe(1)
    // While another sync holds the lock (here one an older version left: live for 5 minutes), `sync` (and
    // /claude-code-sync:sync-now) says so, who and since when, and the last error.
    writeFileSync(join(state(), "sync.lock"), "")
    const busy = await exec(cli, ["sync"])
    rmSync(join(state(), "sync.lock"))
    expect(busy.code).toBe(1)
    expect(busy.stderr).toMatch(
      /Another sync is running \(an older version, since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, \d+ s ago\); it will send what is queued\. \d+ event\(s\) pending; run `claude-code-sync sync` again once fixed\. Last error: Cannot reach http:\/\/127\.0\.0\.1:9 /
    )
    const status = await exec(cli, ["status"])
    expect(status.stdout).toMatch(
      /^outbox +\d+ pending since .*: Cannot reach http:\/\/127\.0\.0\.1:9 .*Is the server running\?; the next hook or turn retries/m
    )
    // the last error says when it was met
    expect(status.stdout).toMatch(
      /^last error +\d{4}-\d\d-\d\d .*\(\d+ s ago\): Cannot reach http:\/\/127\.0\.0\.1:9 /m
    )
    expect((await exec(cli, ["set", "autoSync", "true"])).code).toBe(0)

    // A tool call of any session: it finds events waiting and starts a sync, which fails again.
    const toolCall = payloads.find((payload) => payload.event === "PostToolUse")
    expect(toolCall).toBeDefined()
    const before = attempts()
    expect(await exec(hook, ["PostToolUse"], toolCall?.stdin)).toEqual({
      code: 0,
      signal: null,
      stdout: "",
      stderr: ""
    })
    await pollFor(async () => (attempts() > before ? true : undefined), 20_000)
    await settled()
    expect(attempts()).toBe(before + 1)
    // Within the minute, further tool calls do not try again.
    const attempt = join(state(), "sync-attempt")
    const triedAt = statSync(attempt).mtimeMs
    for (let i = 0; i < 3; i++) expect((await exec(hook, ["PostToolUse"], toolCall?.stdin)).code).toBe(0)
    expect(statSync(attempt).mtimeMs).toBe(triedAt)
    await settled()
    expect(attempts()).toBe(before + 1)

    // The server is back and the minute has passed: the next tool call delivers everything.
    expect((await exec(cli, ["set", "convexUrl", server.url])).code).toBe(0)
    const minuteAgo = (Date.now() - 61_000) / 1000
    utimesSync(attempt, minuteAgo, minuteAgo)
    expect((await exec(hook, ["PostToolUse"], toolCall?.stdin)).code).toBe(0)
    const stored = await pollFor(async () => {
      const found = await getSession(server, Cli.SESSION_ID)
      return found !== undefined && found.detail.messages.length > 1 ? found : undefined
    }, 20_000)
    expect(stored?.detail.session.usage.output).toBe(252)
    await settled()
    expect(JSON.parse((await exec(cli, ["status", "--json"])).stdout).outbox.pending).toBe(0)
  }, 120_000)

  it("an import while the server cannot be reached waits through the retries once, not once more at its end", async () => {
    // A server that takes each connection and drops it at once, counting them: every request fails as unreachable.
    const connections = { count: 0 }
    const dropping = createServer((socket) => {
      connections.count++
      socket.destroy()
    })
    await new Promise<void>((done) => dropping.listen(0, "127.0.0.1", done))
    const url = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`
    const home = mkdtempSync(join(tmpdir(), "ccs-outage-import-"))
    try {
      const run = (args: ReadonlyArray<string>) => Cli.node(home, [cli, ...args])
      expect((await run(["set", "convexUrl", url])).code).toBe(0)
      expect((await run(["set", "apiKey", context.server.key])).code).toBe(0)
      expect((await run(["set", "autoSync", "false"])).code).toBe(0)
      Cli.transcripts(home)
      const imported = await run(["import"])
      expect(imported.code).toBe(1)
      expect(imported.stdout).toMatch(/^1 session \(1 new, /m)
      expect(imported.stderr).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:\d+ .*Is the server running\?/)
      // The send beside the import: a try and its 4 retries (250 ms doubling); then the import's end tries once more.
      expect(connections.count).toBe(6)
      expect(JSON.parse((await run(["status", "--json"])).stdout).outbox.pending).toBeGreaterThan(0)
    } finally {
      dropping.close()
      rmSync(home, { recursive: true, force: true })
    }
  }, 60_000)
})
