/**
 * End to end with the real `claude` (pinned 2.1.197): its OpenTelemetry export goes to the real local server's OTLP
 * receiver while it works through tool calls, a subagent and then `--resume … -p /compact`. The stored session must
 * add up to exactly what the fake Anthropic server billed for that session (its log has the session id header and the
 * usage of each answer), telemetry and transcript reconciled per request id, while ccusage (reading the transcripts
 * only) falls short by the compaction request.
 *
 * The telemetry settings are set here for the claude process (the plugin's `setup` writing them is not part of this
 * test). The transcript side is sent the way the reader must send it: one message event per API response, carrying
 * the response's `requestId` (see docs/telemetry.md); the reader in `src/Transcript.ts` does not set it yet.
 */
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
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

/** The telemetry settings a user's `~/.claude/settings.json` `env` gets from `claude-code-sync setup`. */
const telemetryEnv = (url: string, key: string, protocol: "http/json" | "http/protobuf", gzip: boolean) => ({
  DISABLE_TELEMETRY: undefined,
  CLAUDE_CODE_ENABLE_TELEMETRY: "1",
  OTEL_LOGS_EXPORTER: "otlp",
  OTEL_METRICS_EXPORTER: "otlp",
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_ENDPOINT: url,
  OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${key}`,
  ...(gzip ? { OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" } : {}),
  OTEL_LOGS_EXPORT_INTERVAL: "500",
  OTEL_METRIC_EXPORT_INTERVAL: "1000"
})

interface TranscriptLine {
  readonly type?: string
  readonly sessionId?: string
  readonly requestId?: string
  readonly timestamp?: string
  readonly isSidechain?: boolean
  readonly message?: {
    readonly id?: string
    readonly model?: string
    readonly usage?: {
      readonly input_tokens: number
      readonly output_tokens: number
      readonly cache_read_input_tokens?: number
      readonly cache_creation_input_tokens?: number
      readonly cache_creation?: {
        readonly ephemeral_5m_input_tokens?: number
        readonly ephemeral_1h_input_tokens?: number
      }
    }
  }
}

const jsonlFiles = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? jsonlFiles(path) : name.endsWith(".jsonl") ? [path] : []
  })

/** What the transcript reader must send for telemetry to be matched: per API response, its usage and `requestId`. */
const transcriptEvents = (claudeDir: string, sessionId: string) => {
  const byRequest = new Map<string, { line: TranscriptLine; file: string }>()
  for (const file of jsonlFiles(join(claudeDir, "projects"))) {
    for (const text of readFileSync(file, "utf8").split("\n")) {
      if (!text.startsWith("{")) continue
      const line = JSON.parse(text) as TranscriptLine
      if (line.type !== "assistant" || line.requestId === undefined || line.message?.usage === undefined) continue
      if (line.sessionId !== sessionId || line.message.model === "<synthetic>") continue
      byRequest.set(line.requestId, { line, file })
    }
  }
  return [...byRequest.entries()].map(([requestId, { line }], index) => {
    const u = line.message!.usage!
    const at = Date.parse(line.timestamp ?? "")
    const write5m = u.cache_creation?.ephemeral_5m_input_tokens ?? u.cache_creation_input_tokens ?? 0
    return {
      kind: "message",
      id: `evt_e2e_transcript_${sessionId}_${index}`,
      source: "claude-code",
      sessionId,
      at,
      messageId: line.message!.id ?? requestId,
      role: "assistant",
      text: "",
      model: line.message!.model,
      createdAt: at,
      requestId,
      usage: {
        input: u.input_tokens,
        output: u.output_tokens,
        cacheRead: u.cache_read_input_tokens ?? 0,
        cacheWrite5m: write5m,
        cacheWrite1h: u.cache_creation?.ephemeral_1h_input_tokens ?? 0
      }
    }
  })
}

interface StoredFigures {
  readonly telemetryRequests: number
  readonly matchedRequests: number
  readonly transcriptRequests: number
  readonly reportedCostUsd: number
  readonly computedCostUsd: number
  readonly background: ReadonlyArray<{
    readonly querySource: string
    readonly requests: number
    readonly usage: Server.StoredUsage
  }>
}

const storedUsage = (u: Server.StoredUsage): Usage => ({
  input: u.input,
  output: u.output,
  cacheRead: u.cacheRead,
  cacheWrite: u.cacheWrite5m + u.cacheWrite1h
})

describe.skipIf(!Claude.hasClaude() || !Ccusage.hasCcusage())(
  "Claude Code telemetry e2e (real claude, OTLP, /compact)",
  () => {
    it("stores every request the API billed for the session, once, with the compaction that ccusage misses", {
      timeout: 180_000
    }, async () => {
      const server = await Server.startServer()
      const fake = await Fake.start()
      const workspace = Claude.makeWorkspace()
      try {
        const ingestKey = (
          JSON.parse(await server.cli(["keys", "create", "--name", "otel", "--json"])) as { key: string }
        ).key
        const first = await Claude.runClaude({
          workspace,
          fakeUrl: fake.url,
          prompt: PROMPT,
          sync: undefined,
          pluginDir: null,
          env: telemetryEnv(server.url, ingestKey, "http/json", false)
        })
        expect(first.code, first.stderr).toBe(0)
        const sessionId = first.sessionId
        expect(sessionId).toMatch(/^[0-9a-f-]{36}$/)
        const compact = await Claude.runClaude({
          workspace,
          fakeUrl: fake.url,
          prompt: "/compact",
          args: ["--resume", sessionId],
          sync: undefined,
          pluginDir: null,
          env: telemetryEnv(server.url, ingestKey, "http/protobuf", true)
        })
        expect(compact.code, compact.stderr).toBe(0)

        // What the API billed for this session, by the session header Claude Code sends with every request.
        const answered = fake.requests.filter(
          (r) => r.reply !== undefined && r.headers["x-claude-code-session-id"] === sessionId
        )
        // every request the fake answered carried this session's id (the session header of Claude Code's client)
        expect(answered.length).toBe(Fake.replies(fake).length)
        const kinds = answered.map((r) => r.reply!.kind)
        expect(kinds).toContain("subagent")
        expect(kinds).toContain("compact")
        const total = answered.reduce((sum, r) => add(sum, ofApi(r.reply!.usage)), zero)
        const compaction = answered
          .filter((r) => r.reply!.kind === "compact")
          .reduce((sum, r) => add(sum, ofApi(r.reply!.usage)), zero)

        // Telemetry arrives on its own (exported every 0.5 s, flushed at exit).
        const reader = { url: server.url, key: server.key }
        const arrived = await Claude.pollFor(async () => {
          const stored = await Server.getSession(reader, sessionId)
          const figures = (stored?.detail.session as { figures?: StoredFigures } | undefined)?.figures
          return figures?.telemetryRequests === answered.length ? stored : undefined
        }, 30_000)
        expect(arrived, "telemetry of every billed request reached the server").toBeDefined()
        expect(storedUsage(arrived!.detail.session.usage)).toEqual(total)

        // The transcript's view of the same requests, sent as the reader must: the totals do not move.
        const transcript = transcriptEvents(join(workspace.home, ".claude"), sessionId)
        expect(transcript.length).toBeGreaterThan(0)
        const synced = await fetch(`${server.url}/sync/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${ingestKey}`, "content-type": "application/json" },
          body: JSON.stringify({ events: transcript })
        })
        expect(synced.status).toBe(200)
        expect(((await synced.json()) as { rejected: ReadonlyArray<unknown> }).rejected).toEqual([])
        const stored = (await Server.getSession(reader, sessionId))!
        const session = stored.detail.session as typeof stored.detail.session & { figures: StoredFigures }
        expect(storedUsage(session.usage)).toEqual(total)
        expect(session.figures.telemetryRequests).toBe(answered.length)
        expect(session.figures.matchedRequests).toBe(transcript.length)
        const background = session.figures.background.reduce((n, b) => n + b.requests, 0)
        expect(background).toBe(answered.length - transcript.length)
        console.log(
          `billed ${answered.length} requests (${kinds.join(", ")}); transcript had ${transcript.length}; background: ` +
            session.figures.background.map((b) => `${b.querySource} ×${b.requests}`).join(", ")
        )
        // Claude Code's own cost of those requests agrees with OpenSync's prices
        expect(session.figures.reportedCostUsd).toBeCloseTo(session.figures.computedCostUsd, 5)
        // tool timings from telemetry
        const durations = stored.detail.toolCalls.map((c) => [c.name, c.durationMs !== null])
        expect(durations.length).toBeGreaterThanOrEqual(4)
        expect(durations.every(([, timed]) => timed)).toBe(true)

        // ccusage reads the transcripts only: it falls short by exactly the compaction request.
        const ccusage = Ccusage.ccusageTotals(join(workspace.home, ".claude")).get(sessionId)
        expect(ccusage).toBeDefined()
        const ccusageUsage: Usage = {
          input: ccusage!.input,
          output: ccusage!.output,
          cacheRead: ccusage!.cacheRead,
          cacheWrite: ccusage!.cacheWrite
        }
        console.log(
          `stored ${JSON.stringify(total)}; ccusage ${JSON.stringify(ccusageUsage)}; compaction ${JSON.stringify(compaction)}`
        )
        expect(add(ccusageUsage, compaction)).toEqual(total)
      } finally {
        await fake.close()
        await server.stop()
        rmSync(workspace.root, { recursive: true, force: true })
      }
    })
  }
)
