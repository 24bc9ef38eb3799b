/**
 * What the transcript reader sends for the server to reconcile a session (docs/telemetry.md, "Events for the
 * transcript reader"): each assistant message's `requestId` when its usage comes from one request, and a `cost_state`
 * event per `cost-state` line. On the captured Claude Code 2.1.332 session (tool calls, a background subagent, then
 * `--resume … -p /compact`), whose transcript lacks the `/compact` summary request: applied the way both backends
 * apply events, in any order and with duplicates, the session's totals equal Claude Code's own latest cost-state.
 * And on a captured 2.1.197 pair (`fixtures/claude-2.1.197-otel`: the transcripts and the OTLP export of one session,
 * made by `test/e2e/CaptureOtel.ts`): every request telemetry reports is matched by the request id the reader sends,
 * and the session counts exactly what the fake API billed, the `/compact` summary included.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Otlp from "@opensync/backend/Otlp"
import { Telemetry as DomainTelemetry, Event, Ingest, Pricing, Usage } from "@opensync/domain"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Transcript from "../../src/transcript/index.js"
import { ingest } from "../support/Ingest.js"

const dir = join(import.meta.dirname, "../fixtures/claude-2.1.332")
const mainText = readFileSync(join(dir, "transcript.jsonl"), "utf8")
const subagentText = readFileSync(join(dir, "subagent-transcript.jsonl"), "utf8")
const SESSION_ID = "a6e9dfb8-e1b3-4c98-a273-0dc6a285e930"
const AGENT_ID = "a010bbeee9f532d40"

const options = { sessionId: SESSION_ID, source: "claude-code", syncToolCalls: true }
const read = (text: string, extra: Partial<Transcript.ReadOptions> = {}) =>
  Transcript.readSession(Transcript.parseLines(text).lines, { syncThinking: false, ...extra })
const main = read(mainText)
const subagent = read(subagentText, { source: "subagent", agentId: AGENT_ID })
const events = [
  ...Transcript.toEvents(main, options),
  ...Transcript.toEvents(subagent, { ...options, agentId: AGENT_ID })
]

interface RawLine {
  readonly type: string
  readonly timestamp?: string
  readonly requestId?: string
  readonly message?: { readonly id?: string }
  readonly totalCostUSD?: number
  readonly modelUsage?: Record<string, Record<string, number>>
}
const rawLines = (text: string): Array<RawLine> =>
  text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as RawLine)

/** Claude Code's own figures, in file order: after the first run, and after `/compact`. */
const costStates = rawLines(mainText).filter((line) => line.type === "cost-state")
const usageOf = (state: RawLine): Usage.UsageFields => {
  const u = state.modelUsage?.["claude-sonnet-4-5"] ?? {}
  return {
    input: u.inputTokens ?? -1,
    output: u.outputTokens ?? -1,
    cacheRead: u.cacheReadInputTokens ?? -1,
    cacheWrite5m: u.cacheCreationEphemeral5mInputTokens ?? -1,
    cacheWrite1h: u.cacheCreationEphemeral1hInputTokens ?? -1,
    reasoning: 0
  }
}

const shuffle = <A>(items: ReadonlyArray<A>, seed: number): Array<A> => {
  const out = [...items]
  let state = seed
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j] as A, out[i] as A]
  }
  return out
}

describe("the transcript reader sends what reconciliation needs", () => {
  it("gives each API response's message the transcript's requestId, and nothing else one", () => {
    const expected = new Map<string, string>()
    for (const line of [...rawLines(mainText), ...rawLines(subagentText)]) {
      if (line.type === "assistant" && line.message?.id !== undefined && line.requestId !== undefined) {
        expected.set(line.message.id, line.requestId)
      }
    }
    const sent = events.flatMap((e) => (e.kind === "message" ? [e] : []))
    const assistants = sent.filter((e) => e.role === "assistant")
    expect(Object.fromEntries(assistants.map((e) => [e.messageId, e.requestId ?? null]))).toEqual(
      Object.fromEntries(expected)
    )
    expect(expected.size).toBe(7)
    expect(sent.filter((e) => e.role !== "assistant").map((e) => e.requestId ?? null)).toEqual(
      sent.filter((e) => e.role !== "assistant").map(() => null)
    )
  })

  it("sends each cost-state line as a cost_state event, timed by the lines before it", () => {
    const sent = events.filter((e): e is Event.EventEncoded & { kind: "cost_state" } => e.kind === "cost_state")
    const { id: _id, ...first } = sent[0] ?? { id: "" }
    expect(first).toEqual({
      kind: "cost_state",
      source: "claude-code",
      sessionId: SESSION_ID,
      // the last assistant line before it (the stop-hook summary line after it is not read)
      at: Date.parse("2026-12-04T13:25:37.728Z"),
      totalCostUsd: 0.051945,
      models: [
        {
          model: "claude-sonnet-4-5",
          usage: { input: 350, output: 351, cacheRead: 28_600, cacheWrite5m: 9_880, cacheWrite1h: 0, reasoning: 0 },
          costUsd: 0.051945
        }
      ],
      hasUnknownModelCost: false
    })
    expect(sent.map((e) => [e.at, e.totalCostUsd])).toEqual([
      [Date.parse("2026-12-04T13:25:37.728Z"), 0.051945],
      [Date.parse("2026-12-04T13:25:39.142Z"), 0.061142999999999996]
    ])
    expect(sent.map((e) => e.models[0]?.usage)).toEqual(costStates.map(usageOf))
  })

  it("reconciles the session to Claude Code's latest cost-state, the /compact request the transcript lacks included", () => {
    const latest = costStates.at(-1) as RawLine
    // The transcript alone falls short of it by the compaction request.
    expect(Usage.add(main.usage, subagent.usage)).toEqual(usageOf(costStates[0] as RawLine))
    const reference = ingest(events).session
    expect(reference.usage).toEqual(usageOf(latest))
    expect(Pricing.roundUsd(reference.costUsd)).toBe(Pricing.roundUsd(latest.totalCostUSD ?? -1))
    expect(reference.figures?.costState?.totalCostUsd).toBe(latest.totalCostUSD)
    expect(reference.figures?.transcriptRequests).toBe(7)
    expect(Ingest.costStateGap(reference).map((slice) => slice.usage)).toEqual([
      Usage.add(usageOf(latest), Usage.scale(Usage.add(main.usage, subagent.usage), -1))
    ])
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { session } = ingest(shuffle([...events, ...events], seed))
      expect(session.usage, `order ${seed}`).toEqual(reference.usage)
      expect(session.costUsd, `order ${seed}`).toBeCloseTo(reference.costUsd, 9)
    }
  })
})

describe("requestId only when a message's usage comes from exactly one request", () => {
  const at = (second: number) => new Date(Date.UTC(2026, 11, 4, 9, 0, second)).toISOString()
  const assistant = (second: number, uuid: string, messageId: string, requestId: string | undefined) =>
    JSON.stringify({
      type: "assistant",
      uuid,
      timestamp: at(second),
      sessionId: "s",
      ...(requestId === undefined ? {} : { requestId }),
      message: {
        id: messageId,
        role: "assistant",
        model: "claude-sonnet-4-5",
        content: [{ type: "text", text: `reply ${uuid}` }],
        usage: { input_tokens: 2, output_tokens: 3 }
      }
    })
  const sent = (lines: ReadonlyArray<string>) =>
    Transcript.toEvents(read(lines.join("\n")), { ...options, sessionId: "s" }).flatMap((e) =>
      e.kind === "message" ? [[e.messageId, e.requestId ?? null] as const] : []
    )

  it("names the request of a response logged in several lines under one request id", () => {
    expect(sent([assistant(0, "a1", "msg_1", "req_1"), assistant(1, "a2", "msg_1", "req_1")])).toEqual([
      ["msg_1", "req_1"]
    ])
  })

  it("leaves it out for a response whose lines carry two request ids, or none", () => {
    expect(
      sent([
        assistant(0, "a1", "msg_1", "req_a"),
        assistant(1, "a2", "msg_1", "req_b"),
        assistant(2, "a3", "msg_2", undefined),
        assistant(3, "a4", "msg_3", "req_c"),
        assistant(4, "a5", "msg_3", undefined)
      ])
    ).toEqual([
      ["msg_1", null],
      ["msg_2", null],
      ["msg_3", null]
    ])
  })

  it("leaves a cost-state without a total, or before any timestamped line, unsent", () => {
    const state = JSON.stringify({ type: "cost-state", sessionId: "s", totalCostUSD: 0.5, modelUsage: {} })
    const kinds = (lines: ReadonlyArray<string>) =>
      Transcript.toEvents(read(lines.join("\n")), { ...options, sessionId: "s" }).map((e) => e.kind)
    expect(kinds([state, assistant(0, "a1", "msg_1", "req_1")])).toEqual(["session", "message"])
    expect(
      kinds([assistant(0, "a1", "msg_1", "req_1"), JSON.stringify({ type: "cost-state", sessionId: "s" })])
    ).toEqual(["session", "message"])
    expect(kinds([assistant(0, "a1", "msg_1", "req_1"), state, state])).toEqual([
      "session",
      "message",
      "cost_state",
      "cost_state"
    ])
  })
})

describe("with Claude Code 2.1.197's telemetry: a captured pair (transcripts + OTLP export of the same session)", () => {
  // test/e2e/CaptureOtel.ts: tool calls and a subagent, then `--resume … -p /compact`; `billed.json` is what the fake
  // Anthropic API answered for the session.
  const pair = join(import.meta.dirname, "../fixtures/claude-2.1.197-otel")
  const billed = JSON.parse(readFileSync(join(pair, "billed.json"), "utf8")) as {
    sessionId: string
    billed: ReadonlyArray<{
      kind: string
      requestId: string
      usage: {
        input_tokens: number
        output_tokens: number
        cache_read_input_tokens: number
        cache_creation_input_tokens: number
      }
    }>
  }
  const sessionId = billed.sessionId
  const subagentFile = readdirSync(pair).find((name) => name.startsWith("subagent-agent-")) ?? ""
  const agentId = subagentFile.replace(/^subagent-agent-|\.jsonl$/g, "")
  const transcriptEvents = [
    ...Transcript.toEvents(read(readFileSync(join(pair, "transcript.jsonl"), "utf8")), { ...options, sessionId }),
    ...Transcript.toEvents(read(readFileSync(join(pair, subagentFile), "utf8"), { source: "subagent", agentId }), {
      ...options,
      sessionId,
      agentId
    })
  ]
  const telemetryEvents = readFileSync(join(pair, "otlp.jsonl"), "utf8")
    .trim()
    .split("\n")
    .flatMap((text) => {
      const line = JSON.parse(text) as { path: string; body: unknown }
      const bytes = new TextEncoder().encode(JSON.stringify(line.body))
      const converted =
        line.path === "/v1/logs"
          ? DomainTelemetry.fromLogs(Either.getOrThrow(Otlp.decodeLogs(bytes, "json")))
          : DomainTelemetry.fromMetrics(Either.getOrThrow(Otlp.decodeMetrics(bytes, "json")))
      return converted.events.map((event) => Schema.encodeSync(Event.Event)(event))
    })
  const total = billed.billed.reduce(
    (sum, b) =>
      Usage.add(sum, {
        ...Usage.zero,
        input: b.usage.input_tokens,
        output: b.usage.output_tokens,
        cacheRead: b.usage.cache_read_input_tokens,
        cacheWrite5m: b.usage.cache_creation_input_tokens
      }),
    Usage.zero
  )

  it("names in the transcript every request telemetry reports, but the /compact summary", () => {
    const fromTranscript = new Set(
      transcriptEvents.flatMap((e) => (e.kind === "message" && e.requestId ? [e.requestId] : []))
    )
    const fromTelemetry = new Set(telemetryEvents.flatMap((e) => (e.kind === "api_request" ? [e.requestId] : [])))
    const compact = billed.billed.filter((b) => b.kind === "compact").map((b) => b.requestId)
    expect(compact).toHaveLength(1)
    expect([...fromTelemetry].sort()).toEqual(billed.billed.map((b) => b.requestId).sort())
    expect([...fromTranscript].sort()).toEqual([...fromTelemetry].filter((id) => !compact.includes(id)).sort())
  })

  it("counts every billed request once, in any arrival order, telemetry before or after the transcript", () => {
    const orders = [
      [...transcriptEvents, ...telemetryEvents],
      [...telemetryEvents, ...transcriptEvents],
      ...[1, 2, 3, 4].map((seed) => shuffle([...transcriptEvents, ...telemetryEvents, ...transcriptEvents], seed))
    ]
    for (const [i, order] of orders.entries()) {
      const { session } = ingest(order)
      expect(session.usage, `order ${i}`).toEqual(total)
      expect(session.figures?.telemetryRequests, `order ${i}`).toBe(billed.billed.length)
      expect(session.figures?.matchedRequests, `order ${i}`).toBe(billed.billed.length - 1)
      expect(session.figures?.transcriptRequests, `order ${i}`).toBe(0)
      expect(session.figures?.background.map((b) => [b.querySource, b.requests])).toEqual([["compact", 1]])
    }
    // The transcript alone falls short by the compaction.
    expect(Usage.total(ingest(transcriptEvents).session.usage)).toBeLessThan(Usage.total(total))
  })
})
