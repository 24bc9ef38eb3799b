/**
 * Nothing is consumed before its effects are durable. Many sessions' real hook payloads (the captured `settings` run,
 * one copy per session with its own ids) are delivered twice: once by one plain `sync` (the reference), once by syncs
 * SIGKILLed at many points (mid-inbox, while recording the transcripts to re-read, mid-transcript read, mid-send)
 * followed by plain syncs. Every session must be stored identically.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { getSession, type RunningServer, startServer } from "@opensync/testkit/Server"
import * as Cli from "./support/cli.js"

const killAt = resolve(__dirname, "support/kill-at.cjs")
const { fixtures, SESSION_ID: SESSION, AGENT_ID: AGENT } = Cli
const SESSIONS = 24
const T0 = 1_790_000_000_000

const { copyFor } = Cli
const sessionOf = (k: number) => copyFor(SESSION, k)

const payloads = readFileSync(join(fixtures, "claude-hooks.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as { run: string; hook_event_name: string; payload: unknown })
  .filter((line) => line.run === "settings")

interface Home {
  readonly home: string
  readonly state: string
  /** Writes the inbox items of sessions [from, to) as the hook stores them. */
  readonly hooks: (from: number, to: number) => void
}

const makeHome = (): Home => {
  const home = mkdtempSync(join(tmpdir(), "ccs-kill-"))
  const state = join(home, ".config", "claude-code-sync")
  const project = join(home, ".claude", "projects", "-home-dev-projects-demo")
  const main = readFileSync(join(fixtures, "claude-transcript.jsonl"), "utf8")
  const subagent = readFileSync(join(fixtures, "claude-subagent-transcript.jsonl"), "utf8")
  for (let k = 0; k < SESSIONS; k++) {
    mkdirSync(join(project, sessionOf(k), "subagents"), { recursive: true })
    writeFileSync(join(project, `${sessionOf(k)}.jsonl`), copyFor(main, k))
    writeFileSync(join(project, sessionOf(k), "subagents", `agent-${copyFor(AGENT, k)}.jsonl`), copyFor(subagent, k))
  }
  const hooks = (from: number, to: number) => {
    mkdirSync(join(state, "inbox"), { recursive: true })
    for (let k = from; k < to; k++) {
      payloads.forEach((line, i) => {
        const receivedAt = T0 + k * 60_000 + i * 1_000
        const stdin = copyFor(JSON.stringify(line.payload), k).replaceAll("/home/dev/.claude/", `${home}/.claude/`)
        const header = JSON.stringify({ v: 1, hook: line.hook_event_name, receivedAt })
        writeFileSync(join(state, "inbox", `${receivedAt}-1-${k}-${i}.hook`), `${header}\n${stdin}`)
      })
    }
  }
  return { home, state, hooks }
}

const sync = (home: Home, server: RunningServer, kill?: string) =>
  Cli.node(home.home, [...(kill === undefined ? [] : ["--require", killAt]), Cli.cli, "sync"], {
    CLAUDE_SYNC_CONVEX_URL: server.url,
    CLAUDE_SYNC_API_KEY: server.key,
    ...(kill === undefined ? {} : { KILL_AT: kill })
  })

const count = (dir: string) => {
  try {
    return readdirSync(dir).length
  } catch {
    return 0
  }
}

let reference: RunningServer
let killed: RunningServer
const homes: Array<Home> = []
beforeAll(async () => {
  reference = await startServer()
  killed = await startServer()
})
afterAll(async () => {
  await reference?.stop()
  await killed?.stop()
  for (const home of homes) rmSync(home.home, { recursive: true, force: true })
})

describe("sync killed anywhere", () => {
  it("delivers every session exactly as a sync that was never killed", { timeout: 300_000 }, async () => {
    const plain = makeHome()
    const victim = makeHome()
    homes.push(plain, victim)

    plain.hooks(0, SESSIONS)
    const once = await sync(plain, reference)
    expect(once.stderr).toBe("")
    expect(once.stdout).toContain(
      `Processed ${SESSIONS * payloads.length} hook payload(s) and ${SESSIONS * 2} transcript(s)`
    )

    // The first half of the sessions is in the inbox; the rest arrives after a few kills.
    victim.hooks(0, SESSIONS / 2)
    const kills = [
      "append:3:after",
      "inbox-remove:10:before",
      "followup:1:after",
      "append:40:after",
      "transcript:1:before",
      "transcript:3:after",
      "send:1:after",
      "send:1:before",
      "NEW_HOOKS",
      "append:1:after",
      "inbox-remove:120:before",
      "followup:5:after",
      "transcript:2:before",
      "send:2:after",
      "append:20:after"
    ]
    let deaths = 0
    for (const kill of kills) {
      if (kill === "NEW_HOOKS") {
        victim.hooks(SESSIONS / 2, SESSIONS)
        continue
      }
      const run = await sync(victim, killed, kill)
      // A killed sync leaves its lock behind: the next one takes it over at once (its holder is dead).
      if (run.signal === "SIGKILL") deaths++
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const run = await sync(victim, killed)
      expect(run.stderr).toBe("")
      if (run.stdout.includes(", 0 pending.")) break
    }
    expect(count(join(victim.state, "inbox"))).toBe(0)
    expect(count(join(victim.state, "followups"))).toBe(0)
    expect(count(join(victim.state, "inbox-bad"))).toBe(0)

    for (let k = 0; k < SESSIONS; k++) {
      const expected = await getSession(reference, sessionOf(k))
      const actual = await getSession(killed, sessionOf(k))
      expect(expected?.detail.messages.length, sessionOf(k)).toBeGreaterThan(8)
      expect(actual?.detail, sessionOf(k)).toEqual(expected?.detail)
    }
    // The kills really happened where they were aimed (each count is reached in the state it finds).
    expect(deaths).toBeGreaterThanOrEqual(12)
  })
})
