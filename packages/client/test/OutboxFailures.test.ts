import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as Outbox from "../src/Outbox.js"
import {
  type Answer,
  drainOnce,
  fakeSyncServer,
  internalError,
  stored,
  syncLayer,
  tempDir
} from "./support/syncFake.js"

const ev = (id: string) => ({ id, kind: "message" })
const ls = (dir: string, sub: string) => fs.readdirSync(path.join(dir, "outbox", sub)).sort()
const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, "utf8"))
const minute = 60_000

/** Appends files of events: each inner array is one append. */
const appendAll = (files: ReadonlyArray<ReadonlyArray<string>>) =>
  Effect.gen(function* () {
    const outbox = yield* Outbox.Outbox
    for (const ids of files) yield* outbox.append(ids.map(ev))
  })

const goodIds = (n: number, prefix = "g") => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

for (const bytes of [false, true]) {
  describe(`Outbox: one event the server fails on (500) never blocks the queue${bytes ? " (files sent as bytes)" : ""}`, () => {
    it.effect(
      "every other event goes out in the same drain; the poisoned one is retried with backoff, then set aside",
      () => {
        const dir = tempDir()
        let fixed = false
        const server = fakeSyncServer((ids) =>
          ids.includes("poison") && !fixed ? internalError("cannot store event poison") : stored(ids)
        )
        return Effect.gen(function* () {
          const good = goodIds(30)
          yield* appendAll([
            good.slice(0, 10),
            [...good.slice(10, 15), "poison", ...good.slice(15, 20)],
            good.slice(20)
          ])
          const outbox = yield* Outbox.Outbox

          const first = yield* drainOnce({}, bytes)

          const accepted = (id: string) =>
            server.requests.some((request) => request.ids.includes(id) && !request.ids.includes("poison"))
          expect(good.filter((id) => !accepted(id))).toEqual([])
          const reason = "The server failed (HTTP 500: cannot store event poison)."
          expect(first).toMatchObject({ delivered: 30, rejected: 0, retrying: 1, failure: null })
          expect(first.failed).toEqual([{ id: "poison", reason, status: 500, attempts: 1, retryAt: minute }])
          expect(ls(dir, "pending")).toHaveLength(1)
          expect(ls(dir, "pending")[0]).toMatch(/\.e5\.a1\.n0000000060000\.1\.json$/)
          const stats = yield* outbox.stats()
          expect(stats).toMatchObject({ pending: 1, retrying: 1, nextRetryAt: minute, rejected: 0, lastErrorAt: 0 })
          expect(stats.lastError).toBe(
            `Event poison failed on the server (try 1 of 5): ${reason} Next try after 1970-01-01T00:01:00.000Z; the other events were sent.`
          )

          // A later sync before the backoff ends does not send it again; events appended meanwhile go out.
          const firstDrain = server.requestsWith("poison")
          yield* appendAll([["late"]])
          const early = yield* drainOnce({}, bytes)
          expect([early.delivered, server.requestsWith("poison"), server.requestsWith("late")]).toEqual([
            1,
            firstDrain,
            1
          ])
          expect(yield* outbox.stats()).toMatchObject({
            pending: 1,
            retrying: 1,
            lastFailed: { at: 0, id: "poison", reason, status: 500, attempts: 1, retryAt: minute }
          })

          // Each try waits longer: 1, 4, 16, 64 minutes; the fifth failure sets it aside.
          const tries: Array<number> = []
          for (const wait of [1, 4, 16, 64]) {
            const sent = server.requestsWith("poison")
            yield* TestClock.adjust(wait * minute - 1)
            yield* drainOnce({}, bytes)
            expect(server.requestsWith("poison")).toBe(sent)
            yield* TestClock.adjust(1)
            const retried = yield* drainOnce({}, bytes)
            tries.push(...retried.failed.map((failed) => failed.attempts))
            expect(server.requestsWith("poison")).toBe(sent + 1)
          }
          expect(tries).toEqual([2, 3, 4, 5])
          const [record] = ls(dir, "rejected")
          expect(readJson(path.join(dir, "outbox", "rejected", record))).toMatchObject({
            reason,
            status: 500,
            attempts: 5,
            index: 5,
            event: ev("poison")
          })
          const aside = yield* outbox.stats()
          expect(aside).toMatchObject({
            pending: 0,
            retrying: 0,
            rejected: 1,
            lastRejected: { at: 85 * minute, id: "poison", reason }
          })
          expect(aside.lastError).toContain(
            "was set aside in rejected/ after 5 failed tries: The server failed (HTTP 500"
          )

          // Set aside: later syncs leave it alone until the user asks for it again.
          yield* TestClock.adjust(24 * 60 * minute)
          yield* drainOnce({}, bytes)
          expect(server.requestsWith("poison")).toBe(firstDrain + 4)

          fixed = true
          expect(yield* outbox.retryRejected()).toEqual({ requeued: 1, unreadable: [] })
          expect(yield* outbox.stats()).toMatchObject({ pending: 1, retrying: 0, rejected: 0 })
          const again = yield* drainOnce({}, bytes)
          expect(again).toMatchObject({ delivered: 1, rejected: 0, retrying: 0, failure: null })
          expect(server.requests.at(-1)?.ids).toEqual(["poison"])
          expect(yield* outbox.stats()).toMatchObject({ pending: 0, rejected: 0, lastError: null })
        }).pipe(Effect.provide(syncLayer(dir, server.client)))
      }
    )

    it.effect("several poisoned events among many: each is isolated, the rest is delivered in one drain", () => {
      const dir = tempDir()
      const poisoned = new Set(["g3", "g4", "g57", "g199"])
      const server = fakeSyncServer((ids) => (ids.some((id) => poisoned.has(id)) ? internalError("boom") : stored(ids)))
      return Effect.gen(function* () {
        const ids = goodIds(200)
        yield* appendAll(Array.from({ length: 20 }, (_, i) => ids.slice(i * 10, i * 10 + 10)))

        const result = yield* drainOnce({ maxEvents: 100 }, bytes)

        expect(result).toMatchObject({ delivered: 196, retrying: 4, failure: null })
        expect(result.failed.map((failed) => failed.id).sort()).toEqual([...poisoned].sort())
        const delivered = new Set(
          server.requests.filter((r) => !r.ids.some((id) => poisoned.has(id))).flatMap((r) => r.ids)
        )
        expect(delivered.size).toBe(196)
        // Halving costs about two requests per poisoned event and tree level, not one per event.
        expect(server.requests.length).toBeLessThan(60)
      }).pipe(Effect.provide(syncLayer(dir, server.client)))
    })

    it.effect("a 413 for an event alone sets it aside at once: it can never fit", () => {
      const dir = tempDir()
      const server = fakeSyncServer((ids) =>
        ids.includes("huge") ? { status: 413, body: { _tag: "PayloadTooLarge", error: "body too large" } } : stored(ids)
      )
      return Effect.gen(function* () {
        yield* appendAll([["a", "huge", "b"]])
        const result = yield* drainOnce({}, bytes)
        expect(result).toMatchObject({ delivered: 2, rejected: 1, retrying: 0 })
        expect(result.failed).toEqual([
          {
            id: "huge",
            reason: "The server refused the request (HTTP 413: body too large).",
            status: 413,
            attempts: 1,
            retryAt: null
          }
        ])
      }).pipe(Effect.provide(syncLayer(dir, server.client)))
    })

    it.effect("a claim the server fails entirely waits while later claims go out, then its events are charged", () => {
      const dir = tempDir()
      const server = fakeSyncServer((ids) =>
        ids.some((id) => id.startsWith("p")) ? internalError("boom") : stored(ids)
      )
      return Effect.gen(function* () {
        yield* appendAll([
          ["p1", "p2", "p3", "p4"],
          ["g1", "g2", "g3", "g4"]
        ])
        const result = yield* drainOnce({ maxEvents: 4 }, bytes)
        expect(result).toMatchObject({ delivered: 4, retrying: 4, failure: null })
        expect(result.failed.map((failed) => [failed.id, failed.attempts])).toEqual([
          ["p1", 1],
          ["p2", 1],
          ["p3", 1],
          ["p4", 1]
        ])
      }).pipe(Effect.provide(syncLayer(dir, server.client)))
    })

    it.effect("the backoff survives a restart: a new process does not send the event before its time", () => {
      const dir = tempDir()
      const server = fakeSyncServer((ids) => (ids.includes("poison") ? internalError("boom") : stored(ids)))
      const process = () => syncLayer(dir, server.client)
      return Effect.gen(function* () {
        yield* Effect.provide(Effect.zipRight(appendAll([["a", "poison", "b"]]), drainOnce({}, bytes)), process())
        const tried = server.requestsWith("poison")
        yield* TestClock.adjust(minute - 1)
        yield* Effect.provide(drainOnce({}, bytes), process())
        expect(server.requestsWith("poison")).toBe(tried)
        yield* TestClock.adjust(1)
        const later = yield* Effect.provide(drainOnce({}, bytes), process())
        expect(server.requestsWith("poison")).toBe(tried + 1)
        expect(later.failed).toMatchObject([{ id: "poison", attempts: 2, retryAt: 5 * minute }])
      })
    })
  })

  describe(`Outbox: what is not the events' fault never counts against them${bytes ? " (files sent as bytes)" : ""}`, () => {
    it.effect("server down (connection refused): nothing is charged or set aside, however often it is tried", () => {
      const dir = tempDir()
      let down = true
      const server = fakeSyncServer((ids) => (down ? "refuse-connection" : stored(ids)))
      return Effect.gen(function* () {
        yield* appendAll([["d1", "d2"], ["d3"]])
        const outbox = yield* Outbox.Outbox
        const before = ls(dir, "pending")
        for (let sync = 0; sync < 12; sync++) {
          const result = yield* drainOnce({ retry: Outbox.retrySchedule({ retries: 0 }) }, bytes)
          expect([result.failure?.kind, result.failed, result.rejected]).toEqual(["unavailable", [], 0])
          yield* TestClock.adjust(6 * 60 * minute)
        }
        expect(ls(dir, "pending")).toEqual(before)
        expect(yield* outbox.stats()).toMatchObject({ pending: 3, retrying: 0, rejected: 0 })
        expect((yield* outbox.stats()).lastError).toContain("Cannot reach http://sync.test")
        down = false
        expect(yield* drainOnce({}, bytes)).toMatchObject({ delivered: 3, failure: null })
      }).pipe(Effect.provide(syncLayer(dir, server.client)))
    })

    it.effect(
      "server down also spares an event that already failed: its try count and next try stay as they were",
      () => {
        const dir = tempDir()
        let state: "poisoned" | "down" = "poisoned"
        const server = fakeSyncServer((ids) =>
          state === "down" ? "refuse-connection" : ids.includes("poison") ? internalError("boom") : stored(ids)
        )
        return Effect.gen(function* () {
          yield* appendAll([["a", "poison"]])
          yield* drainOnce({}, bytes)
          const waiting = ls(dir, "pending")
          expect(waiting[0]).toMatch(/\.e1\.a1\.n0000000060000\.1\.json$/)
          state = "down"
          yield* TestClock.adjust(2 * minute)
          const result = yield* drainOnce({ retry: Outbox.retrySchedule({ retries: 0 }) }, bytes)
          expect([result.failure?.kind, result.failed]).toEqual(["unavailable", []])
          expect(ls(dir, "pending")).toEqual(waiting)
        }).pipe(Effect.provide(syncLayer(dir, server.client)))
      }
    )

    it.effect("a server that fails every request charges nothing and stops after a bounded number of requests", () => {
      const dir = tempDir()
      const server = fakeSyncServer(() => internalError("database is locked"))
      return Effect.gen(function* () {
        const ids = goodIds(3000)
        yield* appendAll(Array.from({ length: 30 }, (_, i) => ids.slice(i * 100, i * 100 + 100)))
        const outbox = yield* Outbox.Outbox
        const before = ls(dir, "pending")
        for (let sync = 0; sync < 8; sync++) {
          const sent = server.requests.length
          const result = yield* drainOnce({ maxProbes: 16 }, bytes)
          expect(server.requests.length - sent).toBeLessThanOrEqual(3 * 16)
          expect(result).toMatchObject({ delivered: 0, rejected: 0, retrying: 0, failed: [] })
          expect(result.failure?.kind).toBe("failed")
          expect(result.failure?.message).toBe(
            "The server failed (HTTP 500: database is locked). The server accepted no request, so this is not charged " +
              "to the events; they stay queued."
          )
          yield* TestClock.adjust(6 * 60 * minute)
        }
        expect(ls(dir, "pending")).toEqual(before)
        expect(yield* outbox.stats()).toMatchObject({ pending: 3000, retrying: 0, rejected: 0 })
      }).pipe(Effect.provide(syncLayer(dir, server.client)))
    })

    it.effect("a server that fails every request is reported as failing with a small backlog too", () => {
      const dir = tempDir()
      const server = fakeSyncServer(() => ({ status: 502, body: "Bad Gateway" }))
      return Effect.gen(function* () {
        // One file of 36 events: its probes run out before any event is alone, and nothing else is queued
        yield* appendAll([goodIds(36)])
        const result = yield* drainOnce({ maxProbes: 16 }, bytes)
        expect(result).toMatchObject({ delivered: 0, rejected: 0, failed: [] })
        expect(result.failure?.kind).toBe("failed")
        expect(result.failure?.message).toContain("The server accepted no request")
        expect((yield* (yield* Outbox.Outbox).stats()).lastError).toContain("HTTP 502")
        expect(ls(dir, "pending")).toHaveLength(1)
      }).pipe(Effect.provide(syncLayer(dir, server.client)))
    })

    it.effect("a refused key stops the drain at once and charges nothing", () => {
      const dir = tempDir()
      const server = fakeSyncServer(() => ({ status: 401, body: { _tag: "Unauthorized", error: "Invalid API key" } }))
      return Effect.gen(function* () {
        yield* appendAll([["k1", "k2"]])
        const result = yield* drainOnce({}, bytes)
        expect(server.requests.length).toBe(1)
        expect(result.failure).toEqual(
          new Outbox.SendFailed({
            kind: "refused",
            status: 401,
            message:
              "The server rejected the API key (HTTP 401: Invalid API key). Run login again with a valid osk_ key."
          })
        )
        expect(result.failed).toEqual([])
        expect(ls(dir, "pending")).toHaveLength(1)
      }).pipe(Effect.provide(syncLayer(dir, server.client)))
    })
  })

  describe(`Outbox: answers that name events${bytes ? " (files sent as bytes)" : ""}`, () => {
    const answerWith =
      (extra: { rejected?: ReadonlyArray<string>; deleted?: ReadonlyArray<string> }) =>
      (ids: ReadonlyArray<string>): Answer => {
        const rejected = ids.flatMap((id, index) =>
          extra.rejected?.includes(id) ? [{ index, id, error: `Invalid event ${id}: sessionId is missing` }] : []
        )
        const deleted = ids.filter((id) => extra.deleted?.includes(id))
        const storedIds = ids.filter((id) => !extra.rejected?.includes(id) && !extra.deleted?.includes(id))
        return { status: 200, body: { stored: storedIds, duplicates: [], stale: [], rejected, deleted } }
      }

    it.effect("a 4xx that names one event (rejected, by index) sets only that event aside, at once", () => {
      const dir = tempDir()
      const server = fakeSyncServer(answerWith({ rejected: ["bad"] }))
      return Effect.gen(function* () {
        yield* appendAll([
          ["r1", "r2"],
          ["r3", "r4", "bad", "r5"]
        ])
        const [, second] = ls(dir, "pending")
        const result = yield* drainOnce({}, bytes)
        expect(result).toMatchObject({ delivered: 5, rejected: 1, retrying: 0, requests: 1, failed: [], failure: null })
        const name = "event-bad.json"
        expect(ls(dir, "rejected")).toEqual([name])
        expect(readJson(path.join(dir, "outbox", "rejected", name))).toEqual({
          v: 1,
          rejectedAt: 0,
          reason: "Invalid event bad: sessionId is missing",
          source: second,
          index: 2,
          event: ev("bad")
        })
        expect((yield* (yield* Outbox.Outbox).stats()).lastRejected).toEqual({
          at: 0,
          id: "bad",
          reason: "Invalid event bad: sessionId is missing"
        })
        yield* drainOnce({}, bytes)
        expect(server.requestsWith("bad")).toBe(1)
      }).pipe(Effect.provide(syncLayer(dir, server.client)))
    })

    it.effect("events answered as deleted (their session was deleted on the server) are dropped and counted", () => {
      const dir = tempDir()
      const server = fakeSyncServer(answerWith({ deleted: ["x1", "x2", "x3"] }))
      return Effect.gen(function* () {
        yield* appendAll([["x1", "k1", "x2"], ["x3"]])
        const outbox = yield* Outbox.Outbox
        const result = yield* drainOnce({}, bytes)
        expect(result).toMatchObject({ delivered: 1, deleted: 3, rejected: 0, failed: [], failure: null })
        expect(yield* outbox.stats()).toMatchObject({ pending: 0, rejected: 0, deleted: 3, lastError: null })
        yield* appendAll([["x1"]])
        yield* drainOnce({}, bytes)
        expect(yield* outbox.stats()).toMatchObject({ pending: 0, deleted: 4 })
        expect(ls(dir, "rejected")).toEqual([])
      }).pipe(Effect.provide(syncLayer(dir, server.client)))
    })
  })
}
