/**
 * Token totals per session must equal ccusage's (`ccusage session --offline --json`, pinned 20.0.24) on the same
 * transcripts: here the real transcripts captured from Claude Code 2.1.197 (main + subagent), also with the damage real
 * files show (a line cut mid-write, a stray non-JSON line). ClaudeE2E.test.ts checks the same on the transcripts the real
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

/** A CLAUDE_CONFIG_DIR holding the captured session as Claude Code lays it out, main transcript changed by `edit`. */
const claudeDir = (edit: (text: string) => string = (text) => text): string => {
  const dir = mkdtempSync(join(tmpdir(), "ccusage-cmp-"))
  dirs.push(dir)
  const project = join(dir, "projects", "-home-dev-projects-demo")
  mkdirSync(join(project, SESSION, "subagents"), { recursive: true })
  writeFileSync(
    join(project, `${SESSION}.jsonl`),
    edit(readFileSync(join(fixtures, "claude-transcript.jsonl"), "utf8"))
  )
  copyFileSync(
    join(fixtures, "claude-subagent-transcript.jsonl"),
    join(project, SESSION, "subagents", `agent-${AGENT}.jsonl`)
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
})
