import { describe, expect, it } from "@effect/vitest"
import { as, expectError, type Harness, makeSpec, t0 } from "./Harness.js"
import { ids, outcome } from "./Outcome.js"

/** `DELETE /api/data`: everything of the caller goes, nothing of anyone else; what was deleted stays deleted. */
export const section = (h: Harness): void => {
  const { run, sid, get, del, sync, store, listIds, stats, specEvents } = h
  describe("DELETE /api/data", () => {
    it("deletes all of the caller's data only, and keeps it deleted when the same events arrive again", async () => {
      const source = `wipe-${run}`
      const spec = (label: string) =>
        makeSpec({
          id: sid(label),
          source,
          project: sid("wipe"),
          title: `Wipe ${label}`,
          userTexts: ["searchable wipe text"],
          usage: { input: 10, output: 20 },
          tools: [{ name: "Bash", status: "completed", durationMs: 30 }]
        })
      const mine = [...specEvents(spec("wipe-a1")), ...specEvents(spec("wipe-a2"))]
      const theirs = specEvents(spec("wipe-b1"))
      await store(mine)
      await store(theirs, h.target.keyB)
      const range = { source, from: t0 - 86_400_000, to: t0 + 86_400_000 }
      expect((await stats(range)).tools.map((tool) => tool.tool)).toEqual(["Bash"])

      const wiped = await del("/api/data")
      expect(wiped.status).toEqual(200)
      const body = as<{ status: string; sessions: number }>(wiped)
      expect(["deleted", "scheduled"]).toContain(body.status)
      expect(body.sessions).toBeGreaterThanOrEqual(2)
      await h.settle()

      expect(await listIds({ source })).toEqual([])
      expect(await listIds({ q: "searchable wipe" })).toEqual([])
      const after = await stats(range)
      expect([after.totals.sessions, after.tools]).toEqual([0, []])
      expect(await listIds({ source }, h.target.keyB)).toEqual([sid("wipe-b1")])
      expect(await listIds({ q: "searchable wipe" }, h.target.keyB)).toEqual([sid("wipe-b1")])

      // a plugin retry or a re-import of the same sessions: answered as deleted, nothing comes back
      expect(await sync(mine)).toEqual(outcome({ deleted: ids(mine) }))
      expect(await listIds({ source })).toEqual([])
      expect((await get("/auth/me")).status).toEqual(200)
    })

    it("needs authentication", async () => {
      expectError(await del("/api/data", null), 401, "Unauthorized")
    })
  })
}
