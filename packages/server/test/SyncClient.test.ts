import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ConfigStore, Outbox, SyncClient } from "@opensync/client"
import { Event, Sources } from "@opensync/domain"
import { type RunningServer, startServer } from "@opensync/testkit/Server"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

let server: RunningServer
let silent: Server
let silentUrl: string

beforeAll(async () => {
  server = await startServer()
  silent = createServer(() => {})
  await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done))
  const address = silent.address()
  silentUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`
})
afterAll(async () => {
  await server?.stop()
  silent?.close()
})

const event = Event.make({ kind: "session", source: "claude-code", sessionId: "sync-client", at: 1_790_000_000_000 })

describe("SyncClient against the real server", () => {
  it.live("sends events and checks the connection", () =>
    Effect.gen(function* () {
      const client = yield* SyncClient.makeFetch({ baseUrl: server.url, apiKey: Redacted.make(server.key) })
      expect(yield* client.sendEvents([event])).toEqual({
        stored: [event.id],
        duplicates: [],
        stale: [],
        rejected: [],
        deleted: []
      })
      const check = yield* client.check
      expect(check.version).toBe("0.1.0")
    })
  )

  it.live("a wrong key is refused as a whole and the message says what to do", () =>
    Effect.gen(function* () {
      const client = yield* SyncClient.makeFetch({ baseUrl: server.url, apiKey: Redacted.make("osk_wrong") })
      const error = yield* Effect.flip(client.sendEvents([event]))
      expect(error.kind).toBe("refused")
      expect(error.status).toBe(401)
      expect(error.message).toContain("Run login again")
    })
  )

  it.live("a server that is down is unavailable, not a failure of the events", () =>
    Effect.gen(function* () {
      const client = yield* SyncClient.makeFetch({
        baseUrl: "http://127.0.0.1:1",
        apiKey: Redacted.make(server.key)
      })
      const error = yield* Effect.flip(client.sendEvents([event]))
      expect(error.kind).toBe("unavailable")
      expect(error.message).toContain("Cannot reach http://127.0.0.1:1")
    })
  )

  it.live("a server that never answers times out instead of hanging", () =>
    Effect.gen(function* () {
      const client = yield* SyncClient.makeFetch({
        baseUrl: silentUrl,
        apiKey: Redacted.make(server.key),
        timeout: "300 millis"
      })
      const error = yield* Effect.flip(client.sendEvents([event]))
      expect(error.kind).toBe("unavailable")
      expect(error.message).toContain("did not answer in time")
    })
  )
})

describe("Outbox and SyncClient against the real server", () => {
  const dirs: Array<string> = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it.effect("an event the server refuses (by index) is set aside alone; the rest of the batch is stored", () => {
    const dir = mkdtempSync(join(tmpdir(), "outbox-real-server-"))
    dirs.push(dir)
    const layer = Layer.mergeAll(
      Outbox.layer(join(dir, "outbox")),
      SyncClient.layerFetch().pipe(
        Layer.provide(ConfigStore.ConfigStore.Default),
        Layer.provide(
          ConfigStore.Tool.layer(Sources.get("claude-code"), {
            XDG_CONFIG_HOME: join(dir, "config"),
            CLAUDE_SYNC_CONVEX_URL: server.url,
            CLAUDE_SYNC_API_KEY: server.key
          })
        )
      )
    )
    const session = (at: number) =>
      Event.make({ kind: "session", source: "claude-code", sessionId: "outbox-refused", at })
    return Effect.gen(function* () {
      const outbox = yield* Outbox.Outbox
      const client = yield* SyncClient.SyncClient
      const invalid = { id: "evt_invalid", kind: "message", source: "claude-code" }
      yield* outbox.append([session(1_790_000_000_000)])
      yield* outbox.append([session(1_790_000_000_001), invalid, session(1_790_000_000_002)])

      const result = yield* outbox.drain(client.sendEvents)

      expect(result).toMatchObject({ delivered: 3, rejected: 1, retrying: 0, failed: [], failure: null })
      const [name] = readdirSync(join(dir, "outbox", "rejected"))
      expect(name).toBe("event-evt_invalid.json")
      const record = JSON.parse(readFileSync(join(dir, "outbox", "rejected", name), "utf8"))
      expect(record).toMatchObject({ index: 1, event: invalid })
      expect(record.reason.length > 0).toBe(true)
      expect(yield* outbox.stats()).toMatchObject({ pending: 0, rejected: 1, lastRejected: { id: "evt_invalid" } })
    }).pipe(Effect.provide(layer))
  })
})
