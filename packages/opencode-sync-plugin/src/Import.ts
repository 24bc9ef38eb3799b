import { Outbox, Redactor } from "@opensync/client"
import type { Event } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Mapping from "./Mapping.js"
import * as Storage from "./Storage.js"

/*
 * The backfill behind `opencode-sync import`: every session in OpenCode's SQLite store, then those only the legacy JSON
 * store still has, one session at a time, through the same mapping as live sync, redacted, into the outbox. Event ids
 * are deterministic, so importing twice (or after live sync) only produces duplicates the server ignores.
 */

type Env = Readonly<Record<string, string | undefined>>

/** Most events per outbox file: small sessions share one. */
const EVENTS_PER_APPEND = 1_000

/** Where an import stands, reported after each session. */
export interface ImportProgress {
  readonly sessions: number
  readonly totalSessions: number
  readonly events: number
}

/** What an import did. */
export interface ImportSummary {
  readonly sessions: number
  readonly fromDatabase: number
  readonly fromLegacy: number
  readonly events: number
  readonly database: string | null
  readonly legacy: string | null
}

export interface ImportOptions {
  /** Only sessions updated at or after this time (epoch ms). */
  readonly since?: number
  readonly syncToolCalls: boolean
  readonly syncThinking: boolean
  readonly onProgress?: (progress: ImportProgress) => void
  readonly env?: Env
}

/** Imports every stored session into the outbox; the caller drains it. */
export const importAll = (
  options: ImportOptions
): Effect.Effect<
  ImportSummary,
  Storage.StorageReadError | Outbox.OutboxWriteFailed,
  Outbox.Outbox | Redactor.Redactor
> =>
  Effect.scoped(
    Effect.gen(function* () {
      const outbox = yield* Outbox.Outbox
      const where = Storage.locations(options.env ?? process.env)
      const sqlite = yield* Storage.openSqlite(where.database)
      const fromDb = sqlite === undefined ? [] : yield* sqlite.list(options.since)
      const inDb = new Set(fromDb.map((ref) => ref.id))
      const legacy = (yield* Storage.listLegacy(where.legacy, options.since)).filter((ref) => !inDb.has(ref.id))
      const refs = [...fromDb, ...legacy]
      const mapping = { syncToolCalls: options.syncToolCalls, syncThinking: options.syncThinking }

      let buffered: Array<Event.EventEncoded> = []
      const flush = (all: boolean) =>
        Effect.gen(function* () {
          while (buffered.length >= (all ? 1 : EVENTS_PER_APPEND)) {
            const chunk = buffered.slice(0, EVENTS_PER_APPEND)
            yield* outbox.append(yield* Redactor.redactEvents(chunk))
            buffered = buffered.slice(chunk.length)
          }
        })

      let done = 0
      let events = 0
      for (const ref of refs) {
        const snapshot =
          ref.store === "sqlite" && sqlite !== undefined
            ? yield* sqlite.load(ref.id)
            : yield* Storage.loadLegacy(where.legacy, ref)
        if (snapshot !== undefined) {
          const mapped = Mapping.toEvents(snapshot, mapping)
          for (const event of mapped) buffered.push(event)
          events += mapped.length
        }
        done++
        yield* flush(done === refs.length)
        options.onProgress?.({ sessions: done, totalSessions: refs.length, events })
      }
      yield* flush(true)
      return {
        sessions: refs.length,
        fromDatabase: fromDb.length,
        fromLegacy: legacy.length,
        events,
        database: sqlite === undefined ? null : where.database,
        legacy: legacy.length > 0 ? where.legacy : null
      } satisfies ImportSummary
    })
  )
