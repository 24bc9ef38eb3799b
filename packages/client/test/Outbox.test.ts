import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import * as Outbox from "../src/Outbox.js"
import { bundleFixture } from "./support/bundle.js"

const roots: Array<string> = []
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "outbox-test-"))
  roots.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true })
})

const ls = (dir: string, sub: string) => fs.readdirSync(path.join(dir, sub)).sort()
const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, "utf8"))
const idOf = (event: unknown) => (event as { readonly id: string }).id
const ev = (id: string, pad = 0) => ({ id, pad: "x".repeat(pad) })
const spoolName = (at: number, seq: number, count: number) =>
  `${String(at).padStart(13, "0")}-0000000042-${String(seq).padStart(10, "0")}-0000abcd.${count}.json`

const parseError = (text: string) => {
  try {
    JSON.parse(text)
    return "parsed"
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

const open = (dir: string) => Effect.provide(Outbox.Outbox, Outbox.layer(dir))

/** An outbox in a fresh directory with `files` appended: each array of ids is one append of `ev(id)` events. */
const queued = (...files: ReadonlyArray<ReadonlyArray<string>>) =>
  Effect.gen(function* () {
    const dir = tempDir()
    const outbox = yield* open(dir)
    for (const ids of files) yield* outbox.append(ids.map((id) => ev(id)))
    return { dir, outbox }
  })

/** A fake server: records every batch's ids, stores everything unless told to reject or fail. */
const fakeServer = (
  options: {
    readonly reject?: (id: string) => string | undefined
    readonly fail?: (attempt: number) => Outbox.SendFailed | undefined
  } = {}
) =>
  Effect.gen(function* () {
    const batches = yield* Ref.make<ReadonlyArray<ReadonlyArray<string>>>([])
    const attempts = yield* Ref.make(0)
    const send: Outbox.Send = (events) =>
      Effect.gen(function* () {
        const attempt = yield* Ref.updateAndGet(attempts, (n) => n + 1)
        const failure = options.fail?.(attempt)
        if (failure !== undefined) return yield* failure
        const ids = events.map(idOf)
        yield* Ref.update(batches, (all) => [...all, ids])
        const rejected = ids.flatMap((id, index) => {
          const error = options.reject?.(id)
          return error === undefined ? [] : [{ index, id, error }]
        })
        const stored = ids.filter((_, index) => !rejected.some((r) => r.index === index))
        return { stored, duplicates: [], stale: [], rejected }
      })
    return { send, batches: Ref.get(batches), attempts: Ref.get(attempts) }
  })

const down =
  (message = "connect ECONNREFUSED 127.0.0.1:1") =>
  () =>
    new Outbox.SendFailed({ kind: "unavailable", message })

/** Runs `effect` to completion, advancing the TestClock to each sleep it starts; returns the wake-up times. */
const runWithTestClock = <A, E>(effect: Effect.Effect<A, E>, atEachSleep: Effect.Effect<void> = Effect.void) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    const wakes: Array<number> = []
    while (true) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return { exit: done.value, wakes }
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.isEmpty(sleeps)) {
        yield* TestServices.provideLive(Effect.sleep("1 millis"))
        continue
      }
      const next = Math.min(...sleeps)
      wakes.push(next)
      yield* atEachSleep
      yield* TestClock.setTime(next)
    }
  })

const emptyStats: Outbox.Stats = {
  pending: 0,
  pendingFiles: 0,
  oldestPendingAt: null,
  retrying: 0,
  nextRetryAt: null,
  lastFailed: null,
  rejected: 0,
  lastRejected: null,
  deleted: 0,
  corrupt: 0,
  corruptFiles: [],
  lastSuccessAt: null,
  lastError: null,
  lastErrorAt: null
}

const noFailure = { deleted: 0, retrying: 0, reclaimed: 0, corrupt: [], failed: [], failure: null }

describe("Outbox.append and drain", () => {
  it.effect("delivers every event exactly once, in order, in batches of at most maxEvents", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["a1"], ["a2", "a3", "a4"], [], ["a5", "a6"])
      yield* outbox.append(["b1", "b2", "b3", "b4", "b5"].map((id) => ev(id)))
      yield* outbox.append([ev("c1")])
      expect(ls(dir, "pending").length).toBe(5)
      expect(yield* outbox.stats()).toEqual({ ...emptyStats, pending: 12, pendingFiles: 5, oldestPendingAt: 0 })

      const server = yield* fakeServer()
      const result = yield* outbox.drain(server.send, { maxEvents: 4 })

      expect(result).toEqual({ delivered: 12, rejected: 0, requests: 5, ...noFailure })
      expect(yield* server.batches).toEqual([
        ["a1", "a2", "a3", "a4"],
        ["a5", "a6"],
        ["b1", "b2", "b3", "b4"],
        ["b5"],
        ["c1"]
      ])
      expect(yield* outbox.stats()).toEqual({ ...emptyStats, lastSuccessAt: 0 })
      expect([ls(dir, "pending"), ls(dir, "sending"), ls(dir, "tmp")]).toEqual([[], [], []])
      expect(yield* outbox.drain(server.send)).toEqual({ delivered: 0, rejected: 0, requests: 0, ...noFailure })
      expect((yield* server.batches).length).toBe(5)
    })
  )

  it.effect("keeps requests under maxBytes and rejects, without sending, an event larger than any request", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const outbox = yield* open(dir)
      // {"id":"dN","pad":"x…"} is 20 + pad bytes; each adds its JSON and a comma to a request: 100 bytes at pad 79
      for (const id of ["d1", "d2", "d3", "d4"]) yield* outbox.append([ev(id, 79)])
      yield* outbox.append([ev("huge", 400)])
      for (const id of ["d5", "d6", "d7"]) yield* outbox.append([ev(id, 79)])
      const server = yield* fakeServer()

      const result = yield* outbox.drain(server.send, { maxBytes: 16 + 300 })

      expect(yield* server.batches).toEqual([["d1", "d2", "d3"], ["d4"], ["d5", "d6", "d7"]])
      expect(result).toEqual({ delivered: 7, rejected: 1, requests: 3, ...noFailure })
      expect(ls(dir, "rejected")).toEqual(["event-huge.json"])
      expect(readJson(path.join(dir, "rejected", "event-huge.json"))).toMatchObject({
        v: 1,
        rejectedAt: 0,
        reason: "the event is 422 bytes of JSON, more than a request may hold (316)",
        index: 0,
        event: ev("huge", 400)
      })
    })
  )

  it.effect("the same event refused again (queued again by the next import) is one record, not one more", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["bad", "e1"])
      const server = yield* fakeServer({
        reject: (id) => (id === "bad" ? "Invalid event: text is not Unicode" : undefined)
      })
      expect(yield* outbox.drain(server.send)).toMatchObject({ delivered: 1, rejected: 1 })
      yield* outbox.append([ev("bad")])
      expect(yield* outbox.drain(server.send)).toMatchObject({ delivered: 0, rejected: 1 })
      expect(ls(dir, "rejected")).toEqual(["event-bad.json"])
      expect((yield* outbox.stats()).rejected).toBe(1)
    })
  )

  it.effect("moves an event the server rejects to rejected/ with the reason, delivers the others", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["e1", "e2"], ["bad", "e3"])
      const [, second] = ls(dir, "pending")
      const server = yield* fakeServer({
        reject: (id) => (id === "bad" ? "Invalid event: sessionId is missing" : undefined)
      })

      const result = yield* outbox.drain(server.send)

      expect(result).toEqual({ delivered: 3, rejected: 1, requests: 1, ...noFailure })
      expect(yield* server.batches).toEqual([["e1", "e2", "bad", "e3"]])
      expect(ls(dir, "rejected")).toEqual(["event-bad.json"])
      expect(readJson(path.join(dir, "rejected", "event-bad.json"))).toEqual({
        v: 1,
        rejectedAt: 0,
        reason: "Invalid event: sessionId is missing",
        source: second,
        index: 0,
        event: ev("bad")
      })
      expect(yield* outbox.stats()).toEqual({
        ...emptyStats,
        rejected: 1,
        lastRejected: { at: 0, id: "bad", reason: "Invalid event: sessionId is missing" },
        lastSuccessAt: 0
      })
      yield* outbox.drain(server.send)
      expect((yield* server.batches).length).toBe(1)
    })
  )
})

describe("Outbox.drain when the server fails", () => {
  const retry = Outbox.retrySchedule({ base: "100 millis", factor: 2, retries: 3, jitter: false })

  it.effect("server down: retries with exponential backoff, then stops with everything still pending", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["s1", "s2"], ["s3"], ["s4", "s5"])
      const before = ls(dir, "pending")
      const server = yield* fakeServer({ fail: down() })
      const pendingAtSleeps: Array<number> = []

      const { exit, wakes } = yield* runWithTestClock(
        outbox.drain(server.send, { retry }),
        Effect.sync(() => pendingAtSleeps.push(ls(dir, "pending").length))
      )

      expect(wakes).toEqual([100, 300, 700])
      expect(pendingAtSleeps).toEqual([3, 3, 3])
      expect(yield* server.attempts).toBe(4)
      expect(exit).toEqual(
        Exit.succeed({
          ...noFailure,
          delivered: 0,
          rejected: 0,
          requests: 0,
          failure: new Outbox.SendFailed({ kind: "unavailable", message: "connect ECONNREFUSED 127.0.0.1:1" })
        })
      )
      expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([before, []])
      expect(yield* outbox.stats()).toEqual({
        ...emptyStats,
        pending: 5,
        pendingFiles: 3,
        oldestPendingAt: 0,
        lastError: "connect ECONNREFUSED 127.0.0.1:1",
        lastErrorAt: 700
      })

      const later = yield* fakeServer()
      expect(yield* outbox.drain(later.send)).toEqual({ delivered: 5, rejected: 0, requests: 1, ...noFailure })
      expect(yield* later.batches).toEqual([["s1", "s2", "s3", "s4", "s5"]])
      expect(yield* outbox.stats()).toEqual({ ...emptyStats, lastSuccessAt: 700 })
    })
  )

  it.effect("a transient failure is retried within the same drain and the backoff restarts after a success", () =>
    Effect.gen(function* () {
      const { outbox } = yield* queued(["t1"], ["t2"])
      const server = yield* fakeServer({
        fail: (attempt) => (attempt <= 2 || attempt === 4 ? down("503 Service Unavailable")() : undefined)
      })

      const { exit, wakes } = yield* runWithTestClock(outbox.drain(server.send, { retry, maxEvents: 1 }))

      expect(wakes).toEqual([100, 300, 400])
      expect(yield* server.attempts).toBe(5)
      expect(yield* server.batches).toEqual([["t1"], ["t2"]])
      expect(exit).toEqual(Exit.succeed({ delivered: 2, rejected: 0, requests: 2, ...noFailure }))
      expect((yield* outbox.stats()).lastError).toBe(null)
    })
  )

  it.effect("the default schedule retries 4 times, 250 ms doubling, each delay jittered by at most 20%", () =>
    Effect.gen(function* () {
      const { outbox } = yield* queued(["j1"])
      const server = yield* fakeServer({ fail: down() })

      const { wakes } = yield* runWithTestClock(outbox.drain(server.send))

      const delays = wakes.map((at, i) => at - (i === 0 ? 0 : wakes[i - 1]))
      const ratios = delays.map((delay, i) => delay / (250 * 2 ** i))
      expect(ratios.map((r) => r >= 0.8 && r <= 1.2)).toEqual([true, true, true, true])
      expect(yield* server.attempts).toBe(5)
    })
  )

  it.effect("a request refused as a whole (e.g. 401) is not retried and leaves everything pending", () =>
    Effect.gen(function* () {
      const { outbox } = yield* queued(["p1"])
      const refused = new Outbox.SendFailed({ kind: "refused", message: "Invalid API key. Run `login`." })
      const server = yield* fakeServer({ fail: () => refused })

      const { exit, wakes } = yield* runWithTestClock(outbox.drain(server.send, { retry }))

      expect([wakes, yield* server.attempts]).toEqual([[], 1])
      expect(exit).toEqual(Exit.succeed({ delivered: 0, rejected: 0, requests: 0, ...noFailure, failure: refused }))
      expect([(yield* outbox.stats()).pending, (yield* outbox.stats()).lastError]).toEqual([
        1,
        "Invalid API key. Run `login`."
      ])
    })
  )

  it.effect("an answer that does not account for every event is a failure of the batch: it is split", () =>
    Effect.gen(function* () {
      const { outbox } = yield* queued(["q1", "q2", "q3"])
      const batches: Array<ReadonlyArray<string>> = []
      const send: Outbox.Send = (events) =>
        Effect.sync(() => {
          const ids = events.map(idOf)
          batches.push(ids)
          return { stored: ids.filter((id) => id !== "q2"), duplicates: [], stale: [], rejected: [] }
        })

      const result = yield* outbox.drain(send, { backoff: { base: "1 minute", factor: 2 } })

      expect(batches).toEqual([["q1", "q2", "q3"], ["q1"], ["q2", "q3"], ["q2"], ["q3"]])
      const reason = "The server's answer does not add up: the server's answer accounts for 0 of 1 events."
      expect(result).toEqual({
        ...noFailure,
        delivered: 2,
        rejected: 0,
        retrying: 1,
        requests: 2,
        failed: [{ id: "q2", reason, status: null, attempts: 1, retryAt: 60_000 }]
      })
      expect((yield* outbox.stats()).retrying).toBe(1)
    })
  )

  it.effect("an interrupted drain puts its claims back in pending/", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["i1"], ["i2"])
      const before = ls(dir, "pending")
      const sending = yield* Ref.make(false)
      const send: Outbox.Send = () => Effect.zipRight(Ref.set(sending, true), Effect.never)
      const fiber = yield* Effect.fork(outbox.drain(send))
      while (!(yield* Ref.get(sending))) yield* TestServices.provideLive(Effect.sleep("1 millis"))
      expect(ls(dir, "pending")).toEqual([])

      yield* Fiber.interrupt(fiber)

      expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([before, []])
    })
  )
})

/** Waits, in real time, until `done` holds or `ms` have passed; whether it held. */
const waitFor = (done: () => boolean, ms = 10_000) =>
  Effect.promise(async () => {
    const until = Date.now() + ms
    while (!done() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5))
    return done()
  })

describe("Outbox.drain claims the next files while a request is in flight", () => {
  it.effect("once the server accepted a request, the next claim is made during the following one", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["p1"], ["p2"], ["p3"])
      const batches: Array<ReadonlyArray<string>> = []
      const pendingDuring: Array<ReadonlyArray<string>> = []
      const send: Outbox.Send = (events) =>
        Effect.gen(function* () {
          const ids = events.map(idOf)
          batches.push(ids)
          // The second request waits (in real time) for the third file to be claimed: it is, or the wait runs out.
          if (batches.length === 2) yield* waitFor(() => ls(dir, "pending").length === 0)
          pendingDuring.push(ls(dir, "pending"))
          return { stored: ids, duplicates: [], stale: [], rejected: [] }
        })

      const result = yield* outbox.drain(send, { maxEvents: 1 })

      expect(result).toEqual({ delivered: 3, rejected: 0, requests: 3, ...noFailure })
      expect(batches).toEqual([["p1"], ["p2"], ["p3"]])
      // During the first request nothing is claimed ahead (the server may not work); during the second, p3 is.
      expect(pendingDuring.map((names) => names.length)).toEqual([2, 0, 0])
      expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([[], []])
    })
  )

  for (const way of ["events", "bytes"] as const) {
    it.effect(
      `a server that goes away: what was claimed ahead goes back, and the retry sends the oldest first (${way})`,
      () =>
        Effect.gen(function* () {
          const { dir, outbox } = yield* queued(["r1"], ["r2"], ["r3"])
          const server = yield* fakeServer({
            fail: (attempt) => (attempt === 2 ? down("503 Service Unavailable")() : undefined)
          })
          const attempted: Array<string> = []
          const send: Outbox.Send = (events) =>
            Effect.gen(function* () {
              attempted.push(events.map(idOf).join(","))
              // Let the claim made ahead (r3) happen before this request fails.
              if (attempted.length === 2) yield* waitFor(() => ls(dir, "pending").length === 0)
              return yield* server.send(events)
            })
          // Sent as bytes, every claim goes out whole (the events path is never taken), and the claim made ahead
          // is a file read as bytes that must go back to pending/ unparsed.
          const bytes: Outbox.SendEncoded = (body) =>
            send((JSON.parse(Buffer.from(body).toString("utf8")) as { events: ReadonlyArray<unknown> }).events)
          const eventsPath: Outbox.Send = way === "events" ? send : () => Effect.die("the events path was used")

          const retry = Outbox.retrySchedule({ base: "100 millis", factor: 2, retries: 3, jitter: false })
          const { exit, wakes } = yield* runWithTestClock(
            outbox.drain(eventsPath, { retry, maxEvents: 1 }, way === "bytes" ? bytes : undefined)
          )

          expect(attempted).toEqual(["r1", "r2", "r2", "r3"])
          expect(wakes).toEqual([100])
          expect(yield* server.batches).toEqual([["r1"], ["r2"], ["r3"]])
          expect(exit).toEqual(Exit.succeed({ delivered: 3, rejected: 0, requests: 3, ...noFailure }))
          expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([[], []])
        })
    )
  }

  it.effect("a server that refuses the key: the drain stops with every unsent file back in pending/", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["k1"], ["k2"], ["k3"], ["k4"])
      const names = ls(dir, "pending")
      const attempted: Array<string> = []
      const send: Outbox.Send = (events) =>
        Effect.gen(function* () {
          const ids = events.map(idOf)
          attempted.push(ids.join(","))
          if (attempted.length === 1) return { stored: ids, duplicates: [], stale: [], rejected: [] }
          yield* waitFor(() => ls(dir, "pending").length === 1)
          return yield* new Outbox.SendFailed({ kind: "refused", status: 401, message: "invalid key" })
        })

      const result = yield* outbox.drain(send, { maxEvents: 1 })

      expect(attempted).toEqual(["k1", "k2"])
      expect(result.delivered).toBe(1)
      expect(result.failure?.status).toBe(401)
      expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([names.slice(1), []])
    })
  )

  it.effect("an interrupted drain puts the files it claimed ahead back in pending/ too", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["j1"], ["j2"], ["j3"])
      const names = ls(dir, "pending")
      const second = yield* Ref.make(false)
      const send: Outbox.Send = (events) =>
        events.map(idOf)[0] === "j1"
          ? Effect.succeed({ stored: ["j1"], duplicates: [], stale: [], rejected: [] })
          : Effect.zipRight(Ref.set(second, true), Effect.never)
      const fiber = yield* Effect.fork(outbox.drain(send, { maxEvents: 1 }))
      while (!(yield* Ref.get(second))) yield* TestServices.provideLive(Effect.sleep("1 millis"))
      expect(yield* waitFor(() => ls(dir, "pending").length === 0)).toBe(true)

      yield* Fiber.interrupt(fiber)

      expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([names.slice(1), []])
    })
  )

  it.effect("files appended after the claim made ahead found none are sent in the same drain", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["n1"], ["n2"])
      const batches: Array<string> = []
      const send: Outbox.Send = (events) =>
        Effect.gen(function* () {
          const ids = events.map(idOf)
          batches.push(ids.join(","))
          if (batches.length === 2) {
            // The claim made ahead finds nothing (a real pause lets it run); then an import appends.
            yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 100)))
            yield* Effect.orDie(outbox.append([ev("n3")]))
          }
          return { stored: ids, duplicates: [], stale: [], rejected: [] }
        })

      const result = yield* outbox.drain(send, { maxEvents: 1 })

      expect(batches).toEqual(["n1", "n2", "n3"])
      expect(result.delivered).toBe(3)
      expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([[], []])
    })
  )
})

describe("Outbox.drain with sendEncoded: files go out as their bytes", () => {
  /** A `sendEncoded` over `server` (a fake's `send`): the body parsed here, as the server would. */
  const encodedOver =
    (server: Outbox.Send, bodies: Array<string>): Outbox.SendEncoded =>
    (body, count) =>
      Effect.suspend(() => {
        const text = Buffer.from(body).toString("utf8")
        bodies.push(text)
        let events: ReadonlyArray<unknown>
        try {
          events = (JSON.parse(text) as { events: ReadonlyArray<unknown> }).events
        } catch (error) {
          return Effect.fail(new Outbox.SendFailed({ kind: "failed", status: 400, message: `bad JSON: ${error}` }))
        }
        expect(events.length).toBe(count)
        return server(events)
      })
  const eventsPathUnused: Outbox.Send = () => Effect.die("the events path was used")

  it.effect("what the outbox wrote is sent as it is: one request per claim, the body the events' JSON", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["b1", "b2"], ["b3"], [])
      const server = yield* fakeServer()
      const bodies: Array<string> = []

      const result = yield* outbox.drain(eventsPathUnused, {}, encodedOver(server.send, bodies))

      expect(result).toEqual({ delivered: 3, rejected: 0, requests: 1, ...noFailure })
      expect(bodies).toEqual([JSON.stringify({ events: ["b1", "b2", "b3"].map((id) => ev(id)) })])
      expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([[], []])
      expect(yield* outbox.stats()).toEqual({ ...emptyStats, lastSuccessAt: 0 })
    })
  )

  it.effect("a file in another shape (not the outbox's own writing) makes its claim go out as parsed events", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["q1"])
      fs.writeFileSync(path.join(dir, "pending", spoolName(9, 1, 1)), '{ "v": 1, "events": [ { "id": "q2" } ] }\n')
      const server = yield* fakeServer()
      const bodies: Array<string> = []

      const result = yield* outbox.drain(server.send, {}, encodedOver(server.send, bodies))

      expect(result).toEqual({ delivered: 2, rejected: 0, requests: 1, ...noFailure })
      expect(bodies).toEqual([])
      expect(yield* server.batches).toEqual([["q1", "q2"]])
    })
  )

  it.effect(
    "an answer that names events makes the claim parsed: refused ones set aside whole, deleted ones counted",
    () =>
      Effect.gen(function* () {
        const { dir, outbox } = yield* queued(["n1", "n2"], ["n3"])
        const bodies: Array<string> = []
        const answer: Outbox.SendEncoded = (body, count) =>
          Effect.sync(() => {
            bodies.push(Buffer.from(body).toString("utf8"))
            expect(count).toBe(3)
            return {
              stored: ["n1"],
              duplicates: [],
              stale: [],
              rejected: [{ index: 1, id: "n2", error: "bad kind" }],
              deleted: ["n3"]
            }
          })

        const result = yield* outbox.drain(eventsPathUnused, {}, answer)

        expect(result).toEqual({ ...noFailure, delivered: 1, rejected: 1, deleted: 1, requests: 1 })
        expect(bodies).toHaveLength(1)
        const [record] = ls(dir, "rejected")
        expect(readJson(path.join(dir, "rejected", record))).toMatchObject({ reason: "bad kind", event: ev("n2") })
        expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([[], []])
      })
  )

  it.effect(
    "a body the server fails on is parsed and split as any batch: the failing event alone, the rest delivered",
    () =>
      Effect.gen(function* () {
        const { outbox } = yield* queued(["f1", "f2", "bad", "f3"])
        const failing = (events: ReadonlyArray<unknown>) => events.some((event) => idOf(event) === "bad")
        const server = yield* fakeServer({ reject: () => undefined })
        const attempts: Array<string> = []
        const store: Outbox.Send = (events) =>
          failing(events)
            ? Effect.fail(new Outbox.SendFailed({ kind: "failed", status: 500, message: "cannot store bad" }))
            : server.send(events)
        const send: Outbox.Send = (events) => {
          attempts.push(`events:${events.map(idOf).join(",")}`)
          return store(events)
        }
        const bodies: Array<string> = []
        const encoded: Outbox.SendEncoded = (body, count) => {
          attempts.push(`bytes:${count}`)
          return encodedOver(store, bodies)(body, count)
        }

        const result = yield* outbox.drain(send, {}, encoded)

        expect(attempts).toEqual(["bytes:4", "events:f1,f2", "events:bad,f3", "events:bad", "events:f3"])
        expect(yield* server.batches).toEqual([["f1", "f2"], ["f3"]])
        expect(result).toMatchObject({ delivered: 3, rejected: 0, retrying: 1, requests: 2 })
        expect(result.failed.map((failed) => [failed.id, failed.attempts])).toEqual([["bad", 1]])
      })
  )

  it.effect(
    "a damaged file in the outbox's own envelope: refused as a body, then quarantined, what it holds sent",
    () =>
      Effect.gen(function* () {
        const { dir, outbox } = yield* queued()
        const damaged = '{"v":1,"events":[{"id":"d1"},{"id":"d2"},{"id":]}'
        fs.writeFileSync(path.join(dir, "pending", spoolName(5, 1, 3)), damaged)
        const server = yield* fakeServer()
        const bodies: Array<string> = []

        const result = yield* outbox.drain(server.send, {}, encodedOver(server.send, bodies))

        expect(bodies).toHaveLength(2)
        expect(yield* server.batches).toEqual([["d1", "d2"]])
        expect(result.delivered).toBe(2)
        expect(result.corrupt.map((corrupt) => corrupt.file)).toEqual([spoolName(5, 1, 3)])
        expect(ls(dir, "corrupt")).toEqual([spoolName(5, 1, 3)])
        expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([[], []])
      })
  )

  it.effect("a file holding fewer events than its name says: the answer does not add up, the file is quarantined", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued()
      fs.writeFileSync(path.join(dir, "pending", spoolName(6, 1, 3)), '{"v":1,"events":[{"id":"c1"},{"id":"c2"}]}')
      const server = yield* fakeServer()
      const bodies: Array<string> = []
      const counted: Outbox.SendEncoded = (body, count) => {
        const events = (JSON.parse(Buffer.from(body).toString("utf8")) as { events: ReadonlyArray<unknown> }).events
        bodies.push(`${count}:${events.map(idOf).join(",")}`)
        return server.send(events)
      }

      const result = yield* outbox.drain(server.send, {}, counted)

      expect(bodies).toEqual(["3:c1,c2", "2:c1,c2"])
      expect(result.corrupt).toEqual([
        { file: spoolName(6, 1, 3), reason: "holds 2 events, its name announces 3", sessions: [] }
      ])
      expect(result.delivered).toBe(2)
      expect([ls(dir, "pending"), ls(dir, "sending"), ls(dir, "corrupt")]).toEqual([[], [], [spoolName(6, 1, 3)]])
    })
  )

  it.effect("the server down: every file claimed goes back to pending/ unparsed, nothing charged", () =>
    Effect.gen(function* () {
      const { dir, outbox } = yield* queued(["u1"], ["u2"])
      const names = ls(dir, "pending")
      const unavailable: Outbox.SendEncoded = () => Effect.fail(down()())

      const result = yield* outbox.drain(eventsPathUnused, { retry: Outbox.retrySchedule({ retries: 0 }) }, unavailable)

      expect(result.failure?.kind).toBe("unavailable")
      expect([result.delivered, result.retrying, result.rejected]).toEqual([0, 0, 0])
      expect([ls(dir, "pending"), ls(dir, "sending")]).toEqual([names, []])
    })
  )
})

describe("Outbox recovery", () => {
  it.effect("reclaims the files of a drainer silent for claimTimeout, leaves a live drainer's claim alone", () =>
    Effect.gen(function* () {
      const now = Date.now()
      yield* TestClock.setTime(now)
      const { dir, outbox } = yield* queued(["dead1", "dead2"], ["live1"])
      const [deadFile, liveFile] = ls(dir, "pending")
      for (const [owner, file] of [
        ["0000000000001-0000000007-deadbeef", deadFile],
        ["9999999999999-0000000008-0000cafe", liveFile]
      ]) {
        fs.mkdirSync(path.join(dir, "sending", owner))
        fs.renameSync(path.join(dir, "pending", file), path.join(dir, "sending", owner, file))
      }
      const old = (now - 120_000) / 1000
      fs.utimesSync(path.join(dir, "sending", "0000000000001-0000000007-deadbeef"), old, old)
      expect((yield* outbox.stats()).pending).toBe(3)
      const server = yield* fakeServer()

      const result = yield* outbox.drain(server.send, { claimTimeout: "60 seconds" })

      expect(result).toEqual({ ...noFailure, delivered: 2, rejected: 0, requests: 1, reclaimed: 1 })
      expect(yield* server.batches).toEqual([["dead1", "dead2"]])
      expect(ls(dir, "sending")).toEqual(["9999999999999-0000000008-0000cafe"])
      expect(ls(dir, "sending/9999999999999-0000000008-0000cafe")).toEqual([liveFile])
      expect(yield* outbox.stats()).toEqual({
        ...emptyStats,
        pending: 1,
        pendingFiles: 1,
        oldestPendingAt: now,
        lastSuccessAt: now
      })
    })
  )

  it.effect("quarantines unreadable files, sends the events still readable in them, recovers a file left in tmp/", () =>
    Effect.gen(function* () {
      const now = Date.now()
      yield* TestClock.setTime(now)
      const { dir, outbox } = yield* queued(["g1", "g2"])
      const write = (sub: string, name: string, body: string, ageMs = 0) => {
        const file = path.join(dir, sub, name)
        fs.writeFileSync(file, body)
        fs.utimesSync(file, (now - ageMs) / 1000, (now - ageMs) / 1000)
      }
      // cut inside its second event: both sessions it names are reported, the second's event being lost
      const truncated = '{"v":1,"events":[{"id":"lost1","sessionId":"s-1"},{"id":"lost2","sessionId":"s-2","a'
      const half = '{"v":1,"events":[{"id":"half'
      write("pending", spoolName(1, 1, 2), truncated)
      write("pending", spoolName(1, 2, 3), '{"v":1,"events":[{"id":"m1"},{"id":"m2"}]}')
      write("pending", spoolName(1, 3, 1), '{"events":[{"id":"v9"}]}')
      write("pending", "notes.txt", "hello")
      write("tmp", spoolName(2, 1, 1), half, 120_000)
      write("tmp", spoolName(2, 2, 1), '{"v":1,"events":[{"id":"crashed-before-rename"}]}', 120_000)
      write("tmp", spoolName(2, 3, 1), '{"v":1,"events":[{"id":"being-written"}]}')
      write("tmp", "x-0000000042-0123456789abcdef", '{"lastSucc', 120_000)
      const server = yield* fakeServer()

      const result = yield* outbox.drain(server.send)

      expect(yield* server.batches).toEqual([
        ["crashed-before-rename", "g1", "g2"],
        ["lost1", "m1", "m2"]
      ])
      expect(result).toEqual({
        ...noFailure,
        delivered: 6,
        rejected: 0,
        requests: 2,
        corrupt: [
          {
            file: spoolName(2, 1, 1),
            reason: `left by an interrupted append: invalid JSON (28 bytes): ${parseError(half)}; 0 of 1 events could be read`,
            sessions: []
          },
          {
            file: spoolName(1, 1, 2),
            reason: `invalid JSON (${truncated.length} bytes): ${parseError(truncated)}; 1 of 2 events could be read`,
            sessions: ["s-1", "s-2"]
          },
          { file: spoolName(1, 2, 3), reason: "holds 2 events, its name announces 3", sessions: [] },
          { file: spoolName(1, 3, 1), reason: "unknown spool file version", sessions: [] },
          { file: "notes.txt", reason: "not an outbox file name", sessions: [] }
        ]
      })
      expect(ls(dir, "corrupt")).toEqual(
        [spoolName(1, 1, 2), spoolName(1, 2, 3), spoolName(1, 3, 1), spoolName(2, 1, 1), "notes.txt"].sort()
      )
      expect(fs.readFileSync(path.join(dir, "corrupt", spoolName(1, 1, 2)), "utf8")).toBe(truncated)
      expect([ls(dir, "pending"), ls(dir, "tmp")]).toEqual([[], [spoolName(2, 3, 1)]])
      const stats = yield* outbox.stats()
      expect([stats.corrupt, stats.corruptFiles, stats.pending]).toEqual([5, ls(dir, "corrupt"), 0])
    })
  )
})

describe("Outbox errors", () => {
  it.effect("a directory that cannot be created fails with OutboxWriteFailed and says what to check", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "not-a-dir")
      fs.writeFileSync(file, "")
      const error = yield* Effect.flip(open(file))
      expect(error._tag).toBe("OutboxWriteFailed")
      expect(error.message).toBe(
        `Could not write the outbox file ${path.join(file, "tmp")}: ENOTDIR: not a directory, mkdir '${path.join(file, "tmp")}'. Check that the directory is writable and the disk is not full.`
      )
    })
  )

  it.effect("events that are not JSON fail with OutboxWriteFailed and queue nothing", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const outbox = yield* open(dir)
      const error = yield* Effect.flip(outbox.append([{ id: "big", n: 1n }]))
      expect([error._tag, error.reason]).toEqual([
        "OutboxWriteFailed",
        "the events are not JSON (Do not know how to serialize a BigInt); nothing queued"
      ])
      expect([ls(dir, "pending"), ls(dir, "tmp")]).toEqual([[], []])
    })
  )
})

describe("Outbox under concurrency", () => {
  const appender = path.join(tempDir(), "outbox-appender.mjs")
  beforeAll(async () => {
    await bundleFixture("outbox-appender.ts", appender)
  })

  const run = (args: ReadonlyArray<string>) =>
    Effect.async<number>((resume) => {
      const child = spawn(process.execPath, [appender, ...args], { stdio: ["ignore", "ignore", "inherit"] })
      child.on("exit", (code) => resume(Effect.succeed(code ?? -1)))
    })

  it.live(
    "8 processes append 200 events each while 2 drainers run: every id is delivered exactly once",
    () =>
      Effect.gen(function* () {
        const startedAt = Date.now()
        const dir = tempDir()
        const outbox = yield* open(dir)
        const tags = Array.from({ length: 8 }, (_, p) => `p${p}`)
        const expected = tags.flatMap((tag) => Array.from({ length: 200 }, (_, i) => `${tag}-${i}`))
        const server = yield* fakeServer()
        const send: Outbox.Send = (events) => Effect.zipLeft(server.send(events), Effect.sleep("1 millis"))
        const appending = yield* Ref.make(true)
        const drainer = Effect.gen(function* () {
          const results: Array<Outbox.DrainResult> = []
          while (yield* Ref.get(appending)) {
            results.push(yield* outbox.drain(send, { maxEvents: 50 }))
            yield* Effect.sleep("2 millis")
          }
          results.push(yield* outbox.drain(send, { maxEvents: 50 }))
          return results
        })

        const [codes, [a, b]] = yield* Effect.all(
          [
            Effect.forEach(tags, (tag) => run([dir, tag, "200"]), { concurrency: "unbounded" }).pipe(
              Effect.ensuring(Ref.set(appending, false))
            ),
            Effect.all([drainer, drainer], { concurrency: 2 })
          ],
          { concurrency: 2 }
        )

        const batches = yield* server.batches
        const received = batches.flat()
        expect(codes).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
        expect(received.length).toBe(1600)
        expect([...received].sort()).toEqual([...expected].sort())
        expect([...a, ...b].filter((r) => r.failure !== null || r.corrupt.length > 0 || r.reclaimed > 0)).toEqual([])
        expect([...a, ...b].reduce((n, r) => n + r.delivered, 0)).toBe(1600)
        const outOfOrder = batches.filter((batch) =>
          batch.some((id, i) => {
            const [tag, n] = id.split("-")
            return batch
              .slice(0, i)
              .some((prev) => prev.startsWith(`${tag}-`) && Number(prev.split("-")[1]) > Number(n))
          })
        )
        expect(outOfOrder).toEqual([])
        const stats = yield* outbox.stats()
        expect({ ...stats, lastSuccessAt: stats.lastSuccessAt !== null && stats.lastSuccessAt >= startedAt }).toEqual({
          ...emptyStats,
          lastSuccessAt: true
        })
        expect([ls(dir, "pending"), ls(dir, "sending"), ls(dir, "tmp")]).toEqual([[], [], []])
      }),
    60_000
  )
})

describe("Outbox.append of a 2 KB event, plain and durable (its latency: bench/outbox-append.mjs)", () => {
  for (const durable of [false, true]) {
    it.effect(`durable: ${durable}: every append is one spool file in pending/ holding the whole event`, () =>
      Effect.gen(function* () {
        const dir = tempDir()
        const outbox = yield* Effect.provide(Outbox.Outbox, Outbox.layer(dir, { durable }))
        const event = ev("two-kb", 2048 - 20)
        for (let i = 0; i < 50; i++) yield* outbox.append([event])
        const files = ls(dir, "pending")
        expect([files.length, ls(dir, "tmp"), (yield* outbox.stats()).pending]).toEqual([50, [], 50])
        expect(new Set(files.map((file) => JSON.stringify(readJson(path.join(dir, "pending", file)))))).toEqual(
          new Set([JSON.stringify({ v: 1, events: [event] })])
        )
      })
    )
  }
})
