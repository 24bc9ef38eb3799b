/**
 * The import loop (`Kit.History.importItems`) with a sender beside it, as `import` runs it: reading an item is
 * synchronous work, so the loop lets the event loop take its I/O between items and what was appended goes out while the
 * import reads on.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import type { Event } from "@opensync/domain"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { Kit } from "../src/index.js"
import * as Outbox from "../src/Outbox.js"
import * as Redactor from "../src/Redactor.js"

const root = mkdtempSync(join(tmpdir(), "opensync-history-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A plain user message of session `sessionId`. */
const message = (sessionId: string, i: number): Event.EventEncoded =>
  ({
    kind: "message",
    id: `evt_${sessionId}_${i}`,
    source: "claude-code",
    sessionId,
    at: 1_700_000_000_000 + i,
    messageId: `m${i}`,
    role: "user",
    text: `message ${i}`,
    thinking: null,
    parts: [],
    model: null,
    createdAt: 1_700_000_000_000 + i,
    usage: null,
    countUsage: false
  }) as unknown as Event.EventEncoded

/** Busy for `ms` milliseconds, as parsing a transcript is. */
const work = (ms: number) => {
  const until = Date.now() + ms
  while (Date.now() < until) {}
}

describe("the import loop", () => {
  it.effect("collects garbage after each 64 MiB read, with Node's own collector by default", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(root, "state-"))
      const items: Array<Kit.SessionSource.HistoryItem> = Array.from({ length: 10 }, (_, i) => ({
        sessionId: `s${i}`,
        label: `item ${i}`,
        size: Kit.History.COLLECT_EVERY_BYTES / 2,
        read: Effect.succeed({ ok: true as const, events: [message(`s${i}`, 0)], malformed: 0 })
      }))
      let collections = 0
      yield* Kit.History.importItems(items, {
        collect: () => {
          collections++
        }
      }).pipe(Effect.provide(Layer.merge(Outbox.layer(join(dir, "outbox")), Redactor.Redactor.Default)))
      expect(collections).toBe(5)
      // The default: Node's collector, exposed at run time.
      const collector = Kit.History.collectGarbage()
      expect(typeof collector).toBe("function")
      collector?.()
    })
  )

  it.live("lets the sender's I/O complete between items, so sending overlaps reading", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(root, "state-"))
      const file = join(dir, "response")
      writeFileSync(file, "ok")
      let read = 0
      // The first item fills an outbox file (1,000 events), so the sender starts after it; the others are slow to read.
      const items: Array<Kit.SessionSource.HistoryItem> = Array.from({ length: 40 }, (_, i) => ({
        sessionId: `s${i}`,
        label: `item ${i}`,
        size: 1,
        read: Effect.sync(() => {
          if (i > 0) work(10)
          read++
          const events = Array.from({ length: i === 0 ? 1_000 : 1 }, (_, j) => message(`s${i}`, j))
          return { ok: true as const, events, malformed: 0 }
        })
      }))
      const appended = yield* Deferred.make<void>()
      let answeredAfter: number | undefined
      // The sender: a real I/O request (its completion is a libuv callback, as an HTTP response's is) once something
      // was appended.
      const sender = yield* Effect.fork(
        Deferred.await(appended).pipe(
          Effect.zipRight(Effect.promise(() => readFile(file, "utf8"))),
          Effect.tap(() => {
            answeredAfter = read
          })
        )
      )
      const totals = yield* Kit.History.importItems(items, {
        onAppend: Effect.asVoid(Deferred.succeed(appended, undefined))
      }).pipe(Effect.provide(Layer.merge(Outbox.layer(join(dir, "outbox")), Redactor.Redactor.Default)))
      yield* Fiber.join(sender)
      expect(totals.events).toBe(1_039)
      // Answered while items were still being read (before: only once the last one was).
      expect(answeredAfter).toBeLessThan(items.length)
    })
  )
})
