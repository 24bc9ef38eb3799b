import { createServer, type Server } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SyncClient } from "@opensync/client"
import { Event } from "@opensync/domain"
import { type RunningServer, startServer } from "@opensync/testkit/Server"
import * as Effect from "effect/Effect"
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
      const client = yield* SyncClient.make({ baseUrl: server.url, apiKey: Redacted.make(server.key) })
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

  it.live("a wrong key is a permanent failure that says what to do", () =>
    Effect.gen(function* () {
      const client = yield* SyncClient.make({ baseUrl: server.url, apiKey: Redacted.make("osk_wrong"), retries: 0 })
      const error = yield* Effect.flip(client.sendEvents([event]))
      expect(error.transient).toBe(false)
      expect(error.status).toBe(401)
      expect(error.message).toContain("Run login again")
    })
  )

  it.live("a server that is down is a transient failure", () =>
    Effect.gen(function* () {
      const client = yield* SyncClient.make({
        baseUrl: "http://127.0.0.1:1",
        apiKey: Redacted.make(server.key),
        retries: 0
      })
      const error = yield* Effect.flip(client.sendEvents([event]))
      expect(error.transient).toBe(true)
      expect(error.message).toContain("Cannot reach http://127.0.0.1:1")
    })
  )

  it.live("a server that never answers times out instead of hanging", () =>
    Effect.gen(function* () {
      const client = yield* SyncClient.make({
        baseUrl: silentUrl,
        apiKey: Redacted.make(server.key),
        retries: 0,
        timeout: "300 millis"
      })
      const error = yield* Effect.flip(client.sendEvents([event]))
      expect(error.transient).toBe(true)
      expect(error.message).toContain("did not answer in time")
    })
  )
})
