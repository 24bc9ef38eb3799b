/**
 * The import loop (`Kit.History.importItems`) with a sender beside it, as `import` runs it: reading an item is
 * synchronous work, so the loop lets the event loop take its I/O between items and what was appended goes out while the
 * import reads on.
 */
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
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

/** The import loop over `items` with its state and outbox in `dir` (`again`: read every item whole). */
const importerIn =
  (dir: string) =>
  (items: ReadonlyArray<Kit.SessionSource.HistoryItem>, again = false) =>
    Effect.gen(function* () {
      const checkpoints = Kit.Checkpoints.open(join(dir, "state"), null)
      const mapping = { syncToolCalls: true, syncThinking: false }
      return yield* Kit.History.importItems(items, { checkpoints, mapping, again })
    }).pipe(Effect.provide(Layer.merge(Outbox.layer(join(dir, "outbox")), Redactor.Redactor.Default)))

/** Items of the append-only file at `path`, of `size` bytes changed at `mtimeMs`: each read gives what `read` does. */
const fileAt =
  (path: string, sessionId: string, read: (size: number) => Kit.SessionSource.FileEvents) =>
  (size: number, mtimeMs: number): Kit.SessionSource.HistoryItem => ({
    sessionId,
    label: path,
    size,
    key: path,
    file: { path, mtimeMs, readFrom: () => Effect.sync(() => read(size)) },
    read: Effect.die("read whole")
  })

/** Busy for `ms` milliseconds, as parsing a transcript is. */
const work = (ms: number) => {
  const until = Date.now() + ms
  while (Date.now() < until) {}
}

describe("the import loop", () => {
  it.effect("a changed versioned item is read whole but queues only what its last read did not", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(root, "state-"))
      const events = (count: number) => Array.from({ length: count }, (_, i) => message("long", i))
      const item = (version: string, count: number, always = false): Kit.SessionSource.HistoryItem => ({
        sessionId: "long",
        label: "long",
        size: 0,
        key: "long",
        version,
        always,
        read: Effect.succeed({ ok: true as const, events: events(count), malformed: 0 })
      })
      const run = importerIn(dir)
      const queued = Kit.History.REMEMBER_QUEUED_FROM + 50
      expect(yield* run([item("v1", queued)])).toMatchObject({ events: queued, found: { new: 1 } })
      // A turn added three events: only those are queued.
      expect(yield* run([item("v2", queued + 3)])).toMatchObject({ events: 3, found: { updated: 1 } })
      // The same version again is not read; an item that is always read finds nothing new.
      expect(yield* run([item("v2", queued + 3)])).toMatchObject({ events: 0, items: 0, found: { unchanged: 1 } })
      expect(yield* run([item("v2", queued + 3, true)])).toMatchObject({ events: 0, items: 1, found: { unchanged: 1 } })
      // `--again` queues everything.
      expect(yield* run([item("v3", queued + 3)], true)).toMatchObject({ events: queued + 3 })
      // A damaged record of what was queued is no record: everything is queued again.
      const states = join(dir, "state", "imported", "state")
      for (const name of readdirSync(states)) writeFileSync(join(states, name), "{")
      expect(yield* run([item("v4", queued + 4)])).toMatchObject({ events: queued + 4 })
      // An item of few events is not remembered by its ids: it is queued whole when it changes.
      expect(yield* run([{ ...item("v1", 5), key: "short" }])).toMatchObject({ events: 5 })
      expect(yield* run([{ ...item("v2", 6), key: "short" }])).toMatchObject({ events: 6 })
    })
  )

  it.effect("a file moved as it was keeps its checkpoint: found unchanged, not read or queued again", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(root, "state-"))
      const files = mkdtempSync(join(root, "files-"))
      const count = Kit.History.REMEMBER_QUEUED_FROM + 10
      let reads = 0
      const item = (path: string, version: string, events = count): Kit.SessionSource.HistoryItem => ({
        sessionId: "moving",
        label: path,
        size: 0,
        key: path,
        version,
        read: Effect.sync(() => {
          reads++
          return {
            ok: true as const,
            events: Array.from({ length: events }, (_, i) => message("moving", i)),
            malformed: 0
          }
        })
      })
      const run = importerIn(dir)
      const first = join(files, "sessions", "rollout.jsonl")
      const archived = join(files, "archived", "rollout.jsonl")
      expect(yield* run([item(first, "1:100")])).toMatchObject({ events: count, found: { new: 1 } })
      // Moved (the old path is gone), same size and time: unchanged, nothing read.
      expect(yield* run([item(archived, "1:100")])).toMatchObject({ events: 0, items: 0, found: { unchanged: 1 } })
      expect(reads).toBe(1)
      // The checkpoint and its record of what was queued followed the file: a later change queues only what it added.
      expect(yield* run([item(archived, "2:120", count + 2)])).toMatchObject({ events: 2, found: { updated: 1 } })
      // Moved and changed on the way: read whole, as a file the bookkeeping does not know.
      const elsewhere = join(files, "elsewhere.jsonl")
      expect(yield* run([item(elsewhere, "3:130", count + 3)])).toMatchObject({ events: count + 3, found: { new: 1 } })
      // A copy, not a move (the file it was recorded under is still there): read as a file of its own.
      writeFileSync(elsewhere, "")
      expect(yield* run([item(join(files, "copy.jsonl"), "3:130", count + 3)])).toMatchObject({
        events: count + 3,
        found: { new: 1 }
      })
    })
  )

  it.effect("a file that is not a session is left out once: not read again, nor counted, until it changes", () =>
    Effect.gen(function* () {
      // (every import read it again and said it skipped it; the quick answer never answered while it was there)
      const dir = mkdtempSync(join(root, "state-"))
      const path = join(dir, "junk.jsonl")
      writeFileSync(path, "\u0000\u00ff")
      let reads = 0
      let readable = false
      const item = fileAt(path, "junk", () => {
        reads++
        return readable
          ? {
              ok: true as const,
              events: [message("junk", 1)],
              malformed: 0,
              nextOffset: 0,
              state: undefined,
              fromStart: true
            }
          : { ok: false as const, reason: "not a transcript: 1 malformed line(s)", notASession: true as const }
      })
      const run = importerIn(dir)
      const first = yield* run([item(2, 1000)])
      expect(first.skipped).toEqual([{ label: path, reason: "not a transcript: 1 malformed line(s)" }])
      expect(first.found.sessions).toBe(0)
      expect(reads).toBe(1)
      // As it was: not read, not said again, not a session.
      const second = yield* run([item(2, 1000)])
      expect(second.skipped).toEqual([])
      expect(second.found).toEqual({ sessions: 0, new: 0, updated: 0, unchanged: 0, waiting: 1 })
      expect(reads).toBe(1)
      // `--again` reads it again.
      expect((yield* run([item(2, 1000)], true)).skipped).toHaveLength(1)
      expect(reads).toBe(2)
      // Changed (now a session): read, and new.
      readable = true
      const changed = yield* run([item(40, 2000)])
      expect(changed).toMatchObject({ events: 1, skipped: [], found: { sessions: 1, new: 1 } })
      expect(reads).toBe(3)
      // A failure that is not the content's (a file that could not be read) is tried again on the next import.
      const unreadable: Kit.SessionSource.HistoryItem = {
        ...item(50, 3000),
        key: `${path}.other`,
        file: { path, mtimeMs: 3000, readFrom: () => Effect.succeed({ ok: false as const, reason: "unreadable: EIO" }) }
      }
      expect((yield* run([unreadable])).skipped).toHaveLength(1)
      expect((yield* run([unreadable])).skipped).toHaveLength(1)
    })
  )

  it.effect("a file with nothing to import yet is no session and no skip: read again once it grows", () =>
    Effect.gen(function* () {
      // (an empty transcript, or one whose only line is still being written, was counted as a session of 0 events)
      const dir = mkdtempSync(join(root, "state-"))
      const path = join(dir, "starting.jsonl")
      writeFileSync(path, "")
      let reads = 0
      let events: ReadonlyArray<Event.EventEncoded> = []
      const item = fileAt(path, "starting", (size) => {
        reads++
        const ok = { ok: true as const, malformed: 0, state: undefined, fromStart: true }
        return { ...ok, events, nextOffset: events.length === 0 ? 0 : size, unfinished: 1 }
      })
      const run = importerIn(dir)
      const none = { sessions: 0, new: 0, updated: 0, unchanged: 0 }
      const first = yield* run([item(30, 1000)])
      expect(first).toMatchObject({ sessions: 0, items: 0, events: 0, skipped: [], found: { ...none, waiting: 1 } })
      expect(reads).toBe(1)
      // The summary says what was found (it said no files were found at all)
      expect(Kit.ImportText.filesSummary(first, { files: "transcript file", none: "No transcripts found." })).toBe(
        "No session to import yet: 1 transcript file(s) found, none holding one yet (each is read again once it changes)."
      )
      // As it was: not read again.
      expect(yield* run([item(30, 1000)])).toMatchObject({ skipped: [], found: none })
      expect(reads).toBe(1)
      // Grown into a session: read, new, and what is still being written said as such (not malformed).
      events = [message("starting", 1)]
      const grown = yield* run([item(900, 2000)])
      expect(grown).toMatchObject({
        events: 1,
        malformed: 0,
        unfinished: 1,
        skipped: [],
        found: { sessions: 1, new: 1 }
      })
      expect(reads).toBe(2)
    })
  )

  it.effect("a file read on from a memo queues only what changed, once the read that left the memo was queued", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(root, "state-"))
      const outboxDir = join(dir, "outbox")
      const layer = Layer.merge(Outbox.layer(outboxDir), Redactor.Redactor.Default)
      const events = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => message("memo", from + i))
      let built = 0
      /**
       * The file as it is after `count` events, read on from the memo `since` (when given) and leaving the memo
       * `saved`: `all` builds every event (and is counted), `changed` holds the events after `since`'s `count`.
       */
      const fileItem = (
        version: string,
        count: number,
        memo: { readonly since?: { readonly gen: string; readonly count: number }; readonly saved: string },
        server: string | null = null
      ) => ({
        server,
        item: {
          sessionId: "memo",
          label: "memo",
          size: 0,
          key: "memo",
          version,
          always: true,
          read: Effect.sync(() =>
            Kit.SessionSource.partsEvents(
              [
                {
                  all: () => {
                    built++
                    return events(0, count)
                  },
                  ...(memo.since !== undefined
                    ? { changed: { since: memo.since.gen, events: events(memo.since.count, count) } }
                    : {}),
                  saved: memo.saved
                }
              ],
              0
            )
          )
        } satisfies Kit.SessionSource.HistoryItem
      })
      const run = ({ item, server }: ReturnType<typeof fileItem>) =>
        Effect.gen(function* () {
          const checkpoints = Kit.Checkpoints.open(join(dir, "state"), server)
          const mapping = { syncToolCalls: true, syncThinking: false }
          return yield* Kit.History.importItems([item], { checkpoints, mapping })
        }).pipe(Effect.provide(layer))
      const queuedIds = () =>
        Effect.gen(function* () {
          const outbox = yield* Outbox.Outbox
          const ids: Array<string> = []
          yield* outbox.drain((batch) => {
            const sent = batch.map((event) => (event as { readonly id: string }).id)
            ids.push(...sent)
            return Effect.succeed({ stored: sent, duplicates: [], stale: [], rejected: [] })
          })
          return ids
        }).pipe(Effect.provide(layer))

      // Read from the start: every event, and the memo it left (g1) is recorded once they are queued.
      expect(yield* run(fileItem("v1", 150, { saved: "g1" }))).toMatchObject({ events: 150 })
      expect(built).toBe(1)
      // On from g1: only what the turn added, without building the rest.
      expect(yield* run(fileItem("v2", 153, { since: { gen: "g1", count: 150 }, saved: "g2" }))).toMatchObject({
        events: 3
      })
      expect(built).toBe(1)
      // The outbox refuses the next turn's events, after the read left its memo (g3): they were never queued.
      const moved = `${outboxDir}.away`
      renameSync(outboxDir, moved)
      writeFileSync(outboxDir, "not a folder")
      const refused = yield* Effect.either(run(fileItem("v3", 155, { since: { gen: "g2", count: 153 }, saved: "g3" })))
      expect(refused._tag).toBe("Left")
      rmSync(outboxDir)
      renameSync(moved, outboxDir)
      // On from g3, which no queued read left: every event is built and queued again, the refused turn's too, but the
      // three the last queued read queued (after a read on from a memo, only its own are remembered).
      expect(yield* run(fileItem("v4", 157, { since: { gen: "g3", count: 155 }, saved: "g4" }))).toMatchObject({
        events: 157 - 3
      })
      expect(built).toBe(2)
      const ids = yield* queuedIds()
      for (const event of events(0, 157)) expect(ids).toContain(event.id)
      // And from g4, recorded with that read, only what changed again.
      expect(yield* run(fileItem("v5", 158, { since: { gen: "g4", count: 157 }, saved: "g5" }))).toMatchObject({
        events: 1
      })
      expect(built).toBe(2)
      // Another server's bookkeeping has none of it: everything is queued, whatever the memo.
      expect(yield* run(fileItem("v5", 158, { since: { gen: "g5", count: 158 }, saved: "g5" }, "other"))).toMatchObject(
        {
          events: 158
        }
      )
      expect(built).toBe(3)
    })
  )

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
