/**
 * End to end, as a user sets it up: in a fresh HOME, `claude-code-sync login` (an `ingest` key from `opensync keys
 * create`) and `setup` write the hooks and the telemetry settings into `~/.claude/settings.json`; then the real
 * `claude` (pinned and current release) works through tool calls and a subagent, then `--resume … -p /compact`, with
 * nothing but those settings. Its OpenTelemetry export reaches the real local server's OTLP receiver, the hooks and the
 * transcript reader send the rest, and the stored session adds up to exactly what the fake Anthropic server billed for
 * that session (its log has the session id header and the usage of each answer): telemetry and transcript reconciled
 * per request id, the `/compact` summary counted, while ccusage (reading the transcripts only) falls short by it.
 * `status` then says telemetry is on and when the server last received some.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Agents from "@opensync/testkit/Agents"
import * as Telemetry from "../src/Telemetry.js"
import * as Ccusage from "./e2e/Ccusage.js"
import * as Claude from "./e2e/Claude.js"
import * as Fake from "./e2e/FakeAnthropic.js"
import * as Server from "./e2e/Server.js"

const PROMPT = "Run echo hello, write hello.txt, list a missing file, then ask a subagent to say done."

interface Usage {
  readonly input: number
  readonly output: number
  readonly cacheRead: number
  readonly cacheWrite: number
}

const zero: Usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }
const add = (a: Usage, b: Usage): Usage => ({
  input: a.input + b.input,
  output: a.output + b.output,
  cacheRead: a.cacheRead + b.cacheRead,
  cacheWrite: a.cacheWrite + b.cacheWrite
})
const ofApi = (u: Fake.ApiUsage): Usage => ({
  input: u.input_tokens,
  output: u.output_tokens,
  cacheRead: u.cache_read_input_tokens,
  cacheWrite: u.cache_creation_input_tokens
})
const storedUsage = (u: Server.StoredUsage): Usage => ({
  input: u.input,
  output: u.output,
  cacheRead: u.cacheRead,
  cacheWrite: u.cacheWrite5m + u.cacheWrite1h
})

interface StoredFigures {
  readonly telemetryRequests: number
  readonly matchedRequests: number
  readonly transcriptRequests: number
  readonly reportedCostUsd: number
  readonly computedCostUsd: number
  readonly background: ReadonlyArray<{ readonly querySource: string; readonly requests: number }>
  readonly costState: { readonly models: ReadonlyArray<{ readonly usage: Server.StoredUsage }> } | null
}

const cli = async (workspace: Claude.Workspace, args: ReadonlyArray<string>) => {
  const run = await Claude.runCli(workspace, args, undefined)
  expect(run.code, `claude-code-sync ${args.join(" ")}: ${run.stderr}`).toBe(0)
  return run.stdout
}

const versions = Agents.agentVersions("claude-code")

for (const version of versions) {
  const skip = version.missing !== undefined || !Claude.hasCli() || !Ccusage.hasCcusage()
  describe.skipIf(skip)(`${version.label}: telemetry e2e (login + setup, real claude, OTLP, /compact)`, () => {
    afterAll((suite) => Agents.recordResults(version, suite))

    it("stores every request the API billed for the session, once, with the compaction that ccusage misses", {
      timeout: 240_000
    }, async () => {
      const server = await Server.startServer()
      const fake = await Fake.start()
      const workspace = Claude.makeWorkspace()
      try {
        // The key a user creates for a plugin: `opensync keys create`'s default scope.
        const created = JSON.parse(await server.cli(["keys", "create", "--name", "laptop", "--json"])) as {
          key: string
          scope: string
        }
        expect(created.scope).toBe("ingest")
        await cli(workspace, ["login", "--url", server.url, "--key", created.key])
        await cli(workspace, ["setup"])
        const settings = JSON.parse(readFileSync(join(workspace.home, ".claude/settings.json"), "utf8"))
        // login's SessionEnd variable went with setup: its hooks' timeout gives the same budget.
        expect(settings.env).toEqual(Telemetry.variables({ serverUrl: server.url, apiKey: created.key }))
        expect(Object.keys(settings.hooks)).toHaveLength(8)

        // Claude Code with nothing but what setup wrote: no plugin dir, no OTEL_* in its environment.
        const { first, compact } = await Claude.runAndCompact({
          workspace,
          fakeUrl: fake.url,
          prompt: PROMPT,
          bin: version.bin
        })
        expect(first.code, first.stderr).toBe(0)
        const sessionId = first.sessionId
        expect(sessionId).toMatch(/^[0-9a-f-]{36}$/)
        expect(compact?.code, compact?.stderr).toBe(0)
        await Claude.waitForSyncIdle(workspace)
        expect((await Claude.flush(workspace, undefined)).code).toBe(0)

        // What the API billed for this session, by the session header Claude Code sends with every request.
        const answered = fake.requests.filter(
          (r) => r.reply !== undefined && r.headers["x-claude-code-session-id"] === sessionId
        )
        expect(answered.length).toBe(Fake.replies(fake).length)
        const kinds = answered.map((r) => r.reply?.kind)
        expect(kinds).toContain("subagent")
        expect(kinds.filter((kind) => kind === "compact")).toHaveLength(1)
        const total = answered.reduce((sum, r) => add(sum, r.reply ? ofApi(r.reply.usage) : zero), zero)
        const compaction = answered
          .filter((r) => r.reply?.kind === "compact")
          .reduce((sum, r) => add(sum, r.reply ? ofApi(r.reply.usage) : zero), zero)

        // Telemetry arrives on its own (flushed when claude exits); the transcript's requests through the hooks.
        const reader = { url: server.url, key: server.key }
        const stored = await Claude.pollFor(async () => {
          const found = await Server.getSession(reader, sessionId)
          const figures = (found?.detail.session as { figures?: StoredFigures } | undefined)?.figures
          return figures?.telemetryRequests === answered.length && figures.matchedRequests === answered.length - 1
            ? found
            : undefined
        }, 60_000)
        const last = await Server.getSession(reader, sessionId)
        expect(stored, `figures: ${JSON.stringify(last?.detail.session.figures)}`).toBeDefined()
        const session = stored?.detail.session as Server.StoredSession & { figures: StoredFigures }
        expect(storedUsage(session.usage)).toEqual(total)
        // Every request the transcript has was matched by its request id; only the /compact summary is background.
        expect(session.figures.transcriptRequests).toBe(0)
        expect(session.figures.background.map((b) => [b.querySource, b.requests])).toEqual([["compact", 1]])
        expect(session.figures.reportedCostUsd).toBeCloseTo(session.figures.computedCostUsd, 5)
        if (Agents.compareVersions(version.version, "2.1.332") >= 0) {
          // Claude Code's own cost-state, read from the transcript, says the same.
          const state = session.figures.costState?.models.reduce((sum, m) => add(sum, storedUsage(m.usage)), zero)
          expect(state).toEqual(total)
        }
        const timed = stored?.detail.toolCalls.map((c) => c.durationMs !== null) ?? []
        expect(timed.length).toBeGreaterThanOrEqual(4)
        expect(timed.every(Boolean)).toBe(true)

        // ccusage reads the transcripts only: it falls short by exactly the compaction request.
        const ccusage = Ccusage.ccusageTotals(join(workspace.home, ".claude")).get(sessionId)
        expect(ccusage).toBeDefined()
        const ccusageUsage: Usage = {
          input: ccusage?.input ?? -1,
          output: ccusage?.output ?? -1,
          cacheRead: ccusage?.cacheRead ?? -1,
          cacheWrite: ccusage?.cacheWrite ?? -1
        }
        console.log(
          `${version.label}: billed ${answered.length} requests (${kinds.join(", ")}); stored ${JSON.stringify(total)}; ` +
            `ccusage ${JSON.stringify(ccusageUsage)}; compaction ${JSON.stringify(compaction)}`
        )
        expect(add(ccusageUsage, compaction)).toEqual(total)

        // status: telemetry on, and received.
        const status = JSON.parse(await cli(workspace, ["status", "--json"]))
        expect(status.telemetry).toMatchObject({ state: "on", endpoint: server.url })
        expect(status.telemetry.lastReceivedAt).toEqual(expect.any(Number))
        expect(await cli(workspace, ["status"])).toMatch(
          new RegExp(
            `^telemetry {6}on: Claude Code exports to ${server.url} .*; the server last received telemetry `,
            "m"
          )
        )
      } finally {
        await fake.close()
        await server.stop()
        await Claude.removeWorkspace(workspace)
      }
    })
  })
}
