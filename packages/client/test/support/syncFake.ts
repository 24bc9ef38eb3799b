import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import type * as HttpBody from "@effect/platform/HttpBody"
import { afterAll } from "@effect/vitest"
import { Sources } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ConfigStore from "../../src/ConfigStore.js"
import * as Outbox from "../../src/Outbox.js"
import * as SyncClient from "../../src/SyncClient.js"

/** How the fake server answers one `POST /sync/events`: a status and JSON body, or no answer at all. */
export type Answer = { readonly status: number; readonly body: unknown } | "refuse-connection"

/** `{ stored: ids }` for a batch that is fine. */
export const stored = (ids: ReadonlyArray<string>): Answer => ({
  status: 200,
  body: { stored: ids, duplicates: [], stale: [], rejected: [], deleted: [] }
})

export const internalError = (error: string): Answer => ({ status: 500, body: { _tag: "InternalError", error } })

/**
 * An `HttpClient` that plays the sync server: every request's event ids are recorded, `answer` decides the reply.
 * The outbox and the real `SyncClient` run unchanged on top of it.
 */
export const fakeSyncServer = (answer: (ids: ReadonlyArray<string>) => Answer) => {
  const requests: Array<{ readonly url: string; readonly authorization: string; readonly ids: ReadonlyArray<string> }> =
    []
  const client = HttpClient.make((request) =>
    Effect.suspend(() => {
      const bytes = (request.body as HttpBody.Uint8Array).body
      const payload = JSON.parse(new TextDecoder().decode(bytes)) as { events: ReadonlyArray<{ id: string }> }
      const ids = payload.events.map((event) => event.id)
      requests.push({ url: request.url, authorization: request.headers.authorization ?? "", ids })
      const reply = answer(ids)
      if (reply === "refuse-connection") {
        return Effect.fail(
          new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("connect ECONNREFUSED") })
        )
      }
      const web = new Response(JSON.stringify(reply.body), {
        status: reply.status,
        headers: { "content-type": "application/json" }
      })
      return Effect.succeed(HttpClientResponse.fromWeb(request, web))
    })
  )
  return {
    client,
    requests,
    /** Requests whose batch held `id`. */
    requestsWith: (id: string) => requests.filter((request) => request.ids.includes(id)).length
  }
}

const roots: Array<string> = []
export const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "outbox-sync-test-"))
  roots.push(dir)
  return dir
}
const removeTempDirs = () => {
  for (const dir of roots.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
}
/** Every test file that imports this module gets its temp dirs removed when it ends (vitest isolates each file). */
afterAll(removeTempDirs)

/** The settings of a configured plugin, as its environment would give them (no `process.env` involved). */
export const configuredTool = (dir: string, url = "http://sync.test") =>
  ConfigStore.Tool.layer(Sources.get("claude-code"), {
    XDG_CONFIG_HOME: path.join(dir, "config"),
    CLAUDE_SYNC_CONVEX_URL: url,
    CLAUDE_SYNC_API_KEY: "osk_test_key"
  })

/** The Outbox under `dir` and the real `SyncClient` layer, over `http`, configured by `tool`. */
export const syncLayer = (dir: string, http: HttpClient.HttpClient, tool = configuredTool(dir)) =>
  Layer.mergeAll(
    Outbox.layer(path.join(dir, "outbox")),
    SyncClient.layer().pipe(
      Layer.provide(Layer.succeed(HttpClient.HttpClient, http)),
      Layer.provide(ConfigStore.ConfigStore.Default),
      Layer.provide(tool)
    )
  )

/**
 * One sync: drain the outbox through the configured transport; with `bytes`, files go out as their bytes
 * (`sendEncoded`, what the CLIs do) whenever they can.
 */
export const drainOnce = (options: Outbox.DrainOptions = {}, bytes = false) =>
  Effect.gen(function* () {
    const outbox = yield* Outbox.Outbox
    const client = yield* SyncClient.SyncClient
    if (bytes && client.sendEncoded === undefined) return yield* Effect.die("the transport cannot send bytes")
    return yield* outbox.drain(client.sendEvents, options, bytes ? client.sendEncoded : undefined)
  })
