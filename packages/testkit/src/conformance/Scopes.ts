import { beforeAll, describe, expect, it } from "@effect/vitest"
import type { ApiKey } from "@opensync/domain"
import { as, expectError, type Harness, t0 } from "./Harness.js"

/** Key scopes: an `ingest` key syncs; everything else needs `full` (403 that names the scope). */
export const section = (h: Harness): void => {
  const { sid, request, get, post, del, sync, sessionEv, messageEv } = h
  describe("key scopes (ingest and full)", () => {
    let ingest: ApiKey.CreatedApiKey
    let full: ApiKey.CreatedApiKey
    beforeAll(async () => {
      const made = await post("/api/keys", { name: "plugin" })
      expect(made.status).toEqual(201)
      ingest = as<ApiKey.CreatedApiKey>(made)
      full = as<ApiKey.CreatedApiKey>(await post("/api/keys", { name: "admin", scope: "full" }))
    })

    it("creates ingest keys by default and full keys on request; rejects an unknown scope", async () => {
      expect([ingest.scope, full.scope]).toEqual(["ingest", "full"])
      expectError(await post("/api/keys", { name: "bad", scope: "admin" }), 400, "BadRequest")
    })

    it("lets an ingest key sync, use the legacy routes, check itself and the server", async () => {
      const id = sid("scope-ingest")
      const events = [
        sessionEv(id, t0, { title: "from a plugin" }),
        messageEv(id, "m1", "user", t0 + 1, { text: "hello" })
      ]
      expect((await sync(events, ingest.key)).stored).toEqual(events.map((e) => e.id))
      expect((await post("/sync/session", { externalId: sid("scope-legacy"), title: "t" }, ingest.key)).status).toEqual(
        200
      )
      expect(
        (
          await post(
            "/sync/message",
            { sessionExternalId: sid("scope-legacy"), externalId: "m", role: "user", textContent: "x" },
            ingest.key
          )
        ).status
      ).toEqual(200)
      expect((await post("/sync/batch", { sessions: [], messages: [] }, ingest.key)).status).toEqual(200)
      expect((await get("/sync/sessions/list", ingest.key)).status).toEqual(200)
      const me = await get("/auth/me", ingest.key)
      expect([me.status, (me.body as { scope: string; via: string }).scope]).toEqual([200, "ingest"])
      expect((await get("/health", ingest.key)).status).toEqual(200)
      // and what it synced is there, for a full key to read
      expect((await get(`/api/sessions/${id}`, full.key)).status).toEqual(200)
    })

    it("refuses everything else to an ingest key with 403 naming the full scope", async () => {
      const id = sid("scope-ingest")
      const refused = [
        ["GET", "/api/sessions"],
        ["GET", `/api/sessions/${id}`],
        ["DELETE", `/api/sessions/${id}`],
        ["GET", "/api/stats"],
        ["GET", "/api/facets"],
        ["GET", "/api/export"],
        ["GET", "/api/keys"],
        ["POST", "/api/keys"],
        ["DELETE", `/api/keys/${full.id}`],
        ["GET", "/api/sign-ins"],
        ["DELETE", "/api/sign-ins/sgn_whatever"],
        ["DELETE", "/api/data"],
        ["GET", "/api/data"]
      ] as const
      for (const [method, path] of refused) {
        const reply = await request(method, path, {
          key: ingest.key,
          ...(method === "POST" ? { json: { name: "x" } } : {})
        })
        const error = expectError(reply, 403, "Forbidden")
        expect(error).toMatch(/full scope/)
        expect(error).toContain(`${method} ${path.split("?")[0]}`)
      }
      // nothing happened: the session and the full key are still there
      expect((await get(`/api/sessions/${id}`, full.key)).status).toEqual(200)
      expect((await get("/auth/me", full.key)).status).toEqual(200)
    })

    it("refuses to sign an ingest key in to the dashboard", async () => {
      const reply = await post("/auth/session", { apiKey: ingest.key }, null)
      const error = expectError(reply, 403, "Forbidden")
      expect(error).toMatch(/full scope/)
      // it says how to get one, not to do what was just refused
      expect(error).toMatch(/scope["':\s-]+full/)
      expect(error).not.toMatch(/or sign in/)
      expect(reply.headers.get("set-cookie")).toBeNull()
    })

    it("keeps an ingest key from revoking keys, and lets it be revoked", async () => {
      expectError(await del(`/api/keys/${ingest.id}`, ingest.key), 403, "Forbidden")
      expect((await del(`/api/keys/${ingest.id}`, full.key)).status).toEqual(200)
      expectError(await post("/sync/events", { events: [] }, ingest.key), 401, "Unauthorized")
    })
  })
}
