import { Kit, type Outbox, type Redactor } from "@opensync/client"
import { paths as statePaths } from "@opensync/client/kit/Agent"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { agent } from "./Agent.js"
import * as Mapping from "./Mapping.js"
import * as Sessions from "./Sessions.js"
import * as Storage from "./Storage.js"

/*
 * The history behind `opencode-sync import`: every session in OpenCode's SQLite store, then those only the legacy JSON
 * store still has, each read through the same mapping as live sync; the kit's import loop redacts them and appends them
 * to the outbox, one session at a time. Event ids are deterministic, so importing twice (or after live sync) only
 * produces duplicates the server ignores.
 */

type Env = Readonly<Record<string, string | undefined>>

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

/** The sessions OpenCode keeps, as items of the kit's import loop (the database stays open while the scope lasts). */
export const open = (
  options: ImportOptions
): Effect.Effect<
  {
    readonly history: Kit.SessionSource.OpenedHistory<Storage.StorageReadError>
    readonly counts: Omit<ImportSummary, "sessions" | "events">
  },
  Storage.StorageReadError,
  Scope.Scope
> =>
  Effect.gen(function* () {
    const where = Storage.locations(options.env ?? process.env)
    const sqlite = yield* Storage.openSqlite(where.database)
    const fromDb = sqlite === undefined ? [] : yield* sqlite.list(options.since)
    const legacy = yield* Storage.listLegacy(where.legacy, options.since)
    const { refs, counts } = Sessions.combine(fromDb, legacy, where, sqlite !== undefined)
    const mapping = { syncToolCalls: options.syncToolCalls, syncThinking: options.syncThinking }
    const stateDir = statePaths(agent, options.env ?? process.env).stateDir
    let notes = Sessions.readNotes(stateDir)
    // Noted before the kit records the session's version (`Sessions.Note`); a session that cannot be noted incomplete
    // is left out, unrecorded, for the next import: recording it would leave out for good what could not be read.
    const note = (key: string, malformed: number): Kit.SessionSource.ItemFailure | undefined => {
      const now = malformed > 0 ? "incomplete" : notes.has(key) ? "whole" : undefined
      if (now === undefined || notes.get(key) === now) return undefined
      const next = new Map(notes).set(key, now)
      try {
        Sessions.writeNotes(stateDir, next)
        notes = next
      } catch (error) {
        // (Left incomplete, it is read again: no harm)
        if (now === "incomplete") {
          const file = Sessions.notesFile(stateDir)
          return { ok: false, reason: `${malformed} record(s) cannot be read, and ${file} cannot be written: ${error}` }
        }
      }
      return undefined
    }
    const item = (ref: Storage.SessionRef): Kit.SessionSource.HistoryItem<Storage.StorageReadError> => {
      const key = Sessions.keyOf(ref)
      const noted = notes.get(key)
      return {
        sessionId: ref.id,
        label: ref.file ?? `${where.database} (${ref.id})`,
        size: 0,
        // OpenCode bumps a session's update time with every message and part: an unchanged time is nothing to read.
        key,
        version: Sessions.listedVersion(ref, noted),
        ...(noted === "incomplete" ? { always: true } : {}),
        read: Effect.map(
          ref.store === "sqlite" && sqlite !== undefined ? sqlite.read(ref.id) : Storage.readLegacy(where.legacy, ref),
          (loaded): Kit.SessionSource.ItemEvents => {
            const malformed = loaded?.malformed ?? 0
            return (
              note(key, malformed) ?? {
                ok: true,
                events: loaded === undefined ? [] : Mapping.toEvents(loaded.snapshot, mapping),
                malformed
              }
            )
          }
        )
      }
    }
    const summary = (totals: Kit.SessionSource.ImportTotals) => Sessions.summary(totals, counts, where)
    const history = { items: refs.map(item), where: `${where.database}, ${where.legacy}`, summary }
    return { history, counts }
  })

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
      const { history, counts } = yield* open(options)
      const totals = yield* Kit.History.importItems(
        history.items,
        options.onProgress === undefined
          ? undefined
          : (p) => options.onProgress?.({ sessions: p.items, totalSessions: p.totalItems, events: p.events })
      )
      return { sessions: history.items.length, events: totals.events, ...counts } satisfies ImportSummary
    })
  )
