import { beforeAll, describe, expect, it } from "@effect/vitest"
import { day, expectError, type Harness, makeSpec, type Spec, t0, zeroTotals } from "./Harness.js"

/** GET /api/stats */
export const section = (h: Harness): void => {
  const { run, sid, get, query, store, stats, specEvents } = h
  describe("GET /api/stats", () => {
    const source = `st-${run}`
    const alpha = sid("stats-alpha")
    const beta = sid("stats-beta")
    const march = Date.UTC(2025, 2, 1)
    const april = Date.UTC(2025, 3, 30)
    /** Session S`n` of this section's source; none has a prompt unless it says so. */
    const stat = (n: number, spec: Omit<Spec, "id" | "source" | "title" | "userTexts"> & Partial<Spec>): Spec =>
      makeSpec({ id: sid(`stats-${n}`), source, title: `S${n}`, ...spec })
    const specs: ReadonlyArray<Spec> = [
      stat(1, {
        project: alpha,
        model: "claude-sonnet-4-5",
        start: t0,
        duration: 10_000,
        userTexts: ["go"],
        usage: { input: 1_000, output: 1_000, cacheRead: 1_000 },
        tools: [
          { name: "Read", status: "completed", durationMs: 100 },
          { name: "Bash", status: "completed", durationMs: 300, exitCode: 1 }
        ]
      }),
      stat(2, {
        project: alpha,
        model: "claude-haiku-4-5",
        start: t0 + day,
        duration: 4_000,
        usage: { input: 2_000, output: 200 },
        tools: [{ name: "Bash", status: "completed", durationMs: 500, exitCode: 0 }]
      }),
      stat(3, {
        project: beta,
        model: "claude-sonnet-4-5",
        start: t0 + 7 * day,
        duration: 2_000,
        usage: { input: 100, output: 100 },
        tools: [{ name: "Read", status: "completed", durationMs: null }]
      }),
      stat(4, {
        project: beta,
        model: "claude-sonnet-4-5",
        start: Date.UTC(2025, 3, 2, 10),
        duration: 1_000,
        usage: { input: 10, output: 10 }
      })
    ]
    const totals = (t: Partial<typeof zeroTotals>) => ({ ...zeroTotals, ...t })
    // S1: (1000×3 + 1000×15 + 1000×0.3) / 1e6 = 0.0183; S2: (2000×1 + 200×5) / 1e6 = 0.003
    // S3: (100×3 + 100×15) / 1e6 = 0.0018; S4: (10×3 + 10×15) / 1e6 = 0.00018
    const s1 = totals({ sessions: 1, messages: 2, durationMs: 10_000, input: 1_000, output: 1_000, cacheRead: 1_000 })
    const s1t = { ...s1, totalTokens: 3_000, costUsd: 0.0183 }
    const s2t = totals({ sessions: 1, messages: 1, durationMs: 4_000, input: 2_000, output: 200, totalTokens: 2_200 })
    const s2c = { ...s2t, costUsd: 0.003 }
    const s3t = totals({ sessions: 1, messages: 1, durationMs: 2_000, input: 100, output: 100, totalTokens: 200 })
    const s3c = { ...s3t, costUsd: 0.0018 }
    const s4c = totals({
      sessions: 1,
      messages: 1,
      durationMs: 1_000,
      input: 10,
      output: 10,
      totalTokens: 20,
      costUsd: 0.00018
    })
    const all = totals({
      sessions: 4,
      messages: 5,
      durationMs: 17_000,
      input: 3_110,
      output: 1_310,
      cacheRead: 1_000,
      totalTokens: 5_420,
      costUsd: 0.02328
    })
    const sonnet = "claude-sonnet-4-5"
    const haiku = "claude-haiku-4-5"

    beforeAll(async () => {
      await store(specs.flatMap(specEvents))
    })

    it("sums totals, sources, models, projects and tools over the range", async () => {
      const s = await stats({ source, from: march, to: april })
      expect({ from: s.from, to: s.to, bucket: s.bucket }).toEqual({ from: march, to: april, bucket: "day" })
      expect(s.totals).toEqual(all)
      expect(s.bySource).toEqual([{ source, ...all }])
      expect(s.byModel).toEqual([
        {
          model: sonnet,
          ...totals({
            sessions: 3,
            messages: 4,
            durationMs: 13_000,
            input: 1_110,
            output: 1_110,
            cacheRead: 1_000,
            totalTokens: 3_220,
            costUsd: 0.02028
          })
        },
        { model: haiku, ...s2c }
      ])
      expect(s.byProject).toEqual([
        {
          project: alpha,
          ...totals({
            sessions: 2,
            messages: 3,
            durationMs: 14_000,
            input: 3_000,
            output: 1_200,
            cacheRead: 1_000,
            totalTokens: 5_200,
            costUsd: 0.0213
          })
        },
        {
          project: beta,
          ...totals({
            sessions: 2,
            messages: 2,
            durationMs: 3_000,
            input: 110,
            output: 110,
            totalTokens: 220,
            costUsd: 0.00198
          })
        }
      ])
      expect(s.tools).toEqual([
        { tool: "Bash", calls: 2, errors: 1, failureRate: 0.5, totalDurationMs: 800, avgDurationMs: 400 },
        { tool: "Read", calls: 2, errors: 0, failureRate: 0, totalDurationMs: 100, avgDurationMs: 100 }
      ])
    })

    it("builds the series by day, week and month", async () => {
      const daily = await stats({ source, from: march, to: april, bucket: "day" })
      expect(daily.series).toEqual([
        { period: "2025-03-03", source, model: sonnet, ...s1t },
        { period: "2025-03-04", source, model: haiku, ...s2c },
        { period: "2025-03-10", source, model: sonnet, ...s3c },
        { period: "2025-04-02", source, model: sonnet, ...s4c }
      ])
      expect(daily.toolSeries).toEqual([
        { period: "2025-03-03", tool: "Bash", calls: 1, errors: 1 },
        { period: "2025-03-03", tool: "Read", calls: 1, errors: 0 },
        { period: "2025-03-04", tool: "Bash", calls: 1, errors: 0 },
        { period: "2025-03-10", tool: "Read", calls: 1, errors: 0 }
      ])
      const weekly = await stats({ source, from: march, to: april, bucket: "week" })
      expect(weekly.bucket).toEqual("week")
      expect(weekly.series).toEqual([
        { period: "2025-03-03", source, model: haiku, ...s2c },
        { period: "2025-03-03", source, model: sonnet, ...s1t },
        { period: "2025-03-10", source, model: sonnet, ...s3c },
        { period: "2025-03-31", source, model: sonnet, ...s4c }
      ])
      expect(weekly.toolSeries).toEqual([
        { period: "2025-03-03", tool: "Bash", calls: 2, errors: 1 },
        { period: "2025-03-03", tool: "Read", calls: 1, errors: 0 },
        { period: "2025-03-10", tool: "Read", calls: 1, errors: 0 }
      ])
      const monthly = await stats({ source, from: march, to: april, bucket: "month" })
      expect(monthly.series).toEqual([
        { period: "2025-03", source, model: haiku, ...s2c },
        {
          period: "2025-03",
          source,
          model: sonnet,
          ...totals({
            sessions: 2,
            messages: 3,
            durationMs: 12_000,
            input: 1_100,
            output: 1_100,
            cacheRead: 1_000,
            totalTokens: 3_200,
            costUsd: 0.0201
          })
        },
        { period: "2025-04", source, model: sonnet, ...s4c }
      ])
    })

    it("filters by project, model and time range", async () => {
      const alphaOnly = await stats({ source, project: alpha, from: march, to: april })
      expect(alphaOnly.totals).toEqual(
        totals({
          sessions: 2,
          messages: 3,
          durationMs: 14_000,
          input: 3_000,
          output: 1_200,
          cacheRead: 1_000,
          totalTokens: 5_200,
          costUsd: 0.0213
        })
      )
      expect(alphaOnly.tools.map((t) => [t.tool, t.calls])).toEqual([
        ["Bash", 2],
        ["Read", 1]
      ])
      expect((await stats({ source, model: haiku, from: march, to: april })).totals).toEqual(s2c)
      const aprilOnly = await stats({ source, from: Date.UTC(2025, 3, 1), to: april })
      expect([aprilOnly.totals, aprilOnly.tools]).toEqual([s4c, []])
      const nothing = await stats({ source, from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 31) })
      expect([nothing.totals, nothing.bySource, nothing.series, nothing.tools]).toEqual([zeroTotals, [], [], []])
    })

    it("rejects q, from after to and bad parameters with a JSON 400", async () => {
      for (const params of [
        { q: "parser" },
        { from: april, to: march },
        { bucket: "year" },
        { from: "soon" },
        { to: "x" }
      ]) {
        const reply = await get(`/api/stats${query(params)}`)
        expect([params, reply.status]).toEqual([params, 400])
        expectError(reply, 400, "BadRequest")
      }
    })
  })
}
