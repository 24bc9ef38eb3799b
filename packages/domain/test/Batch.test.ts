import { describe, expect, it } from "@effect/vitest"
import { Batch, Event, type Message, type Request, Rollup, type Session, type ToolCall } from "@opensync/domain"

const t0 = Date.UTC(2026, 10, 20, 10, 0, 0)

const session = { kind: "session", source: "claude-code", sessionId: "s1", at: t0, title: "Fix the build" }
const message = (text: string, at: number) => ({
  kind: "message",
  source: "claude-code",
  sessionId: "s1",
  at,
  messageId: "m1",
  role: "assistant",
  text,
  createdAt: t0,
  model: "claude-sonnet-4-5",
  usage: { input: 10, output: 5 }
})

describe("Batch (the batch step both backends run)", () => {
  it("decodes events one by one, rejecting each bad one with its index, id and reason", () => {
    const raw = [
      Event.make(session as never),
      "not an object",
      { kind: "nope", id: "evt_x" },
      { ...(Event.make(message("hi", t0 + 1) as never) as object), at: "yesterday" }
    ]
    const { events, rejected } = Batch.decodeEvents(raw)
    expect(events.map((e) => e.kind)).toEqual(["session"])
    expect(rejected.map((r) => r.index)).toEqual([1, 2, 3])
    expect(rejected[0]?.error).toBe("event must be a JSON object")
    expect(rejected[1]).toMatchObject({ id: "evt_x", error: expect.stringContaining('unknown event kind "nope"') })
    expect(rejected[2]?.error).toMatch(/^at: /)
  })

  it("applies new events in order: duplicates in the batch, stale message copies, changed rows and rollup deltas", () => {
    const { events } = Batch.decodeEvents([
      Event.make(session as never),
      Event.make(message("second", t0 + 2) as never),
      Event.make(message("first", t0 + 1) as never),
      Event.make(session as never)
    ])
    const { fresh, duplicates } = Batch.splitDuplicates(events)
    expect(fresh).toHaveLength(3)
    expect(duplicates).toEqual([events[3]?.id])
    const touched = Batch.touched(fresh)
    expect(touched.sessions).toEqual(["s1"])
    expect(new Set(touched.messages.map(([sessionId, id]) => Batch.rowKey(sessionId, id)))).toEqual(
      new Set([Batch.rowKey("s1", "m1")])
    )
    expect(touched.toolCalls).toEqual([])

    const applied = Batch.apply(fresh, { sessions: new Map(), messages: new Map(), toolCalls: new Map() })
    expect(applied.outcome.stored).toEqual([events[0]?.id, events[1]?.id])
    expect(applied.outcome.stale).toEqual([events[2]?.id])
    expect([...applied.changedMessages.values()].map((m) => m.text)).toEqual(["second"])
    expect(applied.changedSessions).toHaveLength(1)
    expect(applied.changedSessions[0]).toMatchObject({ id: "s1", title: "Fix the build", messageCount: 1 })
    expect(applied.deltas).toHaveLength(1)
    // The rollup increments of that delta add up to the session's own totals.
    const increments = Batch.rollupIncrements(applied.deltas)
    const tokens = increments.usage.reduce((sum, row) => sum + row.input + row.output, 0)
    expect(tokens).toBe(15)
  })

  it("converts a legacy /sync/batch body, counting what it took and naming what it could not", () => {
    const out = Batch.fromLegacyBatch(
      { sessions: [{ sessionId: "legacy-1", title: "Old" }, {} as never], messages: [] } as never,
      t0
    )
    expect(out.sessions).toBe(1)
    expect(out.events).toHaveLength(1)
    expect(out.errors).toHaveLength(1)
    expect(out.errors[0]).toMatch(/^sessions\[1\]: /)
  })
})

// `Batch.apply` derives each session's totals once, after the batch (`Ingest.deferringTotals`). The same events applied
// one batch each (totals derived after every event, as before) must leave every row and delta the same.
describe("Batch.apply: totals derived once per batch", () => {
  const day = 86_400_000
  let seed = 11
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed / 4294967296
  }
  const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(next() * values.length)] as A
  const usage = () => ({ input: Math.floor(next() * 500), output: Math.floor(next() * 200), cacheRead: 1_000 })
  const eventsOf = (count: number): Array<unknown> =>
    Array.from({ length: count }, (_, i) => {
      const sessionId = pick(["s1", "s2", "s3"])
      const source = "claude-code"
      const at = t0 + Math.floor(next() * 3 * day)
      const kind = pick(["session", "message", "message", "message", "tool_call", "tool_result", "api_request"])
      const base = { kind, source, sessionId, at }
      switch (kind) {
        case "session":
          return Event.make({
            ...base,
            title: `t${i}`,
            projectName: pick(["a", "b"]),
            ...(next() < 0.2 ? { endedAt: at } : {})
          } as never)
        case "message": {
          const assistant = next() < 0.7
          return Event.make({
            ...base,
            messageId: `m${Math.floor(next() * 12)}`,
            role: assistant ? "assistant" : "user",
            text: `text ${i}`,
            createdAt: at - 1_000,
            ...(assistant
              ? {
                  model: pick(["claude-sonnet-4-5", "claude-haiku-4-5", "unknown-model"]),
                  usage: usage(),
                  requestId: `req_${Math.floor(next() * 8)}`
                }
              : {})
          } as never)
        }
        case "tool_call":
          return Event.make({
            ...base,
            callId: `toolu_${Math.floor(next() * 6)}`,
            name: pick(["Bash", "Read", "Edit"]),
            status: pick(["running", "completed", "error"]),
            startedAt: at - 500,
            durationMs: Math.floor(next() * 900),
            input: { summary: "x", paths: [], bytes: 1 },
            output: { bytes: 2, exitCode: pick([0, 1, null]), error: null }
          } as never)
        case "tool_result":
          return Event.make({
            ...base,
            callId: `toolu_${Math.floor(next() * 6)}`,
            name: "Bash",
            success: next() < 0.8,
            durationMs: 300
          } as never)
        default:
          return Event.make({
            ...base,
            requestId: `req_${Math.floor(next() * 8)}`,
            model: "claude-sonnet-4-5",
            usage: usage()
          } as never)
      }
    })

  it("leaves the same sessions, rows and rollup deltas as applying the events one at a time", () => {
    for (let round = 0; round < 20; round++) {
      const { events, rejected } = Batch.decodeEvents(eventsOf(60))
      expect(rejected).toEqual([])
      const { fresh } = Batch.splitDuplicates(events)
      const together = Batch.apply(fresh, { sessions: new Map(), messages: new Map(), toolCalls: new Map() })
      // One at a time, each batch over what the ones before stored
      const sessions = new Map<string, Session.Session>()
      const messages = new Map<string, Message.Message>()
      const toolCalls = new Map<string, ToolCall.ToolCall>()
      const requests = new Map<string, Request.ApiRequest>()
      const deltas: Array<ReturnType<typeof Batch.apply>["deltas"][number]> = []
      for (const event of fresh) {
        const one = Batch.apply([event], { sessions, messages, toolCalls, requests })
        for (const s of one.changedSessions) sessions.set(s.id, s)
        for (const [k, m] of one.changedMessages) messages.set(k, m)
        for (const [k, c] of one.changedToolCalls) toolCalls.set(k, c)
        for (const [k, r] of one.changedRequests)
          if (r === null) requests.delete(k)
          else requests.set(k, r)
        deltas.push(...one.deltas)
      }
      expect(new Map(together.changedSessions.map((s) => [s.id, s]))).toEqual(sessions)
      expect(together.changedMessages).toEqual(messages)
      expect(together.changedToolCalls).toEqual(toolCalls)
      expect(new Map([...together.changedRequests].filter(([, r]) => r !== null))).toEqual(requests)
      // The rollups the batch adds equal what the single events added up to
      const sum = (rows: ReturnType<typeof Batch.rollupIncrements>) =>
        new Map(rows.usage.filter((row) => !Batch.isZeroUsage(row)).map((row) => [Rollup.usageKey(row), row]))
      const a = sum(Batch.rollupIncrements(together.deltas))
      const b = sum(Batch.rollupIncrements(deltas))
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort())
      for (const [key, row] of a) {
        const other = b.get(key)!
        expect(row.messages).toBe(other.messages)
        expect(row.input + row.output).toBe(other.input + other.output)
        expect(row.costUsd).toBeCloseTo(other.costUsd, 9)
      }
      expect(together.changedSessions.every((s) => s.messageCount >= 0)).toBe(true)
    }
  })
})
