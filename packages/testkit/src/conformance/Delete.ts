import { describe, expect, it } from "@effect/vitest"
import { as, expectError, type Harness, makeSpec, type Spec, zeroTotals } from "./Harness.js"
import { ids, outcome } from "./Outcome.js"

/** DELETE /api/sessions/{id} */
export const section = (h: Harness): void => {
  const { run, sid, get, del, query, sync, store, detail, listIds, stats, specEvents, messageEv } = h
  describe("DELETE /api/sessions/{id}", () => {
    it("deletes a session with its messages and tool calls; stats drop; re-sending recreates it", async () => {
      const project = sid("delete")
      const source = `del-${run}`
      const spec = makeSpec({
        id: sid("delete-1"),
        source,
        project,
        title: "To be deleted",
        duration: 5_000,
        userTexts: ["delete me"],
        usage: { input: 1_000, output: 1_000 },
        tools: [
          { name: "Read", status: "completed", durationMs: 10 },
          { name: "Edit", status: "error", durationMs: 20 }
        ]
      })
      const keep: Spec = {
        ...spec,
        id: sid("delete-keep"),
        project: sid("delete-keep"),
        title: "Kept",
        userTexts: ["keep me"],
        tools: []
      }
      const events = specEvents(spec)
      await store([...events, ...specEvents(keep)])
      const range = { source, from: Date.UTC(2025, 2, 1), to: Date.UTC(2025, 2, 31) }
      const before = await detail(spec.id)
      const statsBefore = await stats(range)
      expect([statsBefore.totals.sessions, statsBefore.totals.messages, statsBefore.tools.length]).toEqual([2, 4, 2])

      const deleted = await del(`/api/sessions/${spec.id}`)
      expect([deleted.status, deleted.body]).toEqual([
        200,
        { deleted: true, sessionId: spec.id, messages: 2, toolCalls: 2 }
      ])
      expectError(await get(`/api/sessions/${spec.id}`), 404, "NotFound")
      expectError(await del(`/api/sessions/${spec.id}`), 404, "NotFound")
      expectError(await get(`/api/export${query({ id: spec.id })}`), 404, "NotFound")
      expect(await listIds({ project })).toEqual([])
      expect(await listIds({ project: keep.project })).toEqual([keep.id])
      const listed = as<{ sessionIds: ReadonlyArray<string> }>(await get("/sync/sessions/list")).sessionIds
      expect(listed.filter((id) => id === spec.id || id === keep.id)).toEqual([keep.id])
      expect(await listIds({ project, q: "delete" })).toEqual([])

      const keptTotals = (await detail(keep.id)).session
      const statsAfter = await stats(range)
      expect(statsAfter.totals).toEqual({
        sessions: 1,
        messages: 2,
        durationMs: 5_000,
        ...keptTotals.usage,
        totalTokens: keptTotals.totalTokens,
        costUsd: keptTotals.costUsd,
        unpriced: 0
      })
      expect(statsAfter.bySource.map((s) => [s.source, s.sessions])).toEqual([[source, 1]])
      expect(statsAfter.tools).toEqual([])
      expect((await stats({ ...range, project })).totals).toEqual(zeroTotals)

      // deleted means deleted: the same events (a retry, an import, a late event) are answered as `deleted`
      expect(await sync(events)).toEqual(outcome({ deleted: ids(events) }))
      expectError(await get(`/api/sessions/${spec.id}`), 404, "NotFound")
      const lateEvent = messageEv(spec.id, "late", "user", spec.start + 999, { text: "late" }, source)
      expect(await sync([lateEvent])).toEqual(outcome({ deleted: [lateEvent.id] }))
      expect(await listIds({ project })).toEqual([])
      expect((await stats(range)).totals).toEqual(statsAfter.totals)
      expect(before.session.id).toEqual(spec.id)
    })

    // KNOWN SERVER BUG (reported): deleting leaves all-zero rollup rows, so bySource, byModel, byProject, series
    // and toolSeries keep entries with 0 sessions for what was deleted. Remove `.fails` when fixed.
    it("leaves no empty stats entries behind for a deleted session", async () => {
      const source = `gone-${run}`
      const spec = makeSpec({
        id: sid("delete-gone"),
        source,
        project: sid("delete-gone"),
        title: "Gone",
        userTexts: ["bye"],
        usage: { input: 1, output: 1 },
        tools: [{ name: "Read", status: "completed", durationMs: 5 }]
      })
      await store(specEvents(spec))
      const range = { source, from: Date.UTC(2025, 2, 1), to: Date.UTC(2025, 2, 31) }
      expect((await stats(range)).bySource.map((s) => [s.source, s.sessions])).toEqual([[source, 1]])
      expect((await del(`/api/sessions/${spec.id}`)).status).toEqual(200)
      const gone = await stats(range)
      expect({
        totals: gone.totals,
        bySource: gone.bySource,
        byModel: gone.byModel,
        byProject: gone.byProject,
        series: gone.series,
        tools: gone.tools,
        toolSeries: gone.toolSeries
      }).toEqual({
        totals: zeroTotals,
        bySource: [],
        byModel: [],
        byProject: [],
        series: [],
        tools: [],
        toolSeries: []
      })
    })

    it("answers an unknown session with a JSON 404", async () => {
      expectError(await del(`/api/sessions/${sid("never-there")}`), 404, "NotFound")
    })
  })
}
