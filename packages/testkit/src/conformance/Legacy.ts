import { describe, expect, it } from "@effect/vitest"
import { as, expectError, type Harness, type Json, t0, zeroUsage } from "./Harness.js"

/** legacy OpenSync plugin protocol */
export const section = (h: Harness): void => {
  const { run, sid, get, post, detail } = h
  describe("legacy OpenSync plugin protocol", () => {
    const e1 = sid("legacy-1")
    const e2 = sid("legacy-2")
    const e3 = sid("legacy-3")
    const e4 = sid("legacy-4")
    const b1 = sid("legacy-batch")
    const project = sid("legacy")

    it("POST /sync/session upserts by externalId with absolute token totals and accepts unknown fields", async () => {
      const first = {
        externalId: e1,
        title: "Legacy one",
        projectPath: "/p/legacy",
        projectName: project,
        model: "claude-sonnet-4-5",
        promptTokens: 1_000,
        completionTokens: 500,
        cost: 0.25,
        durationMs: 60_000,
        createdAt: t0,
        // sent by claude-code-sync / pi, unknown to the protocol: accepted
        messageCount: 3,
        toolCallCount: 1,
        totalTokens: 1_500,
        endReason: "user_exit",
        isPublic: false,
        somethingNew: { nested: true }
      }
      const reply = await post("/sync/session", first)
      expect([reply.status, reply.body]).toEqual([200, { ok: true, sessionId: e1 }])
      const d1 = (await detail(e1)).session
      expect({
        source: d1.source,
        title: d1.title,
        projectPath: d1.projectPath,
        projectName: d1.projectName,
        model: d1.model,
        endReason: d1.endReason,
        startedAt: d1.startedAt,
        usage: d1.usage,
        totalTokens: d1.totalTokens,
        costUsd: d1.costUsd,
        durationMs: d1.durationMs,
        messageCount: d1.messageCount
      }).toEqual({
        source: "opencode",
        title: "Legacy one",
        projectPath: "/p/legacy",
        projectName: project,
        model: "claude-sonnet-4-5",
        endReason: "user_exit",
        startedAt: t0,
        usage: { ...zeroUsage, input: 1_000, output: 500 },
        totalTokens: 1_500,
        costUsd: 0.25,
        durationMs: 60_000,
        messageCount: 0
      })

      // totals are absolute; 0 means "unchanged"; other fields are left alone
      const second = { externalId: e1, promptTokens: 0, completionTokens: 800, cost: 0.3 }
      expect((await post("/sync/session", second)).body).toEqual({ ok: true, sessionId: e1 })
      const d2 = (await detail(e1)).session
      expect([d2.title, d2.usage, d2.totalTokens, d2.costUsd, d2.durationMs]).toEqual([
        "Legacy one",
        { ...zeroUsage, input: 1_000, output: 800 },
        1_800,
        0.3,
        60_000
      ])

      // every upsert is applied, even when only the duration changes, and the last title wins
      await post("/sync/session", { externalId: e1, durationMs: 61_000 })
      await post("/sync/session", { externalId: e1, title: "Legacy renamed" })
      const d3 = (await detail(e1)).session
      expect([d3.title, d3.durationMs, d3.costUsd]).toEqual(["Legacy renamed", 61_000, 0.3])

      // idempotent re-send
      const before = (await get(`/api/sessions/${e1}`)).text
      const again = await post("/sync/session", second)
      expect([again.status, again.body]).toEqual([200, { ok: true, sessionId: e1 }])
      expect((await get(`/api/sessions/${e1}`)).text).toEqual(before)
    })

    it("POST /sync/session: sessionId alias, cursor stored as cursor-sync, reported tokens priced", async () => {
      expect((await post("/sync/session", { sessionId: e2, source: "cursor", title: "Cursor one" })).body).toEqual({
        ok: true,
        sessionId: e2
      })
      expect([(await detail(e2)).session.source, (await detail(e2)).session.title]).toEqual([
        "cursor-sync",
        "Cursor one"
      ])
      await post("/sync/session", {
        externalId: e3,
        source: "claude-code",
        model: "claude-sonnet-4-5",
        promptTokens: 1_000,
        completionTokens: 1_000
      })
      const s3 = (await detail(e3)).session
      expect([s3.source, s3.totalTokens, s3.costUsd]).toEqual(["claude-code", 2_000, 0.018])
    })

    it("POST /sync/session without externalId or sessionId is a 400 with the legacy message", async () => {
      const reply = await post("/sync/session", { title: "no id", source: "claude-code" })
      expect([reply.status, reply.body]).toEqual([
        400,
        { error: "Missing externalId or sessionId", _tag: "BadRequest" }
      ])
      // The field and what was wrong with it, not the body's whole schema written as a TypeScript type
      expect(
        expectError(
          await post("/sync/session", { externalId: sid("legacy-bad"), promptTokens: "many" }),
          400,
          "BadRequest"
        )
      ).toEqual('promptTokens: Expected a number, actual "many"')
      expect(expectError(await post("/sync/session", { externalId: 5 }), 400, "BadRequest")).toEqual(
        "externalId: Expected a string, actual 5"
      )
      expectError(await post("/sync/session", [{ externalId: sid("legacy-bad") }]), 400, "BadRequest")
      // Numbers out of range name the body's field too, not the event's it becomes
      const session = { externalId: sid("legacy-bad") }
      const message = { sessionExternalId: sid("legacy-bad"), externalId: "m1", role: "assistant", createdAt: t0 }
      for (const [path, body, field] of [
        ["/sync/session", { ...session, promptTokens: 1e15 }, "promptTokens"],
        ["/sync/session", { ...session, completionTokens: 1e300 }, "completionTokens"],
        ["/sync/session", { ...session, durationMs: 1e15 }, "durationMs"],
        ["/sync/session", { ...session, cost: 1e12 }, "cost"],
        ["/sync/session", { ...session, createdAt: 1e20 }, "createdAt"],
        ["/sync/message", { ...message, durationMs: 1e300 }, "durationMs"],
        ["/sync/message", { ...message, promptTokens: 1e15 }, "promptTokens"],
        ["/sync/message", { ...message, createdAt: 1e20 }, "createdAt"]
      ] as const) {
        const error = expectError(await post(path, body), 400, "BadRequest")
        expect([path, field, error.startsWith(`${field}: `)]).toEqual([path, field, true])
      }
      // A message whose end (its time and duration) passes the end of 9999 says which fields make it
      const late = { ...message, createdAt: 253_402_300_799_000, durationMs: 10_000 }
      expect(expectError(await post("/sync/message", late), 400, "BadRequest")).toMatch(/^createdAt \+ durationMs: /)
      expectError(await get(`/api/sessions/${sid("legacy-bad")}`), 404, "NotFound")
    })

    it("redacts secrets the existing plugins send (they never redacted), with the plugins' own rules", async () => {
      const id = sid("redacted-by-server")
      const openai = `sk-proj-${"a1B2c3D4e5F6g7H8i9J0".repeat(4)}`
      const aws = "AKIAZ5GMDQ3XYQWR7KPL"
      await post("/sync/session", { externalId: id, title: `deploy with ${aws}` })
      await post("/sync/message", {
        sessionExternalId: id,
        externalId: "m1",
        role: "user",
        textContent: `export OPENAI_API_KEY=${openai}`,
        parts: [{ type: "text", content: `export OPENAI_API_KEY=${openai}` }]
      })
      const batch = await post("/sync/batch", {
        messages: [{ sessionExternalId: id, externalId: "m2", role: "assistant", textContent: `use ${aws} here` }]
      })
      expect(batch.status).toEqual(200)
      const stored = await detail(id)
      const text = JSON.stringify(stored)
      expect([text.includes(openai), text.includes(aws)]).toEqual([false, false])
      expect(stored.session.title).toEqual("deploy with [REDACTED:aws-access-key]")
      expect(stored.messages.map((m) => m.text)).toEqual([
        "export OPENAI_API_KEY=[REDACTED:openai-api-key]",
        "use [REDACTED:aws-access-key] here"
      ])
      // the same body again is the same event: a duplicate, not a second copy
      const again = await post("/sync/message", {
        sessionExternalId: id,
        externalId: "m1",
        role: "user",
        textContent: `export OPENAI_API_KEY=${openai}`,
        parts: [{ type: "text", content: `export OPENAI_API_KEY=${openai}` }]
      })
      expect(again.status).toEqual(200)
      expect((await detail(id)).messages.length).toEqual(2)
    })

    it("POST /sync/message auto-creates the session, and a re-send replaces text and parts", async () => {
      const message = {
        sessionExternalId: e4,
        externalId: "lm1",
        role: "assistant",
        textContent: "hello legacy",
        model: "claude-sonnet-4-5",
        source: "claude-code",
        promptTokens: 100,
        completionTokens: 50,
        durationMs: 500,
        createdAt: t0 + 1_000,
        somethingNew: 1
      }
      const reply = await post("/sync/message", message)
      expect([reply.status, reply.body]).toEqual([200, { ok: true, messageId: "lm1" }])
      const d1 = await detail(e4)
      expect({
        source: d1.session.source,
        model: d1.session.model,
        startedAt: d1.session.startedAt,
        messageCount: d1.session.messageCount,
        totalTokens: d1.session.totalTokens,
        costUsd: d1.session.costUsd
      }).toEqual({
        source: "claude-code",
        model: "claude-sonnet-4-5",
        startedAt: t0 + 1_000,
        messageCount: 1,
        totalTokens: 0,
        costUsd: 0
      })
      expect(
        d1.messages.map((m) => [m.id, m.role, m.text, m.createdAt, m.completedAt, m.usage, m.usageCounted])
      ).toEqual([
        ["lm1", "assistant", "hello legacy", t0 + 1_000, t0 + 1_500, { ...zeroUsage, input: 100, output: 50 }, false]
      ])

      const resent = {
        ...message,
        textContent: "hello again",
        parts: [
          { type: "text", content: "hello again" },
          { type: "tool-call", content: { toolName: "Bash", args: { command: "ls" } } },
          { type: "tool-result", content: "file.txt" }
        ]
      }
      expect((await post("/sync/message", resent)).body).toEqual({ ok: true, messageId: "lm1" })
      const d2 = await detail(e4)
      expect(d2.messages.map((m) => [m.id, m.text, m.parts])).toEqual([
        [
          "lm1",
          "hello again",
          [
            { type: "text", text: "hello again" },
            { type: "tool", callId: "lm1#1", name: "Bash" },
            { type: "other", name: "tool-result", summary: "file.txt" }
          ]
        ]
      ])
      expect(d2.session.messageCount).toEqual(1)

      await post("/sync/message", { ...message, textContent: "final", parts: [] })
      expect((await detail(e4)).messages.map((m) => [m.text, m.parts])).toEqual([["final", []]])

      // session totals come from /sync/session only; message tokens are never added on top
      await post("/sync/session", {
        externalId: e4,
        source: "claude-code",
        promptTokens: 2_000,
        completionTokens: 300
      })
      const s = (await detail(e4)).session
      expect([s.usage.input, s.usage.output, s.totalTokens, s.messageCount]).toEqual([2_000, 300, 2_300, 1])
    })

    it("POST /sync/message without a role (or ids) is a JSON 400", async () => {
      const base = { sessionExternalId: sid("legacy-norole"), externalId: "x1", textContent: "no role" }
      expect(expectError(await post("/sync/message", base), 400, "BadRequest")).toMatch(/role/)
      expect(expectError(await post("/sync/message", { ...base, role: "robot" }), 400, "BadRequest")).toEqual(
        'role: Expected "user", "assistant", "system", "tool" or "unknown", actual "robot"'
      )
      expectError(await post("/sync/message", { externalId: "x1", role: "user" }), 400, "BadRequest")
      expectError(
        await post("/sync/message", { sessionExternalId: base.sessionExternalId, role: "user" }),
        400,
        "BadRequest"
      )
      expectError(await get(`/api/sessions/${base.sessionExternalId}`), 404, "NotFound")
    })

    it("POST /sync/batch: per-item errors, the rest stored, createdAt and unknown fields accepted", async () => {
      const body = {
        sessions: [
          { externalId: b1, source: "pi", title: "batch s", projectName: project, createdAt: t0, messageCount: 2 },
          { title: "no id" }
        ],
        messages: [
          {
            sessionExternalId: b1,
            externalId: "b1-user-1",
            role: "user",
            textContent: "hi",
            createdAt: t0 + 10,
            x: 1
          },
          { sessionExternalId: b1, externalId: "b1-broken", textContent: "no role" },
          {
            sessionExternalId: b1,
            externalId: "b1-assistant-1",
            role: "assistant",
            source: "pi",
            parts: [
              { type: "text", content: { text: "yo" } },
              { type: "thinking", content: "hmm" }
            ],
            createdAt: t0 + 20
          }
        ]
      }
      const reply = await post("/sync/batch", body)
      expect(reply.status).toEqual(200)
      const result = reply.body as { ok: boolean; sessions: number; messages: number; errors: ReadonlyArray<string> }
      expect({ ...result, errors: result.errors.map((e) => e.slice(0, e.indexOf("]") + 1)) }).toEqual({
        ok: true,
        sessions: 1,
        messages: 2,
        errors: ["sessions[1]", "messages[1]"]
      })
      const d = await detail(b1)
      expect([d.session.source, d.session.title, d.session.startedAt, d.session.messageCount]).toEqual([
        "pi",
        "batch s",
        t0,
        2
      ])
      expect(d.messages.map((m) => [m.id, m.role, m.text, m.createdAt, m.parts])).toEqual([
        ["b1-user-1", "user", "hi", t0 + 10, []],
        [
          "b1-assistant-1",
          "assistant",
          "yo",
          t0 + 20,
          [
            { type: "text", text: "yo" },
            { type: "thinking", text: "hmm" }
          ]
        ]
      ])
      const before = (await get(`/api/sessions/${b1}`)).text
      expect((await post("/sync/batch", body)).body).toEqual(reply.body)
      expect((await get(`/api/sessions/${b1}`)).text).toEqual(before)

      expect((await post("/sync/batch", {})).body).toEqual({ ok: true, sessions: 0, messages: 0, errors: [] })
      expect(expectError(await post("/sync/batch", { sessions: "x" }), 400, "BadRequest")).toEqual(
        'sessions: Expected an array, actual "x"'
      )
      expect(expectError(await post("/sync/batch", [1]), 400, "BadRequest")).toEqual(
        "Expected an object with sessions and messages arrays, actual [1]"
      )
      const allBad = await post("/sync/batch", { sessions: [{}], messages: [{ role: "user" }] })
      expect([allBad.status, (allBad.body as Json).sessions, (allBad.body as Json).messages]).toEqual([200, 0, 0])
      expect(((allBad.body as Json).errors as ReadonlyArray<string>).length).toEqual(2)
    })

    it("GET /sync/sessions/list lists the caller's session ids", async () => {
      const reply = await get("/sync/sessions/list")
      expect(reply.status).toEqual(200)
      const ids = as<{ sessionIds: ReadonlyArray<string> }>(reply).sessionIds
      expect(ids.filter((id) => id.startsWith(`${run}-legacy-`)).sort()).toEqual([e1, e2, e3, e4, b1].sort())
      expect(new Set(ids).size).toEqual(ids.length)
    })
  })
}
