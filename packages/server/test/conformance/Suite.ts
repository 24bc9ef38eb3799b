import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { Api, ApiKey } from "@opensync/domain"

/**
 * The HTTP conformance suite: what every OpenSync backend must do, checked through plain `fetch` only, so the same
 * tests run against the local server and against a Convex deployment (through convex-test's HTTP router).
 */

/** A running backend: its base URL, two API keys of two different users, and how to shut it down. */
export interface Target {
  readonly url: string
  readonly keyA: string
  readonly keyB: string
  readonly fetch?: typeof fetch
  readonly close: () => Promise<void>
}

interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly body: unknown
}

interface RequestOptions {
  /** The bearer key; `null` sends no Authorization header. Default: key A. */
  readonly key?: string | null | undefined
  readonly json?: unknown
  readonly raw?: string
  readonly headers?: Record<string, string>
}

type Json = Record<string, unknown>
type SessionDetail = Api.SessionDetail
type SessionPage = Api.SessionPage
type Stats = Api.Stats
type SyncResult = Api.SyncEventsResult

const day = 86_400_000
/** Monday 2025-03-03 10:00 UTC: every fixture happens in the past, so arrival time can never pass for it. */
const t0 = Date.UTC(2025, 2, 3, 10, 0, 0)

const zeroUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 }

const zeroTotals = {
  sessions: 0,
  messages: 0,
  durationMs: 0,
  ...zeroUsage,
  totalTokens: 0,
  costUsd: 0,
  unpriced: 0
}

const keyInfoFields = ["createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "scopes", "userId"]

const sha256Hex = async (text: string): Promise<string> => {
  const buffer = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("")
}

const as = <T>(reply: Reply): T => reply.body as T

const errorOf = (reply: Reply): { readonly error: string; readonly _tag: string } => {
  const body = reply.body
  if (typeof body !== "object" || body === null) throw new Error(`not a JSON error body: ${reply.text}`)
  const record = body as Json
  return { error: String(record.error), _tag: String(record._tag) }
}

/** Asserts a JSON error response: the status, the `_tag`, a non-empty `error`; returns the message. */
const expectError = (reply: Reply, status: number, tag: string): string => {
  expect({ status: reply.status, type: reply.headers.get("content-type")?.split(";")[0] }).toEqual({
    status,
    type: "application/json"
  })
  const { error, _tag } = errorOf(reply)
  expect(_tag).toEqual(tag)
  expect(error).toMatch(/\S/)
  return error
}

const headerList = (value: string | null): ReadonlyArray<string> =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0)

export const conformanceSuite = (name: string, makeTarget: () => Promise<Target>): void => {
  describe(name, () => {
    let target: Target
    /** Distinguishes this run's ids, so the suite also works on a deployment that keeps data between runs. */
    const run = `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
    let counter = 0
    const eventId = () => `evt_${run}_${++counter}`
    const sid = (label: string) => `${run}-${label}`

    beforeAll(async () => {
      target = await makeTarget()
    }, 60_000)

    afterAll(async () => {
      await target?.close()
    })

    const request = async (method: string, path: string, options: RequestOptions = {}): Promise<Reply> => {
      const key = options.key === undefined ? target.keyA : options.key
      const headers: Record<string, string> = { ...options.headers }
      if (key !== null) headers.authorization = `Bearer ${key}`
      const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json))
      if (body !== undefined && headers["content-type"] === undefined) headers["content-type"] = "application/json"
      const doFetch = target.fetch ?? fetch
      const response = await doFetch(`${target.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body })
      })
      const text = await response.text()
      let parsed: unknown = null
      try {
        parsed = text.length === 0 ? null : JSON.parse(text)
      } catch {
        parsed = null
      }
      return { status: response.status, headers: response.headers, text, body: parsed }
    }
    const get = (path: string, key?: string | null) => request("GET", path, { key })
    const post = (path: string, json: unknown, key?: string | null) => request("POST", path, { key, json })
    const del = (path: string, key?: string | null) => request("DELETE", path, { key })

    const query = (params: Record<string, string | number | undefined>): string => {
      const search = new URLSearchParams()
      for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v))
      const text = search.toString()
      return text.length === 0 ? "" : `?${text}`
    }

    /** Sends events and returns the batch result (status 200 asserted). */
    const sync = async (events: ReadonlyArray<unknown>, key?: string): Promise<SyncResult> => {
      const reply = await post("/sync/events", { events }, key)
      expect(reply.status).toEqual(200)
      return as<SyncResult>(reply)
    }

    /** Sends events that must all be stored. */
    const store = async (events: ReadonlyArray<Json>, key?: string): Promise<void> => {
      const result = await sync(events, key)
      expect(result).toEqual({ stored: events.map((e) => e.id), duplicates: [], stale: [], rejected: [], deleted: [] })
    }

    const detail = async (id: string, key?: string): Promise<SessionDetail> => {
      const reply = await get(`/api/sessions/${encodeURIComponent(id)}`, key)
      expect(reply.status).toEqual(200)
      return as<SessionDetail>(reply)
    }

    const list = async (params: Record<string, string | number | undefined>, key?: string): Promise<SessionPage> => {
      const reply = await get(`/api/sessions${query(params)}`, key)
      expect(reply.status).toEqual(200)
      return as<SessionPage>(reply)
    }

    const listIds = async (params: Record<string, string | number | undefined>, key?: string) =>
      (await list(params, key)).sessions.map((s) => s.id)

    const stats = async (params: Record<string, string | number | undefined>, key?: string): Promise<Stats> => {
      const reply = await get(`/api/stats${query(params)}`, key)
      expect(reply.status).toEqual(200)
      return as<Stats>(reply)
    }

    // ---------- event builders ----------

    const sessionEv = (sessionId: string, at: number, fields: Json = {}, source = "claude-code"): Json => ({
      kind: "session",
      id: eventId(),
      source,
      sessionId,
      at,
      ...fields
    })

    const messageEv = (
      sessionId: string,
      messageId: string,
      role: string,
      at: number,
      fields: Json = {},
      source = "claude-code"
    ): Json => ({
      kind: "message",
      id: eventId(),
      source,
      sessionId,
      at,
      messageId,
      role,
      createdAt: at,
      ...fields
    })

    const toolEv = (
      sessionId: string,
      callId: string,
      name: string,
      status: string,
      at: number,
      fields: Json = {},
      source = "claude-code"
    ): Json => ({
      kind: "tool_call",
      id: eventId(),
      source,
      sessionId,
      at,
      callId,
      name,
      status,
      startedAt: at,
      ...fields
    })

    interface Spec {
      readonly id: string
      readonly source: string
      readonly project: string
      readonly model: string
      readonly title: string
      readonly start: number
      readonly duration: number
      readonly userTexts: ReadonlyArray<string>
      readonly usage: { readonly input: number; readonly output: number; readonly cacheRead?: number }
      readonly tools?: ReadonlyArray<{
        readonly name: string
        readonly status: "completed" | "error"
        readonly durationMs: number | null
        readonly exitCode?: number
      }>
    }

    /** A whole session: start, user prompts, one priced assistant reply, tool calls, end after `duration`. */
    const specEvents = (spec: Spec): ReadonlyArray<Json> => [
      sessionEv(
        spec.id,
        spec.start,
        {
          title: spec.title,
          projectName: spec.project,
          projectPath: `/work/${spec.project}`,
          model: spec.model,
          startedAt: spec.start
        },
        spec.source
      ),
      ...spec.userTexts.map((text, j) =>
        messageEv(spec.id, `u${j}`, "user", spec.start + 10 * (j + 1), { text }, spec.source)
      ),
      messageEv(
        spec.id,
        "a0",
        "assistant",
        spec.start + 200,
        {
          text: "done",
          model: spec.model,
          createdAt: spec.start + 100,
          completedAt: spec.start + 200,
          usage: spec.usage
        },
        spec.source
      ),
      ...(spec.tools ?? []).map((tool, j) =>
        toolEv(
          spec.id,
          `c${j}`,
          tool.name,
          tool.status,
          spec.start + 300 + (tool.durationMs ?? 0),
          {
            startedAt: spec.start + 300,
            messageId: "a0",
            durationMs: tool.durationMs,
            output: { exitCode: tool.exitCode ?? null }
          },
          spec.source
        )
      ),
      sessionEv(
        spec.id,
        spec.start + spec.duration,
        { endedAt: spec.start + spec.duration, endReason: "exit" },
        spec.source
      )
    ]

    // =====================================================================================================
    describe("health, discovery, CORS and error bodies", () => {
      it("GET /health needs no key and answers {status, version, timestamp} (the local server adds cli)", async () => {
        const before = Date.now()
        const reply = await get("/health", null)
        const after = Date.now()
        expect(reply.status).toEqual(200)
        const { cli, ...body } = reply.body as Json
        expect(Object.keys(body).sort()).toEqual(["status", "timestamp", "version"])
        if (cli !== undefined) expect(typeof cli).toEqual("string")
        expect(body.status).toEqual("ok")
        expect(typeof body.version).toEqual("string")
        expect(String(body.version)).toMatch(/\S/)
        expect(typeof body.timestamp).toEqual("number")
        expect(Number(body.timestamp) >= before - 5_000 && Number(body.timestamp) <= after + 5_000).toEqual(true)
        expect(reply.headers.get("access-control-allow-origin")).toEqual("*")
      })

      it("GET /openapi.json documents every route of the contract", async () => {
        const reply = await get("/openapi.json", null)
        expect(reply.status).toEqual(200)
        const paths = (reply.body as { paths: Record<string, Record<string, unknown>> }).paths
        const routes = Object.entries(paths)
          .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
          .sort()
        expect(routes).toEqual(
          [
            "GET /health",
            "POST /sync/events",
            "POST /sync/session",
            "POST /sync/message",
            "POST /sync/batch",
            "GET /sync/sessions/list",
            "GET /api/sessions",
            "GET /api/sessions/{id}",
            "DELETE /api/sessions/{id}",
            "GET /api/stats",
            "GET /api/export",
            "GET /api/keys",
            "POST /api/keys",
            "DELETE /api/keys/{id}",
            "POST /auth/session",
            "GET /auth/me",
            "DELETE /auth/session",
            "DELETE /api/data"
          ].sort()
        )
      })

      it("answers a CORS preflight on real routes with 204 and the allowed headers", async () => {
        for (const [path, method] of [
          ["/sync/events", "POST"],
          ["/api/sessions/some-id", "DELETE"],
          ["/sync/session", "POST"]
        ] as const) {
          const reply = await request("OPTIONS", path, {
            key: null,
            headers: {
              origin: "https://dashboard.example",
              "access-control-request-method": method,
              "access-control-request-headers": "authorization,content-type"
            }
          })
          expect(reply.status).toEqual(204)
          expect(reply.headers.get("access-control-allow-origin")).toEqual("*")
          const allowed = headerList(reply.headers.get("access-control-allow-headers"))
          expect(["authorization", "content-type"].filter((h) => allowed.includes(h))).toEqual([
            "authorization",
            "content-type"
          ])
          const methods = headerList(reply.headers.get("access-control-allow-methods"))
          expect(methods.includes(method.toLowerCase())).toEqual(true)
        }
      })

      it("answers an unknown route with a JSON 404, with or without a key", async () => {
        expectError(await get("/no/such/route"), 404, "NotFound")
        expectError(await get("/no/such/route", null), 404, "NotFound")
        expectError(await post("/api/nothing", {}), 404, "NotFound")
      })

      it("rejects every protected route without a key with a JSON 401", async () => {
        const routes: ReadonlyArray<readonly [string, string]> = [
          ["POST", "/sync/events"],
          ["POST", "/sync/session"],
          ["POST", "/sync/message"],
          ["POST", "/sync/batch"],
          ["GET", "/sync/sessions/list"],
          ["GET", "/api/sessions"],
          ["GET", "/api/sessions/x"],
          ["DELETE", "/api/sessions/x"],
          ["GET", "/api/stats"],
          ["GET", "/api/export"],
          ["GET", "/api/keys"],
          ["POST", "/api/keys"],
          ["DELETE", "/api/keys/x"]
        ]
        for (const [method, path] of routes) {
          const reply = await request(method, path, {
            key: null,
            ...(method === "POST" ? { json: { events: [] } } : {})
          })
          expect(`${method} ${path} ${reply.status}`).toEqual(`${method} ${path} 401`)
          expectError(reply, 401, "Unauthorized")
          expect(reply.headers.get("access-control-allow-origin")).toEqual("*")
        }
      })

      it("rejects a non-osk_ bearer token, a non-bearer scheme and an unknown key with 401", async () => {
        expectError(await get("/api/sessions", "eyJhbGciOiJIUzI1NiJ9.e30.x"), 401, "Unauthorized")
        expectError(
          await request("GET", "/api/sessions", { key: null, headers: { authorization: `Basic ${target.keyA}` } }),
          401,
          "Unauthorized"
        )
        expectError(await get("/api/sessions", "osk_notarealkey"), 401, "Unauthorized")
        // well-formed (right length, valid checksum) but never issued
        expectError(await get("/api/sessions", "osk_00000000000000000000000000000000000000"), 401, "Unauthorized")
        expectError(await get("/api/sessions", `${target.keyA.slice(0, -1)}x`), 401, "Unauthorized")
      })

      it("rejects an empty bearer token with 401, and /health ignores a bad key", async () => {
        expectError(
          await request("GET", "/api/sessions", { key: null, headers: { authorization: "Bearer " } }),
          401,
          "Unauthorized"
        )
        expect((await get("/health", "osk_bad")).status).toEqual(200)
      })

      it("answers malformed JSON with a JSON 400 on every POST route", async () => {
        for (const path of ["/sync/events", "/sync/session", "/sync/message", "/sync/batch", "/api/keys"]) {
          const reply = await request("POST", path, { raw: '{"events": [' })
          expect(`${path} ${reply.status}`).toEqual(`${path} 400`)
          expectError(reply, 400, "BadRequest")
        }
      })

      it("answers a body of the wrong shape with a JSON 400", async () => {
        expectError(await post("/sync/events", { events: "not an array" }), 400, "BadRequest")
        expectError(await post("/sync/events", [1, 2]), 400, "BadRequest")
        expectError(await post("/sync/events", {}), 400, "BadRequest")
        expectError(await post("/api/keys", { name: 42 }), 400, "BadRequest")
      })

      it("sends Access-Control-Allow-Origin on error responses too", async () => {
        const replies = [
          await get("/no/such/route"),
          await request("POST", "/sync/events", { raw: "{" }),
          await get(`/api/sessions/${sid("cors-missing")}`),
          await get("/api/sessions", null)
        ]
        expect(replies.map((r) => [r.status, r.headers.get("access-control-allow-origin")])).toEqual([
          [404, "*"],
          [400, "*"],
          [404, "*"],
          [401, "*"]
        ])
      })

      it("answers a body over 8 MiB with a JSON 413", async () => {
        const filler = "x".repeat(8 * 1024 * 1024)
        const reply = await post("/sync/events", { events: [], filler })
        expectError(reply, 413, "PayloadTooLarge")
        const legacy = await post("/sync/batch", { sessions: [], filler })
        expectError(legacy, 413, "PayloadTooLarge")
      })
    })

    // =====================================================================================================
    describe("POST /sync/events", () => {
      it("stores new events and lists their ids in order", async () => {
        const s = sid("store")
        const events = [
          sessionEv(s, t0, { title: "Stored", startedAt: t0 }),
          messageEv(s, "m1", "user", t0 + 10, { text: "hi" }),
          toolEv(s, "c1", "Read", "completed", t0 + 20)
        ]
        expect(await sync(events)).toEqual({
          stored: events.map((e) => e.id),
          duplicates: [],
          stale: [],
          rejected: [],
          deleted: []
        })
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
        expect(await sync(events)).toEqual({
          stored: [],
          duplicates: events.map((e) => e.id),
          stale: [],
          rejected: [],
          deleted: []
        })
        expect((await get(`/api/sessions/${s}`)).text).toEqual(before)
        expect((await detail(s)).session.messageCount).toEqual(2)
      })

      it("stores an event sent twice in one batch once and reports the copy as a duplicate", async () => {
        const s = sid("dup-batch")
        const message = messageEv(s, "m1", "user", t0, { text: "twice" })
        expect(await sync([message, message])).toEqual({
          stored: [message.id],
          duplicates: [message.id],
          stale: [],
          rejected: [],
          deleted: []
        })
        const d = await detail(s)
        expect(d.messages.map((m) => m.text)).toEqual(["twice"])
        expect(d.session.messageCount).toEqual(1)
      })

      it("reports an older copy of a message as stale and keeps the newer text", async () => {
        const s = sid("stale")
        const newer = messageEv(s, "m1", "assistant", t0 + 100, { text: "newer", createdAt: t0 })
        const older = messageEv(s, "m1", "assistant", t0 + 50, { text: "older", createdAt: t0 })
        await store([newer])
        expect(await sync([older])).toEqual({
          stored: [],
          duplicates: [],
          stale: [older.id],
          rejected: [],
          deleted: []
        })
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
        expect(await sync([lateRunning])).toEqual({
          stored: [],
          duplicates: [],
          stale: [lateRunning.id],
          rejected: [],
          deleted: []
        })
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
        await store([
          messageEv(s, "m1", "assistant", t0 + 50, { createdAt: t0, model: "claude-haiku-4-5" }, "opencode")
        ])
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

    // =====================================================================================================
    describe("GET /api/sessions/{id}", () => {
      it("returns the session with ordered messages, parts, tool calls and priced totals", async () => {
        const s = sid("detail")
        const project = sid("detail-project")
        const start = sessionEv(s, t0, {
          title: "Fix the parser",
          projectPath: `/work/${project}`,
          projectName: project,
          gitBranch: "main",
          model: "claude-sonnet-4-5",
          provider: "anthropic",
          startType: "startup",
          agentVersion: "2.0.1",
          startedAt: t0
        })
        const user = messageEv(s, "u1", "user", t0 + 1_000, { text: "Please fix the parser" })
        const a1 = messageEv(s, "a1", "assistant", t0 + 5_000, {
          createdAt: t0 + 2_000,
          completedAt: t0 + 5_000,
          model: "claude-sonnet-4-5",
          provider: "anthropic",
          text: "Reading the file",
          thinking: "Let me look",
          parts: [
            { type: "thinking", text: "Let me look" },
            { type: "text", text: "Reading the file" },
            { type: "tool", callId: "call_1", name: "Read" },
            { type: "tool", callId: "call_2", name: "Bash" },
            { type: "file", path: "src/parser.ts", mime: "text/typescript" },
            { type: "other", name: "step-start" }
          ],
          usage: { input: 1_000, output: 2_000, cacheRead: 10_000, cacheWrite5m: 4_000, cacheWrite1h: 1_000 }
        })
        const read = toolEv(s, "call_1", "Read", "completed", t0 + 3_250, {
          startedAt: t0 + 3_000,
          messageId: "a1",
          durationMs: 250,
          input: { summary: "src/parser.ts", paths: ["src/parser.ts"], bytes: 40 },
          output: { bytes: 1_200 }
        })
        const bash = toolEv(s, "call_2", "Bash", "error", t0 + 4_500, {
          startedAt: t0 + 3_500,
          messageId: "a1",
          durationMs: 1_000,
          input: { summary: "npm test" },
          output: { exitCode: 1, error: "1 test failed" }
        })
        const a2 = messageEv(s, "a2", "assistant", t0 + 8_000, {
          createdAt: t0 + 6_000,
          completedAt: t0 + 8_000,
          model: "claude-sonnet-4-5",
          text: "Fixed it",
          usage: { input: 500, output: 100, reasoning: 100 }
        })
        const end = sessionEv(s, t0 + 9_000, { endedAt: t0 + 9_000, endReason: "prompt_input_exit" })
        // out of order, as a retrying spool may deliver them
        await store([end, a2, a1, bash, user])
        await store([start, read])

        const d = await detail(s)
        expect(d.session).toEqual({
          id: s,
          source: "claude-code",
          title: "Fix the parser",
          projectPath: `/work/${project}`,
          projectName: project,
          gitBranch: "main",
          model: "claude-sonnet-4-5",
          provider: "anthropic",
          startType: "startup",
          endReason: "prompt_input_exit",
          parentSessionId: null,
          agentVersion: "2.0.1",
          startedAt: t0,
          updatedAt: t0 + 9_000,
          lastActivityAt: t0 + 9_000,
          endedAt: t0 + 9_000,
          durationMs: 9_000,
          messageCount: 3,
          toolCallCount: 2,
          toolErrorCount: 1,
          usage: {
            input: 1_500,
            output: 2_100,
            cacheRead: 10_000,
            cacheWrite5m: 4_000,
            cacheWrite1h: 1_000,
            reasoning: 100
          },
          totalTokens: 18_700,
          // a1: (1000×3 + 2000×15 + 10000×0.30 + 4000×3.75 + 1000×6) / 1e6 = 0.057; a2: (500×3 + 200×15) / 1e6 = 0.0045
          costUsd: 0.0615,
          unpricedMessages: 0,
          reported: null
        })
        expect(d.messages.map((m) => m.id)).toEqual(["u1", "a1", "a2"])
        const [u1, m1, m2] = d.messages
        expect(u1).toEqual({
          id: "u1",
          sessionId: s,
          role: "user",
          text: "Please fix the parser",
          thinking: null,
          parts: [],
          model: null,
          provider: null,
          agentId: null,
          createdAt: t0 + 1_000,
          completedAt: null,
          usage: zeroUsage,
          usageCounted: true,
          costUsd: 0,
          computedCostUsd: null,
          reportedCostUsd: null,
          costBasis: "none",
          priceVersion: null,
          truncated: false,
          updatedAt: t0 + 1_000
        })
        expect(m1).toEqual({
          id: "a1",
          sessionId: s,
          role: "assistant",
          text: "Reading the file",
          thinking: "Let me look",
          parts: [
            { type: "thinking", text: "Let me look" },
            { type: "text", text: "Reading the file" },
            { type: "tool", callId: "call_1", name: "Read" },
            { type: "tool", callId: "call_2", name: "Bash" },
            { type: "file", path: "src/parser.ts", mime: "text/typescript" },
            { type: "other", name: "step-start", summary: null }
          ],
          model: "claude-sonnet-4-5",
          provider: "anthropic",
          agentId: null,
          createdAt: t0 + 2_000,
          completedAt: t0 + 5_000,
          usage: {
            input: 1_000,
            output: 2_000,
            cacheRead: 10_000,
            cacheWrite5m: 4_000,
            cacheWrite1h: 1_000,
            reasoning: 0
          },
          usageCounted: true,
          costUsd: 0.057,
          computedCostUsd: 0.057,
          reportedCostUsd: null,
          costBasis: "computed",
          priceVersion: m1.priceVersion,
          truncated: false,
          updatedAt: t0 + 5_000
        })
        expect(typeof m1.priceVersion).toEqual("string")
        expect([m2.costUsd, m2.computedCostUsd, m2.costBasis, m2.usage]).toEqual([
          0.0045,
          0.0045,
          "computed",
          { ...zeroUsage, input: 500, output: 100, reasoning: 100 }
        ])
        expect(d.toolCalls).toEqual([
          {
            id: "call_1",
            sessionId: s,
            source: "claude-code",
            messageId: "a1",
            name: "Read",
            status: "completed",
            startedAt: t0 + 3_000,
            durationMs: 250,
            input: { summary: "src/parser.ts", paths: ["src/parser.ts"], bytes: 40 },
            output: { bytes: 1_200, exitCode: null, error: null },
            agentId: null,
            updatedAt: t0 + 3_250
          },
          {
            id: "call_2",
            sessionId: s,
            source: "claude-code",
            messageId: "a1",
            name: "Bash",
            status: "error",
            startedAt: t0 + 3_500,
            durationMs: 1_000,
            input: { summary: "npm test", paths: [], bytes: 0 },
            output: { bytes: 0, exitCode: 1, error: "1 test failed" },
            agentId: null,
            updatedAt: t0 + 4_500
          }
        ])
        expect(d.children).toEqual([])
      })

      it("keeps a cost the agent reported (OpenCode) as the message cost", async () => {
        const s = sid("reported")
        await store([
          sessionEv(s, t0, { startedAt: t0 }, "opencode"),
          messageEv(
            s,
            "m1",
            "assistant",
            t0 + 10,
            { model: "gpt-5-codex", usage: { input: 100, output: 50 }, reportedCostUsd: 0.0123 },
            "opencode"
          ),
          messageEv(
            s,
            "m2",
            "assistant",
            t0 + 20,
            { model: "anthropic/claude-sonnet-4-5", usage: { input: 1_000, output: 1_000 }, reportedCostUsd: 0.02 },
            "opencode"
          ),
          messageEv(s, "m3", "assistant", t0 + 30, { model: "mystery-model-9", usage: { input: 10 } }, "opencode")
        ])
        const d = await detail(s)
        expect(d.messages.map((m) => [m.id, m.costUsd, m.computedCostUsd, m.reportedCostUsd, m.costBasis])).toEqual([
          ["m1", 0.0123, null, 0.0123, "reported"],
          ["m2", 0.02, 0.018, 0.02, "reported"],
          ["m3", 0, null, null, "unpriced"]
        ])
        expect([d.session.costUsd, d.session.unpricedMessages, d.session.totalTokens]).toEqual([0.0323, 1, 2_160])
      })

      it("lists child sessions (parentSessionId) under their parent", async () => {
        const parent = sid("parent")
        const child1 = sid("child-1")
        const child2 = sid("child-2")
        await store([
          sessionEv(parent, t0, { title: "Parent", startedAt: t0 }),
          sessionEv(child2, t0 + 20, { title: "Second child", parentSessionId: parent, startedAt: t0 + 20 }),
          sessionEv(child1, t0 + 10, { title: "First child", parentSessionId: parent, startedAt: t0 + 10 })
        ])
        const d = await detail(parent)
        expect(d.children.map((c) => [c.id, c.title, c.parentSessionId])).toEqual([
          [child1, "First child", parent],
          [child2, "Second child", parent]
        ])
        expect((await detail(child1)).session.parentSessionId).toEqual(parent)
        expect((await detail(child1)).children).toEqual([])
      })

      it("answers an unknown session with a JSON 404", async () => {
        expectError(await get(`/api/sessions/${sid("never-synced")}`), 404, "NotFound")
      })
    })
    // =====================================================================================================
    describe("GET /api/sessions", () => {
      const project = sid("list")
      const other = sid("list-other")
      // distinct values on every sort field, ordered differently per field
      const specs: ReadonlyArray<Spec & { readonly cost: number; readonly tokens: number }> = [
        {
          id: sid("list-1"),
          source: "claude-code",
          project,
          model: "claude-sonnet-4-5",
          title: "Alpha parser work",
          start: t0,
          duration: 5 * day,
          userTexts: ["hello there"],
          usage: { input: 1_000, output: 1_000 },
          cost: 0.018,
          tokens: 2_000
        },
        {
          id: sid("list-2"),
          source: "opencode",
          project,
          model: "claude-haiku-4-5",
          title: "Beta",
          start: t0 + day,
          duration: 1_000,
          userTexts: ["a zebra question", "more", "and more"],
          usage: { input: 10_000, output: 2_000 },
          cost: 0.02,
          tokens: 12_000
        },
        {
          id: sid("list-3"),
          source: "claude-code",
          project,
          model: "claude-haiku-4-5",
          title: "Gamma",
          start: t0 + 2 * day,
          duration: 9_000,
          userTexts: ["first", "second"],
          usage: { input: 500, output: 100 },
          cost: 0.001,
          tokens: 600
        },
        {
          id: sid("list-4"),
          source: "codex-cli",
          project,
          model: "claude-opus-4-5",
          title: "Refactor giraffe module",
          start: t0 + 3 * day,
          duration: 2_000,
          userTexts: [],
          usage: { input: 3_000, output: 400 },
          cost: 0.025,
          tokens: 3_400
        },
        {
          id: sid("list-5"),
          source: "claude-code",
          project,
          model: "claude-sonnet-4-5",
          title: "Epsilon",
          start: t0 + 4 * day,
          duration: 7_000,
          userTexts: ["one", "two", "three", "four"],
          usage: { input: 100, output: 50 },
          cost: 0.00105,
          tokens: 150
        }
      ]
      const outsider: Spec = {
        id: sid("list-outsider"),
        source: "claude-code",
        project: other,
        model: "claude-sonnet-4-5",
        title: "Alpha giraffe zebra elsewhere",
        start: t0 + 2 * day,
        duration: 3_000,
        userTexts: ["zebra giraffe"],
        usage: { input: 1, output: 1 }
      }
      const [l1, l2, l3, l4, l5] = specs.map((s) => s.id)

      beforeAll(async () => {
        await store([...specs.flatMap(specEvents), ...specEvents(outsider)])
      })

      it("lists a project's sessions, newest activity first, with summary fields only", async () => {
        const page = await list({ project })
        expect(page.sessions.map((s) => s.id)).toEqual([l1, l5, l4, l3, l2])
        expect(page.nextCursor).toEqual(null)
        const first = page.sessions[0] as unknown as Json
        expect(["usageSlices", "toolSlices"].filter((k) => k in first)).toEqual([])
        expect(
          page.sessions.map((s) => [s.id, s.source, s.model, s.messageCount, s.totalTokens, s.costUsd, s.durationMs])
        ).toEqual(
          [l1, l5, l4, l3, l2].map((id) => {
            const spec = specs.find((s) => s.id === id)!
            return [id, spec.source, spec.model, spec.userTexts.length + 1, spec.tokens, spec.cost, spec.duration]
          })
        )
      })

      it("filters by source, project and model", async () => {
        expect(await listIds({ project, source: "claude-code" })).toEqual([l1, l5, l3])
        expect(await listIds({ project, source: "codex-cli" })).toEqual([l4])
        expect(await listIds({ project, model: "claude-haiku-4-5" })).toEqual([l3, l2])
        expect(await listIds({ project: other })).toEqual([outsider.id])
        expect(await listIds({ project, source: "pi" })).toEqual([])
      })

      it("searches message text and titles with q", async () => {
        expect(await listIds({ project, q: "zebra" })).toEqual([l2])
        expect(await listIds({ project, q: "giraffe" })).toEqual([l4])
        expect(await listIds({ project, q: "parser" })).toEqual([l1])
        expect(await listIds({ project, q: "hello" })).toEqual([l1])
        expect(await listIds({ project, q: "nothing-like-this-anywhere" })).toEqual([])
        expect(await listIds({ q: `giraffe`, project: other })).toEqual([outsider.id])
      })

      it("filters by time range: sessions active within [from, to]", async () => {
        expect(await listIds({ project, from: t0 + 3 * day })).toEqual([l1, l5, l4])
        expect(await listIds({ project, to: t0 + day })).toEqual([l1, l2])
        expect(await listIds({ project, from: t0 + 2 * day, to: t0 + 3 * day + 1 })).toEqual([l1, l4, l3])
      })

      it("sorts by every sort field in both orders", async () => {
        const field = (key: "start" | "cost" | "tokens" | "messages" | "duration" | "updated") =>
          [...specs]
            .sort((a, b) => {
              const value = (s: (typeof specs)[number]) =>
                key === "start"
                  ? s.start
                  : key === "cost"
                    ? s.cost
                    : key === "tokens"
                      ? s.tokens
                      : key === "messages"
                        ? s.userTexts.length + 1
                        : key === "duration"
                          ? s.duration
                          : s.start + s.duration
              return value(a) - value(b)
            })
            .map((s) => s.id)
        const cases = [
          ["updatedAt", field("updated")],
          ["startedAt", field("start")],
          ["costUsd", field("cost")],
          ["totalTokens", field("tokens")],
          ["messageCount", field("messages")],
          ["durationMs", field("duration")]
        ] as const
        for (const [sort, ascending] of cases) {
          expect([sort, await listIds({ project, sort, order: "asc" })]).toEqual([sort, ascending])
          expect([sort, await listIds({ project, sort, order: "desc" })]).toEqual([sort, [...ascending].reverse()])
          expect([sort, await listIds({ project, sort })]).toEqual([sort, [...ascending].reverse()])
        }
        expect(await listIds({ project, sort: "costUsd" })).toEqual([l4, l2, l1, l5, l3])
      })

      it("pages with a cursor that visits every session exactly once", async () => {
        for (const params of [{}, { sort: "costUsd", order: "asc" }, { sort: "messageCount", order: "desc" }]) {
          const all = await listIds({ project, ...params })
          const seen: Array<string> = []
          const sizes: Array<number> = []
          let cursor: string | undefined
          for (let i = 0; i < 10; i++) {
            const page = await list({ project, ...params, limit: 2, cursor })
            seen.push(...page.sessions.map((s) => s.id))
            sizes.push(page.sessions.length)
            if (page.nextCursor === null) break
            cursor = page.nextCursor
          }
          expect({ seen, sizes }).toEqual({ seen: all, sizes: [2, 2, 1] })
        }
        const exact = await list({ project, limit: 5 })
        expect([exact.sessions.length, exact.nextCursor]).toEqual([5, null])
      })

      it("pages through equal sort values without skipping or repeating a session", async () => {
        const tied = sid("list-ties")
        const ids = ["a", "b", "c", "d", "e"].map((x) => sid(`tie-${x}`))
        await store(ids.map((id) => sessionEv(id, t0, { projectName: tied, startedAt: t0 })))
        for (const sort of ["updatedAt", "startedAt", "costUsd", "totalTokens", "messageCount", "durationMs"]) {
          for (const order of ["asc", "desc"]) {
            const seen: Array<string> = []
            let cursor: string | undefined
            for (let i = 0; i < 10; i++) {
              const page = await list({ project: tied, sort, order, limit: 2, cursor })
              seen.push(...page.sessions.map((s) => s.id))
              if (page.nextCursor === null) break
              cursor = page.nextCursor
            }
            expect([sort, order, [...seen].sort()]).toEqual([sort, order, ids])
          }
        }
      })

      it("treats q as plain text: SQL wildcards and search operators match literally", async () => {
        for (const q of ["%", "_", '"', "*", "NEAR(", "NOT", "-", "a:b", "'", "\\"]) {
          expect([q, await listIds({ project, q })]).toEqual([q, []])
        }
      })

      it("rejects bad parameters with a JSON 400", async () => {
        for (const params of [
          { cursor: "not-a-cursor" },
          { cursor: "eyJ4IjoxfQ" },
          { limit: 0 },
          { limit: "abc" },
          { limit: 201 },
          { limit: 1.5 },
          { sort: "title" },
          { order: "sideways" },
          { from: "yesterday" },
          { to: "later" },
          { q: "x".repeat(501) }
        ]) {
          const reply = await get(`/api/sessions${query(params)}`)
          expect([params, reply.status]).toEqual([params, 400])
          expectError(reply, 400, "BadRequest")
        }
      })
    })

    // =====================================================================================================
    describe("GET /api/stats", () => {
      const source = `st-${run}`
      const alpha = sid("stats-alpha")
      const beta = sid("stats-beta")
      const march = Date.UTC(2025, 2, 1)
      const april = Date.UTC(2025, 3, 30)
      const specs: ReadonlyArray<Spec> = [
        {
          id: sid("stats-1"),
          source,
          project: alpha,
          model: "claude-sonnet-4-5",
          title: "S1",
          start: t0,
          duration: 10_000,
          userTexts: ["go"],
          usage: { input: 1_000, output: 1_000, cacheRead: 1_000 },
          tools: [
            { name: "Read", status: "completed", durationMs: 100 },
            { name: "Bash", status: "completed", durationMs: 300, exitCode: 1 }
          ]
        },
        {
          id: sid("stats-2"),
          source,
          project: alpha,
          model: "claude-haiku-4-5",
          title: "S2",
          start: t0 + day,
          duration: 4_000,
          userTexts: [],
          usage: { input: 2_000, output: 200 },
          tools: [{ name: "Bash", status: "completed", durationMs: 500, exitCode: 0 }]
        },
        {
          id: sid("stats-3"),
          source,
          project: beta,
          model: "claude-sonnet-4-5",
          title: "S3",
          start: t0 + 7 * day,
          duration: 2_000,
          userTexts: [],
          usage: { input: 100, output: 100 },
          tools: [{ name: "Read", status: "completed", durationMs: null }]
        },
        {
          id: sid("stats-4"),
          source,
          project: beta,
          model: "claude-sonnet-4-5",
          title: "S4",
          start: Date.UTC(2025, 3, 2, 10),
          duration: 1_000,
          userTexts: [],
          usage: { input: 10, output: 10 }
        }
      ]
      const totals = (t: Partial<typeof zeroTotals>) => ({ ...zeroTotals, ...t })
      // S1: (1000×3 + 1000×15 + 1000×0.3) / 1e6 = 0.0183; S2: (2000×1 + 200×5) / 1e6 = 0.003
      // S3: (100×3 + 100×15) / 1e6 = 0.0018; S4: (10×3 + 10×15) / 1e6 = 0.00018
      const s1 = totals({ sessions: 1, messages: 2, durationMs: 10_000, input: 1_000, output: 1_000, cacheRead: 1_000 })
      const s1t = { ...s1, totalTokens: 3_000, costUsd: 0.0183 }
      const s2t = totals({ sessions: 1, messages: 1, durationMs: 4_000, input: 2_000, output: 200, totalTokens: 2_200 })
      const s2c = { ...s2t, costUsd: 0.003 }
      const s3t = totals({ sessions: 1, messages: 1, durationMs: 2_000, input: 100, output: 100, totalTokens: 200 })
      const s3c = { ...s3t, costUsd: 0.0018 }
      const s4c = totals({
        sessions: 1,
        messages: 1,
        durationMs: 1_000,
        input: 10,
        output: 10,
        totalTokens: 20,
        costUsd: 0.00018
      })
      const all = totals({
        sessions: 4,
        messages: 5,
        durationMs: 17_000,
        input: 3_110,
        output: 1_310,
        cacheRead: 1_000,
        totalTokens: 5_420,
        costUsd: 0.02328
      })
      const sonnet = "claude-sonnet-4-5"
      const haiku = "claude-haiku-4-5"

      beforeAll(async () => {
        await store(specs.flatMap(specEvents))
      })

      it("sums totals, sources, models, projects and tools over the range", async () => {
        const s = await stats({ source, from: march, to: april })
        expect({ from: s.from, to: s.to, bucket: s.bucket }).toEqual({ from: march, to: april, bucket: "day" })
        expect(s.totals).toEqual(all)
        expect(s.bySource).toEqual([{ source, ...all }])
        expect(s.byModel).toEqual([
          {
            model: sonnet,
            ...totals({
              sessions: 3,
              messages: 4,
              durationMs: 13_000,
              input: 1_110,
              output: 1_110,
              cacheRead: 1_000,
              totalTokens: 3_220,
              costUsd: 0.02028
            })
          },
          { model: haiku, ...s2c }
        ])
        expect(s.byProject).toEqual([
          {
            project: alpha,
            ...totals({
              sessions: 2,
              messages: 3,
              durationMs: 14_000,
              input: 3_000,
              output: 1_200,
              cacheRead: 1_000,
              totalTokens: 5_200,
              costUsd: 0.0213
            })
          },
          {
            project: beta,
            ...totals({
              sessions: 2,
              messages: 2,
              durationMs: 3_000,
              input: 110,
              output: 110,
              totalTokens: 220,
              costUsd: 0.00198
            })
          }
        ])
        expect(s.tools).toEqual([
          { tool: "Bash", calls: 2, errors: 1, failureRate: 0.5, totalDurationMs: 800, avgDurationMs: 400 },
          { tool: "Read", calls: 2, errors: 0, failureRate: 0, totalDurationMs: 100, avgDurationMs: 100 }
        ])
      })

      it("builds the series by day, week and month", async () => {
        const daily = await stats({ source, from: march, to: april, bucket: "day" })
        expect(daily.series).toEqual([
          { period: "2025-03-03", source, model: sonnet, ...s1t },
          { period: "2025-03-04", source, model: haiku, ...s2c },
          { period: "2025-03-10", source, model: sonnet, ...s3c },
          { period: "2025-04-02", source, model: sonnet, ...s4c }
        ])
        expect(daily.toolSeries).toEqual([
          { period: "2025-03-03", tool: "Bash", calls: 1, errors: 1 },
          { period: "2025-03-03", tool: "Read", calls: 1, errors: 0 },
          { period: "2025-03-04", tool: "Bash", calls: 1, errors: 0 },
          { period: "2025-03-10", tool: "Read", calls: 1, errors: 0 }
        ])
        const weekly = await stats({ source, from: march, to: april, bucket: "week" })
        expect(weekly.bucket).toEqual("week")
        expect(weekly.series).toEqual([
          { period: "2025-03-03", source, model: haiku, ...s2c },
          { period: "2025-03-03", source, model: sonnet, ...s1t },
          { period: "2025-03-10", source, model: sonnet, ...s3c },
          { period: "2025-03-31", source, model: sonnet, ...s4c }
        ])
        expect(weekly.toolSeries).toEqual([
          { period: "2025-03-03", tool: "Bash", calls: 2, errors: 1 },
          { period: "2025-03-03", tool: "Read", calls: 1, errors: 0 },
          { period: "2025-03-10", tool: "Read", calls: 1, errors: 0 }
        ])
        const monthly = await stats({ source, from: march, to: april, bucket: "month" })
        expect(monthly.series).toEqual([
          { period: "2025-03", source, model: haiku, ...s2c },
          {
            period: "2025-03",
            source,
            model: sonnet,
            ...totals({
              sessions: 2,
              messages: 3,
              durationMs: 12_000,
              input: 1_100,
              output: 1_100,
              cacheRead: 1_000,
              totalTokens: 3_200,
              costUsd: 0.0201
            })
          },
          { period: "2025-04", source, model: sonnet, ...s4c }
        ])
      })

      it("filters by project, model and time range", async () => {
        const alphaOnly = await stats({ source, project: alpha, from: march, to: april })
        expect(alphaOnly.totals).toEqual(
          totals({
            sessions: 2,
            messages: 3,
            durationMs: 14_000,
            input: 3_000,
            output: 1_200,
            cacheRead: 1_000,
            totalTokens: 5_200,
            costUsd: 0.0213
          })
        )
        expect(alphaOnly.tools.map((t) => [t.tool, t.calls])).toEqual([
          ["Bash", 2],
          ["Read", 1]
        ])
        expect((await stats({ source, model: haiku, from: march, to: april })).totals).toEqual(s2c)
        const aprilOnly = await stats({ source, from: Date.UTC(2025, 3, 1), to: april })
        expect([aprilOnly.totals, aprilOnly.tools]).toEqual([s4c, []])
        const nothing = await stats({ source, from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 31) })
        expect([nothing.totals, nothing.bySource, nothing.series, nothing.tools]).toEqual([zeroTotals, [], [], []])
      })

      it("rejects q, from after to and bad parameters with a JSON 400", async () => {
        for (const params of [
          { q: "parser" },
          { from: april, to: march },
          { bucket: "year" },
          { from: "soon" },
          { to: "x" }
        ]) {
          const reply = await get(`/api/stats${query(params)}`)
          expect([params, reply.status]).toEqual([params, 400])
          expectError(reply, 400, "BadRequest")
        }
      })
    })
    // =====================================================================================================
    describe("GET /api/export", () => {
      const project = sid("export")
      const first: Spec = {
        id: sid("export-1"),
        source: "claude-code",
        project,
        model: "claude-sonnet-4-5",
        title: "=1+2 danger",
        start: t0,
        duration: 60_000,
        userTexts: ["Export me please"],
        usage: { input: 1_000, output: 1_000 },
        tools: [{ name: "Read", status: "completed", durationMs: 100 }]
      }
      const second: Spec = {
        id: sid("export-2"),
        source: "claude-code",
        project,
        model: "claude-sonnet-4-5",
        title: "@cmd, with comma",
        start: t0 + day,
        duration: 1_000,
        userTexts: [],
        usage: { input: 10, output: 10 }
      }
      const header =
        "id,source,title,projectName,projectPath,gitBranch,model,startedAt,updatedAt,durationMs,messageCount," +
        "toolCallCount,input,output,cacheRead,cacheWrite5m,cacheWrite1h,reasoning,totalTokens,costUsd\r\n"
      const row1 =
        `${first.id},claude-code,'=1+2 danger,${project},/work/${project},,claude-sonnet-4-5,` +
        "2025-03-03T10:00:00.000Z,2025-03-03T10:01:00.000Z,60000,2,1,1000,1000,0,0,0,0,2000,0.018\r\n"
      const row2 =
        `${second.id},claude-code,"'@cmd, with comma",${project},/work/${project},,claude-sonnet-4-5,` +
        "2025-03-04T10:00:00.000Z,2025-03-04T10:00:01.000Z,1000,1,0,10,10,0,0,0,0,20,0.00018\r\n"
      const mediaType = (reply: Reply) => reply.headers.get("content-type")?.split(";")[0]
      const exportOf = (params: Record<string, string | number | undefined>) => get(`/api/export${query(params)}`)

      beforeAll(async () => {
        await store([...specEvents(first), ...specEvents(second)])
      })

      it("exports one session as JSON (the session detail) by default, as an attachment", async () => {
        const expected = await detail(first.id)
        for (const params of [{ id: first.id }, { id: first.id, format: "json" }]) {
          const reply = await exportOf(params)
          expect([reply.status, mediaType(reply)]).toEqual([200, "application/json"])
          expect(reply.body).toEqual(expected)
          expect(reply.headers.get("content-disposition")?.startsWith("attachment")).toEqual(true)
        }
      })

      it("exports one session as JSONL, CSV and Markdown", async () => {
        const expected = await detail(first.id)
        const jsonl = await exportOf({ id: first.id, format: "jsonl" })
        expect([jsonl.status, mediaType(jsonl)]).toEqual([200, "application/x-ndjson"])
        expect(jsonl.text.endsWith("\n")).toEqual(true)
        expect(
          jsonl.text
            .trimEnd()
            .split("\n")
            .map((line) => JSON.parse(line))
        ).toEqual([expected])

        const csv = await exportOf({ id: first.id, format: "csv" })
        expect([csv.status, mediaType(csv)]).toEqual([200, "text/csv"])
        expect(csv.text).toEqual(header + row1)

        const markdown = await exportOf({ id: first.id, format: "markdown" })
        expect([markdown.status, mediaType(markdown)]).toEqual([200, "text/markdown"])
        expect(markdown.text.split("\n")[0]).toEqual("# =1+2 danger")
        expect(
          ["Export me please", "## user · 2025-03-03T10:00:00.010Z", "- Tool `Read` (completed, 100 ms)"].filter(
            (line) => !markdown.text.includes(line)
          )
        ).toEqual([])
      })

      it("exports every matching session in each format", async () => {
        const expected = [await detail(first.id), await detail(second.id)]
        const json = await exportOf({ project })
        expect([json.status, json.body]).toEqual([200, { sessions: expected }])
        const jsonl = await exportOf({ project, format: "jsonl" })
        expect(
          jsonl.text
            .trimEnd()
            .split("\n")
            .map((line) => JSON.parse(line))
        ).toEqual(expected)
        const csv = await exportOf({ project, format: "csv" })
        expect(csv.text).toEqual(header + row1 + row2)
        const markdown = await exportOf({ project, format: "markdown" })
        expect(markdown.status).toEqual(200)
        expect(markdown.text.split("\n").filter((line) => line.startsWith("# "))).toEqual([
          "# =1+2 danger",
          "# @cmd, with comma"
        ])
        const none = await exportOf({ project: sid("export-nothing") })
        expect([none.status, none.body]).toEqual([200, { sessions: [] }])
        expect((await exportOf({ project: sid("export-nothing"), format: "csv" })).text).toEqual(header)
      })

      it("filters the export like the list (source, q)", async () => {
        const byText = await exportOf({ project, q: "Export me", format: "csv" })
        expect(byText.text).toEqual(header + row1)
        const bySource = await exportOf({ project, source: "opencode", format: "csv" })
        expect(bySource.text).toEqual(header)
      })

      it("streams exports longer than one page without losing or repeating sessions", async () => {
        const many = sid("export-many")
        const ids = Array.from({ length: 205 }, (_, i) => sid(`export-many-${String(i).padStart(3, "0")}`))
        // the same startedAt everywhere: ties across page boundaries
        await store(ids.map((id) => sessionEv(id, t0, { projectName: many, startedAt: t0 })))
        const csv = await exportOf({ project: many, format: "csv" })
        const rows = csv.text
          .split("\r\n")
          .filter((line) => line.length > 0)
          .slice(1)
        expect(rows.map((row) => row.split(",")[0]).sort()).toEqual(ids)
        const jsonl = await exportOf({ project: many, format: "jsonl" })
        const details = jsonl.text
          .trimEnd()
          .split("\n")
          .map((line) => (JSON.parse(line) as SessionDetail).session.id)
        expect(details.sort()).toEqual(ids)
        const first = await list({ project: many, limit: 200 })
        const rest = await list({ project: many, limit: 200, cursor: first.nextCursor ?? undefined })
        expect([first.sessions.length, rest.sessions.length, rest.nextCursor]).toEqual([200, 5, null])
        expect([...first.sessions, ...rest.sessions].map((x) => x.id).sort()).toEqual(ids)
      })

      it("answers an unknown id with a JSON 404 and a bad format with a JSON 400", async () => {
        for (const format of ["json", "jsonl", "csv", "markdown"]) {
          expectError(await exportOf({ id: sid("no-such-session"), format }), 404, "NotFound")
        }
        expectError(await exportOf({ id: first.id, format: "xml" }), 400, "BadRequest")
        expectError(await exportOf({ project, from: "x" }), 400, "BadRequest")
      })
    })

    // =====================================================================================================
    describe("DELETE /api/sessions/{id}", () => {
      it("deletes a session with its messages and tool calls; stats drop; re-sending recreates it", async () => {
        const project = sid("delete")
        const source = `del-${run}`
        const spec: Spec = {
          id: sid("delete-1"),
          source,
          project,
          model: "claude-sonnet-4-5",
          title: "To be deleted",
          start: t0,
          duration: 5_000,
          userTexts: ["delete me"],
          usage: { input: 1_000, output: 1_000 },
          tools: [
            { name: "Read", status: "completed", durationMs: 10 },
            { name: "Edit", status: "error", durationMs: 20 }
          ]
        }
        const keep: Spec = {
          ...spec,
          id: sid("delete-keep"),
          project: sid("delete-keep"),
          title: "Kept",
          userTexts: ["keep me"],
          tools: []
        }
        const events = specEvents(spec)
        await store([...events, ...specEvents(keep)])
        const range = { source, from: Date.UTC(2025, 2, 1), to: Date.UTC(2025, 2, 31) }
        const before = await detail(spec.id)
        const statsBefore = await stats(range)
        expect([statsBefore.totals.sessions, statsBefore.totals.messages, statsBefore.tools.length]).toEqual([2, 4, 2])

        const deleted = await del(`/api/sessions/${spec.id}`)
        expect([deleted.status, deleted.body]).toEqual([
          200,
          { deleted: true, sessionId: spec.id, messages: 2, toolCalls: 2 }
        ])
        expectError(await get(`/api/sessions/${spec.id}`), 404, "NotFound")
        expectError(await del(`/api/sessions/${spec.id}`), 404, "NotFound")
        expectError(await get(`/api/export${query({ id: spec.id })}`), 404, "NotFound")
        expect(await listIds({ project })).toEqual([])
        expect(await listIds({ project: keep.project })).toEqual([keep.id])
        const listed = as<{ sessionIds: ReadonlyArray<string> }>(await get("/sync/sessions/list")).sessionIds
        expect(listed.filter((id) => id === spec.id || id === keep.id)).toEqual([keep.id])
        expect(await listIds({ project, q: "delete" })).toEqual([])

        const keptTotals = (await detail(keep.id)).session
        const statsAfter = await stats(range)
        expect(statsAfter.totals).toEqual({
          sessions: 1,
          messages: 2,
          durationMs: 5_000,
          ...keptTotals.usage,
          totalTokens: keptTotals.totalTokens,
          costUsd: keptTotals.costUsd,
          unpriced: 0
        })
        expect(statsAfter.bySource.map((s) => [s.source, s.sessions])).toEqual([[source, 1]])
        expect(statsAfter.tools).toEqual([])
        expect((await stats({ ...range, project })).totals).toEqual(zeroTotals)

        // the events are forgotten with the session: the same events create it again
        expect(await sync(events)).toEqual({
          stored: events.map((e) => e.id),
          duplicates: [],
          stale: [],
          rejected: [],
          deleted: []
        })
        expect(await detail(spec.id)).toEqual(before)
        expect(await stats(range)).toEqual(statsBefore)
      })

      // KNOWN SERVER BUG (reported): deleting leaves all-zero rollup rows, so bySource, byModel, byProject, series
      // and toolSeries keep entries with 0 sessions for what was deleted. Remove `.fails` when fixed.
      it("leaves no empty stats entries behind for a deleted session", async () => {
        const source = `gone-${run}`
        const spec: Spec = {
          id: sid("delete-gone"),
          source,
          project: sid("delete-gone"),
          model: "claude-sonnet-4-5",
          title: "Gone",
          start: t0,
          duration: 1_000,
          userTexts: ["bye"],
          usage: { input: 1, output: 1 },
          tools: [{ name: "Read", status: "completed", durationMs: 5 }]
        }
        await store(specEvents(spec))
        const range = { source, from: Date.UTC(2025, 2, 1), to: Date.UTC(2025, 2, 31) }
        expect((await stats(range)).bySource.map((s) => [s.source, s.sessions])).toEqual([[source, 1]])
        expect((await del(`/api/sessions/${spec.id}`)).status).toEqual(200)
        const gone = await stats(range)
        expect({
          totals: gone.totals,
          bySource: gone.bySource,
          byModel: gone.byModel,
          byProject: gone.byProject,
          series: gone.series,
          tools: gone.tools,
          toolSeries: gone.toolSeries
        }).toEqual({
          totals: zeroTotals,
          bySource: [],
          byModel: [],
          byProject: [],
          series: [],
          tools: [],
          toolSeries: []
        })
      })

      it("answers an unknown session with a JSON 404", async () => {
        expectError(await del(`/api/sessions/${sid("never-there")}`), 404, "NotFound")
      })
    })

    // =====================================================================================================
    describe("API keys: GET/POST /api/keys, DELETE /api/keys/{id}", () => {
      const listKeys = async (key?: string) => {
        const reply = await get("/api/keys", key)
        expect(reply.status).toEqual(200)
        return { text: reply.text, keys: as<{ keys: ReadonlyArray<ApiKey.ApiKeyInfo> }>(reply).keys }
      }

      it("creates a key that works at once, lists keys without secrets, and revokes it", async () => {
        const mine = await listKeys()
        expect(mine.keys.length >= 1).toEqual(true)
        const userId = mine.keys[0].userId
        expect(mine.keys.map((k) => k.userId)).toEqual(mine.keys.map(() => userId))

        const createdReply = await post("/api/keys", { name: "ci runner" })
        expect(createdReply.status).toEqual(201)
        const created = as<ApiKey.CreatedApiKey>(createdReply)
        expect(created).toEqual({
          id: created.id,
          userId,
          name: "ci runner",
          prefix: created.key.slice(0, created.prefix.length),
          scopes: ["ingest", "read"],
          createdAt: created.createdAt,
          lastUsedAt: null,
          revokedAt: null,
          key: created.key
        })
        expect([typeof created.id, typeof created.createdAt, /^osk_[0-9A-Za-z]{38}$/.test(created.key)]).toEqual([
          "string",
          "number",
          true
        ])
        expect(created.prefix.length >= 4 && created.prefix.length < created.key.length / 2).toEqual(true)

        // works at once, as the same user
        const viaNew = await get("/sync/sessions/list", created.key)
        expect(viaNew.status).toEqual(200)
        expect(viaNew.body).toEqual((await get("/sync/sessions/list")).body)

        const after = await listKeys()
        const hash = await sha256Hex(created.key)
        expect([after.text.includes(created.key), after.text.includes(hash)]).toEqual([false, false])
        expect(after.keys.map((k) => Object.keys(k).sort())).toEqual(after.keys.map(() => keyInfoFields))
        const listed = after.keys.find((k) => k.id === created.id)
        expect(listed?.name).toEqual("ci runner")
        expect(typeof listed?.lastUsedAt).toEqual("number")

        const revoked = await del(`/api/keys/${created.id}`)
        expect(revoked.status).toEqual(200)
        const info = as<ApiKey.ApiKeyInfo>(revoked)
        expect([info.id, typeof info.revokedAt, "key" in info]).toEqual([created.id, "number", false])
        expectError(await get("/api/sessions", created.key), 401, "Unauthorized")
        expectError(await post("/sync/events", { events: [] }, created.key), 401, "Unauthorized")
        expect((await get("/api/sessions?limit=1")).status).toEqual(200)
        const afterRevoke = await listKeys()
        expect(typeof afterRevoke.keys.find((k) => k.id === created.id)?.revokedAt).toEqual("number")
      })

      it("lets a key revoke itself, after which it gets 401", async () => {
        const created = as<ApiKey.CreatedApiKey>(await post("/api/keys", { name: "self-revoking" }))
        const revoked = await del(`/api/keys/${created.id}`, created.key)
        expect([revoked.status, (revoked.body as Json).id]).toEqual([200, created.id])
        expectError(await get("/api/keys", created.key), 401, "Unauthorized")
      })

      it("rejects a bad key name with 400 and an unknown key id with 404", async () => {
        expectError(await post("/api/keys", { name: "" }), 400, "BadRequest")
        expectError(await post("/api/keys", {}), 400, "BadRequest")
        expectError(await post("/api/keys", { name: "x".repeat(101) }), 400, "BadRequest")
        expectError(await del("/api/keys/key_doesnotexist"), 404, "NotFound")
      })
    })
    // =====================================================================================================
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
        expectError(
          await post("/sync/session", { externalId: sid("legacy-bad"), promptTokens: "many" }),
          400,
          "BadRequest"
        )
        expectError(await post("/sync/session", [{ externalId: sid("legacy-bad") }]), 400, "BadRequest")
        expectError(await get(`/api/sessions/${sid("legacy-bad")}`), 404, "NotFound")
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
        expectError(await post("/sync/message", { ...base, role: "robot" }), 400, "BadRequest")
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

    // =====================================================================================================
    describe("tenant isolation (key B belongs to another user)", () => {
      const project = sid("tenant")
      const source = `tn-${run}`
      const legacyId = sid("tenant-legacy")
      const spec: Spec = {
        id: sid("tenant-a"),
        source,
        project,
        model: "claude-sonnet-4-5",
        title: "A's private session",
        start: t0,
        duration: 10_000,
        userTexts: ["A's secret prompt"],
        usage: { input: 1_000, output: 100 },
        tools: [{ name: "Bash", status: "completed", durationMs: 30 }]
      }
      const events = specEvents(spec)
      const legacyMessage = {
        sessionExternalId: legacyId,
        externalId: "lm-a",
        role: "user",
        textContent: "A's legacy text",
        createdAt: t0,
        source: "claude-code"
      }
      const range = { source, from: Date.UTC(2025, 2, 1), to: Date.UTC(2025, 2, 31) }
      const snapshot = async () => ({
        session: (await get(`/api/sessions/${spec.id}`)).text,
        legacy: (await get(`/api/sessions/${legacyId}`)).text,
        stats: (await get(`/api/stats${query(range)}`)).text,
        list: (await get(`/api/sessions${query({ project })}`)).text
      })
      let before: Awaited<ReturnType<typeof snapshot>>

      beforeAll(async () => {
        await store(events)
        expect((await post("/sync/message", legacyMessage)).status).toEqual(200)
        expect(
          (await post("/sync/session", { externalId: legacyId, title: "A's legacy", projectName: project })).status
        ).toEqual(200)
        before = await snapshot()
      })

      it("B cannot list, search, read, export, delete or see stats of A's sessions", async () => {
        const keyB = target.keyB
        expect(await listIds({ project }, keyB)).toEqual([])
        expect(await listIds({ q: "secret" }, keyB)).toEqual([])
        const listedB = as<{ sessionIds: ReadonlyArray<string> }>(await get("/sync/sessions/list", keyB)).sessionIds
        expect(listedB.filter((id) => id === spec.id || id === legacyId)).toEqual([])
        for (const id of [spec.id, legacyId]) {
          expectError(await get(`/api/sessions/${id}`, keyB), 404, "NotFound")
          expectError(await get(`/api/export${query({ id })}`, keyB), 404, "NotFound")
          expectError(await get(`/api/export${query({ id, format: "csv" })}`, keyB), 404, "NotFound")
          expectError(await del(`/api/sessions/${id}`, keyB), 404, "NotFound")
        }
        expect((await get(`/api/export${query({ project })}`, keyB)).body).toEqual({ sessions: [] })
        const statsB = await stats(range, keyB)
        expect([statsB.totals, statsB.bySource, statsB.tools]).toEqual([zeroTotals, [], []])
        expect(await snapshot()).toEqual(before)
      })

      it("B sending A's events and ids creates B's own copies and never changes A's data", async () => {
        const keyB = target.keyB
        // the very same event ids: not duplicates for B, whose store is separate
        expect(await sync(events, keyB)).toEqual({
          stored: events.map((e) => e.id),
          duplicates: [],
          stale: [],
          rejected: [],
          deleted: []
        })
        await store(
          [
            messageEv(spec.id, "u0", "user", t0 + 5_000, { text: "B overwrote this", createdAt: t0 + 10 }, source),
            sessionEv(spec.id, t0 + 20_000, { title: "B's title" }, source),
            sessionEv(sid("tenant-b-child"), t0 + 30, { parentSessionId: spec.id, startedAt: t0 + 30 }, source)
          ],
          keyB
        )
        const mine = await detail(spec.id, keyB)
        expect([mine.session.title, mine.messages.find((m) => m.id === "u0")?.text, mine.children.length]).toEqual([
          "B's title",
          "B overwrote this",
          1
        ])
        expect((await detail(spec.id)).children).toEqual([])
        expect(await snapshot()).toEqual(before)
        expect((await detail(spec.id)).messages.find((m) => m.id === "u0")?.text).toEqual("A's secret prompt")
      })

      it("B's legacy writes with A's session and message ids go to B's own copies", async () => {
        const keyB = target.keyB
        expect((await post("/sync/message", { ...legacyMessage, textContent: "pwned" }, keyB)).body).toEqual({
          ok: true,
          messageId: "lm-a"
        })
        await post("/sync/session", { externalId: legacyId, title: "hijacked", promptTokens: 99 }, keyB)
        const batch = await post(
          "/sync/batch",
          {
            sessions: [{ externalId: legacyId, title: "hijacked again" }],
            messages: [{ ...legacyMessage, textContent: "pwned again", parts: [] }]
          },
          keyB
        )
        expect(batch.body).toEqual({ ok: true, sessions: 1, messages: 1, errors: [] })
        const mine = await detail(legacyId, keyB)
        expect([mine.session.title, mine.messages.map((m) => m.text)]).toEqual(["hijacked again", ["pwned again"]])
        expect(await snapshot()).toEqual(before)
        const theirs = await detail(legacyId)
        expect([theirs.session.title, theirs.messages.map((m) => m.text)]).toEqual(["A's legacy", ["A's legacy text"]])
      })

      it("B deleting its own copy leaves A's session alone", async () => {
        const keyB = target.keyB
        expect((await del(`/api/sessions/${spec.id}`, keyB)).status).toEqual(200)
        expectError(await get(`/api/sessions/${spec.id}`, keyB), 404, "NotFound")
        expect(await snapshot()).toEqual(before)
      })

      it("B cannot see or revoke A's keys", async () => {
        const keysA = as<{ keys: ReadonlyArray<ApiKey.ApiKeyInfo> }>(await get("/api/keys")).keys
        const keysB = as<{ keys: ReadonlyArray<ApiKey.ApiKeyInfo> }>(await get("/api/keys", target.keyB)).keys
        const idsA = keysA.map((k) => k.id)
        expect(idsA.length >= 1).toEqual(true)
        expect(keysB.filter((k) => idsA.includes(k.id))).toEqual([])
        expect(keysB.filter((k) => k.userId === keysA[0].userId)).toEqual([])
        for (const id of idsA) expectError(await del(`/api/keys/${id}`, target.keyB), 404, "NotFound")
        const afterA = as<{ keys: ReadonlyArray<ApiKey.ApiKeyInfo> }>(await get("/api/keys")).keys
        expect(afterA.map((k) => [k.id, k.revokedAt])).toEqual(keysA.map((k) => [k.id, k.revokedAt]))
        expect((await get("/api/sessions?limit=1")).status).toEqual(200)
      })
    })
  })
}
