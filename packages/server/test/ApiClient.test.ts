import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiClient } from "@opensync/client"
import { Event, Ids } from "@opensync/domain"
import { type RunningServer, startServer } from "@opensync/testkit/Server"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"

let server: RunningServer

beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server?.stop())

describe("the client derived from the HTTP contract", () => {
  it.effect("talks to the real server with typed requests, answers and errors", () =>
    Effect.gen(function* () {
      const client = yield* ApiClient.makeFetch({ baseUrl: server.url, apiKey: Redacted.make(server.key) })
      const health = yield* client.health.health()
      expect(health.status).toBe("ok")
      const event = Event.make({
        kind: "session",
        source: "opencode",
        sessionId: "ses_typed",
        at: 1_790_000_000_000,
        title: "Typed client"
      })
      const result = yield* client.sync.events({ payload: { events: [event] } })
      expect(result).toEqual({ stored: [event.id], duplicates: [], stale: [], rejected: [], deleted: [] })
      const detail = yield* client.sessions.get({ path: { id: Ids.SessionId.make("ses_typed") } })
      expect(detail.session.title).toBe("Typed client")
      expect(detail.session.startedAt).toBe(1_790_000_000_000)
      const missing = yield* Effect.either(client.sessions.get({ path: { id: Ids.SessionId.make("nope") } }))
      expect(Either.isLeft(missing) && missing.left._tag).toBe("NotFound")
      const wrongKey = yield* ApiClient.makeFetch({ baseUrl: server.url, apiKey: Redacted.make("osk_wrong") })
      const denied = yield* Effect.either(wrongKey.keys.list())
      expect(Either.isLeft(denied) && denied.left._tag).toBe("Unauthorized")
    })
  )
})
