import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiError, clientFor, encodePath, run } from "../src/api.js"

/**
 * Path parameters (session, key and sign-in ids) are percent-encoded in every request of the dashboard's typed client:
 * `HttpApiClient` pastes them in as they are, and `fetch` then resolves an id `../data` to `/api/data`.
 */

const sent: Array<string> = []
const realFetch = globalThis.fetch
beforeAll(() => {
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(`${init?.method ?? "GET"} ${input instanceof Request ? input.url : String(input)}`)
    return new Response(JSON.stringify({ error: "not here", _tag: "NotFound" }), {
      status: 404,
      headers: { "content-type": "application/json" }
    })
  }
})
afterAll(() => {
  globalThis.fetch = realFetch
})

const base = "http://127.0.0.1:4999"
const client = () => clientFor({ baseUrl: base, token: "oss_test" })

/** The request a call sends (each answers 404 here). */
const requestOf = async (call: () => Promise<unknown>) => {
  sent.length = 0
  await expect(call()).rejects.toBeInstanceOf(ApiError)
  return sent.slice()
}

describe("path parameters", () => {
  it("encodePath percent-encodes each parameter and refuses dot segments", () => {
    expect(encodePath("/api/sessions/:id", { id: "../data" })).toBe("/api/sessions/..%2Fdata")
    expect(encodePath("/api/sessions/:id", { id: "q?x=1#frag" })).toBe("/api/sessions/q%3Fx%3D1%23frag")
    expect(encodePath("/api/sessions/:id", { id: "100%" })).toBe("/api/sessions/100%25")
    expect(encodePath("/api/keys/:id", { id: "a/b c" })).toBe("/api/keys/a%2Fb%20c")
    for (const id of [".", ".."]) {
      expect(() => encodePath("/api/sessions/:id", { id })).toThrow(ApiError)
    }
  })

  it("every endpoint with an id sends it encoded: sessions get and delete, keys and sign-ins revoke", async () => {
    const id = "../data"
    expect(await requestOf(() => run(client().sessions.get({ path: { id: id as never } })))).toEqual([
      `GET ${base}/api/sessions/..%2Fdata`
    ])
    expect(await requestOf(() => run(client().sessions.delete({ path: { id: id as never } })))).toEqual([
      `DELETE ${base}/api/sessions/..%2Fdata`
    ])
    expect(await requestOf(() => run(client().keys.revoke({ path: { id: "q?x=1#frag" as never } })))).toEqual([
      `DELETE ${base}/api/keys/q%3Fx%3D1%23frag`
    ])
    expect(await requestOf(() => run(client().signIns.revoke({ path: { id: "100%/.." } })))).toEqual([
      `DELETE ${base}/api/sign-ins/100%25%2F..`
    ])
  })

  it("an id that is a dot segment is refused before anything is sent", async () => {
    expect(await requestOf(() => run(client().sessions.delete({ path: { id: ".." as never } })))).toEqual([])
  })
})
