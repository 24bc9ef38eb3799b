/**
 * Upgrades keep the queue: `fixtures/queue-0.2.0/` is the state directory claude-code-sync 0.2.0 (the release before
 * the agent kit) left behind, written by its own bundles: 12 hook payloads it had turned into 4 outbox events, and 12
 * more still in its inbox (old item names, headers without a format version). The current CLI must deliver all of it.
 */
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { expectQueueDelivered } from "@opensync/testkit/HookAgent"
import { getSession } from "@opensync/testkit/Server"
import { inboxVersion } from "../src/Agent.js"
import * as Source from "../src/Source.js"
import * as Cli from "./support/cli.js"

const { fixtures, SESSION_ID: sessionId, AGENT_ID: agentId } = Cli
const run = (home: string, args: ReadonlyArray<string>) => Cli.run(home, args)

const context = Cli.serverAndHomes("ccs-upgrade-")

/** A HOME holding the 0.2.0 queue, with the session's transcripts where its hook payloads say they are. */
const upgradedHome = () => {
  const home = context.home()
  const state = join(home, ".config", "claude-code-sync")
  cpSync(join(fixtures, "queue-0.2.0"), state, { recursive: true })
  Cli.transcripts(home, { subagent: true })
  // The payloads name the capture machine's paths; point them at this HOME (the item layout stays 0.2.0's).
  for (const name of readdirSync(join(state, "inbox"))) {
    const file = join(state, "inbox", name)
    writeFileSync(file, readFileSync(file, "utf8").replaceAll("/home/dev/.claude/", `${home}/.claude/`))
  }
  return { home, state }
}

describe("upgrading from claude-code-sync 0.2.0", () => {
  it("delivers everything the older version queued: its outbox files and its inbox items", async () => {
    const { home, state } = upgradedHome()
    expect(readdirSync(join(state, "outbox", "pending"))).toHaveLength(4)
    expect(readdirSync(join(state, "inbox"))).toHaveLength(12)
    expect((await run(home, ["login", "--url", context.server.url, "--key", context.server.key])).code).toBe(0)

    const sync = await run(home, ["sync"])
    expectQueueDelivered(sync, state, "Processed 12 hook payload(s) and 2 transcript(s)")
    expect(readdirSync(join(state, "outbox", "pending"))).toEqual([])

    const stored = await getSession(context.server, sessionId)
    expect(stored).toBeDefined()
    // The prompt came through the old outbox; replies, tokens and the subagent from the transcripts the old inbox named.
    expect(stored?.detail.messages.some((m) => m.role === "user" && m.text.startsWith("Run echo hello"))).toBe(true)
    expect(stored?.detail.messages.some((m) => m.agentId === agentId)).toBe(true)
    expect(stored?.detail.session.usage).toEqual({
      input: 28,
      output: 271,
      cacheRead: 54_548,
      cacheWrite5m: 27_682,
      cacheWrite1h: 0,
      reasoning: 0
    })
  }, 60_000)

  it("reads an item without a format version as the current one, and keeps one from a newer format", () => {
    const options = { syncToolCalls: true, syncThinking: false }
    const dir = join(fixtures, "queue-0.2.0", "inbox")
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), "utf8")
      const newline = text.indexOf("\n")
      const header = JSON.parse(text.slice(0, newline)) as Record<string, unknown>
      expect(header.v).toBeUndefined()
      const versioned = `${JSON.stringify({ v: inboxVersion, ...header })}${text.slice(newline)}`
      const old = Source.decode({ name, text, mtimeMs: 0 }, options)
      expect(old._tag).toBe("Decoded")
      expect(Source.decode({ name, text: versioned, mtimeMs: 0 }, options)).toEqual(old)
      const newer = `${JSON.stringify({ ...header, v: inboxVersion + 1 })}${text.slice(newline)}`
      expect(Source.decode({ name, text: newer, mtimeMs: 0 }, options)).toEqual({
        _tag: "Unreadable",
        reason: `written by a newer claude-code-sync (inbox format ${inboxVersion + 1}): left in the inbox for it; upgrade claude-code-sync to send it`,
        keep: true
      })
    }
  })

  it("leaves an item of a newer format in the inbox for the CLI that reads it (it was set aside, redacted, for good)", async () => {
    const { home, state } = upgradedHome()
    const inbox = join(state, "inbox")
    const [first, ...rest] = readdirSync(inbox).sort()
    const text = readFileSync(join(inbox, first!), "utf8")
    const newline = text.indexOf("\n")
    const header = JSON.parse(text.slice(0, newline)) as Record<string, unknown>
    const newer = `${JSON.stringify({ ...header, v: inboxVersion + 1 })}${text.slice(newline)}`
    writeFileSync(join(inbox, first!), newer)
    expect((await run(home, ["login", "--url", context.server.url, "--key", context.server.key])).code).toBe(0)
    const sync = await run(home, ["sync"])
    expect(sync.stdout).toContain(`Processed ${rest.length} hook payload(s)`)
    expect(readdirSync(inbox)).toEqual([first])
    expect(readFileSync(join(inbox, first!), "utf8")).toEqual(newer)
    expect(existsSync(join(state, "inbox-bad")) ? readdirSync(join(state, "inbox-bad")) : []).toEqual([])
    expect(readFileSync(join(state, "claude-code-sync.log"), "utf8")).toContain(
      `${first}: written by a newer claude-code-sync (inbox format ${inboxVersion + 1}): left in the inbox for it`
    )
  }, 60_000)
})
