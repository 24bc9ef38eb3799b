import { describe, expect, it } from "@effect/vitest"
import { Batch, Event } from "@opensync/domain"

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
