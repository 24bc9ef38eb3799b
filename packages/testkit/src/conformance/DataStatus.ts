import { describe, expect, it } from "@effect/vitest"
import { as, expectError, type Harness, makeSpec } from "./Harness.js"

/** `GET /api/data`: the progress of the caller's last `DELETE /api/data`, ending in `done` with nothing left. */
export const section = (h: Harness): void => {
  const { run, sid, get, del, store, specEvents } = h
  describe("GET /api/data", () => {
    it("follows a DELETE /api/data from its answer to done, with the sessions it has left", async () => {
      const spec = (label: string) =>
        makeSpec({
          id: sid(label),
          source: `progress-${run}`,
          project: sid("progress"),
          title: `Progress ${label}`,
          userTexts: ["progress text"],
          usage: { input: 1, output: 1 }
        })
      await store([...specEvents(spec("p1")), ...specEvents(spec("p2")), ...specEvents(spec("p3"))])
      const wiped = as<{ status: string; sessions: number }>(await del("/api/data"))
      const during = await get("/api/data")
      expect(during.status).toEqual(200)
      const body = as<{ status: string; sessions: number }>(during)
      expect(["scheduled", "running", "done"]).toContain(body.status)
      expect(body.sessions).toBeGreaterThanOrEqual(0)
      expect(body.sessions).toBeLessThanOrEqual(wiped.sessions)
      if (body.status === "done") expect(body.sessions).toEqual(0)
      await h.settle()
      expect((await get("/api/data")).body).toEqual({ status: "done", sessions: 0 })
    })

    it("needs authentication", async () => {
      expectError(await get("/api/data", null), 401, "Unauthorized")
    })
  })
}
