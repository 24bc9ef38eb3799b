/**
 * A prompt longer than a server keeps (a paste of megabytes): it is sent cut to what the server stores, and marked
 * truncated. Its event used to be larger than any request may hold, so the outbox set it aside at once, and again after
 * every `sync --retry-rejected`: the session reached the server without its first prompt.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Limits } from "@opensync/domain"
import { getSession } from "@opensync/testkit/Server"
import * as Cli from "./support/cli.js"

const context = Cli.serverAndHome("ccs-long-paste-")

describe("a prompt of megabytes", () => {
  it("reaches the server cut to what it keeps, marked truncated, and nothing is set aside", async () => {
    const { home, server } = context
    const env = { CLAUDE_SYNC_CONVEX_URL: server.url, CLAUDE_SYNC_API_KEY: server.key, CLAUDE_SYNC_AUTO_SYNC: "0" }
    const prompt = "Run echo hello, write hello.txt, list a missing file, then ask a subagent to say done."
    const paste = `${prompt} ${"lorem ipsum dolor sit amet ".repeat(85_000)}`
    expect(paste.length).toBeGreaterThan(2_000_000)
    const transcript = readFileSync(join(Cli.fixtures, "claude-transcript.jsonl"), "utf8").replaceAll(
      JSON.stringify(prompt),
      JSON.stringify(paste)
    )
    Cli.transcripts(home, { main: transcript })
    for (const { event, stdin } of Cli.payloads(home)) {
      const ran = await Cli.node(
        home,
        [Cli.hook, event],
        env,
        stdin.replaceAll(JSON.stringify(prompt), JSON.stringify(paste))
      )
      expect([ran.code, ran.stdout]).toEqual([0, ""])
    }
    const synced = await Cli.node(home, [Cli.cli, "sync"], env)
    expect(synced.stdout).toMatch(/Sent \d+ event\(s\), 0 rejected by the server, 0 pending\./)
    const outbox = join(Cli.stateDir(home), "outbox")
    expect(readdirSync(join(outbox, "rejected")).filter((name) => name.endsWith(".json"))).toEqual([])
    const stored = await getSession(server, Cli.SESSION_ID)
    const first = stored?.detail.messages.find((message) => message.text.startsWith(prompt))
    expect(first?.text.length).toBeLessThanOrEqual(Limits.maxTextChars)
    expect(first?.text).toMatch(/… \[truncated \d+ chars\]$/)
    expect(first?.truncated).toBe(true)
  }, 120_000)
})
