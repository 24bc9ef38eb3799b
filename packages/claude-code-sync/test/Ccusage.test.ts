/**
 * Token totals per session must equal ccusage's (`ccusage session --offline --json`, pinned 20.0.24) on the same
 * transcripts: here the real transcripts captured from Claude Code 2.1.197 (main + subagent), also with the damage real
 * files show (a line cut mid-write, a stray non-JSON line), and from 2.1.332 (background subagent, prompt snapshots). ClaudeE2E.test.ts checks the same on the transcripts the real
 * `claude` binary writes during the end-to-end runs.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "@effect/vitest"
import * as Ccusage from "./e2e/Ccusage.js"

const fixtures = join(import.meta.dirname, "fixtures")
const SESSION = "c763ea33-250a-4cfa-ba10-d17cac298173"
const AGENT = "a0aff73444ac06d3e"

const dirs: Array<string> = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A CLAUDE_CONFIG_DIR holding a captured session as Claude Code lays it out, main transcript changed by `edit`. */
const claudeDir = (
  edit: (text: string) => string = (text) => text,
  capture = {
    session: SESSION,
    agent: AGENT,
    main: "claude-transcript.jsonl",
    subagent: "claude-subagent-transcript.jsonl"
  }
): string => {
  const dir = mkdtempSync(join(tmpdir(), "ccusage-cmp-"))
  dirs.push(dir)
  const project = join(dir, "projects", "-home-dev-projects-demo")
  mkdirSync(join(project, capture.session, "subagents"), { recursive: true })
  writeFileSync(join(project, `${capture.session}.jsonl`), edit(readFileSync(join(fixtures, capture.main), "utf8")))
  copyFileSync(
    join(fixtures, capture.subagent),
    join(project, capture.session, "subagents", `agent-${capture.agent}.jsonl`)
  )
  return dir
}

describe.skipIf(!Ccusage.hasCcusage())("token totals agree with ccusage", () => {
  it("on the captured real session (main transcript + subagent)", async () => {
    const dir = claudeDir()
    const theirs = Ccusage.ccusageTotals(dir)
    const ours = await Ccusage.ourTotals(dir)
    expect([...theirs.keys()]).toEqual([SESSION])
    expect(ours.get(SESSION)).toEqual(theirs.get(SESSION))
    // And both are the figures Claude Code itself reported for this session (see Transcript.test.ts).
    expect(ours.get(SESSION)).toEqual({ input: 28, output: 271, cacheWrite: 27_682, cacheRead: 54_548 })
  })

  it("with a line cut mid-write at the end and a stray non-JSON line", async () => {
    const dir = claudeDir((text) => {
      const lines = text.trimEnd().split("\n")
      const last = lines.at(-1) ?? ""
      return [...lines.slice(0, 3), "not json at all", ...lines.slice(3, -1), last.slice(0, last.length >> 1)].join(
        "\n"
      )
    })
    const theirs = Ccusage.ccusageTotals(dir)
    const ours = await Ccusage.ourTotals(dir)
    expect(ours.get(SESSION)).toEqual(theirs.get(SESSION))
  })
  it("on the captured 2.1.332 session: background subagent, a second turn for its notification, prompt snapshots", async () => {
    const session = "a6e9dfb8-e1b3-4c98-a273-0dc6a285e930"
    const dir = claudeDir((text) => text, {
      session,
      agent: "a010bbeee9f532d40",
      main: "claude-2.1.332/transcript.jsonl",
      subagent: "claude-2.1.332/subagent-transcript.jsonl"
    })
    const theirs = Ccusage.ccusageTotals(dir)
    const ours = await Ccusage.ourTotals(dir)
    expect(ours.get(session)).toEqual(theirs.get(session))
    // Claude Code's own cost-state for the session agrees (see transcript/Current.test.ts).
    expect(ours.get(session)).toEqual({ input: 350, output: 351, cacheWrite: 9_880, cacheRead: 28_600 })
  })
})
