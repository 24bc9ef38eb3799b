import { fromBinary, fromJson, type JsonValue, toBinary } from "@bufbuild/protobuf"
import { describe, expect, it } from "@effect/vitest"
import {
  ExportLogsServiceRequestSchema,
  ExportLogsServiceResponseSchema
} from "@opensync/backend/internal/otlp/opentelemetry/proto/collector/logs/v1/logs_service_pb"
import { ExportMetricsServiceRequestSchema } from "@opensync/backend/internal/otlp/opentelemetry/proto/collector/metrics/v1/metrics_service_pb"
import { gzipSync } from "fflate"
import { expectError, type Harness, type Json, mediaType, type SessionDetail, t0, zeroUsage } from "./Harness.js"

/** The OTLP/HTTP receiver: Claude Code's telemetry in JSON or protobuf, gzip or not, reconciled with transcripts. */

type Attr = string | number | boolean

const attribute = (key: string, value: Attr) => ({
  key,
  value:
    typeof value === "string"
      ? { stringValue: value }
      : typeof value === "boolean"
        ? { boolValue: value }
        : Number.isInteger(value)
          ? { intValue: value }
          : { doubleValue: value }
})

/**
 * 40 MiB of zeros gzipped to under 100 kB. Made once when the suite loads: compressing blocks the event loop for seconds
 * on a loaded machine, and a request sent right after such a pause reused a keep-alive connection the server had
 * meanwhile closed ("other side closed").
 */
const bomb = gzipSync(new Uint8Array(40 * 1024 * 1024), { level: 9 })

/** A protobuf varint. */
const varint = (n: number): Array<number> => {
  const out: Array<number> = []
  let v = n
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return out
}

/** A length-delimited protobuf field: tag, length, content. */
const delimited = (field: number, content: Uint8Array): Uint8Array =>
  new Uint8Array([...varint((field << 3) | 2), ...varint(content.length), ...content])

/**
 * Bodies that are small on the wire and decode into millions of objects: 300,000 empty log records in protobuf
 * (`resource_logs { scope_logs { log_records {} × 300,000 } }`, 600 kB, 1.2 kB gzipped; 32 MiB of them inflated from
 * 32 kB of gzip took the server's heap), the same in OTLP JSON, and a record whose body nests values 200 deep.
 */
const floods = (() => {
  const records = new Uint8Array(2 * 300_000)
  for (let i = 0; i < records.length; i += 2) records[i] = 0x12
  const protobuf = delimited(1, delimited(2, records))
  let value: Uint8Array = new Uint8Array([0x0a, 0x01, 0x78]) // AnyValue { string_value: "x" }
  for (let depth = 0; depth < 200; depth++) value = delimited(5, delimited(1, value)) // array_value { values: [v] }
  const deep = delimited(1, delimited(2, delimited(2, delimited(5, value))))
  const json = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${Array.from({ length: 300_000 }, () => "{}").join(",")}]}]}]}`
  return { protobuf, deep, json: gzipSync(new TextEncoder().encode(json)) }
})()

const nanos = (ms: number) => `${ms}000000`

/** An OTLP JSON logs body of Claude Code events, shaped as the real export (`claude-otel-otlp-http-json.jsonl`). */
export const logsBody = (
  records: ReadonlyArray<{ readonly name: string; readonly at: number; readonly attrs: Record<string, Attr> }>
) => ({
  resourceLogs: [
    {
      resource: { attributes: [attribute("service.name", "claude-code"), attribute("service.version", "2.1.197")] },
      scopeLogs: [
        {
          scope: { name: "com.anthropic.claude_code.events", version: "2.1.197" },
          logRecords: records.map((r) => ({
            timeUnixNano: nanos(r.at),
            observedTimeUnixNano: nanos(r.at),
            body: { stringValue: `claude_code.${r.name}` },
            attributes: [
              attribute("event.name", r.name),
              attribute("event.timestamp", new Date(r.at).toISOString()),
              ...Object.entries(r.attrs).map(([k, v]) => attribute(k, v))
            ]
          }))
        }
      ]
    }
  ]
})

/** An OTLP JSON metrics body with `sum` metrics (delta temporality, as Claude Code exports by default). */
export const metricsBody = (
  metrics: ReadonlyArray<{
    readonly name: string
    readonly points: ReadonlyArray<{
      readonly start: number
      readonly at: number
      readonly value: number
      readonly attrs: Record<string, Attr>
    }>
  }>,
  temporality = 1
) => ({
  resourceMetrics: [
    {
      resource: { attributes: [attribute("service.name", "claude-code")] },
      scopeMetrics: [
        {
          scope: { name: "com.anthropic.claude_code", version: "2.1.197" },
          metrics: metrics.map((m) => ({
            name: m.name,
            unit: "s",
            sum: {
              aggregationTemporality: temporality,
              isMonotonic: true,
              dataPoints: m.points.map((p) => ({
                startTimeUnixNano: nanos(p.start),
                timeUnixNano: nanos(p.at),
                asDouble: p.value,
                attributes: Object.entries(p.attrs).map(([k, v]) => attribute(k, v))
              }))
            }
          }))
        }
      ]
    }
  ]
})

export const protobufLogs = (body: Json): Uint8Array =>
  toBinary(ExportLogsServiceRequestSchema, fromJson(ExportLogsServiceRequestSchema, body as JsonValue))
export const protobufMetrics = (body: Json): Uint8Array =>
  toBinary(ExportMetricsServiceRequestSchema, fromJson(ExportMetricsServiceRequestSchema, body as JsonValue))

export const section = (h: Harness): void => {
  const { sid, request, post, get, detail, store, messageEv } = h
  describe("OTLP receiver (POST /v1/logs, /v1/metrics)", () => {
    const sonnet = "claude-sonnet-4-5"
    const apiRequest = (sessionId: string, requestId: string, at: number, extra: Record<string, Attr> = {}) => ({
      name: "api_request",
      at,
      attrs: {
        "session.id": sessionId,
        "prompt.id": "prompt-1",
        model: sonnet,
        input_tokens: 3,
        output_tokens: 45,
        cache_read_tokens: 0,
        cache_creation_tokens: 13_412,
        cost_usd: 0.050979,
        duration_ms: 63,
        request_id: requestId,
        query_source: "sdk",
        ...extra
      }
    })
    const send = (path: string, body: string | Uint8Array, headers: Record<string, string>, key?: string | null) =>
      request("POST", path, { raw: body, headers, ...(key === undefined ? {} : { key }) })
    const json = { "content-type": "application/json" }
    const proto = { "content-type": "application/x-protobuf" }

    it("stores api_request and tool_result events of a JSON export, ignores the rest, answers {}", async () => {
      const s = sid("otlp-json")
      const body = logsBody([
        { name: "user_prompt", at: t0, attrs: { "session.id": s, prompt_length: "12" } },
        apiRequest(s, "req_1", t0 + 100),
        { name: "assistant_response", at: t0 + 100, attrs: { "session.id": s, request_id: "req_1" } },
        {
          name: "tool_result",
          at: t0 + 300,
          attrs: { "session.id": s, tool_name: "Bash", tool_use_id: "toolu_1", success: "true", duration_ms: "128" }
        },
        { name: "some_future_event", at: t0 + 400, attrs: { "session.id": s } }
      ])
      const reply = await send("/v1/logs", JSON.stringify(body), json)
      expect([reply.status, reply.body]).toEqual([200, {}])
      const d = await detail(s)
      expect(d.session.usage).toEqual({ ...zeroUsage, input: 3, output: 45, cacheWrite5m: 13_412 })
      expect(d.session.figures).toMatchObject({
        telemetryRequests: 1,
        matchedRequests: 0,
        transcriptRequests: 0,
        reportedCostUsd: 0.050979,
        background: [{ querySource: "sdk", requests: 1 }]
      })
      expect(d.session.costUsd).toBeCloseTo(0.050979, 6)
      expect(d.toolCalls.map((c) => [c.id, c.name, c.status, c.durationMs])).toEqual([
        ["toolu_1", "Bash", "completed", 128]
      ])
      // the same export again changes nothing
      expect((await send("/v1/logs", JSON.stringify(body), json)).status).toEqual(200)
      expect((await detail(s)).session.usage.cacheWrite5m).toEqual(13_412)
    })

    it("redacts a tool error's text before it is stored (nothing on the agent's side did)", async () => {
      const s = sid("otlp-error")
      const key = `sk_live_${"4eC39HqLyjWDarjtT1zdp7dc".repeat(2)}`
      const body = logsBody([
        {
          name: "tool_result",
          at: t0,
          attrs: {
            "session.id": s,
            tool_name: "Bash",
            tool_use_id: "toolu_err",
            success: "false",
            error: `Exit code 1\nDB_PASSWORD=Xk9mP2qLz7wQ\nSTRIPE_SECRET_KEY=${key}`
          }
        }
      ])
      expect((await send("/v1/logs", JSON.stringify(body), json)).status).toEqual(200)
      const stored = JSON.stringify((await detail(s)).toolCalls)
      expect(stored).toContain("Exit code 1")
      expect(stored).not.toContain(key)
      expect(stored).not.toContain("Xk9mP2qLz7wQ")
      expect(stored).toContain("[REDACTED:")
    })

    it("reads protobuf and gzip bodies, answering in the request's encoding", async () => {
      const s = sid("otlp-encodings")
      const body = (id: string, at: number) => logsBody([apiRequest(s, id, at)])
      const asProto = await send("/v1/logs", protobufLogs(body("req_p", t0)), proto)
      expect([asProto.status, mediaType(asProto), asProto.bytes?.length]).toEqual([200, "application/x-protobuf", 0])
      const gzJson = await send(
        "/v1/logs",
        gzipSync(new TextEncoder().encode(JSON.stringify(body("req_gj", t0 + 1)))),
        {
          ...json,
          "content-encoding": "gzip"
        }
      )
      expect([gzJson.status, gzJson.body]).toEqual([200, {}])
      const gzProto = await send("/v1/logs", gzipSync(protobufLogs(body("req_gp", t0 + 2))), {
        ...proto,
        "content-encoding": "gzip"
      })
      expect(gzProto.status).toEqual(200)
      const d = await detail(s)
      expect([d.session.figures?.telemetryRequests, d.session.usage.input]).toEqual([3, 9])
    })

    it("counts a request once when the transcript has it too, whichever arrives first", async () => {
      for (const order of ["transcript-first", "telemetry-first"] as const) {
        const s = sid(`otlp-match-${order}`)
        // the transcript's copy: same request id, output still partial (real streams log a few tokens early)
        const message = messageEv(s, "msg_1", "assistant", t0 + 150, {
          model: sonnet,
          text: "Step 1",
          requestId: "req_m",
          usage: { input: 3, output: 9, cacheWrite5m: 13_412 }
        })
        const telemetry = JSON.stringify(
          logsBody([
            apiRequest(s, "req_m", t0 + 100),
            apiRequest(s, "req_bg", t0 + 200, {
              query_source: "compact",
              input_tokens: 10,
              output_tokens: 100,
              cache_creation_tokens: 0,
              cache_read_tokens: 14_000,
              cost_usd: 0.0057
            })
          ])
        )
        if (order === "transcript-first") {
          await store([message])
          expect((await send("/v1/logs", telemetry, json)).status).toEqual(200)
        } else {
          expect((await send("/v1/logs", telemetry, json)).status).toEqual(200)
          await store([message])
        }
        const d = await detail(s)
        expect(d.session.usage).toEqual({
          ...zeroUsage,
          input: 13,
          output: 145,
          cacheRead: 14_000,
          cacheWrite5m: 13_412
        })
        expect(d.session.figures).toMatchObject({
          telemetryRequests: 2,
          matchedRequests: 1,
          background: [{ querySource: "compact", requests: 1, usage: { input: 10, output: 100, cacheRead: 14_000 } }]
        })
        expect(d.session.messageCount).toEqual(1)
        expect(d.messages[0]?.requestId).toEqual("req_m")
      }
    })

    it("stores active time from the metrics export and ignores metrics it does not use", async () => {
      const s = sid("otlp-metrics")
      const body = metricsBody([
        {
          name: "claude_code.session.count",
          points: [{ start: t0, at: t0 + 500, value: 1, attrs: { "session.id": s } }]
        },
        {
          name: "claude_code.active_time.total",
          points: [
            { start: t0, at: t0 + 60_000, value: 12.5, attrs: { "session.id": s, type: "cli" } },
            { start: t0 + 60_000, at: t0 + 120_000, value: 3, attrs: { "session.id": s, type: "user" } }
          ]
        }
      ])
      expect([(await send("/v1/metrics", JSON.stringify(body), json)).status]).toEqual([200])
      expect((await send("/v1/metrics", protobufMetrics(body), proto)).status).toEqual(200)
      const d = await detail(s)
      expect(d.session.durationMs).toEqual(15_500)
    })

    it("refuses bodies it cannot read with 400, and a gzip bomb with 413", async () => {
      const good = JSON.stringify(logsBody([]))
      const bad: ReadonlyArray<[string, string | Uint8Array, Record<string, string>]> = [
        ["/v1/logs", "{not json", json],
        ["/v1/logs", "[1,2]", json],
        ["/v1/logs", JSON.stringify({ resourceLogs: "nope" }), json],
        ["/v1/metrics", JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 7 }] }] }] }), json],
        ["/v1/logs", new Uint8Array([0x0a, 0xff, 0xff, 0x01]), proto],
        ["/v1/logs", new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3]), { ...json, "content-encoding": "gzip" }],
        ["/v1/logs", good, { "content-type": "text/plain" }],
        ["/v1/logs", good, { ...json, "content-encoding": "br" }]
      ]
      for (const [path, body, headers] of bad) expectError(await send(path, body, headers), 400, "BadRequest")
      expect(bomb.length).toBeLessThan(100_000)
      expectError(await send("/v1/logs", bomb, { ...json, "content-encoding": "gzip" }), 413, "PayloadTooLarge")
    })

    it("refuses a small body that would decode into millions of objects with 413, before decoding it", async () => {
      expect(floods.protobuf.length).toBeLessThan(700_000)
      const gzProto = { ...proto, "content-encoding": "gzip" }
      for (const [body, headers] of [
        [floods.protobuf, proto],
        [gzipSync(floods.protobuf), gzProto],
        [floods.deep, proto],
        [floods.json, { ...json, "content-encoding": "gzip" }]
      ] as const) {
        expect(expectError(await send("/v1/logs", body, headers), 413, "PayloadTooLarge")).toMatch(/smaller batches/)
      }
      expectError(await send("/v1/metrics", floods.protobuf, proto), 413, "PayloadTooLarge")
      expect((await get("/health", null)).status).toEqual(200)
    })

    it("skips fields it does not know, and refuses 413 a body of millions of fields, packed numbers counted", async () => {
      const s = sid("otlp-unknown-fields")
      // A record of a newer OTLP version: fields of numbers this one does not define, at every level, are skipped.
      const unknown = Uint8Array.from([...delimited(20, new Uint8Array([1, 2])), 0xa8, 0x01, 0x07])
      const known = protobufLogs(logsBody([apiRequest(s, "req_unknown", t0)]))
      expect((await send("/v1/logs", new Uint8Array([...known, ...unknown]), proto)).status).toEqual(200)
      expect((await detail(s)).session.figures?.telemetryRequests).toEqual(1)
      // 1.2 million empty fields of an unknown number (3 bytes each): each would be an object kept by the decoder.
      const empties = new Uint8Array(3 * 1_200_000)
      for (let i = 0; i < empties.length; i += 3) empties.set([0xa2, 0x01, 0x00], i)
      // A histogram point whose bucket counts are 1.2 million packed 64-bit numbers (each decoded as a BigInt).
      const point = delimited(6, new Uint8Array(8 * 1_200_000))
      const histogram = delimited(1, delimited(2, delimited(2, delimited(9, delimited(1, point)))))
      for (const [path, body] of [
        ["/v1/logs", empties],
        ["/v1/metrics", empties],
        ["/v1/metrics", histogram]
      ] as const) {
        const sent = await send(path, gzipSync(body, { level: 1 }), { ...proto, "content-encoding": "gzip" })
        expect(expectError(sent, 413, "PayloadTooLarge")).toMatch(/fields .*smaller batches/)
      }
      expect((await get("/health", null)).status).toEqual(200)
    })

    it("needs an API key of any scope, and reports when telemetry last arrived", async () => {
      const body = JSON.stringify(logsBody([]))
      expectError(await send("/v1/logs", body, json, null), 401, "Unauthorized")
      expectError(await send("/v1/metrics", body, json, "osk_not_a_real_key_0000000000000000"), 401, "Unauthorized")
      const made = await post("/api/keys", { name: "otel" })
      const ingest = (made.body as { key: string }).key
      expect((await send("/v1/logs", body, json, ingest)).status).toEqual(200)
      const me = (await get("/auth/me", ingest)).body as { telemetry?: { lastReceivedAt: number | null } }
      expect(me.telemetry?.lastReceivedAt).toBeGreaterThan(t0)
      // what one user's telemetry stores is not another's
      const s = sid("otlp-tenant")
      expect(
        (await send("/v1/logs", JSON.stringify(logsBody([apiRequest(s, "req_t", t0)])), json, h.target.keyB)).status
      ).toEqual(200)
      expectError(await get(`/api/sessions/${s}`), 404, "NotFound")
      expect(
        ((await get(`/api/sessions/${s}`, h.target.keyB)).body as SessionDetail).session.figures?.telemetryRequests
      ).toEqual(1)
    })

    it("answers a protobuf request's partial success as protobuf", async () => {
      const s = sid("otlp-partial")
      const reply = await send(
        "/v1/logs",
        protobufLogs(logsBody([apiRequest(s, "req_neg", t0, { input_tokens: -5 })])),
        proto
      )
      expect(reply.status).toEqual(200)
      const decoded = fromBinary(ExportLogsServiceResponseSchema, reply.bytes ?? new Uint8Array())
      expect(decoded.partialSuccess?.rejectedLogRecords).toEqual(1n)
    })
  })
}
