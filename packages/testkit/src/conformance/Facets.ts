import { beforeAll, describe, expect, it } from "@effect/vitest"
import type { Api } from "@opensync/domain"
import { as, day, type Harness, type Json, makeSpec, t0 } from "./Harness.js"

/** GET /api/facets */
export const section = (h: Harness): void => {
  const { run, sid, get, del, store, specEvents, sessionEv, messageEv } = h
  describe("GET /api/facets", () => {
    const source = `fc-${run}`
    const big = `${run}-facet-big`
    const small = `${run}-facet-small`
    const often = `fm-${run}-often`
    const once = `fm-${run}-once`
    const inMessages = `fm-${run}-in-messages`
    const spec = (label: string, project: string, model: string, offset: number) =>
      makeSpec({
        id: sid(label),
        source,
        project,
        model,
        title: label,
        start: t0 + offset * day,
        userTexts: ["hi"],
        usage: { input: 10, output: 10 }
      })
    const specs = [spec("facet-1", big, often, 0), spec("facet-2", big, often, 1), spec("facet-3", small, once, 2)]
    // A session whose model is `often` but whose only reply came from another model: that model has usage, no session.
    const mixed = sid("facet-4")
    const mixedEvents: ReadonlyArray<Json> = [
      sessionEv(mixed, t0, { projectName: big, model: often, startedAt: t0 }, source),
      messageEv(
        mixed,
        "a0",
        "assistant",
        t0 + 100,
        { text: "ok", model: inMessages, usage: { input: 5, output: 5 } },
        source
      )
    ]

    const facets = async (key?: string) => {
      const reply = await get("/api/facets", key)
      expect(reply.status).toEqual(200)
      return as<Api.Facets>(reply)
    }
    const pick = (list: ReadonlyArray<Api.Facet>, values: ReadonlyArray<string>) =>
      list.filter((facet) => values.includes(facet.value))

    beforeAll(async () => {
      await store([...specs.flatMap(specEvents), ...mixedEvents])
    })

    it("lists each source, project and model with its number of sessions", async () => {
      const f = await facets()
      expect(pick(f.sources, [source])).toEqual([{ value: source, sessions: 4 }])
      expect(pick(f.projects, [big, small])).toEqual([
        { value: big, sessions: 3 },
        { value: small, sessions: 1 }
      ])
      expect(pick(f.models, [often, once, inMessages])).toEqual([
        { value: often, sessions: 3 },
        { value: once, sessions: 1 },
        { value: inMessages, sessions: 0 }
      ])
      expect(f.truncated).toEqual(false)
    })

    it("orders each list by sessions, most first, then by value", async () => {
      const f = await facets()
      for (const list of [f.sources, f.projects, f.models]) {
        const sorted = [...list].sort(
          (a, b) => b.sessions - a.sessions || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)
        )
        expect(list).toEqual(sorted)
        expect(new Set(list.map((facet) => facet.value)).size).toEqual(list.length)
      }
    })

    it("drops a value once its last session is deleted", async () => {
      expect((await del(`/api/sessions/${encodeURIComponent(sid("facet-3"))}`)).status).toEqual(200)
      await h.settle()
      const f = await facets()
      expect(pick(f.projects, [big, small])).toEqual([{ value: big, sessions: 3 }])
      expect(pick(f.models, [often, once])).toEqual([{ value: often, sessions: 3 }])
      expect(pick(f.sources, [source])).toEqual([{ value: source, sessions: 3 }])
    })

    it("lists `unknown` for sessions without a model, and that value finds them in /api/sessions", async () => {
      const noModel = `fu-${run}`
      const id = sid("facet-no-model")
      await store([
        sessionEv(id, t0, { projectName: big, startedAt: t0 }, noModel),
        messageEv(id, "a0", "assistant", t0 + 100, { text: "ok", usage: { input: 5, output: 5 } }, noModel)
      ])
      await h.settle()
      expect(pick((await facets()).models, ["unknown"]).length).toEqual(1)
      const reply = await get(`/api/sessions?source=${noModel}&model=unknown`)
      expect(reply.status).toEqual(200)
      expect(as<Api.SessionPage>(reply).sessions.map((session) => session.id)).toEqual([id])
      const sorted = await get(`/api/sessions?source=${noModel}&model=unknown&sort=costUsd`)
      expect(as<Api.SessionPage>(sorted).sessions.map((session) => session.id)).toEqual([id])
    })

    it("shows another user none of them", async () => {
      const f = await facets(h.target.keyB)
      expect(pick(f.sources, [source])).toEqual([])
      expect(pick(f.projects, [big, small])).toEqual([])
      expect(pick(f.models, [often, once, inMessages])).toEqual([])
    })
  })
}
