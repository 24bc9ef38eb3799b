import { describe, expect, it } from "@effect/vitest"
import { day, expectError, type Harness, type Json, t0 } from "./Harness.js"
import { ids, outcome } from "./Outcome.js"

/** POST /sync/events */
export const section = (h: Harness): void => {
  const { run, sid, get, post, sync, store, detail, listIds, sessionEv, messageEv, toolEv } = h
  describe("POST /sync/events", () => {
    it("stores new events and lists their ids in order", async () => {
      const s = sid("store")
      const events = [
        sessionEv(s, t0, { title: "Stored", startedAt: t0 }),
        messageEv(s, "m1", "user", t0 + 10, { text: "hi" }),
        toolEv(s, "c1", "Read", "completed", t0 + 20)
      ]
      expect(await sync(events)).toEqual(outcome({ stored: ids(events) }))
    })

    it("answers an exact re-send with duplicates and changes nothing", async () => {
      const s = sid("dup")
      const events = [
        sessionEv(s, t0, { title: "Dup", startedAt: t0 }),
        messageEv(s, "m1", "user", t0 + 10, { text: "once" }),
        messageEv(s, "m2", "assistant", t0 + 20, { text: "reply", model: "claude-sonnet-4-5", usage: { input: 5 } }),
        toolEv(s, "c1", "Bash", "completed", t0 + 30, { durationMs: 5 })
      ]
      await store(events)
      const before = (await get(`/api/sessions/${s}`)).text
      expect(await sync(events)).toEqual(outcome({ duplicates: ids(events) }))
      expect((await get(`/api/sessions/${s}`)).text).toEqual(before)
      expect((await detail(s)).session.messageCount).toEqual(2)
    })

    it("stores an event sent twice in one batch once and reports the copy as a duplicate", async () => {
      const s = sid("dup-batch")
      const message = messageEv(s, "m1", "user", t0, { text: "twice" })
      expect(await sync([message, message])).toEqual(outcome({ stored: [message.id], duplicates: [message.id] }))
      const d = await detail(s)
      expect(d.messages.map((m) => m.text)).toEqual(["twice"])
      expect(d.session.messageCount).toEqual(1)
    })

    it("reports an older copy of a message as stale and keeps the newer text", async () => {
      const s = sid("stale")
      const newer = messageEv(s, "m1", "assistant", t0 + 100, { text: "newer", createdAt: t0 })
      const older = messageEv(s, "m1", "assistant", t0 + 50, { text: "older", createdAt: t0 })
      await store([newer])
      expect(await sync([older])).toEqual(outcome({ stale: [older.id] }))
      expect((await detail(s)).messages.map((m) => m.text)).toEqual(["newer"])
      const newest = messageEv(s, "m1", "assistant", t0 + 200, { text: "newest", createdAt: t0 })
      await store([newest])
      const d = await detail(s)
      expect(d.messages.map((m) => [m.id, m.text])).toEqual([["m1", "newest"]])
      expect(d.session.messageCount).toEqual(1)
    })

    it("never replaces a final tool-call state with an earlier one", async () => {
      const s = sid("tool-final")
      const running = toolEv(s, "c1", "Bash", "running", t0 + 10, { startedAt: t0 })
      const completed = toolEv(s, "c1", "Bash", "completed", t0 + 500, { startedAt: t0, durationMs: 500 })
      const lateRunning = toolEv(s, "c1", "Bash", "running", t0 + 600, { startedAt: t0 })
      await store([running, completed])
      expect(await sync([lateRunning])).toEqual(outcome({ stale: [lateRunning.id] }))
      const d = await detail(s)
      expect(d.toolCalls.map((c) => [c.id, c.status, c.durationMs])).toEqual([["c1", "completed", 500]])
      expect(d.session.toolCallCount).toEqual(1)
    })

    it("rejects bad events one by one with index, id and reason, and stores the others", async () => {
      const s = sid("rejects")
      const good1 = sessionEv(s, t0, { title: "Some good", startedAt: t0 })
      const good2 = messageEv(s, "m1", "user", t0 + 10, { text: "still stored" })
      const { createdAt: _omitted, ...missingCreatedAt } = messageEv(s, "m2", "user", t0 + 20, { text: "x" })
      const events: ReadonlyArray<unknown> = [
        good1,
        { ...sessionEv(s, t0), kind: "telepathy" },
        missingCreatedAt,
        { ...sessionEv(s, t0), at: "yesterday" },
        null,
        42,
        "a string",
        [good1],
        { ...toolEv(s, "c1", "Read", "completed", t0), status: "exploded" },
        { ...messageEv(s, "m3", "user", t0 + 30), source: "Not Kebab" },
        { ...sessionEv(s, t0), at: 1.5 },
        good2
      ]
      const result = await sync(events)
      expect({ stored: result.stored, duplicates: result.duplicates, stale: result.stale }).toEqual({
        stored: [good1.id, good2.id],
        duplicates: [],
        stale: []
      })
      expect(result.rejected.map((r) => [r.index, r.id])).toEqual([
        [1, (events[1] as Json).id],
        [2, missingCreatedAt.id],
        [3, (events[3] as Json).id],
        [4, null],
        [5, null],
        [6, null],
        [7, null],
        [8, (events[8] as Json).id],
        [9, (events[9] as Json).id],
        [10, (events[10] as Json).id]
      ])
      const reasons = result.rejected.map((r) => r.error)
      expect(reasons.map((reason) => typeof reason === "string" && reason.length > 0)).toEqual(
        Array.from({ length: 10 }, () => true)
      )
      expect(reasons[0]).toMatch(/kind/)
      expect(reasons[1]).toMatch(/createdAt/)
      expect(reasons[2]).toMatch(/\bat\b/)
      expect(reasons[7]).toMatch(/status/)
      expect(reasons[8]).toMatch(/source/)
      expect(reasons[9]).toMatch(/\bat\b/)
      const d = await detail(s)
      expect(d.session.title).toEqual("Some good")
      expect(d.messages.map((m) => [m.id, m.text])).toEqual([["m1", "still stored"]])
      expect(d.toolCalls).toEqual([])
    })
    it("cuts text over the size limit and marks the message truncated", async () => {
      const s = sid("huge")
      await store([messageEv(s, "m1", "user", t0, { text: "x".repeat(250_000) })])
      const [message] = (await detail(s)).messages
      // booleans, so a failure does not print 200 000 characters
      expect({
        truncated: message.truncated,
        fits: message.text.length <= 200_000,
        keepsTheStart: message.text.startsWith("x".repeat(190_000)),
        saysSo: message.text.slice(-40).includes("truncated")
      }).toEqual({ truncated: true, fits: true, keepsTheStart: true, saysSo: true })
    })

    it("cuts on code-point boundaries: an emoji across every cut point is never split into a lone surrogate", async () => {
      const s = sid("emoji-cut")
      // 🎉 is two UTF-16 code units; shift it across the truncation point, the search-chunk boundaries and a title cut
      const texts = [0, 1, 2, 3].map((shift) => `${"a".repeat(199_960 + shift)}${"🎉".repeat(40)}`)
      const spaced = `${"b".repeat(3_999)}🎉${" word".repeat(2_000)}🎉`.repeat(3)
      const events = [
        sessionEv(s, t0, { title: `${"t".repeat(4_095)}🎉🎉` }),
        ...texts.map((text, i) => messageEv(s, `m${i}`, "user", t0 + i, { text })),
        messageEv(s, "spaced", "user", t0 + 9, { text: spaced })
      ]
      await store(events)
      const stored = await detail(s)
      const wellFormed = (text: string) =>
        !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)
      expect(stored.messages.map((m) => [m.id, m.truncated, wellFormed(m.text)])).toEqual([
        ["m0", true, true],
        ["m1", true, true],
        ["m2", true, true],
        ["m3", true, true],
        ["spaced", false, true]
      ])
      expect(wellFormed(stored.session.title ?? "")).toEqual(true)
      expect(await listIds({ q: "word" })).toContain(s)
    })

    it("re-indexes replaced message text for search", async () => {
      const s = sid("reindex")
      const oldWord = `aardvark${run}`
      const newWord = `platypus${run}`
      await store([messageEv(s, "m1", "user", t0, { text: `about the ${oldWord}` })])
      expect(await listIds({ q: oldWord })).toEqual([s])
      await store([messageEv(s, "m1", "user", t0 + 10, { text: `about the ${newWord}`, createdAt: t0 })])
      expect([await listIds({ q: oldWord }), await listIds({ q: newWord })]).toEqual([[], [s]])
    })

    it("applies concurrent batches for one session without losing any", async () => {
      const s = sid("concurrent")
      const batches = Array.from({ length: 20 }, (_, i) => [
        messageEv(s, `m${i}`, "assistant", t0 + i, {
          model: "claude-haiku-4-5",
          usage: { input: 1_000, output: 100 }
        })
      ])
      const results = await Promise.all(batches.map((events) => sync(events)))
      expect(results.map((r) => r.stored.length)).toEqual(batches.map(() => 1))
      const session = (await detail(s)).session
      // each: (1000×1 + 100×5) / 1e6 = 0.0015
      expect([session.messageCount, session.totalTokens, session.costUsd]).toEqual([20, 22_000, 0.03])
    })

    it("answers more than 1000 events with 400 and stores none of them", async () => {
      const s = sid("too-many")
      const events = Array.from({ length: 1001 }, (_, i) => sessionEv(s, t0 + i, { title: `t${i}` }))
      expectError(await post("/sync/events", { events }), 400, "BadRequest")
      expectError(await get(`/api/sessions/${s}`), 404, "NotFound")
    })

    it("accepts exactly 1000 events", async () => {
      const s = sid("thousand")
      const events = Array.from({ length: 1000 }, (_, i) =>
        messageEv(s, `m${i}`, "user", t0 + i, { text: `message ${i}` })
      )
      const result = await sync(events)
      expect(result.stored.length).toEqual(1000)
      expect(result.rejected).toEqual([])
      expect((await detail(s)).session.messageCount).toEqual(1000)
    })

    it("keeps the agent's timestamps exactly, never the time of arrival", async () => {
      const s = sid("times")
      const startedAt = t0 - 3 * day + 123
      await store([
        sessionEv(s, startedAt + 7, { startedAt }),
        messageEv(s, "m1", "user", startedAt + 1_001, { createdAt: startedAt + 1_000 }),
        messageEv(s, "m2", "assistant", startedAt + 5_555, {
          createdAt: startedAt + 2_222,
          completedAt: startedAt + 5_555
        }),
        toolEv(s, "c1", "Grep", "completed", startedAt + 4_000, { startedAt: startedAt + 3_333, durationMs: 667 })
      ])
      const d = await detail(s)
      expect({
        startedAt: d.session.startedAt,
        updatedAt: d.session.updatedAt,
        lastActivityAt: d.session.lastActivityAt,
        durationMs: d.session.durationMs
      }).toEqual({
        startedAt,
        updatedAt: startedAt + 5_555,
        lastActivityAt: startedAt + 5_555,
        durationMs: 5_555
      })
      expect(d.messages.map((m) => [m.createdAt, m.completedAt, m.updatedAt])).toEqual([
        [startedAt + 1_000, null, startedAt + 1_001],
        [startedAt + 2_222, startedAt + 5_555, startedAt + 5_555]
      ])
      expect(d.toolCalls.map((c) => [c.startedAt, c.durationMs, c.updatedAt])).toEqual([
        [startedAt + 3_333, 667, startedAt + 4_000]
      ])
    })

    it("creates a session from its first message when no session event came yet", async () => {
      const s = sid("implicit")
      await store([messageEv(s, "m1", "assistant", t0 + 50, { createdAt: t0, model: "claude-haiku-4-5" }, "opencode")])
      const d = await detail(s)
      expect({
        id: d.session.id,
        source: d.session.source,
        model: d.session.model,
        startedAt: d.session.startedAt,
        messageCount: d.session.messageCount
      }).toEqual({ id: s, source: "opencode", model: "claude-haiku-4-5", startedAt: t0, messageCount: 1 })
    })
  })
}
