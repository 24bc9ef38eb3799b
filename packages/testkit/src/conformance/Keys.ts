import { describe, expect, it } from "@effect/vitest"
import type { ApiKey } from "@opensync/domain"
import { as, expectError, type Harness, type Json, keyInfoFields, sha256Hex } from "./Harness.js"

/** API keys: GET/POST /api/keys, DELETE /api/keys/{id} */
export const section = (h: Harness): void => {
  const { get, post, del } = h
  describe("API keys: GET/POST /api/keys, DELETE /api/keys/{id}", () => {
    const listKeys = async (key?: string) => {
      const reply = await get("/api/keys", key)
      expect(reply.status).toEqual(200)
      return { text: reply.text, keys: as<{ keys: ReadonlyArray<ApiKey.ApiKeyInfo> }>(reply).keys }
    }

    it("creates a key that works at once, lists keys without secrets, and revokes it", async () => {
      const mine = await listKeys()
      expect(mine.keys.length >= 1).toEqual(true)
      const userId = mine.keys[0].userId
      expect(mine.keys.map((k) => k.userId)).toEqual(mine.keys.map(() => userId))

      const createdReply = await post("/api/keys", { name: "ci runner" })
      expect(createdReply.status).toEqual(201)
      const created = as<ApiKey.CreatedApiKey>(createdReply)
      expect(created).toEqual({
        id: created.id,
        userId,
        name: "ci runner",
        prefix: created.key.slice(0, created.prefix.length),
        scope: "ingest",
        createdAt: created.createdAt,
        lastUsedAt: null,
        revokedAt: null,
        key: created.key
      })
      expect([typeof created.id, typeof created.createdAt, /^osk_[0-9A-Za-z]{38}$/.test(created.key)]).toEqual([
        "string",
        "number",
        true
      ])
      expect(created.prefix.length >= 4 && created.prefix.length < created.key.length / 2).toEqual(true)

      // works at once, as the same user
      const viaNew = await get("/sync/sessions/list", created.key)
      expect(viaNew.status).toEqual(200)
      expect(viaNew.body).toEqual((await get("/sync/sessions/list")).body)

      const after = await listKeys()
      const hash = await sha256Hex(created.key)
      expect([after.text.includes(created.key), after.text.includes(hash)]).toEqual([false, false])
      expect(after.keys.map((k) => Object.keys(k).sort())).toEqual(after.keys.map(() => keyInfoFields))
      const listed = after.keys.find((k) => k.id === created.id)
      expect(listed?.name).toEqual("ci runner")
      expect(typeof listed?.lastUsedAt).toEqual("number")

      const revoked = await del(`/api/keys/${created.id}`)
      expect(revoked.status).toEqual(200)
      const info = as<ApiKey.ApiKeyInfo>(revoked)
      expect([info.id, typeof info.revokedAt, "key" in info]).toEqual([created.id, "number", false])
      expectError(await get("/api/sessions", created.key), 401, "Unauthorized")
      expectError(await post("/sync/events", { events: [] }, created.key), 401, "Unauthorized")
      expect((await get("/api/sessions?limit=1")).status).toEqual(200)
      const afterRevoke = await listKeys()
      expect(typeof afterRevoke.keys.find((k) => k.id === created.id)?.revokedAt).toEqual("number")
    })

    it("lets a key revoke itself, after which it gets 401", async () => {
      const created = as<ApiKey.CreatedApiKey>(await post("/api/keys", { name: "self-revoking", scope: "full" }))
      const revoked = await del(`/api/keys/${created.id}`, created.key)
      expect([revoked.status, (revoked.body as Json).id]).toEqual([200, created.id])
      expectError(await get("/api/keys", created.key), 401, "Unauthorized")
    })

    it("rejects a bad key name with 400 and an unknown key id with 404", async () => {
      expectError(await post("/api/keys", { name: "" }), 400, "BadRequest")
      expectError(await post("/api/keys", {}), 400, "BadRequest")
      expectError(await post("/api/keys", { name: "x".repeat(101) }), 400, "BadRequest")
      expectError(await del("/api/keys/key_doesnotexist"), 404, "NotFound")
    })
  })
}
