import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Outbox } from "@opensync/client"
import type { Event } from "@opensync/domain"
import * as Effect from "effect/Effect"

/** A temporary directory removed by `remove`. */
export const tempDir = (prefix: string) => {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** Everything queued in the outbox, in order, by draining it into a collecting `send` that stores every event. */
export const drainAll = Effect.gen(function* () {
  const outbox = yield* Outbox.Outbox
  const sent: Array<Event.EventEncoded> = []
  yield* outbox.drain((events) =>
    Effect.sync(() => {
      for (const event of events) sent.push(event as Event.EventEncoded)
      return { stored: events.map((e) => (e as { id: string }).id), duplicates: [], stale: [], rejected: [] }
    })
  )
  return sent
})
