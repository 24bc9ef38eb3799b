import { describe, expect, it } from "@effect/vitest"
import * as Telemetry from "../src/Telemetry.js"

/**
 * A Claude Code log record OpenSync uses but cannot take is counted and said, with what is wrong (it was dropped
 * silently, or, with a token count that is no number, stored as 0: telemetry wins over the transcript).
 */
const apiRequest = (attributes: Record<string, Telemetry.Value>): Telemetry.LogRecord => ({
  timeMs: Date.UTC(2026, 11, 1),
  observedMs: null,
  body: "claude_code.api_request",
  attributes: new Map(
    Object.entries({
      "event.name": "api_request",
      "session.id": "s1",
      request_id: "req_1",
      model: "claude-sonnet-4-5",
      input_tokens: "10",
      output_tokens: 20,
      cache_read_tokens: "300",
      cache_creation_tokens: "0",
      ...attributes
    }).filter(([, value]) => value !== undefined)
  ),
  resource: new Map(),
  scope: "com.anthropic.claude_code.events"
})

describe("Claude Code's log records", () => {
  it("takes a whole api_request; an absent token count is 0", () => {
    const converted = Telemetry.fromLogs([
      apiRequest({}),
      apiRequest({ request_id: "req_2", cache_creation_tokens: undefined })
    ])
    expect(converted.rejected).toBe(0)
    expect(converted.events.map((e) => (e.kind === "api_request" ? e.usage : null))).toEqual([
      { input: 10, output: 20, cacheRead: 300, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
      { input: 10, output: 20, cacheRead: 300, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 }
    ])
  })

  it("refuses, and says why, a record without its ids or with a token count that is no count", () => {
    for (const [attributes, error] of [
      [{ request_id: undefined }, "api_request without request_id"],
      [{ model: undefined, request_id: undefined }, "api_request without request_id and model"],
      [{ "session.id": undefined }, "api_request without session.id"],
      [{ input_tokens: "many" }, 'api_request: input_tokens is not a token count ("many")'],
      [{ output_tokens: -5 }, 'api_request: output_tokens is not a token count ("-5")'],
      [{ cache_read_tokens: "1.5" }, 'api_request: cache_read_tokens is not a token count ("1.5")']
    ] as const) {
      const converted = Telemetry.fromLogs([apiRequest(attributes)])
      expect(converted, error).toMatchObject({ events: [], rejected: 1, errors: [error] })
    }
    // Records OpenSync does not use stay accepted and ignored
    const other = apiRequest({ "event.name": "user_prompt" })
    expect(Telemetry.fromLogs([{ ...other, body: "claude_code.user_prompt" }])).toEqual({
      events: [],
      rejected: 0,
      errors: []
    })
  })

  it("reads event.timestamp as ISO 8601 only; any other text falls back to the record's own time", () => {
    const atOf = (stamp: string) => {
      const [event] = Telemetry.fromLogs([apiRequest({ "event.timestamp": stamp })]).events
      return event === undefined ? undefined : new Date(event.at).toISOString()
    }
    const own = new Date(Date.UTC(2026, 11, 1)).toISOString()
    expect(atOf("2026-12-02T10:00:00.123Z")).toEqual("2026-12-02T10:00:00.123Z")
    expect(atOf("2026-12-02T10:00:00.123456789Z")).toEqual("2026-12-02T10:00:00.123Z")
    expect(atOf("2026-12-02T12:00:00+02:00")).toEqual("2026-12-02T10:00:00.000Z")
    expect(atOf("2026-12-02T10:00Z")).toEqual("2026-12-02T10:00:00.000Z")
    // V8's Date.parse reads these as 2000-01-01, 2001-12-01, a local time and a day: not times Claude Code writes
    for (const stamp of ["0", "12", "2026-12-02T10:00:00", "2026-12-02", "Tue Dec 02 2026", "2026-12-02T10:00:0012Z"]) {
      expect([stamp, atOf(stamp)]).toEqual([stamp, own])
    }
  })

  it("names the field a decoded event fails on, not only its kind", () => {
    const converted = Telemetry.fromLogs([apiRequest({ "session.id": "" })])
    expect(converted.rejected).toBe(1)
    expect(converted.errors[0]).toMatch(/^api_request: sessionId: /)
  })
})
