/**
 * History outlives Claude Code's cleanup: a transcript Claude Code deletes within a week (`cleanupPeriodDays` after
 * its last change) that is not on the server is named by `status`, logged and sent by the background sync a hook
 * starts, and sent by `sync`; `setup` says how long Claude Code keeps transcripts and how to keep them longer.
 */
import { copyFileSync, readFileSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { getSession } from "@opensync/testkit/Server"
import * as Cli from "./support/cli.js"

const OLD = Cli.SESSION_ID
const RECENT = "0a0a0a0a-250a-4cfa-ba10-d17cac298173"
const DAY = 86_400_000

const context = Cli.serverAndHome("ccs-retention-")
const run = (args: ReadonlyArray<string>) => Cli.run(context.home, args)

describe("sessions Claude Code is about to delete", () => {
  it("are named by status, sent by the next sync (and logged), and setup explains the cleanup period", async () => {
    const { home, server } = context
    const settings = join(home, ".claude", "settings.json")
    const { project } = Cli.transcripts(home)
    writeFileSync(settings, JSON.stringify({ cleanupPeriodDays: 10 }))
    // Last changed 5 days ago: deleted in 5 days. The other one changed now: deleted in 10.
    const old = join(project, `${OLD}.jsonl`)
    const fiveDaysAgo = (Date.now() - 5 * DAY) / 1000
    utimesSync(old, fiveDaysAgo, fiveDaysAgo)
    copyFileSync(join(Cli.fixtures, "claude-transcript.jsonl"), join(project, `${RECENT}.jsonl`))

    const setup = await run(["setup"])
    expect(setup.code, setup.stderr).toBe(0)
    expect(setup.stdout).toContain(
      `Claude Code deletes transcripts 10 days after their last change: "cleanupPeriodDays" in ${settings}.`
    )
    expect(setup.stdout).toContain('To keep them longer, set e.g. "cleanupPeriodDays": 365 there.')

    const unconfigured = await run(["status"])
    expect(unconfigured.stdout).toMatch(
      /^history +1 session\(s\) Claude Code deletes within 7 days \(cleanupPeriodDays in .*: 10 days\); cannot check which the server has \(not configured\)$/m
    )
    expect((await run(["login", "--url", server.url, "--key", server.key])).code).toBe(0)
    const before = await run(["status"])
    const deletesOn = new Date(Date.now() + 5 * DAY).toISOString().slice(0, 10)
    expect(before.stdout).toContain(
      `history        1 session(s) not on the server will be deleted by Claude Code within 7 days (the first on ${deletesOn}; ` +
        `cleanupPeriodDays in ${settings}: 10 days): \`claude-code-sync sync\` sends them`
    )

    // What a hook starts at the end of a turn: it sends the session and says so in the log.
    expect(await run(["sync", "--background"])).toEqual({ code: 0, signal: null, stdout: "", stderr: "" })
    const log = readFileSync(join(home, ".config", "claude-code-sync", "claude-code-sync.log"), "utf8")
    expect(log).toMatch(
      /sync: 1 session\(s\) not on the server will be deleted by Claude Code within 7 days .*; queued 1/
    )
    expect((await getSession(server, OLD))?.detail.session.usage.output).toBe(252)
    expect(await getSession(server, RECENT)).toBeUndefined()
    const after = await run(["status", "--json"])
    expect(JSON.parse(after.stdout).retention).toMatchObject({ atRisk: 1, missing: [], error: null })
    expect((await run(["status"])).stdout).toContain(
      "history        the 1 session(s) Claude Code deletes within 7 days are on the server"
    )
  }, 60_000)
})
