/**
 * The loop behind every agent's `import` (and `sync --session`): read each history item in turn (never all at once),
 * redact its events and append them to the outbox in files of up to a thousand events. Event ids are deterministic,
 * so importing twice queues the same events again and the server counts them as duplicates.
 */
import type { Event } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Outbox from "../Outbox.js"
import * as Redactor from "../Redactor.js"
import type { HistoryItem, ImportTotals } from "./SessionSource.js"

/** Most events per outbox file: small items share one, a long one is split. */
const EVENTS_PER_APPEND = 1_000

/** Where an import stands, after each item; `items` and `bytes` count the items done, skipped ones too. */
export interface Progress {
  readonly items: number
  readonly totalItems: number
  readonly bytes: number
  readonly totalBytes: number
  readonly events: number
}

/**
 * Imports the items in order. An item that cannot be read is skipped with its reason; an outbox write failure, or an
 * error of the agent's store, stops the import.
 */
export const importItems = <E>(
  items: ReadonlyArray<HistoryItem<E>>,
  onProgress?: (progress: Progress) => void
): Effect.Effect<ImportTotals, E | Outbox.OutboxWriteFailed, Outbox.Outbox | Redactor.Redactor> =>
  Effect.gen(function* () {
    const outbox = yield* Outbox.Outbox
    const totalItems = items.length
    let totalBytes = 0
    for (const item of items) totalBytes += item.size
    const sessions = new Set<string>()
    const skipped: Array<{ label: string; reason: string }> = []
    let done = 0
    let doneBytes = 0
    let imported = 0
    let importedBytes = 0
    let events = 0
    let malformed = 0

    // Events of small items are gathered into outbox files of up to EVENTS_PER_APPEND events (one file each would
    // cost a file creation per item); at most that many wait in memory besides the current item's.
    let buffered: Array<Event.EventEncoded> = []
    const flush = (all: boolean) =>
      Effect.gen(function* () {
        let start = 0
        while (buffered.length - start >= (all ? 1 : EVENTS_PER_APPEND)) {
          const chunk = buffered.slice(start, start + EVENTS_PER_APPEND)
          yield* outbox.append(yield* Redactor.redactEvents(chunk))
          start += chunk.length
        }
        buffered = buffered.slice(start)
      })

    for (const item of items) {
      const result = yield* item.read
      if (result.ok) {
        for (const event of result.events) buffered.push(event)
        sessions.add(item.sessionId)
        imported++
        importedBytes += item.size
        events += result.events.length
        malformed += result.malformed
      } else {
        skipped.push({ label: item.label, reason: result.reason })
      }
      done++
      doneBytes += item.size
      yield* flush(done === totalItems)
      onProgress?.({ items: done, totalItems, bytes: doneBytes, totalBytes, events })
    }
    yield* flush(true)
    const totals: ImportTotals = {
      sessions: sessions.size,
      items: imported,
      bytes: importedBytes,
      events,
      malformed,
      skipped
    }
    return totals
  })
