import { beforeAll, describe, expect, it } from "@effect/vitest"
import type { ApiKey } from "@opensync/domain"
import { as, expectError, type Harness, makeSpec, t0, zeroTotals } from "./Harness.js"
import { ids, outcome } from "./Outcome.js"

/** tenant isolation (key B belongs to another user) */
export const section = (h: Harness): void => {
  const { run, sid, get, post, del, query, sync, store, detail, listIds, stats, sessionEv, messageEv, specEvents } = h
  describe("tenant isolation (key B belongs to another user)", () => {
    const project = sid("tenant")
    const source = `tn-${run}`
    const legacyId = sid("tenant-legacy")
    const spec = makeSpec({
      id: sid("tenant-a"),
      source,
      project,
      title: "A's private session",
      duration: 10_000,
      userTexts: ["A's secret prompt"],
      usage: { input: 1_000, output: 100 },
      tools: [{ name: "Bash", status: "completed", durationMs: 30 }]
    })
    const events = specEvents(spec)
    const legacyMessage = {
      sessionExternalId: legacyId,
      externalId: "lm-a",
      role: "user",
      textContent: "A's legacy text",
      createdAt: t0,
      source: "claude-code"
    }
    const range = { source, from: Date.UTC(2025, 2, 1), to: Date.UTC(2025, 2, 31) }
    const snapshot = async () => ({
      session: (await get(`/api/sessions/${spec.id}`)).text,
      legacy: (await get(`/api/sessions/${legacyId}`)).text,
      stats: (await get(`/api/stats${query(range)}`)).text,
      list: (await get(`/api/sessions${query({ project })}`)).text
    })
    let before: Awaited<ReturnType<typeof snapshot>>

    beforeAll(async () => {
      await store(events)
      expect((await post("/sync/message", legacyMessage)).status).toEqual(200)
      expect(
        (await post("/sync/session", { externalId: legacyId, title: "A's legacy", projectName: project })).status
      ).toEqual(200)
      before = await snapshot()
    })

    it("B cannot list, search, read, export, delete or see stats of A's sessions", async () => {
      const keyB = h.target.keyB
      expect(await listIds({ project }, keyB)).toEqual([])
      expect(await listIds({ q: "secret" }, keyB)).toEqual([])
      const listedB = as<{ sessionIds: ReadonlyArray<string> }>(await get("/sync/sessions/list", keyB)).sessionIds
      expect(listedB.filter((id) => id === spec.id || id === legacyId)).toEqual([])
      for (const id of [spec.id, legacyId]) {
        expectError(await get(`/api/sessions/${id}`, keyB), 404, "NotFound")
        expectError(await get(`/api/export${query({ id })}`, keyB), 404, "NotFound")
        expectError(await get(`/api/export${query({ id, format: "csv" })}`, keyB), 404, "NotFound")
        expectError(await del(`/api/sessions/${id}`, keyB), 404, "NotFound")
      }
      expect((await get(`/api/export${query({ project })}`, keyB)).body).toEqual({ sessions: [] })
      const statsB = await stats(range, keyB)
      expect([statsB.totals, statsB.bySource, statsB.tools]).toEqual([zeroTotals, [], []])
      expect(await snapshot()).toEqual(before)
    })

    it("B sending A's events and ids creates B's own copies and never changes A's data", async () => {
      const keyB = h.target.keyB
      // the very same event ids: not duplicates for B, whose store is separate
      expect(await sync(events, keyB)).toEqual(outcome({ stored: ids(events) }))
      await store(
        [
          messageEv(spec.id, "u0", "user", t0 + 5_000, { text: "B overwrote this", createdAt: t0 + 10 }, source),
          sessionEv(spec.id, t0 + 20_000, { title: "B's title" }, source),
          sessionEv(sid("tenant-b-child"), t0 + 30, { parentSessionId: spec.id, startedAt: t0 + 30 }, source)
        ],
        keyB
      )
      const mine = await detail(spec.id, keyB)
      expect([mine.session.title, mine.messages.find((m) => m.id === "u0")?.text, mine.children.length]).toEqual([
        "B's title",
        "B overwrote this",
        1
      ])
      expect((await detail(spec.id)).children).toEqual([])
      expect(await snapshot()).toEqual(before)
      expect((await detail(spec.id)).messages.find((m) => m.id === "u0")?.text).toEqual("A's secret prompt")
    })

    it("B's legacy writes with A's session and message ids go to B's own copies", async () => {
      const keyB = h.target.keyB
      expect((await post("/sync/message", { ...legacyMessage, textContent: "pwned" }, keyB)).body).toEqual({
        ok: true,
        messageId: "lm-a"
      })
      await post("/sync/session", { externalId: legacyId, title: "hijacked", promptTokens: 99 }, keyB)
      const batch = await post(
        "/sync/batch",
        {
          sessions: [{ externalId: legacyId, title: "hijacked again" }],
          messages: [{ ...legacyMessage, textContent: "pwned again", parts: [] }]
        },
        keyB
      )
      expect(batch.body).toEqual({ ok: true, sessions: 1, messages: 1, errors: [] })
      const mine = await detail(legacyId, keyB)
      expect([mine.session.title, mine.messages.map((m) => m.text)]).toEqual(["hijacked again", ["pwned again"]])
      expect(await snapshot()).toEqual(before)
      const theirs = await detail(legacyId)
      expect([theirs.session.title, theirs.messages.map((m) => m.text)]).toEqual(["A's legacy", ["A's legacy text"]])
    })

    it("B deleting its own copy leaves A's session alone", async () => {
      const keyB = h.target.keyB
      expect((await del(`/api/sessions/${spec.id}`, keyB)).status).toEqual(200)
      expectError(await get(`/api/sessions/${spec.id}`, keyB), 404, "NotFound")
      expect(await snapshot()).toEqual(before)
    })

    it("B cannot see or revoke A's keys", async () => {
      const keysA = as<{ keys: ReadonlyArray<ApiKey.ApiKeyInfo> }>(await get("/api/keys")).keys
      const keysB = as<{ keys: ReadonlyArray<ApiKey.ApiKeyInfo> }>(await get("/api/keys", h.target.keyB)).keys
      const idsA = keysA.map((k) => k.id)
      expect(idsA.length >= 1).toEqual(true)
      expect(keysB.filter((k) => idsA.includes(k.id))).toEqual([])
      expect(keysB.filter((k) => k.userId === keysA[0].userId)).toEqual([])
      for (const id of idsA) expectError(await del(`/api/keys/${id}`, h.target.keyB), 404, "NotFound")
      const afterA = as<{ keys: ReadonlyArray<ApiKey.ApiKeyInfo> }>(await get("/api/keys")).keys
      expect(afterA.map((k) => [k.id, k.revokedAt])).toEqual(keysA.map((k) => [k.id, k.revokedAt]))
      expect((await get("/api/sessions?limit=1")).status).toEqual(200)
    })
  })
}
