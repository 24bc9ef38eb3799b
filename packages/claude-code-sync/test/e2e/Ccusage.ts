/**
 * Per-session token totals of Claude Code transcripts, as ccusage (the community's reference tool, pinned as a dev
 * dependency) and as this package's reader count them, for tests that check the two agree.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import * as Effect from "effect/Effect"
import * as Import from "../../src/Import.js"
import * as Transcript from "../../src/transcript/index.js"

const repoRoot = resolve(import.meta.dirname, "../../../..")
export const ccusageCli = join(repoRoot, "node_modules/ccusage/src/cli.js")
export const hasCcusage = () => existsSync(ccusageCli)

export interface Totals {
  readonly input: number
  readonly output: number
  readonly cacheWrite: number
  readonly cacheRead: number
}

/** `ccusage session --offline --json` over `claudeDir` only (an empty HOME, so it finds nothing else). */
export const ccusageTotals = (claudeDir: string): Map<string, Totals> => {
  const home = mkdtempSync(join(tmpdir(), "ccusage-home-"))
  try {
    const run = spawnSync(process.execPath, [ccusageCli, "session", "--offline", "--json"], {
      env: { PATH: dirname(process.execPath), HOME: home, CLAUDE_CONFIG_DIR: claudeDir, NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000
    })
    if (run.status !== 0) throw new Error(`ccusage exited ${run.status ?? run.signal}: ${run.stderr}`)
    const sessions = (
      JSON.parse(run.stdout) as {
        readonly session: ReadonlyArray<{
          readonly sessionId?: string
          readonly period?: string
          readonly inputTokens: number
          readonly outputTokens: number
          readonly cacheCreationTokens: number
          readonly cacheReadTokens: number
        }>
      }
    ).session
    return new Map(
      sessions.map((s) => [
        s.period ?? s.sessionId ?? "",
        {
          input: s.inputTokens,
          output: s.outputTokens,
          cacheWrite: s.cacheCreationTokens,
          cacheRead: s.cacheReadTokens
        }
      ])
    )
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

/** The same totals from the message events this package's reader makes of every transcript under `claudeDir`. */
export const ourTotals = (claudeDir: string): Promise<Map<string, Totals>> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const totals = new Map<string, { input: number; output: number; cacheWrite: number; cacheRead: number }>()
      const files = yield* Import.discover({ CLAUDE_CONFIG_DIR: claudeDir, HOME: "/nonexistent" })
      for (const file of files) {
        const parsed = yield* Transcript.readTranscriptFile(file.path)
        const agent = file.agentId !== null ? { agentId: file.agentId } : {}
        const session = Transcript.readSession(parsed.lines, { syncThinking: false, source: file.kind, ...agent })
        const events = Transcript.toEvents(session, {
          sessionId: file.sessionId,
          source: "claude-code",
          syncToolCalls: true,
          ...agent
        })
        for (const event of events) {
          if (event.kind !== "message" || event.usage === undefined) continue
          const t = totals.get(event.sessionId) ?? { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 }
          const usage = event.usage
          t.input += usage.input ?? 0
          t.output += usage.output ?? 0
          t.cacheWrite += (usage.cacheWrite5m ?? 0) + (usage.cacheWrite1h ?? 0)
          t.cacheRead += usage.cacheRead ?? 0
          totals.set(event.sessionId, t)
        }
      }
      return totals
    })
  )
