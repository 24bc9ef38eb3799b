import { describe, expect, it } from "@effect/vitest"
import { Event, Ids, Ingest, Pricing, Rollup, type Session } from "@opensync/domain"

const t0 = Date.UTC(2026, 10, 20, 10, 0, 0)

/**
 * A builder of test events of one kind: an id digested from `tag` and the test's own fields, source claude-code,
 * session s1, time `at`, then the kind's `defaults`, then the test's own fields.
 */
const builder =
  <E extends Event.Event>(
    kind: E["kind"],
    tag: string,
    at: number,
    defaults: Omit<E, "kind" | "id" | "source" | "sessionId" | "at">
  ) =>
  (fields: Partial<E> = {}): E =>
    ({
      kind,
      id: Event.makeId({ kind: tag, ...fields } as never),
      source: "claude-code",
      sessionId: Ids.SessionId.make("s1"),
      at,
      ...defaults,
      ...fields
    }) as E

const sessionEvent = builder<Event.SessionEvent>("session", "s", t0, {})

const messageEvent = builder<Event.MessageEvent>("message", "m", t0 + 1_000, {
  messageId: Ids.MessageId.make("m1"),
  role: "assistant",
  text: "hello",
  thinking: null,
  parts: [{ type: "text", text: "hello" }],
  model: "claude-sonnet-4-5",
  createdAt: t0 + 1_000,
  usage: { input: 100, output: 50, cacheRead: 1_000, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
  countUsage: true
})

const toolEvent = builder<Event.ToolCallEvent>("tool_call", "t", t0 + 2_000, {
  callId: Ids.ToolCallId.make("toolu_1"),
  name: "Bash",
  status: "completed",
  startedAt: t0 + 2_000,
  durationMs: 120,
  input: { summary: "ls", paths: [], bytes: 12 },
  output: { bytes: 40, exitCode: 0, error: null }
})

/** Applies events in order the way a backend does, keeping sessions, messages and tool calls in maps. */
const replay = (events: ReadonlyArray<Event.Event>) => {
  let session: Session.Session | null = null
  const messages = new Map<string, Ingest.Outcome>()
  const stored = {
    messages: new Map<string, ReturnType<typeof Ingest.applyMessageEvent>["message"]>(),
    tools: new Map<string, ReturnType<typeof Ingest.applyToolCallEvent>["toolCall"]>()
  }
  const rollups = new Map<string, Rollup.UsageRow>()
  for (const event of events) {
    const before: Session.Session | null = session
    if (event.kind === "session") session = Ingest.applySessionEvent(session, event)
    else if (event.kind === "message") {
      const r = Ingest.applyMessageEvent(session, stored.messages.get(event.messageId) ?? null, event)
      session = r.session
      stored.messages.set(event.messageId, r.message)
      messages.set(event.id, r.outcome)
    } else if (event.kind === "tool_call") {
      const r = Ingest.applyToolCallEvent(session, stored.tools.get(event.callId) ?? null, event)
      session = r.session
      stored.tools.set(event.callId, r.toolCall)
    }
    for (const row of Rollup.delta(before, session).usage) {
      const key = Rollup.usageKey(row)
      const prev = rollups.get(key)
      rollups.set(key, prev === undefined ? row : Rollup.sumUsage(prev, row))
    }
  }
  return { session: session!, stored, outcomes: messages, rollups }
}

describe("Ingest", () => {
  it("derives session totals and prices assistant messages with the price data version", () => {
    const { session, stored } = replay([
      sessionEvent({ title: "Fix the bug", projectPath: "/home/dev/demo" }),
      messageEvent()
    ])
    expect(session.messageCount).toBe(1)
    expect(session.usage).toEqual({
      input: 100,
      output: 50,
      cacheRead: 1_000,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      reasoning: 0
    })
    expect(session.totalTokens).toBe(1_150)
    expect(session.costUsd).toBe(0.00135)
    expect(session.model).toBe("claude-sonnet-4-5")
    const message = stored.messages.get("m1")!
    expect(message.costBasis).toBe("computed")
    expect(message.priceVersion).toBe(Pricing.dataVersion)
    expect(session.durationMs).toBe(1_000)
  })

  it("is idempotent: the same events applied twice give the same state", () => {
    const events = [sessionEvent({ title: "x" }), messageEvent(), toolEvent()]
    const once = replay(events)
    const twice = replay([...events, ...events])
    expect(twice.session).toEqual(once.session)
  })

  it("replaces a message with its newer copy and ignores an older one", () => {
    const first = messageEvent({ text: "partial", at: t0 + 1_000 })
    const second = messageEvent({
      text: "complete answer",
      at: t0 + 5_000,
      usage: { input: 100, output: 80, cacheRead: 1_000, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 }
    })
    const { session, stored, outcomes } = replay([first, second, first])
    expect(stored.messages.get("m1")!.text).toBe("complete answer")
    expect(outcomes.get(first.id)).toBe("stale")
    expect(session.messageCount).toBe(1)
    expect(session.usage.output).toBe(80)
  })

  it("keeps a reported cost and labels it", () => {
    const { stored, session } = replay([messageEvent({ model: "fake/fake-model", reportedCostUsd: 0.003825 })])
    expect(stored.messages.get("m1")!.costBasis).toBe("reported")
    expect(stored.messages.get("m1")!.computedCostUsd).toBeNull()
    expect(session.costUsd).toBe(0.003825)
    expect(session.unpricedMessages).toBe(0)
  })

  it("counts usage of unknown models as unpriced instead of free", () => {
    const { session, stored } = replay([messageEvent({ model: "mystery-model" })])
    expect(stored.messages.get("m1")!.costBasis).toBe("unpriced")
    expect(session.unpricedMessages).toBe(1)
    expect(session.costUsd).toBe(0)
  })

  it("never lets an earlier tool state replace a final one, and counts non-zero exits as failures", () => {
    const done = toolEvent({ status: "error", output: { bytes: 0, exitCode: 2, error: "Exit code 2" }, at: t0 + 3_000 })
    const running = toolEvent({ status: "running", durationMs: null, at: t0 + 9_000 })
    const { session, stored } = replay([done, running])
    expect(stored.tools.get("toolu_1")!.status).toBe("error")
    expect(session.toolCallCount).toBe(1)
    expect(session.toolErrorCount).toBe(1)
    const opencode = replay([toolEvent({ output: { bytes: 3, exitCode: 2, error: null } })])
    expect(opencode.session.toolErrorCount).toBe(1)
  })

  it("merges session metadata field by field; an older event only fills empty fields", () => {
    const newer = sessionEvent({ title: "New title", at: t0 + 10_000 })
    const older = sessionEvent({ title: "Old title", gitBranch: "main", at: t0 })
    const { session } = replay([newer, older])
    expect(session.title).toBe("New title")
    expect(session.gitBranch).toBe("main")
  })

  it("keeps the earliest start and the original timestamps", () => {
    const { session } = replay([
      messageEvent({ createdAt: t0 + 60_000, at: t0 + 60_000 }),
      sessionEvent({ startedAt: t0, at: t0 })
    ])
    expect(session.startedAt).toBe(t0)
    expect(session.lastActivityAt).toBe(t0 + 60_000)
  })

  it("uses reported session totals only when messages carry no usage (legacy plugins)", () => {
    const legacy = replay([
      sessionEvent({ reported: { promptTokens: 1_000, completionTokens: 200, costUsd: 0.5, durationMs: 60_000 } }),
      messageEvent({ countUsage: false })
    ])
    expect(legacy.session.usage.input).toBe(1_000)
    expect(legacy.session.usage.output).toBe(200)
    expect(legacy.session.costUsd).toBe(0.5)
    expect(legacy.session.durationMs).toBe(60_000)
    const zeroMeansUnchanged = replay([
      sessionEvent({ reported: { promptTokens: 1_000, completionTokens: 200, costUsd: null, durationMs: null } }),
      sessionEvent({
        at: t0 + 1,
        reported: { promptTokens: 0, completionTokens: 300, costUsd: null, durationMs: null }
      })
    ])
    expect(zeroMeansUnchanged.session.usage.input).toBe(1_000)
    expect(zeroMeansUnchanged.session.usage.output).toBe(300)
  })

  it("cuts oversized text to the size policy and marks the message truncated", () => {
    const { stored } = replay([messageEvent({ text: "x".repeat(300_000) })])
    const message = stored.messages.get("m1")!
    expect(message.truncated).toBe(true)
    expect(message.text.length).toBe(200_000)
    expect(message.text.endsWith("… [truncated 300000 chars]")).toBe(true)
  })

  it("marks a message a plugin cut before sending (fitMessage) truncated too", () => {
    const long = messageEvent({ text: "y".repeat(300_000) })
    const fitted = Ingest.fitMessage(long)
    expect(fitted.text.length).toBe(200_000)
    expect(Ingest.fitMessage(fitted)).toBe(fitted)
    const { stored } = replay([fitted])
    expect(stored.messages.get("m1")).toMatchObject({ truncated: true, text: fitted.text })
    expect(replay([messageEvent({ text: "short" })]).stored.messages.get("m1")?.truncated).toBe(false)
  })
})

describe("Rollup", () => {
  it("the sum of deltas over any event order equals the contribution of the final session", () => {
    const events: Array<Event.Event> = [
      sessionEvent({ title: "a", projectName: "demo" }),
      messageEvent(),
      messageEvent({
        messageId: Ids.MessageId.make("m2"),
        createdAt: t0 + 86_400_000,
        at: t0 + 86_400_000,
        model: "claude-haiku-4-5"
      }),
      toolEvent(),
      messageEvent({ text: "edited", at: t0 + 7_000 }),
      sessionEvent({ projectName: "renamed", at: t0 + 8_000 })
    ]
    for (const order of [
      events,
      [...events].reverse(),
      [events[3], events[0], events[5], events[1], events[4], events[2]]
    ]) {
      const { session, rollups } = replay(order)
      const expected = new Map(Rollup.usageContribution(session).map((row) => [Rollup.usageKey(row), row]))
      const actual = new Map(
        [...rollups].filter(([, row]) => row.messages !== 0 || row.sessions !== 0 || row.input !== 0)
      )
      expect(actual).toEqual(expected)
    }
  })

  it("a delete removes exactly what the session contributed", () => {
    const { session } = replay([sessionEvent(), messageEvent(), toolEvent()])
    const added = Rollup.delta(null, session)
    const removed = Rollup.delta(session, null)
    expect(removed.usage.map((row) => row.sessions + row.messages)).toEqual(
      added.usage.map((row) => -(row.sessions + row.messages))
    )
    expect(removed.tools.map((row) => row.calls)).toEqual(added.tools.map((row) => -row.calls))
  })
})

describe("Event.makeId", () => {
  it("is deterministic and changes with content", () => {
    const base = { kind: "session", source: "opencode", sessionId: "ses_1", at: 1 } as const
    expect(Event.makeId(base)).toBe(Event.makeId({ at: 1, sessionId: "ses_1", source: "opencode", kind: "session" }))
    expect(Event.makeId(base)).not.toBe(Event.makeId({ ...base, at: 2 }))
    expect(Event.makeId(base)).toMatch(/^evt_[0-9a-f]{32}$/)
  })
})
