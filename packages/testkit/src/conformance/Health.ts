import { describe, expect, it } from "@effect/vitest"
import { expectError, type Harness, headerList, type Json } from "./Harness.js"

/** health, discovery, CORS and error bodies */
export const section = (h: Harness): void => {
  const { sid, request, get, post } = h
  describe("health, discovery, CORS and error bodies", () => {
    it("GET /health needs no key and answers {status, version, timestamp} (the local server adds cli)", async () => {
      const before = Date.now()
      const reply = await get("/health", null)
      const after = Date.now()
      expect(reply.status).toEqual(200)
      const { cli, ...body } = reply.body as Json
      expect(Object.keys(body).sort()).toEqual(["status", "timestamp", "version"])
      if (cli !== undefined) expect(typeof cli).toEqual("string")
      expect(body.status).toEqual("ok")
      expect(typeof body.version).toEqual("string")
      expect(String(body.version)).toMatch(/\S/)
      expect(typeof body.timestamp).toEqual("number")
      expect(Number(body.timestamp) >= before - 5_000 && Number(body.timestamp) <= after + 5_000).toEqual(true)
      expect(reply.headers.get("access-control-allow-origin")).toEqual("*")
    })

    it("GET /openapi.json documents every route of the contract", async () => {
      const reply = await get("/openapi.json", null)
      expect(reply.status).toEqual(200)
      const paths = (reply.body as { paths: Record<string, Record<string, unknown>> }).paths
      const routes = Object.entries(paths)
        .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
        .sort()
      expect(routes).toEqual(
        [
          "GET /health",
          "POST /sync/events",
          "POST /v1/logs",
          "POST /v1/metrics",
          "POST /sync/session",
          "POST /sync/message",
          "POST /sync/batch",
          "GET /sync/sessions/list",
          "GET /api/sessions",
          "GET /api/sessions/{id}",
          "DELETE /api/sessions/{id}",
          "GET /api/stats",
          "GET /api/facets",
          "GET /api/export",
          "GET /api/keys",
          "POST /api/keys",
          "DELETE /api/keys/{id}",
          "POST /auth/session",
          "GET /auth/me",
          "DELETE /auth/session",
          "GET /api/sign-ins",
          "DELETE /api/sign-ins/{id}",
          "DELETE /api/data",
          "GET /api/data"
        ].sort()
      )
    })

    it("answers a CORS preflight on real routes with 204 and the allowed headers", async () => {
      for (const [path, method] of [
        ["/sync/events", "POST"],
        ["/api/sessions/some-id", "DELETE"],
        ["/sync/session", "POST"]
      ] as const) {
        const reply = await request("OPTIONS", path, {
          key: null,
          headers: {
            origin: "https://dashboard.example",
            "access-control-request-method": method,
            "access-control-request-headers": "authorization,content-type"
          }
        })
        expect(reply.status).toEqual(204)
        expect(reply.headers.get("access-control-allow-origin")).toEqual("*")
        const allowed = headerList(reply.headers.get("access-control-allow-headers"))
        expect(["authorization", "content-type"].filter((h) => allowed.includes(h))).toEqual([
          "authorization",
          "content-type"
        ])
        const methods = headerList(reply.headers.get("access-control-allow-methods"))
        expect(methods.includes(method.toLowerCase())).toEqual(true)
      }
    })

    it("answers an unknown route with a JSON 404, with or without a key", async () => {
      expectError(await get("/no/such/route"), 404, "NotFound")
      expectError(await get("/no/such/route", null), 404, "NotFound")
      expectError(await post("/api/nothing", {}), 404, "NotFound")
    })

    it("rejects every protected route without a key with a JSON 401", async () => {
      const routes: ReadonlyArray<readonly [string, string]> = [
        ["POST", "/sync/events"],
        ["POST", "/sync/session"],
        ["POST", "/sync/message"],
        ["POST", "/sync/batch"],
        ["GET", "/sync/sessions/list"],
        ["GET", "/api/sessions"],
        ["GET", "/api/sessions/x"],
        ["DELETE", "/api/sessions/x"],
        ["GET", "/api/stats"],
        ["GET", "/api/export"],
        ["GET", "/api/keys"],
        ["POST", "/api/keys"],
        ["DELETE", "/api/keys/x"]
      ]
      for (const [method, path] of routes) {
        const reply = await request(method, path, {
          key: null,
          ...(method === "POST" ? { json: { events: [] } } : {})
        })
        expect(`${method} ${path} ${reply.status}`).toEqual(`${method} ${path} 401`)
        expectError(reply, 401, "Unauthorized")
        expect(reply.headers.get("access-control-allow-origin")).toEqual("*")
      }
    })

    it("rejects a non-osk_ bearer token, a non-bearer scheme and an unknown key with 401", async () => {
      expectError(await get("/api/sessions", "eyJhbGciOiJIUzI1NiJ9.e30.x"), 401, "Unauthorized")
      expectError(
        await request("GET", "/api/sessions", { key: null, headers: { authorization: `Basic ${h.target.keyA}` } }),
        401,
        "Unauthorized"
      )
      expectError(await get("/api/sessions", "osk_notarealkey"), 401, "Unauthorized")
      // well-formed (right length, valid checksum) but never issued
      expectError(await get("/api/sessions", "osk_00000000000000000000000000000000000000"), 401, "Unauthorized")
      // the key with its last character changed (to another one: a key that already ends in "x" stays itself)
      const last = h.target.keyA.slice(-1)
      expectError(
        await get("/api/sessions", `${h.target.keyA.slice(0, -1)}${last === "x" ? "y" : "x"}`),
        401,
        "Unauthorized"
      )
    })

    it("rejects an empty bearer token with 401, and /health ignores a bad key", async () => {
      expectError(
        await request("GET", "/api/sessions", { key: null, headers: { authorization: "Bearer " } }),
        401,
        "Unauthorized"
      )
      expect((await get("/health", "osk_bad")).status).toEqual(200)
    })

    it("answers malformed JSON with a JSON 400 on every POST route", async () => {
      for (const path of ["/sync/events", "/sync/session", "/sync/message", "/sync/batch", "/api/keys"]) {
        const reply = await request("POST", path, { raw: '{"events": [' })
        expect(`${path} ${reply.status}`).toEqual(`${path} 400`)
        expectError(reply, 400, "BadRequest")
      }
    })

    it("answers a body of the wrong shape with a JSON 400", async () => {
      expectError(await post("/sync/events", { events: "not an array" }), 400, "BadRequest")
      expectError(await post("/sync/events", [1, 2]), 400, "BadRequest")
      expectError(await post("/sync/events", {}), 400, "BadRequest")
      expectError(await post("/api/keys", { name: 42 }), 400, "BadRequest")
    })

    it("sends Access-Control-Allow-Origin on error responses too", async () => {
      const replies = [
        await get("/no/such/route"),
        await request("POST", "/sync/events", { raw: "{" }),
        await get(`/api/sessions/${sid("cors-missing")}`),
        await get("/api/sessions", null)
      ]
      expect(replies.map((r) => [r.status, r.headers.get("access-control-allow-origin")])).toEqual([
        [404, "*"],
        [400, "*"],
        [404, "*"],
        [401, "*"]
      ])
    })

    it("answers a body over 8 MiB with a JSON 413", async () => {
      const filler = "x".repeat(8 * 1024 * 1024)
      const reply = await post("/sync/events", { events: [], filler })
      expectError(reply, 413, "PayloadTooLarge")
      const legacy = await post("/sync/batch", { sessions: [], filler })
      expectError(legacy, 413, "PayloadTooLarge")
    })
  })
}
