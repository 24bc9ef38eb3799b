import { describe, expect, it } from "@effect/vitest"
import * as Mapping from "../src/Mapping.js"
import { type SessionSnapshot, Tracker } from "../src/Tracker.js"
import { CHILD, eventsOf, exportedSnapshot, MAIN, PROJECT } from "./support/fixtures.js"

const options = { syncToolCalls: true, syncThinking: false }

/** Replays one run's bus events through a Tracker, collecting the snapshots flushed along the way. */
const replay = (run: string, tracker = new Tracker()) => {
  const flushed: Array<SessionSnapshot> = []
  for (const event of eventsOf(run)) {
    const id = tracker.apply(event)
    if (id === undefined) continue
    const snapshot = tracker.take(id)
    if (snapshot !== undefined) flushed.push(snapshot)
  }
  return { tracker, flushed }
}

const eventsOfSnapshots = (snapshots: ReadonlyArray<SessionSnapshot>, sessionId: string) =>
  snapshots.filter((s) => s.sessionId === sessionId).flatMap((s) => Mapping.toEvents(s, options))

describe("Tracker on the captured bus events of OpenCode 1.18.33", () => {
  it("flushes at the end of each turn and again for the session update that follows session.idle", () => {
    const { flushed, tracker } = replay("global")
    // The child's user message is re-emitted after its turn (its diff summary fills in): flushed again, unchanged.
    expect(flushed.map((s) => [s.sessionId, s.messages.length])).toEqual([
      [CHILD, 2],
      [CHILD, 0],
      [CHILD, 1],
      [MAIN, 6],
      [MAIN, 0]
    ])
    // The last flush carries the final session metadata (emitted after session.idle).
    expect(flushed.at(-1)?.info).toMatchObject({ id: MAIN, title: "Harness probe session", cost: 0.04296599999999999 })
    expect(tracker.pending()).toEqual([])
  })

  it("replaces parts by id, never appending a part twice, and keeps every part of a message", () => {
    const { flushed } = replay("global")
    const main = flushed.find((s) => s.sessionId === MAIN && s.messages.length > 0)!
    for (const message of main.messages) {
      const ids = message.parts.map((p) => p.id)
      expect(new Set(ids).size).toBe(ids.length)
    }
    const first = main.messages[1]!
    expect(first.parts.map((p) => p.type)).toEqual(["step-start", "text", "tool", "step-finish"])
    expect(first.parts[1]).toMatchObject({ text: "Step 1: using bash." })
    expect(first.parts[2]).toMatchObject({ state: { status: "completed" } })
  })

  it("gives the same message and tool-call events as `opencode export` of the same session (live = import)", () => {
    const global = replay("global")
    const cont = replay("continue")
    const live = eventsOfSnapshots([...global.flushed, ...cont.flushed], MAIN)
    const fromExport = Mapping.toEvents(exportedSnapshot, options)
    const key = (events: ReadonlyArray<(typeof live)[number]>) =>
      events
        .filter((e) => e.kind !== "session")
        .map((e) => e.id)
        .sort()
    expect(key(live)).toEqual(key(fromExport))
    // The session metadata of the last flush equals the exported one.
    const lastSession = live.filter((e) => e.kind === "session").at(-1)
    expect(lastSession).toEqual(fromExport.find((e) => e.kind === "session"))
  })

  it("links the subagent's session to its parent and keeps its totals apart", () => {
    const { flushed } = replay("global")
    const events = eventsOfSnapshots(flushed, CHILD)
    expect(events.find((e) => e.kind === "session")).toMatchObject({
      parentSessionId: MAIN,
      title: "Subagent probe (@general subagent)"
    })
    const assistant = events.filter((e) => e.kind === "message" && e.role === "assistant")
    expect(assistant).toEqual([
      expect.objectContaining({ usage: expect.objectContaining({ input: 9100, output: 12 }), reportedCostUsd: 0.02748 })
    ])
  })

  it("maps the project-plugin run the same way", () => {
    const { flushed } = replay("project")
    const messages = eventsOfSnapshots(flushed, PROJECT).filter((e) => e.kind === "message")
    expect(messages.map((m) => (m.kind === "message" ? [m.role, m.text, m.reportedCostUsd ?? null] : []))).toEqual([
      ["user", '"SCENARIO:text Say hi."', null],
      ["assistant", "Hello from the fake OpenAI server.", 0.027435]
    ])
  })

  it("numbers the snapshots of a session it saw created, and only while they hold all of it", () => {
    const { flushed } = replay("global")
    // Both sessions were created in this run: their snapshots are parts 1, 2, … of each.
    for (const id of [MAIN, CHILD]) {
      const parts = flushed.filter((s) => s.sessionId === id).map((s) => s.part)
      expect(parts).toEqual(parts.map((_, i) => i + 1))
    }
    // The second turn runs in another process, which met the session on its way: nothing says its snapshots are all.
    const { flushed: continued } = replay("continue")
    expect(continued.filter((s) => s.sessionId === MAIN).length).toBeGreaterThan(0)
    expect(continued.map((s) => s.part)).toEqual(continued.map(() => undefined))
    // A snapshot that could not be saved ends the count for good.
    const tracker = new Tracker()
    const info = { id: "ses_x", time: { created: 1, updated: 1 } }
    tracker.apply({ type: "session.created", properties: { info } })
    expect(tracker.take("ses_x")?.part).toBe(1)
    tracker.apply({ type: "session.updated", properties: { info: { ...info, time: { created: 1, updated: 2 } } } })
    expect(tracker.take("ses_x")?.part).toBe(2)
    tracker.lost("ses_x")
    tracker.apply({ type: "session.updated", properties: { info: { ...info, time: { created: 1, updated: 3 } } } })
    expect(tracker.take("ses_x")?.part).toBeUndefined()
    // A session seen before it was created (an update first) is not counted either.
    tracker.apply({ type: "session.updated", properties: { info: { id: "ses_y", time: { created: 1, updated: 1 } } } })
    tracker.apply({ type: "session.created", properties: { info: { id: "ses_y", time: { created: 1, updated: 1 } } } })
    expect(tracker.take("ses_y")?.part).toBeUndefined()
  })

  it("ignores malformed and unrelated events", () => {
    const tracker = new Tracker()
    for (const event of [null, 42, "x", {}, { type: 1 }, { type: "message.updated", properties: { info: "no" } }]) {
      expect(tracker.apply(event)).toBeUndefined()
    }
    expect(tracker.apply({ type: "message.part.delta", properties: { sessionID: MAIN, delta: "x" } })).toBeUndefined()
    expect(tracker.apply({ type: "session.idle", properties: { sessionID: MAIN } })).toBe(MAIN)
    expect(tracker.take(MAIN)).toBeUndefined()
    expect(tracker.pending()).toEqual([])
  })

  it("keeps a message whose info has not arrived yet pending until it does", () => {
    const tracker = new Tracker()
    const part = { id: "prt_1", type: "text", text: "hi", messageID: "msg_1", sessionID: MAIN }
    tracker.apply({ type: "message.part.updated", properties: { part } })
    expect(tracker.take(MAIN)).toBeUndefined()
    tracker.apply({
      type: "message.updated",
      properties: { info: { id: "msg_1", sessionID: MAIN, role: "user", time: { created: 1 } } }
    })
    expect(tracker.take(MAIN)?.messages).toEqual([
      { info: { id: "msg_1", sessionID: MAIN, role: "user", time: { created: 1 } }, parts: [part] }
    ])
  })

  it("re-sends a message handed over complete with the same events, from what it kept of its parts", () => {
    const { flushed, tracker } = replay("global")
    for (const id of [MAIN, CHILD]) {
      const last = new Map<string, SessionSnapshot["messages"][number]>()
      for (const s of flushed.filter((s) => s.sessionId === id))
        for (const m of s.messages) last.set(String(m.info.id), m)
      // Each message changes again after it was handed over (its info re-sent, as OpenCode does after a turn)
      for (const message of last.values())
        tracker.apply({ type: "message.updated", properties: { info: message.info } })
      const again = tracker.take(id)!
      expect(again.messages.length).toBe(last.size)
      const tools = again.messages.flatMap((m) => m.parts).filter((p) => p.type === "tool")
      expect(tools.length).toBe(id === MAIN ? 4 : 0)
      for (const part of tools) expect(part.state).not.toHaveProperty("output")
      for (const mapping of [options, { syncToolCalls: true, syncThinking: true }]) {
        const before = Mapping.toEvents({ sessionId: id, info: null, messages: [...last.values()] }, mapping)
        expect(Mapping.toEvents({ ...again, info: null }, mapping)).toEqual(before)
      }
    }
  })

  it("lets go of the content of large tool parts once handed over, and of a deleted session", () => {
    const tracker = new Tracker()
    const big = "x".repeat(256 * 1024)
    const sessions = Array.from({ length: 40 }, (_, i) => `ses_${String(i).padStart(3, "0")}`)
    const snapshots: Array<SessionSnapshot> = []
    for (const sessionID of sessions) {
      const messageID = `msg_${sessionID}`
      const info = { id: messageID, sessionID, role: "assistant", time: { created: 1 } }
      tracker.apply({ type: "message.updated", properties: { info } })
      for (let n = 0; n < 20; n++) {
        const part = {
          id: `prt_${String(n).padStart(3, "0")}`,
          sessionID,
          messageID,
          type: "tool",
          callID: `call_${n}`,
          tool: "write",
          state: {
            status: "completed",
            input: { filePath: `/tmp/f${n}`, content: big },
            output: big,
            metadata: { diff: big, filepath: `/tmp/f${n}` },
            time: { start: 1, end: 2 }
          }
        }
        tracker.apply({ type: "message.part.updated", properties: { part } })
      }
      tracker.apply({ type: "message.updated", properties: { info: { ...info, time: { created: 1, completed: 3 } } } })
      const id = tracker.apply({ type: "session.idle", properties: { sessionID } })
      snapshots.push(tracker.take(id!)!)
    }
    // What was handed over is whole; what stays is a few hundred characters a part
    expect(snapshots.every((s) => s.messages[0]!.parts.every((p) => (p.state as { output: string }).output === big)))
    expect(tracker.held().chars).toBeLessThan(sessions.length * 20 * 400)
    // A part updated again after that is re-sent with the rest of its message, as it was
    const first = snapshots[0]!
    const part = first.messages[0]!.parts[3]!
    expect(tracker.apply({ type: "message.part.updated", properties: { part } })).toBe(first.sessionId)
    expect(Mapping.toEvents(tracker.take(first.sessionId)!, options)).toEqual(Mapping.toEvents(first, options))

    for (const sessionID of sessions) {
      expect(tracker.apply({ type: "session.deleted", properties: { info: { id: sessionID } } })).toBeUndefined()
    }
    expect(tracker.held()).toEqual({ sessions: 0, chars: 0 })
    // A session deleted with changes not taken yet: they are taken, then it is forgotten
    const info = { id: "msg_late", sessionID: MAIN, role: "user", time: { created: 1 } }
    tracker.apply({ type: "message.updated", properties: { info } })
    tracker.apply({
      type: "message.part.updated",
      properties: { part: { id: "prt_1", type: "text", text: "hi", messageID: "msg_late", sessionID: MAIN } }
    })
    expect(tracker.apply({ type: "session.deleted", properties: { info: { id: MAIN } } })).toBe(MAIN)
    expect(tracker.take(MAIN)?.messages.length).toBe(1)
    expect(tracker.held().sessions).toBe(0)
  })
})
