import { beforeAll, describe, expect, it } from "@effect/vitest"
import { day, expectError, type Harness, type Json, makeSpec, type Spec, t0 } from "./Harness.js"

/** GET /api/sessions */
export const section = (h: Harness): void => {
  const { sid, get, query, store, list, listIds, sessionEv, specEvents } = h
  describe("GET /api/sessions", () => {
    const project = sid("list")
    const other = sid("list-other")
    // distinct values on every sort field, ordered differently per field
    const specs: ReadonlyArray<Spec & { readonly cost: number; readonly tokens: number }> = [
      {
        id: sid("list-1"),
        source: "claude-code",
        project,
        model: "claude-sonnet-4-5",
        title: "Alpha parser work",
        start: t0,
        duration: 5 * day,
        userTexts: ["hello there"],
        usage: { input: 1_000, output: 1_000 },
        cost: 0.018,
        tokens: 2_000
      },
      {
        id: sid("list-2"),
        source: "opencode",
        project,
        model: "claude-haiku-4-5",
        title: "Beta",
        start: t0 + day,
        duration: 1_000,
        userTexts: ["a zebra question", "more", "and more"],
        usage: { input: 10_000, output: 2_000 },
        cost: 0.02,
        tokens: 12_000
      },
      {
        id: sid("list-3"),
        source: "claude-code",
        project,
        model: "claude-haiku-4-5",
        title: "Gamma",
        start: t0 + 2 * day,
        duration: 9_000,
        userTexts: ["first", "second"],
        usage: { input: 500, output: 100 },
        cost: 0.001,
        tokens: 600
      },
      {
        id: sid("list-4"),
        source: "codex-cli",
        project,
        model: "claude-opus-4-5",
        title: "Refactor giraffe module",
        start: t0 + 3 * day,
        duration: 2_000,
        userTexts: [],
        usage: { input: 3_000, output: 400 },
        cost: 0.025,
        tokens: 3_400
      },
      {
        id: sid("list-5"),
        source: "claude-code",
        project,
        model: "claude-sonnet-4-5",
        title: "Epsilon",
        start: t0 + 4 * day,
        duration: 7_000,
        userTexts: ["one", "two", "three", "four"],
        usage: { input: 100, output: 50 },
        cost: 0.00105,
        tokens: 150
      }
    ]
    const outsider = makeSpec({
      id: sid("list-outsider"),
      project: other,
      title: "Alpha giraffe zebra elsewhere",
      start: t0 + 2 * day,
      duration: 3_000,
      userTexts: ["zebra giraffe"],
      usage: { input: 1, output: 1 }
    })
    const [l1, l2, l3, l4, l5] = specs.map((s) => s.id)

    beforeAll(async () => {
      await store([...specs.flatMap(specEvents), ...specEvents(outsider)])
    })

    it("lists a project's sessions, newest activity first, with summary fields only", async () => {
      const page = await list({ project })
      expect(page.sessions.map((s) => s.id)).toEqual([l1, l5, l4, l3, l2])
      expect(page.nextCursor).toEqual(null)
      const first = page.sessions[0] as unknown as Json
      expect(["usageSlices", "toolSlices"].filter((k) => k in first)).toEqual([])
      expect(
        page.sessions.map((s) => [s.id, s.source, s.model, s.messageCount, s.totalTokens, s.costUsd, s.durationMs])
      ).toEqual(
        [l1, l5, l4, l3, l2].map((id) => {
          const spec = specs.find((s) => s.id === id)!
          return [id, spec.source, spec.model, spec.userTexts.length + 1, spec.tokens, spec.cost, spec.duration]
        })
      )
    })

    it("filters by source, project and model", async () => {
      expect(await listIds({ project, source: "claude-code" })).toEqual([l1, l5, l3])
      expect(await listIds({ project, source: "codex-cli" })).toEqual([l4])
      expect(await listIds({ project, model: "claude-haiku-4-5" })).toEqual([l3, l2])
      expect(await listIds({ project: other })).toEqual([outsider.id])
      expect(await listIds({ project, source: "pi" })).toEqual([])
    })

    it("searches message text and titles with q", async () => {
      expect(await listIds({ project, q: "zebra" })).toEqual([l2])
      expect(await listIds({ project, q: "giraffe" })).toEqual([l4])
      expect(await listIds({ project, q: "parser" })).toEqual([l1])
      expect(await listIds({ project, q: "hello" })).toEqual([l1])
      expect(await listIds({ project, q: "nothing-like-this-anywhere" })).toEqual([])
      expect(await listIds({ q: `giraffe`, project: other })).toEqual([outsider.id])
    })

    it("filters by time range: sessions active within [from, to]", async () => {
      expect(await listIds({ project, from: t0 + 3 * day })).toEqual([l1, l5, l4])
      expect(await listIds({ project, to: t0 + day })).toEqual([l1, l2])
      expect(await listIds({ project, from: t0 + 2 * day, to: t0 + 3 * day + 1 })).toEqual([l1, l4, l3])
    })

    it("sorts by every sort field in both orders", async () => {
      const field = (key: "start" | "cost" | "tokens" | "messages" | "duration" | "updated") =>
        [...specs]
          .sort((a, b) => {
            const value = (s: (typeof specs)[number]) =>
              key === "start"
                ? s.start
                : key === "cost"
                  ? s.cost
                  : key === "tokens"
                    ? s.tokens
                    : key === "messages"
                      ? s.userTexts.length + 1
                      : key === "duration"
                        ? s.duration
                        : s.start + s.duration
            return value(a) - value(b)
          })
          .map((s) => s.id)
      const cases = [
        ["updatedAt", field("updated")],
        ["startedAt", field("start")],
        ["costUsd", field("cost")],
        ["totalTokens", field("tokens")],
        ["messageCount", field("messages")],
        ["durationMs", field("duration")]
      ] as const
      for (const [sort, ascending] of cases) {
        expect([sort, await listIds({ project, sort, order: "asc" })]).toEqual([sort, ascending])
        expect([sort, await listIds({ project, sort, order: "desc" })]).toEqual([sort, [...ascending].reverse()])
        expect([sort, await listIds({ project, sort })]).toEqual([sort, [...ascending].reverse()])
      }
      expect(await listIds({ project, sort: "costUsd" })).toEqual([l4, l2, l1, l5, l3])
    })

    it("pages with a cursor that visits every session exactly once", async () => {
      for (const params of [{}, { sort: "costUsd", order: "asc" }, { sort: "messageCount", order: "desc" }]) {
        const all = await listIds({ project, ...params })
        const seen: Array<string> = []
        const sizes: Array<number> = []
        let cursor: string | undefined
        for (let i = 0; i < 10; i++) {
          const page = await list({ project, ...params, limit: 2, cursor })
          seen.push(...page.sessions.map((s) => s.id))
          sizes.push(page.sessions.length)
          if (page.nextCursor === null) break
          cursor = page.nextCursor
        }
        expect({ seen, sizes }).toEqual({ seen: all, sizes: [2, 2, 1] })
      }
      const exact = await list({ project, limit: 5 })
      expect([exact.sessions.length, exact.nextCursor]).toEqual([5, null])
    })

    it("pages through two filters, or filters and a time range, in several sort orders: each match once, in order", async () => {
      type Filter = { readonly source?: string; readonly model?: string; readonly from?: number; readonly to?: number }
      const value = {
        updatedAt: (s: (typeof specs)[number]) => s.start + s.duration,
        startedAt: (s: (typeof specs)[number]) => s.start,
        costUsd: (s: (typeof specs)[number]) => s.cost
      }
      const filters: ReadonlyArray<Filter> = [
        { source: "claude-code" },
        { source: "claude-code", model: "claude-sonnet-4-5" },
        { source: "claude-code", from: t0 + 2 * day },
        { model: "claude-haiku-4-5", to: t0 + 2 * day },
        { from: t0 + day, to: t0 + 3 * day + 1 }
      ]
      for (const filter of filters) {
        for (const sort of ["updatedAt", "startedAt", "costUsd"] as const) {
          for (const order of ["asc", "desc"] as const) {
            const want = specs
              .filter(
                (s) =>
                  (filter.source === undefined || s.source === filter.source) &&
                  (filter.model === undefined || s.model === filter.model) &&
                  (filter.from === undefined || s.start + s.duration >= filter.from) &&
                  (filter.to === undefined || s.start <= filter.to)
              )
              .sort((a, b) => (order === "asc" ? 1 : -1) * (value[sort](a) - value[sort](b)))
              .map((s) => s.id)
            const seen: Array<string> = []
            let cursor: string | undefined
            for (let i = 0; i < 10; i++) {
              const page = await list({ project, ...filter, sort, order, limit: 2, cursor })
              seen.push(...page.sessions.map((s) => s.id))
              if (page.nextCursor === null) break
              cursor = page.nextCursor
            }
            const label = JSON.stringify({ ...filter, sort, order })
            expect([label, seen]).toEqual([label, want])
          }
        }
      }
    })

    it("pages through equal sort values without skipping or repeating a session", async () => {
      const tied = sid("list-ties")
      const ids = ["a", "b", "c", "d", "e"].map((x) => sid(`tie-${x}`))
      await store(ids.map((id) => sessionEv(id, t0, { projectName: tied, startedAt: t0 })))
      for (const sort of ["updatedAt", "startedAt", "costUsd", "totalTokens", "messageCount", "durationMs"]) {
        for (const order of ["asc", "desc"]) {
          const seen: Array<string> = []
          let cursor: string | undefined
          for (let i = 0; i < 10; i++) {
            const page = await list({ project: tied, sort, order, limit: 2, cursor })
            seen.push(...page.sessions.map((s) => s.id))
            if (page.nextCursor === null) break
            cursor = page.nextCursor
          }
          expect([sort, order, [...seen].sort()]).toEqual([sort, order, ids])
        }
      }
    })

    it("treats q as plain text: SQL wildcards and search operators match literally", async () => {
      for (const q of ["%", "_", '"', "*", "NEAR(", "NOT", "-", "a:b", "'", "\\"]) {
        expect([q, await listIds({ project, q })]).toEqual([q, []])
      }
      // A q without words is matched against titles only, under every sort (a sort by a column read from the page's
      // candidates named its bare \`id\`, ambiguous beside json_each's own: a 500)
      for (const sort of ["costUsd", "totalTokens", "messageCount", "durationMs", "startedAt"] as const) {
        for (const q of ["*", "😀", "%"]) expect([q, sort, await listIds({ project, q, sort })]).toEqual([q, sort, []])
      }
    })

    it("rejects bad parameters with a JSON 400", async () => {
      for (const params of [
        { cursor: "not-a-cursor" },
        { cursor: "eyJ4IjoxfQ" },
        { limit: 0 },
        { limit: "abc" },
        { limit: 201 },
        { limit: 1.5 },
        { sort: "title" },
        { order: "sideways" },
        { from: "yesterday" },
        { to: "later" },
        { q: "x".repeat(501) },
        { q: "\u0000" },
        { q: "title\u0000anything" },
        { from: 5_000, to: 1_000 }
      ]) {
        const reply = await get(`/api/sessions${query(params)}`)
        expect([params, reply.status]).toEqual([params, 400])
        expectError(reply, 400, "BadRequest")
      }
    })
  })
}
