/**
 * Hooks on a full disk: a real full filesystem (a 256 KiB tmpfs as claude-code-sync's state directory, mounted in a
 * mount namespace of its own: `unshare --user --map-root-user --mount`, which needs no root where unprivileged user
 * namespaces are allowed, else root). Every hook still exits 0 and prints nothing; the failure is recorded where
 * `status` shows it; once there is room again, the next sync re-reads the session from its transcript and the server
 * has all of it.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as FullDisk from "@opensync/testkit/FullDisk"
import { getSession } from "@opensync/testkit/Server"
import * as Cli from "./support/cli.js"

const driver = resolve(__dirname, "support/full-disk.mjs")

/** Runs a command with a 256 KiB tmpfs mounted at `dir`, in a mount namespace of its own (see testkit's FullDisk). */
const inTinyDisk = (dir: string, command: ReadonlyArray<string>, env: Record<string, string>) => {
  const prefix = FullDisk.namespacePrefix()
  if (typeof prefix === "string") throw new Error(`cannot make a full disk here: ${prefix}`)
  const script = `mount -t tmpfs -o size=256k tmpfs "${dir}" && exec "$@"`
  const [head, ...rest] = prefix
  return spawnSync(head ?? "unshare", [...rest, "sh", "-c", script, "sh", ...command], { env, encoding: "utf8" })
}

const context = Cli.serverAndHome("ccs-full-")

/**
 * The session's transcript in `home`, and the driver run with the state directory on a tiny disk (`more`: `LOGIN=1`
 * to run only `login` before the disk fills): the session's payloads and what each step gave.
 */
const runDriver = (home: string, more: Record<string, string> = {}) => {
  const state = Cli.stateDir(home)
  mkdirSync(state, { recursive: true })
  Cli.transcripts(home)
  const payloads = Cli.payloads(home)
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    CLAUDE_SYNC_CONVEX_URL: context.server.url,
    CLAUDE_SYNC_API_KEY: context.server.key,
    CLI: Cli.cli,
    HOOK: Cli.hook,
    STATE: state,
    PAYLOADS: JSON.stringify(payloads),
    ...more
  }
  const ran = inTinyDisk(state, [process.execPath, driver], env)
  expect(ran.status, ran.stderr).toBe(0)
  return { payloads, result: JSON.parse(ran.stdout) }
}

describe("hooks on a full disk", () => {
  it("exit 0 silently, record the failure for status, and the next sync recovers the session", () => {
    const { payloads, result } = runDriver(context.home)

    expect(result.first).toEqual({ code: 0, signal: null, stdout: "", stderr: "" })
    for (const run of result.hooks) expect(run).toEqual({ code: 0, signal: null, stdout: "", stderr: "" })
    // Only the payload stored before the disk filled up is in the inbox; no partial temp file is left behind.
    expect(result.inbox).toHaveLength(1)
    expect(result.tmp).toEqual([])

    const full = JSON.parse(result.statusFull.stdout)
    expect(full.inbox.failures).toMatchObject({
      count: payloads.length - 1,
      sessions: [{ id: Cli.SESSION_ID }],
      lastError: expect.stringContaining("ENOSPC")
    })
    expect(result.statusFullText.stdout).toMatch(
      new RegExp(
        `inbox +1 hook payload\\(s\\) waiting\\n +${payloads.length - 1} hook payload\\(s\\) could not be stored, .*ENOSPC.*: the next sync re-reads 1 session\\(s\\) from their transcripts`
      )
    )

    expect(result.sync.stderr).toBe("")
    expect(result.sync.code).toBe(0)
    expect(result.sync.stdout).toContain("Re-read 1 session(s) whose hook payloads could not be stored")
    const after = JSON.parse(result.statusAfter.stdout)
    expect(after.inbox.failures).toMatchObject({ count: 0, sessions: [], recovered: payloads.length - 1 })
    expect(result.statusAfterText.stdout).toMatch(/their sessions were re-read from their transcripts/)
    expect(after.outbox.pending).toBe(0)
  })

  it("the server has the whole session, from the transcript", async () => {
    const stored = await getSession(context.server, Cli.SESSION_ID)
    expect(stored?.detail.session.usage).toEqual(Cli.SESSION_USAGE)
    expect(stored?.detail.messages.some((m) => m.role === "user" && m.text.startsWith("Run echo hello"))).toBe(true)
    // How the session ended is only in the SessionEnd hook's payload, which the full disk refused: the failures file
    // kept it whole, and the sync put it back in the inbox.
    expect(stored?.detail.session.endReason).toBe("other")
    expect(stored?.detail.toolCalls).toHaveLength(4)
  })

  for (const stale of [false, true]) {
    it(`hooks of many sessions failing at once each record their session${stale ? ", past a dead hook's lock" : ""}`, () => {
      // Each hook reads, changes and writes the whole failures file; without a lock the last write won, and the
      // sessions of the others were never re-read (15 of 20 recorded, in a review). A lock a killed hook left behind
      // is taken over by one of them (all taking it over at once lost sessions again, in a review)
      const home = mkdtempSync(join(tmpdir(), "ccs-full-parallel-"))
      try {
        const sessions = 24
        const { result } = runDriver(home, { PARALLEL: String(sessions), ...(stale ? { STALE_LOCK: "1" } : {}) })
        for (const run of result.hooks) expect(run).toEqual({ code: 0, signal: null, stdout: "", stderr: "" })
        const recorded = (result.failures.sessions as ReadonlyArray<{ id: string }>).map((session) => session.id)
        expect(recorded.filter((id) => id.startsWith("parallel-")).sort()).toEqual(
          Array.from({ length: sessions }, (_, i) => `parallel-${i}`).sort()
        )
        expect(result.failures.count).toBe(sessions)
        // Their kept payloads go back to the inbox, and their sessions are cleared once re-read
        expect(result.sync.code, result.sync.stderr).toBe(0)
        expect(JSON.parse(result.statusAfter.stdout).inbox.failures).toMatchObject({ count: 0, sessions: [] })
      } finally {
        rmSync(home, { recursive: true, force: true })
      }
    })
  }

  it("after a login alone, a disk that fills before any hook ran: every hook's failure is recorded and recovered", async () => {
    // `login` makes the failures file while there is room; before, only the first hook did, and on a full disk it
    // could not: nothing recorded the hooks, and `status` and `sync` found nothing to do.
    const { server } = context
    const home = mkdtempSync(join(tmpdir(), "ccs-full-login-"))
    try {
      const { payloads, result } = runDriver(home, { LOGIN: "1" })
      expect(result.first.code, result.first.stderr).toBe(0)
      for (const run of result.hooks) expect(run).toEqual({ code: 0, signal: null, stdout: "", stderr: "" })
      expect(result.tmp).toEqual([])
      expect(JSON.parse(result.statusFull.stdout).inbox.failures).toMatchObject({
        count: payloads.length,
        sessions: [{ id: Cli.SESSION_ID }]
      })
      expect(result.sync.code, result.sync.stderr).toBe(0)
      expect(result.sync.stdout).toContain("Re-read 1 session(s) whose hook payloads could not be stored")
      const stored = await getSession(server, Cli.SESSION_ID)
      expect(stored?.detail.session.usage).toEqual(Cli.SESSION_USAGE)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })
})
