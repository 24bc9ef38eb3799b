import type { Statement } from "@effect/sql"
import * as SqlClient from "@effect/sql/SqlClient"
import {
  type Api,
  Batch,
  type Event,
  type Ids,
  type Message,
  Rollup,
  Session,
  Stats,
  type ToolCall
} from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { decodeCursor, encodeCursor, ftsQuery, sortColumns } from "./internal/query.js"
import { PriceOverrides } from "./Prices.js"

type SessionRow = Session.Session
type MessageRow = Message.Message
type ToolCallRow = ToolCall.ToolCall

/** What one batch did to each event. */
export interface IngestResult {
  readonly stored: Array<Ids.EventId>
  readonly duplicates: Array<Ids.EventId>
  readonly stale: Array<Ids.EventId>
}

const chunk = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Re-keys rollup rows (e.g. drops the project) and sums rows that now share a key. */
const regroup = (
  rows: ReadonlyArray<Rollup.UsageRow>,
  rekey: (row: Rollup.UsageRow) => Rollup.UsageRow
): Array<Rollup.UsageRow> => {
  const out = new Map<string, Rollup.UsageRow>()
  for (const row of rows.map(rekey)) {
    const k = Rollup.usageKey(row)
    const prev = out.get(k)
    out.set(k, prev === undefined ? row : Rollup.sumUsage(prev, row))
  }
  return [...out.values()]
}

/**
 * Rows per multi-row statement. SQLite binds at most 32,766 parameters per statement (16 columns x 1,000 = 16,000), so
 * a batch of up to 1,000 events is written with one statement per table: each statement is prepared anew, and every
 * further statement of the same transaction also makes FTS5 flush its pending terms.
 */
const rowsPerStatement = 1_000

const key = (sessionId: string, id: string) => `${sessionId}\u0000${id}`
const day = 86_400_000

const summary = (session: SessionRow): Api.SessionSummary => {
  const { toolSlices: _t, usageSlices: _u, ...rest } = session
  return rest
}

/** The SQLite adapter of the session store: applies the domain's pure ingestion logic in batched transactions. */
export class Store extends Effect.Service<Store>()("@opensync/server/Store", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const writer = yield* Effect.makeSemaphore(1)
    const prices = yield* PriceOverrides
    /**
     * One write transaction at a time on the shared connection. libsql's own `transaction()` opens a new connection
     * per transaction (measured: one leaked file descriptor and ~2 MiB per batch), so BEGIN/COMMIT are issued here.
     */
    const write = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      writer.withPermits(1)(
        Effect.uninterruptibleMask((restore) =>
          Effect.zipRight(sql.unsafe("BEGIN IMMEDIATE"), restore(effect)).pipe(
            Effect.onExit((exit) =>
              (exit._tag === "Success" ? sql.unsafe("COMMIT") : sql.unsafe("ROLLBACK")).pipe(Effect.orDie)
            )
          )
        )
      )

    const selectIn = <Row extends object>(
      ids: ReadonlyArray<string>,
      query: (ids: ReadonlyArray<string>) => Statement.Statement<Row>
    ) => Effect.map(Effect.forEach(chunk(ids, 500), query), (rows) => rows.flat())

    /**
     * Rows of a session-scoped table by `(session id, id)`, keyed the same way. Both columns are constrained so the
     * `(user_id, session_id, id)` index is used; an `id IN (…)` alone would scan all of the user's rows.
     */
    const loadChildren = <Row>(
      userId: string,
      table: "messages" | "tool_calls",
      keys: ReadonlyArray<readonly [string, string]>
    ) =>
      Effect.gen(function* () {
        const wanted = new Set(keys.map(([sessionId, id]) => key(sessionId, id)))
        const out = new Map<string, Row>()
        const bySession = new Map<string, Set<string>>()
        for (const [sessionId, id] of keys) bySession.set(sessionId, (bySession.get(sessionId) ?? new Set()).add(id))
        for (const sessions of chunk([...bySession.keys()], 200)) {
          const ids = [...new Set(sessions.flatMap((sessionId) => [...(bySession.get(sessionId) ?? [])]))]
          for (const idChunk of chunk(ids, 500)) {
            const rows = yield* sql<{ session_id: string; id: string; data: string }>`
              SELECT session_id, id, data FROM ${sql(table)}
              WHERE user_id = ${userId} AND session_id IN ${sql.in(sessions)} AND id IN ${sql.in(idChunk)}`
            for (const row of rows) {
              const k = key(row.session_id, row.id)
              if (wanted.has(k)) out.set(k, JSON.parse(row.data))
            }
          }
        }
        return out
      })

    const ingest = Effect.fn("Store.ingest")(function* (userId: string, events: ReadonlyArray<Event.Event>) {
      const split = Batch.splitDuplicates(events)
      const result: IngestResult = { stored: [], duplicates: split.duplicates, stale: [] }
      const fresh = split.fresh
      if (fresh.length === 0) return result
      const overrides = yield* prices.current
      yield* write(
        Effect.gen(function* () {
          const known = new Set(
            (yield* selectIn(
              fresh.map((e) => e.id),
              (ids) => sql<{ id: string }>`SELECT id FROM events WHERE user_id = ${userId} AND id IN ${sql.in(ids)}`
            )).map((row) => row.id)
          )
          const todo = fresh.filter((event) => {
            if (!known.has(event.id)) return true
            result.duplicates.push(event.id)
            return false
          })
          if (todo.length === 0) return
          const keys = Batch.touched(todo)
          const before = new Map<string, SessionRow>()
          for (const row of yield* selectIn(
            keys.sessions,
            (ids) =>
              sql<{
                id: string
                data: string
              }>`SELECT id, data FROM sessions WHERE user_id = ${userId} AND id IN ${sql.in(ids)}`
          )) {
            before.set(row.id, JSON.parse(row.data))
          }
          const messages = yield* loadChildren<MessageRow>(userId, "messages", keys.messages)
          const existed = new Set(messages.keys())
          const calls = yield* loadChildren<ToolCallRow>(userId, "tool_calls", keys.toolCalls)

          // The domain's batch step (shared with the Convex backend): sessions, messages and tool calls after the
          // events, each event's outcome, and the rollup deltas.
          const applied = Batch.apply(todo, { sessions: before, messages, toolCalls: calls }, {}, overrides)
          result.stored.push(...applied.outcome.stored)
          result.stale.push(...applied.outcome.stale)
          const changedMessages = applied.changedMessages
          const changedCalls = applied.changedToolCalls

          for (const rows of chunk([...changedMessages.values()], rowsPerStatement)) {
            const written = yield* sql<{ rowid: number; session_id: string; id: string }>`
              INSERT INTO messages ${sql.insert(
                rows.map((m) => ({
                  user_id: userId,
                  session_id: m.sessionId,
                  id: m.id,
                  created_at: m.createdAt,
                  data: JSON.stringify(m)
                }))
              )}
              ON CONFLICT (user_id, session_id, id) DO UPDATE SET created_at = excluded.created_at, data = excluded.data
              RETURNING rowid, session_id, id`
            const replaced = written.filter((row) => existed.has(key(row.session_id, row.id))).map((row) => row.rowid)
            if (replaced.length > 0) yield* sql`DELETE FROM message_fts WHERE rowid IN ${sql.in(replaced)}`
            const fts = written.flatMap((row) => {
              const message = changedMessages.get(key(row.session_id, row.id))
              return message !== undefined && message.text.length > 0 ? [{ rowid: row.rowid, text: message.text }] : []
            })
            if (fts.length > 0) yield* sql`INSERT INTO message_fts ${sql.insert(fts)}`
          }
          for (const rows of chunk([...changedCalls.values()], rowsPerStatement)) {
            yield* sql`
              INSERT INTO tool_calls ${sql.insert(
                rows.map((c) => ({
                  user_id: userId,
                  session_id: c.sessionId,
                  id: c.id,
                  started_at: c.startedAt,
                  data: JSON.stringify(c)
                }))
              )}
              ON CONFLICT (user_id, session_id, id) DO UPDATE SET started_at = excluded.started_at, data = excluded.data`
          }
          yield* writeSessions(userId, applied.changedSessions)
          yield* applyRollups(userId, applied.deltas)
          for (const rows of chunk(todo, rowsPerStatement)) {
            yield* sql`INSERT INTO events ${sql.insert(
              rows.map((e) => ({ user_id: userId, id: e.id, session_id: e.sessionId, received_at: Date.now() }))
            )} ON CONFLICT DO NOTHING`
          }
        })
      )
      return result
    })

    const writeSessions = (userId: string, sessions: ReadonlyArray<SessionRow>) =>
      Effect.forEach(
        chunk(sessions, rowsPerStatement),
        (rows) =>
          sql`
            INSERT INTO sessions ${sql.insert(
              rows.map((s) => ({
                user_id: userId,
                id: s.id,
                source: s.source,
                project: Session.projectOf(s),
                model: s.model,
                title: s.title,
                parent_session_id: s.parentSessionId,
                started_at: s.startedAt,
                updated_at: s.updatedAt,
                cost_usd: s.costUsd,
                total_tokens: s.totalTokens,
                message_count: s.messageCount,
                duration_ms: s.durationMs,
                data: JSON.stringify(s)
              }))
            )}
            ON CONFLICT (user_id, id) DO UPDATE SET
              source = excluded.source, project = excluded.project, model = excluded.model, title = excluded.title,
              parent_session_id = excluded.parent_session_id, started_at = excluded.started_at,
              updated_at = excluded.updated_at, cost_usd = excluded.cost_usd, total_tokens = excluded.total_tokens,
              message_count = excluded.message_count, duration_ms = excluded.duration_ms, data = excluded.data`,
        { discard: true }
      )

    /** Adds rollup increments into one of the usage rollup tables (all three share columns and key). */
    const upsertUsage = (
      table: "usage_rollup" | "usage_by_model" | "usage_by_project",
      userId: string,
      usageRows: ReadonlyArray<Rollup.UsageRow>
    ) =>
      Effect.gen(function* () {
        for (const rows of chunk(usageRows, rowsPerStatement)) {
          yield* sql`
            INSERT INTO ${sql(table)} ${sql.insert(
              rows.map((r) => ({
                user_id: userId,
                day: r.day,
                source: r.source,
                model: r.model,
                project: r.project,
                sessions: r.sessions,
                messages: r.messages,
                duration_ms: r.durationMs,
                input: r.input,
                output: r.output,
                cache_read: r.cacheRead,
                cache_write_5m: r.cacheWrite5m,
                cache_write_1h: r.cacheWrite1h,
                reasoning: r.reasoning,
                cost_usd: r.costUsd,
                unpriced: r.unpriced
              }))
            )}
            ON CONFLICT (user_id, day, source, model, project) DO UPDATE SET
              sessions = sessions + excluded.sessions, messages = messages + excluded.messages,
              duration_ms = duration_ms + excluded.duration_ms, input = input + excluded.input,
              output = output + excluded.output, cache_read = cache_read + excluded.cache_read,
              cache_write_5m = cache_write_5m + excluded.cache_write_5m,
              cache_write_1h = cache_write_1h + excluded.cache_write_1h, reasoning = reasoning + excluded.reasoning,
              cost_usd = round(cost_usd + excluded.cost_usd, 9), unpriced = unpriced + excluded.unpriced`
        }
      })

    const applyRollups = (userId: string, deltas: ReadonlyArray<ReturnType<typeof Rollup.delta>>) =>
      Effect.gen(function* () {
        const usage = new Map<string, Rollup.UsageRow>()
        const tools = new Map<string, Rollup.ToolRow>()
        for (const delta of deltas) {
          for (const row of delta.usage) {
            const k = Rollup.usageKey(row)
            const prev = usage.get(k)
            usage.set(k, prev === undefined ? row : Rollup.sumUsage(prev, row))
          }
          for (const row of delta.tools) {
            const k = Rollup.toolKey(row)
            const prev = tools.get(k)
            tools.set(k, prev === undefined ? row : Rollup.sumTools(prev, row))
          }
        }
        const all = [...usage.values()]
        yield* upsertUsage("usage_rollup", userId, all)
        yield* upsertUsage(
          "usage_by_model",
          userId,
          regroup(all, (row) => ({ ...row, project: "*" }))
        )
        yield* upsertUsage(
          "usage_by_project",
          userId,
          regroup(all, (row) => ({ ...row, model: "*" }))
        )
        for (const rows of chunk([...tools.values()], rowsPerStatement)) {
          yield* sql`
            INSERT INTO tool_rollup ${sql.insert(
              rows.map((r) => ({
                user_id: userId,
                day: r.day,
                source: r.source,
                project: r.project,
                tool: r.tool,
                calls: r.calls,
                errors: r.errors,
                duration_ms: r.durationMs,
                timed: r.timed
              }))
            )}
            ON CONFLICT (user_id, day, tool, source, project) DO UPDATE SET
              calls = calls + excluded.calls, errors = errors + excluded.errors,
              duration_ms = duration_ms + excluded.duration_ms, timed = timed + excluded.timed`
        }
      })

    const filterClauses = (userId: string, filters: Api.SessionFilters) => {
      const clauses: Array<Statement.Fragment> = [sql`user_id = ${userId}`]
      if (filters.source !== undefined) clauses.push(sql`source = ${filters.source}`)
      if (filters.project !== undefined) clauses.push(sql`project = ${filters.project}`)
      if (filters.model !== undefined) clauses.push(sql`model = ${filters.model}`)
      if (filters.from !== undefined) clauses.push(sql`updated_at >= ${filters.from}`)
      if (filters.to !== undefined) clauses.push(sql`started_at <= ${filters.to}`)
      const match = filters.q === undefined ? undefined : ftsQuery(filters.q)
      if (filters.q !== undefined && filters.q.trim().length > 0) {
        const like = `%${filters.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
        clauses.push(
          match === undefined
            ? sql`title LIKE ${like} ESCAPE '\\'`
            : sql`(title LIKE ${like} ESCAPE '\\' OR id IN (SELECT session_id FROM messages WHERE user_id = ${userId} AND rowid IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ${match})))`
        )
      }
      return clauses
    }

    const listSessions = Effect.fn("Store.listSessions")(function* (userId: string, params: Api.ListSessionsParams) {
      const column = sortColumns[params.sort]
      const clauses = filterClauses(userId, params)
      const cursor = params.cursor === undefined ? Option.none() : Option.some(yield* decodeCursor(params.cursor))
      if (Option.isSome(cursor)) {
        const [value, id] = cursor.value
        clauses.push(
          params.order === "desc"
            ? sql`(${sql(column)} < ${value} OR (${sql(column)} = ${value} AND id < ${id}))`
            : sql`(${sql(column)} > ${value} OR (${sql(column)} = ${value} AND id > ${id}))`
        )
      }
      const direction = params.order === "desc" ? sql.unsafe("DESC") : sql.unsafe("ASC")
      // The page's ids first, from the sort index alone (it holds the filter columns too, see migration 4), then the
      // rows of those ids: a filter is checked on index entries, not on the (large) table rows. CROSS JOIN keeps the
      // page as the outer loop; with a plain JOIN, libsql's SQLite (3.45) walks the whole sort index of `s` to save
      // sorting 51 rows (measured: 120 ms per page on 10k sessions).
      const rows = yield* sql<{ data: string; sort_value: number; id: string }>`
        SELECT s.data, s.${sql(column)} AS sort_value, s.id
        FROM (SELECT id FROM sessions WHERE ${sql.and(clauses)}
          ORDER BY ${sql(column)} ${direction}, id ${direction} LIMIT ${params.limit + 1}) AS page
        CROSS JOIN sessions AS s ON s.user_id = ${userId} AND s.id = page.id
        ORDER BY s.${sql(column)} ${direction}, s.id ${direction}`
      const page = rows.slice(0, params.limit)
      const last = page[page.length - 1]
      return {
        sessions: page.map((row) => summary(JSON.parse(row.data))),
        nextCursor: rows.length > params.limit && last !== undefined ? encodeCursor([last.sort_value, last.id]) : null
      } satisfies Api.SessionPage
    })

    const getSession = Effect.fn("Store.getSession")(function* (userId: string, id: string) {
      const rows = yield* sql<{ data: string }>`SELECT data FROM sessions WHERE user_id = ${userId} AND id = ${id}`
      if (rows.length === 0) return Option.none<Api.SessionDetail>()
      const messages = yield* sql<{ data: string }>`
        SELECT data FROM messages WHERE user_id = ${userId} AND session_id = ${id} ORDER BY created_at, rowid`
      const toolCalls = yield* sql<{ data: string }>`
        SELECT data FROM tool_calls WHERE user_id = ${userId} AND session_id = ${id} ORDER BY started_at, id`
      const children = yield* sql<{ data: string }>`
        SELECT data FROM sessions WHERE user_id = ${userId} AND parent_session_id = ${id} ORDER BY started_at, id`
      return Option.some<Api.SessionDetail>({
        session: summary(JSON.parse(rows[0].data)),
        messages: messages.map((row) => JSON.parse(row.data)),
        toolCalls: toolCalls.map((row) => JSON.parse(row.data)),
        children: children.map((row) => summary(JSON.parse(row.data)))
      })
    })

    const deleteSession = Effect.fn("Store.deleteSession")(function* (userId: string, id: string) {
      return yield* write(
        Effect.gen(function* () {
          const rows = yield* sql<{ data: string }>`SELECT data FROM sessions WHERE user_id = ${userId} AND id = ${id}`
          if (rows.length === 0) return Option.none<{ messages: number; toolCalls: number }>()
          const session: SessionRow = JSON.parse(rows[0].data)
          yield* sql`DELETE FROM message_fts WHERE rowid IN (SELECT rowid FROM messages WHERE user_id = ${userId} AND session_id = ${id})`
          const messages = yield* sql<{
            id: string
          }>`DELETE FROM messages WHERE user_id = ${userId} AND session_id = ${id} RETURNING id`
          const toolCalls = yield* sql<{
            id: string
          }>`DELETE FROM tool_calls WHERE user_id = ${userId} AND session_id = ${id} RETURNING id`
          yield* sql`DELETE FROM events WHERE user_id = ${userId} AND session_id = ${id}`
          yield* sql`DELETE FROM sessions WHERE user_id = ${userId} AND id = ${id}`
          yield* applyRollups(userId, [Rollup.delta(session, null)])
          for (const table of ["usage_rollup", "usage_by_model", "usage_by_project"]) {
            yield* sql`DELETE FROM ${sql(table)} WHERE user_id = ${userId} AND sessions = 0 AND messages = 0
              AND input = 0 AND output = 0 AND cache_read = 0 AND cache_write_5m = 0 AND cache_write_1h = 0
              AND reasoning = 0 AND abs(cost_usd) < 1e-9 AND duration_ms = 0 AND unpriced = 0`
          }
          yield* sql`DELETE FROM tool_rollup WHERE user_id = ${userId} AND calls = 0`
          return Option.some({ messages: messages.length, toolCalls: toolCalls.length })
        })
      )
    })

    /** Deletes all of a user's sessions, messages, tool calls, rollups, search entries and event ids at once. */
    const deleteAll = Effect.fn("Store.deleteAll")(function* (userId: string) {
      return yield* write(
        Effect.gen(function* () {
          yield* sql`DELETE FROM message_fts WHERE rowid IN (SELECT rowid FROM messages WHERE user_id = ${userId})`
          yield* sql`DELETE FROM messages WHERE user_id = ${userId}`
          yield* sql`DELETE FROM tool_calls WHERE user_id = ${userId}`
          yield* sql`DELETE FROM events WHERE user_id = ${userId}`
          const sessions = yield* sql<{ id: string }>`DELETE FROM sessions WHERE user_id = ${userId} RETURNING id`
          for (const table of ["usage_rollup", "usage_by_model", "usage_by_project", "tool_rollup"]) {
            yield* sql`DELETE FROM ${sql(table)} WHERE user_id = ${userId}`
          }
          return { sessions: sessions.length }
        })
      )
    })

    const sessionIds = (userId: string) =>
      Effect.map(
        sql<{ id: string }>`SELECT id FROM sessions WHERE user_id = ${userId} ORDER BY started_at, id`,
        (rows) => rows.map((row) => row.id)
      )

    const stats = Effect.fn("Store.stats")(function* (userId: string, params: Api.StatsParams, now: number) {
      const to = params.to ?? now
      const from = params.from ?? to - 30 * day
      const first = new Date(from).toISOString().slice(0, 10)
      const last = new Date(to).toISOString().slice(0, 10)
      const clauses: Array<Statement.Fragment> = [sql`user_id = ${userId}`, sql`day >= ${first}`, sql`day <= ${last}`]
      if (params.source !== undefined) clauses.push(sql`source = ${params.source}`)
      if (params.project !== undefined) clauses.push(sql`project = ${params.project}`)
      const usageClauses = params.model === undefined ? clauses : [...clauses, sql`model = ${params.model}`]
      const period =
        params.bucket === "day"
          ? sql.unsafe("day")
          : params.bucket === "month"
            ? sql.unsafe("substr(day, 1, 7)")
            : sql.unsafe("date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')")
      const sums = sql.unsafe(`sum(sessions), sum(messages), sum(duration_ms), sum(input), sum(output), sum(cache_read),
        sum(cache_write_5m), sum(cache_write_1h), sum(reasoning), round(sum(cost_usd), 9), sum(unpriced)`)
      // Grouped in SQLite and returned as one JSON value: materialising thousands of rows costs more than the scan.
      const [series] = yield* sql<{ rows: string }>`
        SELECT json_group_array(json(row)) AS rows FROM (
          SELECT json_array(${period}, source, model, ${sums}) AS row
          FROM ${sql(params.project === undefined ? "usage_by_model" : "usage_rollup")}
          WHERE ${sql.and(usageClauses)} GROUP BY ${period}, source, model)`
      const [projects] = yield* sql<{ rows: string }>`
        SELECT json_group_array(json(row)) AS rows FROM (
          SELECT json_array('', '', '', project, ${sums}) AS row
          FROM ${sql(params.model === undefined ? "usage_by_project" : "usage_rollup")}
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
        unpriced: Number(values[14])
      })
      const usage = (JSON.parse(series?.rows ?? "[]") as Array<Array<string | number>>).map(
        ([p, source, model, ...rest]) => usageRow([p, source, model, "*", ...rest])
      )
      const byProject = (JSON.parse(projects?.rows ?? "[]") as Array<Array<string | number>>).map(usageRow)
      const [toolJson] =
        params.model === undefined
          ? yield* sql<{ rows: string }>`
              SELECT json_group_array(json(row)) AS rows FROM (
                SELECT json_array(${period}, tool, sum(calls), sum(errors), sum(duration_ms), sum(timed)) AS row
                FROM (
                  SELECT day, tool, sum(calls) AS calls, sum(errors) AS errors, sum(duration_ms) AS duration_ms,
                    sum(timed) AS timed
                  FROM tool_rollup WHERE ${sql.and(clauses)} GROUP BY day, tool)
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
      return Stats.fromRows({ from, to, bucket: params.bucket }, usage, tools, byProject)
    })

    /** Sessions matching filters, oldest first, one page at a time (for streaming exports). */
    const exportPage = (
      userId: string,
      filters: Api.SessionFilters,
      after: readonly [number, string] | null,
      size: number
    ) =>
      Effect.map(
        sql<{ data: string }>`
          SELECT data FROM sessions WHERE ${sql.and([
            ...filterClauses(userId, filters),
            ...(after === null
              ? []
              : [sql`(started_at > ${after[0]} OR (started_at = ${after[0]} AND id > ${after[1]}))`])
          ])}
          ORDER BY started_at, id LIMIT ${size}`,
        (rows) => rows.map((row): SessionRow => JSON.parse(row.data)).map(summary)
      )

    return { ingest, listSessions, getSession, deleteSession, deleteAll, sessionIds, stats, exportPage } as const
  })
}) {}
