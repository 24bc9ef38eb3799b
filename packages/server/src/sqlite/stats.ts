import type { Statement } from "@effect/sql"
import * as SqlClient from "@effect/sql/SqlClient"
import { type Api, type Ids, type Rollup, Stats } from "@opensync/domain"
import * as Effect from "effect/Effect"
import { type UsageColumns, usageRowOf } from "./columns.js"
import { storage } from "./errors.js"

/**
 * `GET /api/stats` on SQLite: the rollup tables grouped by period in SQL, then `Stats.fromRows` (shared with Convex);
 * and `GET /api/facets`: the coarse rollups of all time grouped by source and model, and by project (a few thousand
 * rows at 100k sessions), then `Stats.facets`.
 */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const facetSums = sql.unsafe(`sum(sessions) AS sessions, sum(messages) AS messages, sum(duration_ms) AS duration_ms,
    sum(input) AS input, sum(output) AS output, sum(cache_read) AS cache_read, sum(cache_write_5m) AS cache_write_5m,
    sum(cache_write_1h) AS cache_write_1h, sum(reasoning) AS reasoning, round(sum(cost_usd), 9) AS cost_usd,
    sum(unpriced) AS unpriced`)

  const facets = (userId: Ids.UserId) =>
    Effect.gen(function* () {
      const byModel = yield* sql<UsageColumns>`
        SELECT '' AS day, source, model, '*' AS project, ${facetSums} FROM usage_by_model WHERE user_id = ${userId}
        GROUP BY source, model`
      const byProject = yield* sql<UsageColumns>`
        SELECT '' AS day, '' AS source, '*' AS model, project, ${facetSums} FROM usage_by_project WHERE user_id = ${userId}
        GROUP BY project`
      return Stats.facets(byModel.map(usageRowOf), byProject.map(usageRowOf))
    }).pipe(storage)

  const stats = (userId: Ids.UserId, range: Stats.Range, filters: Api.SessionFilters) =>
    Effect.gen(function* () {
      const clauses: Array<Statement.Fragment> = [
        sql`user_id = ${userId}`,
        sql`day >= ${range.firstDay}`,
        sql`day <= ${range.lastDay}`
      ]
      if (filters.source !== undefined) clauses.push(sql`source = ${filters.source}`)
      if (filters.project !== undefined) clauses.push(sql`project = ${filters.project}`)
      const usageClauses = filters.model === undefined ? clauses : [...clauses, sql`model = ${filters.model}`]
      const period =
        range.bucket === "day"
          ? sql.unsafe("day")
          : range.bucket === "month"
            ? sql.unsafe("substr(day, 1, 7)")
            : sql.unsafe("date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')")
      const sums = sql.unsafe(`sum(sessions), sum(messages), sum(duration_ms), sum(input), sum(output), sum(cache_read),
        sum(cache_write_5m), sum(cache_write_1h), sum(reasoning), round(sum(cost_usd), 9), sum(unpriced),
        sum(from_telemetry), sum(from_transcript), sum(from_reported)`)
      // Grouped in SQLite and returned as one JSON value: materialising thousands of rows costs more than the scan.
      const [series] = yield* sql<{ rows: string }>`
        SELECT json_group_array(json(row)) AS rows FROM (
          SELECT json_array(${period}, source, model, ${sums}) AS row
          FROM ${filters.project === undefined ? sql.unsafe("usage_by_model") : sql.unsafe("usage_rollup INDEXED BY usage_rollup_by_project")}
          WHERE ${sql.and(usageClauses)} GROUP BY ${period}, source, model)`
      const [projects] = yield* sql<{ rows: string }>`
        SELECT json_group_array(json(row)) AS rows FROM (
          SELECT json_array('', '', '', project, ${sums}) AS row
          FROM ${sql(filters.model === undefined ? "usage_by_project" : "usage_rollup")}
          WHERE ${sql.and(usageClauses)} GROUP BY project)`
      const usageRow = (values: ReadonlyArray<string | number>): Rollup.UsageRow => ({
        day: String(values[0]),
        source: String(values[1]),
        model: String(values[2]),
        project: String(values[3]),
        sessions: Number(values[4]),
        messages: Number(values[5]),
        durationMs: Number(values[6]),
        input: Number(values[7]),
        output: Number(values[8]),
        cacheRead: Number(values[9]),
        cacheWrite5m: Number(values[10]),
        cacheWrite1h: Number(values[11]),
        reasoning: Number(values[12]),
        costUsd: Number(values[13]),
        unpriced: Number(values[14]),
        fromTelemetry: Number(values[15] ?? 0),
        fromTranscript: Number(values[16] ?? 0),
        fromReported: Number(values[17] ?? 0)
      })
      const usage = (JSON.parse(series?.rows ?? "[]") as Array<Array<string | number>>).map(
        ([p, source, model, ...rest]) => usageRow([p!, source!, model!, "*", ...rest])
      )
      const byProject = (JSON.parse(projects?.rows ?? "[]") as Array<Array<string | number>>).map(usageRow)
      const [toolJson] =
        filters.model === undefined
          ? yield* sql<{ rows: string }>`
              SELECT json_group_array(json(row)) AS rows FROM (
                SELECT json_array(${period}, tool, sum(calls), sum(errors), sum(duration_ms), sum(timed)) AS row
                FROM (
                  SELECT day, tool, sum(calls) AS calls, sum(errors) AS errors, sum(duration_ms) AS duration_ms,
                    sum(timed) AS timed
                  FROM ${filters.project === undefined ? sql.unsafe("tool_by_day") : sql.unsafe("tool_rollup INDEXED BY tool_rollup_by_project")}
                  WHERE ${sql.and(clauses)} GROUP BY day, tool)
                GROUP BY ${period}, tool)`
          : [{ rows: "[]" }]
      const tools = (JSON.parse(toolJson?.rows ?? "[]") as Array<[string, string, number, number, number, number]>).map(
        ([p, tool, calls, errors, durationMs, timed]): Rollup.ToolRow => ({
          day: p,
          source: "",
          project: "",
          tool,
          calls,
          errors,
          durationMs,
          timed
        })
      )
      return Stats.fromRows(range, usage, tools, byProject)
    }).pipe(storage)

  return { stats, facets } as const
})
