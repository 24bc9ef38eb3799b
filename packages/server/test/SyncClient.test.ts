import { createServer, type Server } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SyncClient } from "@opensync/client"
import { Event } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { type RunningServer, startServer } from "./support/server.js"

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
