import * as fs from "node:fs"
import * as path from "node:path"
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Sources } from "@opensync/domain"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as ConfigStore from "../src/ConfigStore.js"
import * as Outbox from "../src/Outbox.js"
import * as SyncClient from "../src/SyncClient.js"
import { configuredTool, drainOnce, fakeSyncServer, stored, syncLayer, tempDir } from "./support/syncFake.js"

const answering = (status: number, body: string, contentType = "application/json") =>
  HttpClient.make((request) =>
    Effect.succeed(
      HttpClientResponse.fromWeb(request, new Response(body, { status, headers: { "content-type": contentType } }))
    )
  )

/** How a batch is handed to the transport: as events, or as the bytes of its request body (the outbox's files). */
type Way = "events" | "bytes"

const sendWith = (
  http: HttpClient.HttpClient,
  options: { readonly timeout?: Duration.DurationInput } = {},
  way: Way = "events"
) =>
  Effect.gen(function* () {
    const client = yield* SyncClient.make({ baseUrl: "http://sync.test", apiKey: Redacted.make("osk_k"), ...options })
    if (way === "events") return yield* Effect.flip(client.sendEvents([{ id: "e1" }]))
    const sendEncoded = client.sendEncoded
    if (sendEncoded === undefined) return yield* Effect.die("no sendEncoded")
    return yield* Effect.flip(sendEncoded(new TextEncoder().encode('{"events":[{"id":"e1"}]}'), 1))
  }).pipe(Effect.provideService(HttpClient.HttpClient, http))

const failureOf = (error: Outbox.SendFailed) => ({ kind: error.kind, status: error.status, message: error.message })

describe("SyncClient: every failure says whose fault it is", () => {
  const cases: ReadonlyArray<
    readonly [string, number, string, string, { kind: string; status: number | null; message: string }]
  > = [
    [
      "a contract error (500)",
      500,
      '{"_tag":"InternalError","error":"boom"}',
      "application/json",
      { kind: "failed", status: 500, message: "The server failed (HTTP 500: boom)." }
    ],
    [
      "a proxy's error page (502)",
      502,
      "<html><body>Bad gateway</body></html>",
      "text/html",
      { kind: "failed", status: 502, message: "The server failed (HTTP 502: <html><body>Bad gateway</body></html>)." }
    ],
    [
      "a 500 that is not the contract's",
      500,
      "upstream exploded",
      "text/plain",
      { kind: "failed", status: 500, message: "The server failed (HTTP 500: upstream exploded)." }
    ],
    [
      "503 unavailable",
      503,
      "",
      "text/plain",
      { kind: "unavailable", status: 503, message: "http://sync.test is unavailable (HTTP 503)." }
    ],
    [
      "429 too many requests",
      429,
      "slow down",
      "text/plain",
      { kind: "unavailable", status: 429, message: "http://sync.test is unavailable (HTTP 429: slow down)." }
    ],
    [
      "a wrong key (401)",
      401,
      '{"_tag":"Unauthorized","error":"Invalid API key"}',
      "application/json",
      {
        kind: "refused",
        status: 401,
        message: "The server rejected the API key (HTTP 401: Invalid API key). Run login again with a valid osk_ key."
      }
    ],
    [
      "a wrong URL (404)",
      404,
      "Not Found",
      "text/plain",
      {
        kind: "refused",
        status: 404,
        message: "http://sync.test does not look like an OpenSync server (HTTP 404). Check the URL."
      }
    ],
    [
      "a bad batch (400)",
      400,
      '{"_tag":"BadRequest","error":"events must be an array"}',
      "application/json",
      { kind: "failed", status: 400, message: "The server refused the request (HTTP 400: events must be an array)." }
    ],
    [
      "a body too large for a proxy (413)",
      413,
      "Request Entity Too Large",
      "text/plain",
      { kind: "failed", status: 413, message: "The server refused the request (HTTP 413: Request Entity Too Large)." }
    ]
  ]
  for (const way of ["events", "bytes"] as const) {
    for (const [name, status, body, contentType, expected] of cases) {
      it.effect(`${name}, sent as ${way}`, () =>
        Effect.map(sendWith(answering(status, body, contentType), {}, way), (error) =>
          expect(failureOf(error)).toEqual(expected)
        )
      )
    }

    it.effect(`an answer that is not the contract's result (200) is a failure of the batch, sent as ${way}`, () =>
      Effect.gen(function* () {
        const error = yield* sendWith(answering(200, '{"stored":5}'), {}, way)
        expect([error.kind, error.status]).toEqual(["failed", null])
        expect(error.message).toMatch(/^The server's answer could not be read: /)
        // what was wrong and where, not the contract's schema written as types
        expect(error.message).toContain("does not answer as an OpenSync server does")
        expect(error.message).toContain("Check the URL")
        expect(error.message).not.toContain("<->")
      })
    )

    it.effect(`no connection is unavailable, never the events' fault, sent as ${way}`, () =>
      Effect.gen(function* () {
        const down = HttpClient.make((request) =>
          Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", description: "ECONNREFUSED" }))
        )
        const error = yield* sendWith(down, {}, way)
        expect(failureOf(error)).toEqual({
          kind: "unavailable",
          status: null,
          message: "Cannot reach http://sync.test (ECONNREFUSED). Is the server running?"
        })
      })
    )

    it.effect(`a server that never answers times out (TestClock), unavailable, sent as ${way}`, () =>
      Effect.gen(function* () {
        const silent = HttpClient.make(() => Effect.never)
        const fiber = yield* Effect.fork(sendWith(silent, { timeout: "10 seconds" }, way))
        yield* TestClock.adjust("10 seconds")
        const error = yield* Fiber.join(fiber)
        expect(failureOf(error)).toEqual({
          kind: "unavailable",
          status: null,
          message: "http://sync.test did not answer in time."
        })
      })
    )
  }

  it.effect("a body sent as bytes is that request: POST /sync/events, the key, the bytes as given", () =>
    Effect.gen(function* () {
      const seen: Array<{ url: string; method: string; authorization: string; type: string; body: string }> = []
      const http = HttpClient.make((request) =>
        Effect.sync(() => {
          const bytes = (request.body as { readonly body: Uint8Array }).body
          seen.push({
            url: request.url,
            method: request.method,
            authorization: request.headers.authorization ?? "",
            type: request.headers["content-type"] ?? "",
            body: new TextDecoder().decode(bytes)
          })
          const answer = { stored: ["evt_1"], duplicates: [], stale: [], rejected: [] }
          return HttpClientResponse.fromWeb(request, new Response(JSON.stringify(answer), { status: 200 }))
        })
      )
      const client = yield* SyncClient.make({ baseUrl: "http://sync.test/", apiKey: Redacted.make("osk_k") }).pipe(
        Effect.provideService(HttpClient.HttpClient, http)
      )
      const body = '{"events":[{"id":"evt_1","kind":"message"}]}'
      const answer = yield* (client.sendEncoded ?? (() => Effect.die("no sendEncoded")))(
        new TextEncoder().encode(body),
        1
      )
      expect(answer).toEqual({ stored: ["evt_1"], duplicates: [], stale: [], rejected: [], deleted: [] })
      expect(seen).toEqual([
        {
          url: "http://sync.test/sync/events",
          method: "POST",
          authorization: "Bearer osk_k",
          type: "application/json",
          body
        }
      ])
    })
  )
})

describe("SyncClient.layer: built once from ConfigStore", () => {
  it.effect("sends to the configured server with the configured key", () => {
    const dir = tempDir()
    const server = fakeSyncServer(stored)
    return Effect.gen(function* () {
      const client = yield* SyncClient.SyncClient
      expect(yield* client.sendEvents([{ id: "a" }])).toEqual({
        stored: ["a"],
        duplicates: [],
        stale: [],
        rejected: [],
        deleted: []
      })
      expect(server.requests).toEqual([
        { url: "http://127.0.0.1:9/sync/events", authorization: "Bearer osk_test_key", ids: ["a"] }
      ])
    }).pipe(Effect.provide(syncLayer(dir, server.client, configuredTool(dir, "http://127.0.0.1:9/"))))
  })

  it.effect("without a server or key it still builds, and every call is refused with what to do", () => {
    const dir = tempDir()
    const tool = ConfigStore.Tool.layer(Sources.get("claude-code"), { XDG_CONFIG_HOME: path.join(dir, "config") })
    const server = fakeSyncServer(stored)
    return Effect.gen(function* () {
      const client = yield* SyncClient.SyncClient
      const error = yield* Effect.flip(client.sendEvents([{ id: "a" }]))
      expect(failureOf(error)).toEqual({
        kind: "refused",
        status: null,
        message: `No server URL or API key in ${path.join(dir, "config", "claude-code-sync", "config.json")}: run login. Events stay queued until then.`
      })
      const outbox = yield* Outbox.Outbox
      yield* outbox.append([{ id: "q" }])
      expect((yield* drainOnce()).failure?.kind).toBe("refused")
      expect(server.requests).toEqual([])
      expect((yield* outbox.stats()).pending).toBe(1)
    }).pipe(Effect.provide(syncLayer(dir, server.client, tool)))
  })

  it.effect("an unreadable config file: the layer builds, calls are refused with the file's problem", () => {
    const dir = tempDir()
    const file = path.join(dir, "config", "claude-code-sync", "config.json")
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, "{ not json")
    const tool = ConfigStore.Tool.layer(Sources.get("claude-code"), { XDG_CONFIG_HOME: path.join(dir, "config") })
    return Effect.gen(function* () {
      const error = yield* Effect.flip((yield* SyncClient.SyncClient).check)
      expect(error.kind).toBe("refused")
      expect(error.message).toMatch(/is not a valid config file/)
    }).pipe(Effect.provide(syncLayer(dir, fakeSyncServer(stored).client, tool)))
  })

  it.effect("check reports the server's version, the round trip (timed by the Clock) and the key's scope", () =>
    Effect.gen(function* () {
      const http = HttpClient.make((request) =>
        Effect.gen(function* () {
          yield* Effect.sleep("40 millis")
          const body = request.url.endsWith("/health")
            ? { status: "ok", version: "9.9.9", timestamp: 0 }
            : { user: { id: "u1", name: "Ada" }, via: "apiKey", scope: "ingest", expiresAt: null }
          return HttpClientResponse.fromWeb(
            request,
            new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } })
          )
        })
      )
      const client = yield* Effect.provideService(
        SyncClient.make({ baseUrl: "http://sync.test", apiKey: Redacted.make("osk_k") }),
        HttpClient.HttpClient,
        http
      )
      const fiber = yield* Effect.fork(client.check)
      yield* TestClock.adjust("40 millis")
      yield* TestClock.adjust("40 millis")
      expect(yield* Fiber.join(fiber)).toEqual({ version: "9.9.9", latencyMs: 80, scope: "ingest" })
    })
  )

  it.effect("the transport can be swapped whole (Layer.mock) under a drain", () => {
    const dir = tempDir()
    const sent: Array<unknown> = []
    const mock = Layer.mock(SyncClient.SyncClient, {
      sendEvents: (events) =>
        Effect.sync(() => {
          sent.push(...events)
          return {
            stored: [],
            duplicates: events.map((e) => (e as { id: string }).id) as never,
            stale: [],
            rejected: [],
            deleted: []
          }
        })
    })
    return Effect.gen(function* () {
      yield* (yield* Outbox.Outbox).append([{ id: "m1" }, { id: "m2" }])
      expect(yield* drainOnce()).toMatchObject({ delivered: 2, failure: null })
      expect(sent).toEqual([{ id: "m1" }, { id: "m2" }])
    }).pipe(Effect.provide(Layer.merge(Outbox.layer(path.join(dir, "outbox")), mock)))
  })
})
