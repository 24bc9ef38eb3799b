import * as fs from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as ConfigStore from "../src/ConfigStore.js"
import * as Outbox from "../src/Outbox.js"
import * as SyncClient from "../src/SyncClient.js"
import { configuredTool, drainOnce, tempDir } from "./support/syncFake.js"

/*
 * The outbox and the real fetch-based SyncClient against a real HTTP server on 127.0.0.1 that fails (500) every batch
 * holding the event "poison". Time is the TestClock's, so the backoff between tries is checked exactly.
 */

interface Received {
  readonly ids: ReadonlyArray<string>
  readonly status: number
}

let server: Server
let url: string
let poisoned = true
const received: Array<Received> = []

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ""
    request.on("data", (chunk) => (body += chunk))
    request.on("end", () => {
      const ids = (JSON.parse(body) as { events: ReadonlyArray<{ id: string }> }).events.map((event) => event.id)
      const fail = poisoned && ids.includes("poison")
      received.push({ ids, status: fail ? 500 : 200 })
      response.writeHead(fail ? 500 : 200, { "content-type": "application/json" })
      response.end(
        JSON.stringify(
          fail
            ? { _tag: "InternalError", error: "cannot store poison" }
            : { stored: ids, duplicates: [], stale: [], rejected: [], deleted: [] }
        )
      )
    })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((done) => server.close(done))
})

const layerFor = (dir: string, serverUrl: string) =>
  Layer.mergeAll(
    Outbox.layer(path.join(dir, "outbox")),
    SyncClient.layerFetch().pipe(
      Layer.provide(ConfigStore.ConfigStore.Default),
      Layer.provide(configuredTool(dir, serverUrl))
    )
  )

const ev = (id: string) => ({ id, kind: "message", text: `text of ${id}` })
const minute = 60_000
const sentOk = (id: string) => received.some((r) => r.status === 200 && r.ids.includes(id))
const triesOf = (id: string) => received.filter((r) => r.ids.includes(id) && r.status === 500 && r.ids.length === 1)

for (const bytes of [false, true]) {
  describe(`Outbox over HTTP to a server that fails on one event${bytes ? " (files sent as bytes)" : ""}`, () => {
    it.effect(
      "delivers every other event in the same drain, retries the poisoned one with backoff, sets it aside",
      () => {
        const dir = tempDir()
        // The server's state is the file's: each mode starts with a poisoned server and no requests.
        poisoned = true
        received.length = 0
        return Effect.gen(function* () {
          const outbox = yield* Outbox.Outbox
          const good = Array.from({ length: 60 }, (_, i) => `ok-${i}`)
          yield* outbox.append(good.slice(0, 20).map(ev))
          yield* outbox.append([...good.slice(20, 25), "poison", ...good.slice(25, 40)].map(ev))
          yield* outbox.append(good.slice(40).map(ev))

          const first = yield* drainOnce({}, bytes)
          expect(good.filter((id) => !sentOk(id))).toEqual([])
          expect(first).toMatchObject({ delivered: 60, retrying: 1, rejected: 0, failure: null })
          expect(triesOf("poison")).toHaveLength(1)

          for (const [wait, attempt] of [
            [1, 2],
            [4, 3],
            [16, 4],
            [64, 5]
          ] as const) {
            yield* TestClock.adjust(wait * minute - 1)
            expect((yield* drainOnce({}, bytes)).requests).toBe(0)
            expect(triesOf("poison")).toHaveLength(attempt - 1)
            yield* TestClock.adjust(1)
            const retried = yield* drainOnce({}, bytes)
            expect(retried.failed.map((failed) => failed.attempts)).toEqual([attempt])
            expect(triesOf("poison")).toHaveLength(attempt)
          }

          const stats = yield* outbox.stats()
          expect(stats).toMatchObject({
            pending: 0,
            rejected: 1,
            lastRejected: { id: "poison", reason: "The server failed (HTTP 500: cannot store poison)." }
          })
          expect(stats.lastError).toBe(
            "Event poison was set aside in rejected/ after 5 failed tries: The server failed (HTTP 500: cannot store " +
              "poison). `sync --retry-rejected` sends it again."
          )
          expect(fs.readdirSync(path.join(dir, "outbox", "rejected"))).toHaveLength(1)

          poisoned = false
          expect(yield* outbox.retryRejected()).toEqual({ requeued: 1, unreadable: [] })
          expect(yield* drainOnce({}, bytes)).toMatchObject({ delivered: 1, rejected: 0, failure: null })
          expect(sentOk("poison")).toBe(true)
          expect(yield* outbox.stats()).toMatchObject({ pending: 0, rejected: 0, retrying: 0, lastError: null })
        }).pipe(Effect.provide(layerFor(dir, url)))
      }
    )

    it.effect("a server that is down (connection refused) never sets anything aside", () => {
      const dir = tempDir()
      return Effect.gen(function* () {
        const closed = createServer()
        yield* Effect.promise(() => new Promise<void>((done) => closed.listen(0, "127.0.0.1", done)))
        const port = (closed.address() as AddressInfo).port
        yield* Effect.promise(() => new Promise((done) => closed.close(done)))
        const outbox = yield* Outbox.Outbox
        yield* outbox.append([ev("d1"), ev("poison")])
        const down = yield* drainOnce({ retry: Outbox.retrySchedule({ retries: 0 }) }, bytes).pipe(
          Effect.provide(syncLayerAt(dir, `http://127.0.0.1:${port}`))
        )
        expect(down.failure?.kind).toBe("unavailable")
        expect(down.failure?.message).toMatch(new RegExp(`^Cannot reach http://127\\.0\\.0\\.1:${port} `))
        expect([down.failed, down.rejected, down.retrying]).toEqual([[], 0, 0])
        expect(yield* outbox.stats()).toMatchObject({ pending: 2, retrying: 0, rejected: 0 })
      }).pipe(Effect.provide(layerFor(dir, url)))
    })
  })

  /** Only the transport, pointed at `serverUrl` (the Outbox comes from the test's layer). */
  const syncLayerAt = (dir: string, serverUrl: string) =>
    SyncClient.layerFetch().pipe(
      Layer.provide(ConfigStore.ConfigStore.Default),
      Layer.provide(configuredTool(dir, serverUrl))
    )
}

describe("an answer without end (a stream, a misconfigured proxy)", () => {
  it.live("is read up to 16 MiB and refused, not held in memory until the call times out", () =>
    Effect.gen(function* () {
      const endless = createServer((_request, response) => {
        response.writeHead(200, { "content-type": "application/json" })
        const chunk = Buffer.alloc(64 * 1024, 0x20)
        const more = () => {
          while (!response.destroyed && response.write(chunk)) {
            // until the socket's buffer is full
          }
          if (!response.destroyed) response.once("drain", more)
        }
        more()
      })
      yield* Effect.promise(() => new Promise<void>((done) => endless.listen(0, "127.0.0.1", done)))
      const url = `http://127.0.0.1:${(endless.address() as AddressInfo).port}`
      try {
        const transport = yield* SyncClient.makeFetch({
          baseUrl: url,
          apiKey: Redacted.make("osk_test"),
          timeout: "60 seconds"
        })
        const started = Date.now()
        const failed = yield* Effect.flip(transport.check)
        expect(failed.message).toContain("larger than 16 MiB")
        // long before the 60 s the call was given
        expect(Date.now() - started).toBeLessThan(30_000)
        const sent = yield* Effect.flip(transport.sendEvents([ev("e1")]))
        expect(sent.message).toContain("larger than 16 MiB")
        if (transport.sendEncoded !== undefined) {
          const encoded = yield* Effect.flip(transport.sendEncoded(new TextEncoder().encode('{"events":[]}'), 0))
          expect(encoded.message).toContain("larger than 16 MiB")
        }
      } finally {
        endless.closeAllConnections()
        endless.close()
      }
    })
  )
})
