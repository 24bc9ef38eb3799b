import type { Statement } from "@effect/sql"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { IngestResult } from "@opensync/backend/SessionStore"
import { Batch, type Event, type Ids, type Message, Rollup, Session, type ToolCall } from "@opensync/domain"
import * as Effect from "effect/Effect"
import { PriceOverrides } from "../Prices.js"
import {
  chunk,
  parseMessage,
  parseSession,
  parseToolCall,
  rowsPerStatement,
  type UsageColumns,
  usageRowOf
} from "./columns.js"
import { Writer } from "./Database.js"
import { storage } from "./errors.js"
import * as SearchIndex from "./SearchIndex.js"
import * as Usage from "./usage.js"

/** The column of a rollup field: `durationMs` → `duration_ms`, `cacheWrite5m` → `cache_write_5m`. */
const column = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/(\d+)/g, "_$1")

/** The session columns an update may leave as they are; only `sessions_by_started`, the title and parent indexes hold them. */
interface StableColumns extends Record<(typeof stable)[number], unknown> {
  readonly source: string
  readonly project: string
  readonly model: string | null
  readonly title: string | null
  readonly parent_session_id: string | null
  readonly started_at: number
}

const sameStableColumns = (stored: StableColumns, s: Session.Session): boolean =>
  stored.started_at === s.startedAt &&
  stored.source === s.source &&
  stored.project === Session.projectOf(s) &&
  stored.model === (s.model ?? null) &&
  stored.title === (s.title ?? null) &&
  stored.parent_session_id === (s.parentSessionId ?? null)

const stable = ["source", "project", "model", "title", "parent_session_id", "started_at"] as const
const changing = ["updated_at", "cost_usd", "total_tokens", "message_count", "duration_ms", "data"]
const setting = (columns: ReadonlyArray<string>) => columns.map((c) => `${c} = excluded.${c}`).join(", ")

/**
 * Ingestion on SQLite: the domain's batch step (`Batch.apply`, shared with Convex) over the rows a batch touches, in
 * one write transaction: one query answers "seen before?" and "deleted?" for the whole batch, the sessions, messages
 * and tool calls it touches are read with a few `IN (…)` queries, and the changes are written with multi-row upserts.
 */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const { write } = yield* Writer
  const searchQueue = yield* SearchIndex.makeQueue
  const prices = yield* PriceOverrides
  const usage = yield* Usage.make

  /**
   * A set of values as one bound parameter: `column IN ${inJson(values)}`. The statement's text is the same whatever
   * the number of values, so it is prepared once and kept (`Client.ts`), where `IN (?, ?, …)` took a new statement for
   * each count: preparing was about a seventh of the SQL time of a batch. SQLite reads the JSON array into a
   * temporary index and looks the key up once per value, as it does for a list.
   */
  const inJson = (values: Iterable<string>) => sql`(SELECT value FROM json_each(${JSON.stringify([...values])}))`

  /**
   * Rows of a session-scoped table (messages, tool calls, event ids) by `(session id, id)`: those whose key is one of
   * `keys`. Both columns are constrained so the `(user_id, session_id, id)` key is used; an `id IN (…)` alone would scan
   * all of the user's rows.
   */
  const rowsByKey = <Row extends { readonly session_id: string; readonly id: string }>(
    keys: ReadonlyArray<readonly [string, string]>,
    query: (sessions: Statement.Fragment, ids: Statement.Fragment) => Statement.Statement<Row>
  ) =>
    Effect.gen(function* () {
      if (keys.length === 0) return []
      const wanted = new Set(keys.map(([sessionId, id]) => Batch.rowKey(sessionId, id)))
      const rows = yield* query(
        inJson(new Set(keys.map(([sessionId]) => sessionId))),
        inJson(new Set(keys.map(([, id]) => id)))
      )
      return rows.filter((row) => wanted.has(Batch.rowKey(row.session_id, row.id)))
    })

  /** Messages or tool calls by `Batch.rowKey`. */
  const loadChildren = <Row>(
    userId: string,
    table: "messages" | "tool_calls",
    keys: ReadonlyArray<readonly [string, string]>,
    parse: (data: string) => Row
  ) =>
    Effect.map(
      rowsByKey(
        keys,
        (sessions, ids) => sql<{ session_id: string; id: string; data: string }>`
          SELECT session_id, id, data FROM ${sql(table)}
          WHERE user_id = ${userId} AND session_id IN ${sessions} AND id IN ${ids}`
      ),
      (rows) => new Map(rows.map((row) => [Batch.rowKey(row.session_id, row.id), parse(row.data)]))
    )

  /**
   * Upserts messages or tool calls (`(user_id, session_id, id)` keyed, the record as JSON in `data` beside its time
   * column) in multi-row statements, each followed by `next` with the rows it wrote (`returning`'s columns).
   */
  const upsertChildren = <Row extends Message.Message | ToolCall.ToolCall, Written extends object>(
    userId: string,
    table: "messages" | "tool_calls",
    time: "created_at" | "started_at",
    timeOf: (row: Row) => number,
    rows: Iterable<Row>,
    returning: string,
    next: (written: ReadonlyArray<Written>) => Effect.Effect<unknown, SqlError>
  ) =>
    Effect.forEach(
      chunk([...rows], rowsPerStatement),
      (part) =>
        Effect.flatMap(
          sql<Written>`
            INSERT INTO ${sql(table)} ${sql.insert(
              part.map((row) => ({
                user_id: userId,
                session_id: row.sessionId,
                id: row.id,
                [time]: timeOf(row),
                data: JSON.stringify(row)
              }))
            )}
            ON CONFLICT (user_id, session_id, id) DO UPDATE SET ${sql(time)} = excluded.${sql(time)},
              data = excluded.data ${sql.literal(returning)}`,
          next
        ),
      { discard: true }
    )

  /** Messages, their rowids queued for the search index (`SearchIndex.ts`). */
  const writeMessages = (userId: string, changed: ReadonlyMap<string, Message.Message>) =>
    upsertChildren<Message.Message, { rowid: number }>(
      userId,
      "messages",
      "created_at",
      (m) => m.createdAt,
      changed.values(),
      "RETURNING rowid",
      (written) =>
        searchQueue.messages(
          userId,
          written.map((row) => row.rowid)
        )
    )

  const writeToolCalls = (userId: string, changed: ReadonlyMap<string, ToolCall.ToolCall>) =>
    upsertChildren<ToolCall.ToolCall, never>(
      userId,
      "tool_calls",
      "started_at",
      (c) => c.startedAt,
      changed.values(),
      "",
      () => Effect.void
    )

  /**
   * Upserts sessions. A session whose start, title, source, project, model and parent are what its stored row holds
   * (`stored`, read with the batch's sessions) gets only the columns an update changes set (`volatileColumns`): SQLite
   * rewrites an index entry whenever a column of that index is set, even to the value it had, and only
   * `sessions_by_updated` holds those columns (migration 10). New sessions and the others are written whole.
   */
  const writeSessions = (
    userId: string,
    sessions: ReadonlyArray<Session.Session>,
    stored: ReadonlyMap<string, StableColumns>
  ) => {
    const whole: Array<Session.Session> = []
    const updated: Array<Session.Session> = []
    for (const s of sessions) {
      const before = stored.get(s.id)
      if (before !== undefined && sameStableColumns(before, s)) updated.push(s)
      else whole.push(s)
    }
    return Effect.forEach(
      [
        ...chunk(whole, rowsPerStatement).map((rows) => [rows, allColumns] as const),
        ...chunk(updated, rowsPerStatement).map((rows) => [rows, volatileColumns] as const)
      ],
      ([rows, set]) =>
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
          ON CONFLICT (user_id, id) DO UPDATE SET ${set}`,
      { discard: true }
    )
  }

  /**
   * Adds rollup increments into a rollup table: a new key is inserted, an existing one gets each counter added
   * (`cost_usd` rounded to 1e-9 like `Pricing.roundUsd`). `key` is the table's key after `user_id`, in index order.
   */
  const addInto = <Row extends Rollup.UsageRow | Rollup.ToolRow>(
    table: string,
    key: ReadonlyArray<keyof Row & string>,
    counters: ReadonlyArray<keyof Row & string>,
    userId: string,
    increments: ReadonlyArray<Row>
  ) => {
    const columns = [...key, ...counters].map((field) => [field, column(field)] as const)
    const conflict = ["user_id", ...key].map(column).join(", ")
    const adds = counters
      .map(column)
      .map((c) => (c === "cost_usd" ? `${c} = round(${c} + excluded.${c}, 9)` : `${c} = ${c} + excluded.${c}`))
      .join(", ")
    return Effect.forEach(
      chunk(increments, rowsPerStatement),
      (rows) =>
        sql`
          INSERT INTO ${sql(table)} ${sql.insert(
            rows.map((row) => {
              const out: Record<string, unknown> = { user_id: userId }
              for (const [field, name] of columns) out[name] = row[field]
              return out
            })
          )}
          ON CONFLICT (${sql.literal(conflict)}) DO UPDATE SET ${sql.literal(adds)}`,
      { discard: true }
    )
  }

  /** Applies rollup deltas (`Batch.rollupIncrements`); rows left at zero are ignored by stats (`Rollup.isZeroUsage`). */
  const applyRollups = (userId: string, deltas: ReadonlyArray<ReturnType<typeof Rollup.delta>>) =>
    Effect.gen(function* () {
      const increments = Batch.rollupIncrements(deltas)
      const usageKey = ["day", "source", "model", "project"] as const
      for (const [table, rows] of [
        ["usage_rollup", increments.usage],
        ["usage_by_model", increments.usageByModel],
        ["usage_by_project", increments.usageByProject]
      ] as const) {
        yield* addInto(table, usageKey, Rollup.usageValueFields, userId, rows)
      }
      for (const [table, rows] of [
        ["tool_rollup", increments.tools],
        ["tool_by_day", increments.toolsBySource]
      ] as const) {
        yield* addInto(table, ["day", "tool", "source", "project"], Rollup.toolValueFields, userId, rows)
      }
    })

  /** Deletes the rollup rows these deltas touched that now add up to nothing (`Rollup.isZeroUsage`/`isZeroTools`). */
  const deleteEmptiedRollups = (userId: string, deltas: ReadonlyArray<ReturnType<typeof Rollup.delta>>) =>
    Effect.gen(function* () {
      const increments = Batch.rollupIncrements(deltas)
      const tables = [
        ["usage_rollup", increments.usage],
        ["usage_by_model", increments.usageByModel],
        ["usage_by_project", increments.usageByProject]
      ] as const
      for (const [table, rows] of tables) {
        for (const row of rows) {
          const [stored] = yield* sql<UsageColumns>`SELECT * FROM ${sql(table)} WHERE user_id = ${userId}
            AND day = ${row.day} AND source = ${row.source} AND model = ${row.model} AND project = ${row.project}`
          if (stored !== undefined && Rollup.isZeroUsage(usageRowOf(stored))) {
            yield* sql`DELETE FROM ${sql(table)} WHERE user_id = ${userId} AND day = ${row.day}
              AND source = ${row.source} AND model = ${row.model} AND project = ${row.project}`
          }
        }
      }
      for (const [table, rows] of [
        ["tool_rollup", increments.tools],
        ["tool_by_day", increments.toolsBySource]
      ] as const) {
        for (const row of rows) {
          const [stored] = yield* sql<{ calls: number; errors: number; duration_ms: number; timed: number }>`
            SELECT calls, errors, duration_ms, timed FROM ${sql(table)} WHERE user_id = ${userId} AND day = ${row.day}
            AND tool = ${row.tool} AND source = ${row.source} AND project = ${row.project}`
          if (
            stored !== undefined &&
            Rollup.isZeroTools({
              ...row,
              calls: stored.calls,
              errors: stored.errors,
              durationMs: stored.duration_ms,
              timed: stored.timed
            })
          ) {
            yield* sql`DELETE FROM ${sql(table)} WHERE user_id = ${userId} AND day = ${row.day} AND tool = ${row.tool}
              AND source = ${row.source} AND project = ${row.project}`
          }
        }
      }
    })

  const allColumns = sql.literal(setting([...stable, ...changing]))
  const volatileColumns = sql.literal(setting(changing))
  const stableList = sql.literal(stable.join(", "))

  const ingest = (userId: Ids.UserId, events: ReadonlyArray<Event.Event>) =>
    Effect.gen(function* () {
      const split = Batch.splitDuplicates(events)
      const result = {
        stored: [] as Array<Ids.EventId>,
        duplicates: split.duplicates,
        stale: [] as Array<Ids.EventId>,
        deleted: [] as Array<Ids.EventId>,
        refused: []
      }
      if (split.fresh.length === 0) return result satisfies IngestResult
      const overrides = yield* prices.current
      yield* write(
        Effect.gen(function* () {
          // Event ids are kept per session (migration 7): the ids of one session's events sit together in the key, where
          // digest ids alone would scatter a batch's inserts over the whole table.
          const known = new Set(
            (yield* rowsByKey(
              split.fresh.map((e) => [e.sessionId, e.id] as const),
              (sessions, ids) => sql<{ session_id: string; id: string }>`SELECT session_id, id FROM events
                WHERE user_id = ${userId} AND session_id IN ${sessions} AND id IN ${ids}`
            )).map((row) => Batch.rowKey(row.session_id, row.id))
          )
          const gone = new Set(
            (yield* sql<{ session_id: string }>`SELECT session_id FROM tombstones
              WHERE user_id = ${userId} AND session_id IN ${inJson(new Set(split.fresh.map((e) => e.sessionId)))}`).map(
              (row) => row.session_id
            )
          )
          const todo = split.fresh.filter((event) => {
            if (gone.has(event.sessionId)) result.deleted.push(event.id)
            else if (known.has(Batch.rowKey(event.sessionId, event.id))) result.duplicates.push(event.id)
            else return true
            return false
          })
          if (todo.length === 0) return
          const keys = Batch.touched(todo)
          const before = new Map<string, Session.Session>()
          const stored = new Map<string, StableColumns>()
          for (const row of keys.sessions.length === 0
            ? []
            : yield* sql<StableColumns & { id: string; data: string }>`SELECT id, data, ${stableList}
                FROM sessions WHERE user_id = ${userId} AND id IN ${inJson(keys.sessions)}`) {
            before.set(row.id, parseSession(row.data))
            stored.set(row.id, row)
          }
          const messages = yield* loadChildren(userId, "messages", keys.messages, parseMessage)
          const calls = yield* loadChildren(userId, "tool_calls", keys.toolCalls, parseToolCall)
          const requests = yield* usage.load(userId, Batch.touchedRequests(todo, messages))
          const applied = Batch.apply(todo, { sessions: before, messages, toolCalls: calls, requests }, {}, overrides)
          result.stored.push(...applied.outcome.stored)
          result.stale.push(...applied.outcome.stale)
          yield* writeMessages(userId, applied.changedMessages)
          yield* writeToolCalls(userId, applied.changedToolCalls)
          yield* usage.write(userId, applied.changedRequests)
          yield* writeSessions(userId, applied.changedSessions, stored)
          yield* applyRollups(userId, applied.deltas)
          // One statement for any number of ids (see `inJson`); `WHERE true` keeps `ON CONFLICT` from reading as a join.
          yield* sql`INSERT INTO events (user_id, id, session_id, received_at)
            SELECT ${userId}, value ->> 0, value ->> 1, ${Date.now()}
            FROM json_each(${JSON.stringify(todo.map((e) => [e.id, e.sessionId]))}) WHERE true ON CONFLICT DO NOTHING`
        })
      )
      return result satisfies IngestResult
    }).pipe(storage)

  return { ingest, applyRollups, deleteEmptiedRollups, usage } as const
})
