import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Kit, Outbox, SyncClient } from "@opensync/client"
import { Event, Ids } from "@opensync/domain"
import type { SourceInfo } from "@opensync/domain/Sources"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"

/** An agent of the test only: the kit needs nothing of it but its entry and its words. */
const source: SourceInfo = {
  id: "test-agent",
  label: "Test Agent",
  cli: "test-sync",
  npmPackage: "test-sync",
  envPrefix: "TEST_SYNC",
  colors: {
    light: { background: "#fff", text: "#000", border: "#ccc" },
    dark: { background: "#000", text: "#fff", border: "#333" }
  },
  install: "Install it",
  setup: ["test-sync setup"],
  imports: false
}

const agent: Kit.Agent.Agent = {
  source,
  description: "Sync the test agent.",
  inboxSuffix: ".item",
  inboxNoun: "item",
  followUpNoun: "file",
  historyNoun: "file",
  historyEnv: [],
  afterLogin: [],
  help: { setup: "", uninstall: "", verify: "", sync: "", import: "", status: "" }
}

const message = (sessionId: string, messageId: string, text: string) =>
  Event.make({
    kind: "message",
    source: source.id,
    sessionId,
    messageId,
    role: "user",
    text,
    parts: [{ type: "text", text }],
    createdAt: 1_790_000_000_000,
    at: 1_790_000_000_000
  })

/** Runs while the fake history is read (a test injects a hook's failure there). */
let whileHistoryIsRead: () => void = () => {}

/**
 * The one faked port: an inbox item is the JSON of `{events, followUps}` (or anything else: unreadable); a follow-up
 * is a file whose text becomes one message.
 */
const FakeSource = Layer.succeed(
  Kit.SessionSource.SessionSource,
  Kit.SessionSource.SessionSource.of({
    decode: (item) => {
      try {
        const parsed = JSON.parse(item.text) as Pick<
          Extract<Kit.SessionSource.Decoded, { _tag: "Decoded" }>,
          "events" | "followUps" | "read"
        >
        return {
          _tag: "Decoded",
          events: parsed.events,
          followUps: parsed.followUps,
          ...(parsed.read === undefined ? {} : { read: parsed.read })
        }
      } catch {
        return { _tag: "Unreadable", reason: "not an item" }
      }
    },
    followUp: (followUp) =>
      Effect.try({
        try: () => [message(followUp.sessionId, `${followUp.path}:read`, readFileSync(followUp.path, "utf8"))],
        catch: (cause) =>
          new Kit.SessionSource.FollowUpFailed({
            path: followUp.path,
            reason: cause instanceof Error ? cause.message : String(cause)
          })
      }),
    // The history of the session "s9": what the hot path could not store is re-read from here.
    history: () =>
      Effect.succeed({
        items: [
          {
            sessionId: "s9",
            label: "s9.jsonl",
            size: 0,
            read: Effect.sync(() => {
              whileHistoryIsRead()
              return { ok: true as const, events: [message("s9", "m1", "from history")], malformed: 0 }
            })
          }
        ],
        where: "nowhere",
        summary: () => ""
      }),
    registration: {
      inspect: Effect.succeed({ key: "hooks", active: true, text: "ok", details: [], json: {}, fix: "" }),
      install: Effect.succeed([]),
      uninstall: Effect.succeed([])
    }
  })
)

/** A server that stores everything it is sent: the one faked transport. `onSend` runs before each request. */
const fakeServer = (onSend: () => void = () => {}) => {
  const received: Array<Event.EventEncoded> = []
  const transport = Layer.succeed(SyncClient.SyncClient, {
    sendEvents: (events: ReadonlyArray<unknown>) =>
      Effect.sync(() => {
        onSend()
        received.push(...(events as ReadonlyArray<Event.EventEncoded>))
        return {
          stored: events.map((e: unknown) => Ids.EventId.make((e as { id: string }).id)),
          duplicates: [],
          stale: [],
          rejected: [],
          deleted: []
        }
      }),
    check: Effect.succeed({ version: "test", latencyMs: 0 })
  })
  return { received, transport }
}

const setup = () => {
  const home = mkdtempSync(join(tmpdir(), "kit-sync-"))
  const env = { HOME: home }
  const paths = Kit.Agent.paths(agent, env)
  /** The kit's services in this HOME; with a transport, a server is configured and `transport` stands in for it. */
  const layer = (transport?: Layer.Layer<SyncClient.SyncClient>) => {
    if (transport === undefined) return Layer.merge(FakeSource, Kit.Main.layer(agent, env))
    const configured = { ...env, TEST_SYNC_CONVEX_URL: "http://fake.invalid", TEST_SYNC_API_KEY: "osk_fake" }
    return Layer.mergeAll(FakeSource, Kit.Main.layer(agent, configured), transport)
  }
  const item = (name: string, body: unknown) => {
    mkdirSync(paths.inbox, { recursive: true })
    writeFileSync(join(paths.inbox, name), typeof body === "string" ? body : JSON.stringify(body))
  }
  return { home, paths, layer, item, remove: () => rmSync(home, { recursive: true, force: true }) }
}

describe("the agent kit's sync", () => {
  it.effect("turns inbox items and their follow-ups into events, sets aside what it cannot read, sends it all", () => {
    const { home, paths, layer, item, remove } = setup()
    const server = fakeServer()
    const transcript = join(home, "t.txt")
    writeFileSync(transcript, "from the transcript")
    // Names with receive times of different widths (older layouts padded to 14 digits): ordered by the number.
    item("00001790000000002-1-b.item", { events: [message("s1", "m2", "second")], followUps: [] })
    item("1790000000001-1-a.item", {
      events: [message("s1", "m1", "first")],
      followUps: [
        { sessionId: "s1", path: transcript },
        { sessionId: "s1", path: transcript }
      ]
    })
    item("1790000000003-1-c.item", "{ not an item")
    item("1790000000004-1-d.other", "ignored: not this agent's suffix")
    return Effect.gen(function* () {
      const report = yield* Kit.Sync.run
      expect(report).toEqual({
        recovered: 0,
        saved: 0,
        inboxItems: 2,
        unreadable: 1,
        followUps: 1,
        eventsQueued: 3,
        delivered: 3,
        rejected: 0,
        deleted: 0,
        pending: 0,
        error: null
      })
      expect(server.received.map((e) => (e.kind === "message" ? e.text : e.kind))).toEqual([
        "first",
        "second",
        "from the transcript"
      ])
      expect(readdirSync(paths.inbox)).toEqual(["1790000000004-1-d.other"])
      expect(readdirSync(paths.inboxBad)).toEqual(["1790000000003-1-c.item"])
      expect(readFileSync(paths.log, "utf8")).toContain(
        "1790000000003-1-c.item: not an item (moved to inbox-bad/, redacted)"
      )
      expect(existsSync(paths.lock)).toBe(false)
    }).pipe(Effect.provide(layer(server.transport)), Effect.ensuring(Effect.sync(remove)))
  })

  it.effect(
    "records an item as read once every numbered part of it was queued, and not past a part that is lost",
    () => {
      const { paths, layer, item, remove } = setup()
      const server = fakeServer()
      const part = (session: string, n: number, version: string) => ({
        events: [message(session, `m${n}`, `part ${n}`)],
        followUps: [],
        read: { sessionId: session, key: `db:${session}`, version, part: n }
      })
      const checkpoint = (session: string) =>
        Kit.Checkpoints.open(paths.stateDir, Kit.Checkpoints.destination("http://fake.invalid", "osk_fake")).get(
          `db:${session}`
        )
      return Effect.gen(function* () {
        // Whole: parts 1 and 2 of "a", the second in a later sync. A lost part (2 of "b"), an unreadable one (2 of
        // "c"): the count stops at the part before.
        item("1790000000001-1-a.item", part("a", 1, "v1"))
        item("1790000000002-1-b.item", part("b", 1, "v1"))
        item("1790000000003-1-c.item", part("c", 1, "v1"))
        item("1790000000004-1-b.item", part("b", 3, "v3"))
        item("1790000000005-1-c.item", '{"events": [')
        item("1790000000006-1-c.item", part("c", 3, "v3"))
        expect(yield* Kit.Sync.run).toMatchObject({ inboxItems: 5, unreadable: 1, delivered: 5, error: null })
        item("1790000000007-1-a.item", part("a", 2, "v2"))
        expect(yield* Kit.Sync.run).toMatchObject({ inboxItems: 1, delivered: 1, error: null })
        expect(checkpoint("a")).toMatchObject({ sessionId: "a", version: "v2", part: 2 })
        expect(checkpoint("b")).toMatchObject({ version: "v1", part: 1 })
        expect(checkpoint("c")).toMatchObject({ version: "v1", part: 1 })
        // An import's read of the item (no part) breaks the count too: the next part is not known to follow it.
        const store = Kit.Checkpoints.open(
          paths.stateDir,
          Kit.Checkpoints.destination("http://fake.invalid", "osk_fake")
        )
        const options = Kit.History.fingerprintOf({ syncToolCalls: true, syncThinking: false })
        expect(checkpoint("a")?.options).toBe(options)
        store.put("db:a", { sessionId: "a", options, version: "v2" })
        store.save()
        item("1790000000008-1-a.item", part("a", 3, "v3"))
        expect(yield* Kit.Sync.run).toMatchObject({ inboxItems: 1, delivered: 1, error: null })
        expect(checkpoint("a")).toMatchObject({ version: "v2" })
        expect(server.received).toHaveLength(7)
      }).pipe(Effect.provide(layer(server.transport)), Effect.ensuring(Effect.sync(remove)))
    }
  )

  it.effect(
    "a queue it cannot write stops processing the inbox, not sending what was queued; last error says so",
    () => {
      const { paths, layer, item, remove } = setup()
      const server = fakeServer()
      return Effect.gen(function* () {
        // Queued before: an event in the outbox
        yield* (yield* Outbox.Outbox).append([message("s1", "m1", "queued before")])
        // The follow-up queue a file where its folder should be: the item that asks for a re-read cannot be recorded
        mkdirSync(paths.stateDir, { recursive: true })
        writeFileSync(paths.followUps, "")
        item("1790000000001-1-a.item", {
          events: [message("s1", "m2", "waits")],
          followUps: [{ sessionId: "s1", path: "/nowhere" }]
        })
        const report = yield* Kit.Sync.run
        expect(report.error).toMatch(
          /^Could not process what the hooks stored: Could not write the list of sessions to read again .*followups/
        )
        expect(server.received.map((e) => (e.kind === "message" ? e.text : e.kind))).toContain("queued before")
        expect(readdirSync(paths.inbox)).toEqual(["1790000000001-1-a.item"])
        const stats = yield* (yield* Outbox.Outbox).stats()
        expect(stats.lastError).toMatch(/^Could not process what the hooks stored/)
        // Fixed: the item goes through, and the error is cleared by the next successful send
        rmSync(paths.followUps)
        expect(yield* Kit.Sync.run).toMatchObject({ inboxItems: 1, error: null })
        expect((yield* (yield* Outbox.Outbox).stats()).lastError).toBeNull()
        // failures.json a folder: the sync still processes and sends, and says it cannot write it
        rmSync(join(paths.stateDir, "failures.json"), { force: true })
        mkdirSync(join(paths.stateDir, "failures.json"))
        item("1790000000002-1-b.item", { events: [message("s1", "m3", "after")], followUps: [] })
        const third = yield* Kit.Sync.run
        expect(third).toMatchObject({ inboxItems: 1, delivered: 1 })
        expect(third.error).toMatch(
          /^Could not write .*failures\.json, where the hooks record what they could not store/
        )
        expect((yield* (yield* Outbox.Outbox).stats()).lastError).toMatch(/failures\.json/)
      }).pipe(Effect.provide(layer(server.transport)), Effect.ensuring(Effect.sync(remove)))
    }
  )

  it.effect(
    "a turn's re-read that fails is recorded for status, and the session is read again from the history",
    () => {
      const { paths, layer, item, remove } = setup()
      const server = fakeServer()
      return Effect.gen(function* () {
        // A transcript that is not there is no failure: a session that ends before the agent wrote one has none
        item("1790000000001-1-a.item", {
          events: [message("s9", "m0", "prompt")],
          followUps: [{ sessionId: "s9", path: join(paths.stateDir, "missing.jsonl") }]
        })
        expect(yield* Kit.Sync.run).toMatchObject({ inboxItems: 1, followUps: 0, recovered: 0, error: null })
        expect(Kit.Failures.read(paths)).toMatchObject({ count: 0, lastError: null })
        // One that cannot be read (a folder where it should be) is
        mkdirSync(join(paths.stateDir, "folder.jsonl"), { recursive: true })
        item("1790000000002-1-a.item", {
          events: [message("s9", "m1", "prompt")],
          followUps: [{ sessionId: "s9", path: join(paths.stateDir, "folder.jsonl") }]
        })
        const report = yield* Kit.Sync.run
        expect(report).toMatchObject({ inboxItems: 1, followUps: 0, recovered: 1, error: null })
        // The session came from the history instead
        expect(server.received.map((e) => (e.kind === "message" ? e.text : e.kind))).toContain("from history")
        const failures = Kit.Failures.read(paths)
        expect(failures.lastError).toMatch(
          /^after a turn, cannot read .*folder\.jsonl: it is a folder, not a file; left out$/
        )
        expect(failures.recovered).toBe(1)
        expect(failures.recoveredAt).not.toBeNull()
      }).pipe(Effect.provide(layer(server.transport)), Effect.ensuring(Effect.sync(remove)))
    }
  )

  it.effect("without a server it keeps everything queued and says how to fix it", () => {
    const { layer, item, remove } = setup()
    item("1790000000001-1-a.item", { events: [message("s1", "m1", "first")], followUps: [] })
    return Effect.gen(function* () {
      const report = yield* Kit.Sync.run
      expect(report).toMatchObject({ inboxItems: 1, eventsQueued: 1, delivered: 0, pending: 1 })
      expect(report.error).toBe("Not configured: run `test-sync login`. Events stay queued until then.")
    }).pipe(Effect.provide(layer()), Effect.ensuring(Effect.sync(remove)))
  })

  it.effect("while another sync holds the lock it leaves the inbox alone and says so", () => {
    const { paths, layer, item, remove } = setup()
    const server = fakeServer()
    item("1790000000001-1-a.item", { events: [message("s1", "m1", "first")], followUps: [] })
    return Effect.gen(function* () {
      const scope = yield* Scope.make()
      expect(yield* Kit.Sync.processInbox({ syncToolCalls: true, syncThinking: false }).pipe(Effect.as(true))).toBe(
        true
      )
      item("1790000000002-1-b.item", { events: [message("s1", "m2", "second")], followUps: [] })
      const held = yield* Scope.extend(Kit.Sync.lock, scope)
      expect(held).toBe(true)
      const report = yield* Kit.Sync.run
      expect(report.error).toMatch(
        new RegExp(
          `^Another sync is running \\(pid ${process.pid}: .*, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC, \\d+ s ago\\); ` +
            "it will send what is queued\\.$"
        )
      )
      expect(readdirSync(paths.inbox)).toEqual(["1790000000002-1-b.item"])
      expect(server.received).toEqual([])
      expect((yield* (yield* Outbox.Outbox).stats()).pending).toBe(1)
      yield* Scope.close(scope, Exit.void)
    }).pipe(Effect.provide(layer(server.transport)), Effect.ensuring(Effect.sync(remove)))
  })

  it.live(
    "a sync a person asks for waits for a running one, then sends and reports itself (not 'another sync is running')",
    () => {
      const { layer, item, remove } = setup()
      const server = fakeServer()
      item("1790000000001-1-a.item", { events: [message("s1", "m1", "first")], followUps: [] })
      return Effect.gen(function* () {
        const scope = yield* Scope.make()
        expect(yield* Scope.extend(Kit.Sync.lock, scope)).toBe(true)
        // The running one (a hook's, retrying) ends a moment later
        yield* Effect.fork(Effect.delay(Scope.close(scope, Exit.void), "600 millis"))
        const report = yield* Kit.Sync.runWith({ retention: "always", waitForLock: "live" })
        expect(report).toMatchObject({ error: null, inboxItems: 1, delivered: 1 })
        expect(server.received.map((e) => (e.kind === "message" ? e.text : e.kind))).toEqual(["first"])
      }).pipe(Effect.provide(layer(server.transport)), Effect.ensuring(Effect.sync(remove)))
    }
  )

  it.effect("goes round again as long as items arrive while it sends: none is left for a sync nobody starts", () => {
    // A hook that finds the lock freshly taken starts no sync: the one holding it must take what arrives meanwhile,
    // however many rounds a busy session needs.
    const { paths, layer, item, remove } = setup()
    let arrivals = 0
    // Each request to the server: another hook's item lands in the inbox meanwhile (12 in all).
    const server = fakeServer(() => {
      if (arrivals === 12) return
      arrivals++
      item(`${1790000000001 + arrivals}-1-x.item`, {
        events: [message("s1", `m${arrivals + 1}`, `arrived ${arrivals}`)],
        followUps: []
      })
    })
    item("1790000000001-1-a.item", { events: [message("s1", "m1", "first")], followUps: [] })
    return Effect.gen(function* () {
      const report = yield* Kit.Sync.run
      expect(arrivals).toBe(12)
      expect(report).toMatchObject({ inboxItems: 13, delivered: 13, pending: 0, error: null })
      expect(readdirSync(paths.inbox)).toEqual([])
      expect(server.received).toHaveLength(13)
    }).pipe(Effect.provide(layer(server.transport)), Effect.ensuring(Effect.sync(remove)))
  })

  it.effect(
    "when the sync that held the lock lets go just as it was found taken, takes it and sends what it moves",
    () => {
      // That sync may have looked at the inbox for the last time: the item is this one's to send, not only to queue.
      const { paths, layer, item, remove } = setup()
      const server = fakeServer()
      item("1790000000001-1-a.item", { events: [message("s1", "m1", "first")], followUps: [] })
      return Effect.gen(function* () {
        const scope = yield* Scope.make()
        expect(yield* Scope.extend(Kit.Sync.lock, scope)).toBe(true)
        // The busy round counts what is pending: the holder lets go right then.
        const lettingGo = Layer.effect(
          Outbox.Outbox,
          Effect.map(Outbox.Outbox, (outbox) => ({
            ...outbox,
            stats: () => Effect.tap(outbox.stats(), () => Scope.close(scope, Exit.void))
          }))
        )
        const report = yield* Effect.provide(Kit.Sync.run, lettingGo)
        expect(report).toMatchObject({ inboxItems: 1, delivered: 1, pending: 0, error: null })
        expect(readdirSync(paths.inbox)).toEqual([])
        expect(server.received.map((e) => (e.kind === "message" ? e.text : e.kind))).toEqual(["first"])
      }).pipe(Effect.provide(layer(server.transport)), Effect.ensuring(Effect.sync(remove)))
    }
  )

  it.effect("sets aside an unreadable item redacted, and prunes what is kept too long", () => {
    const { paths, layer, item, remove } = setup()
    const secret = "ghp_R8kQ2vLx9mZt4WcY7nHb3PjD6sFa1GeU0oKi"
    item("1790000000001-1-a.item", `{ "token": "${secret}", not an item`)
    mkdirSync(paths.inboxBad, { recursive: true })
    mkdirSync(paths.tmp, { recursive: true })
    const old = (file: string, ms: number) => utimesSync(file, (Date.now() - ms) / 1000, (Date.now() - ms) / 1000)
    writeFileSync(join(paths.inboxBad, "0-old.item"), "")
    old(join(paths.inboxBad, "0-old.item"), 8 * 86_400_000)
    for (let i = 0; i < 105; i++) writeFileSync(join(paths.inboxBad, `x-${String(i).padStart(3, "0")}.item`), "")
    writeFileSync(join(paths.tmp, "dead.item"), "")
    old(join(paths.tmp, "dead.item"), 11 * 60_000)
    writeFileSync(join(paths.tmp, "live.item"), "")
    return Effect.gen(function* () {
      // Pruned before the inbox is processed: the 100 newest of the old ones, then the new one.
      yield* Kit.Sync.run
      const kept = readdirSync(paths.inboxBad)
      expect(kept).toHaveLength(Kit.Inbox.BAD_KEEP_COUNT + 1)
      expect(kept).not.toContain("0-old.item")
      expect(readdirSync(paths.tmp)).toEqual(["live.item"])
      yield* Kit.Sync.run
      expect(readdirSync(paths.inboxBad)).toHaveLength(Kit.Inbox.BAD_KEEP_COUNT)
      const bad = readFileSync(join(paths.inboxBad, "1790000000001-1-a.item"), "utf8")
      expect(bad).not.toContain(secret)
      expect(bad).toContain("[REDACTED:")
      expect(readdirSync(paths.inbox)).toEqual([])
    }).pipe(Effect.provide(layer()), Effect.ensuring(Effect.sync(remove)))
  })

  /** A HOME where the hot path could not store an item of the session "s9" (at time 1). */
  const failedOnce = () => {
    const context = setup()
    mkdirSync(context.paths.stateDir, { recursive: true })
    Kit.Failures.preallocate(context.paths)
    expect(Kit.Failures.record(context.paths, "s9", "ENOSPC: no space left on device, write", 1)).toBe(true)
    return { ...context, server: fakeServer() }
  }

  it.effect("re-reads from the agent's history the sessions whose items the hot path could not store", () => {
    const { paths, layer, remove, server } = failedOnce()
    expect(Kit.Failures.record(paths, "s9", "ENOSPC: no space left on device, write", 2)).toBe(true)
    expect(Kit.Failures.read(paths)).toMatchObject({ count: 2, firstAt: 1, lastAt: 2, sessions: [{ id: "s9", at: 2 }] })
    return Effect.gen(function* () {
      const report = yield* Kit.Sync.run
      expect(report).toMatchObject({ recovered: 1, delivered: 1, pending: 0, error: null })
      expect(server.received.map((e) => (e.kind === "message" ? e.text : e.kind))).toEqual(["from history"])
      expect(Kit.Failures.read(paths)).toMatchObject({ count: 0, sessions: [], recovered: 2 })
      expect(readFileSync(paths.log, "utf8")).toContain(
        "re-read 1 session(s) from their files after 2 item(s) could not be stored (ENOSPC: no space left on device, write)"
      )
    }).pipe(Effect.provide(layer(server.transport)), Effect.ensuring(Effect.sync(remove)))
  })

  it.effect("keeps a session whose item could not be stored again while its history was being re-read", () => {
    const { paths, layer, remove, server } = failedOnce()
    // A hook of the same session fails while the sync reads the session's history
    whileHistoryIsRead = () => {
      expect(Kit.Failures.record(paths, "s9", "ENOSPC: no space left on device, write", Date.now())).toBe(true)
    }
    return Effect.gen(function* () {
      expect(yield* Kit.Sync.run).toMatchObject({ recovered: 1, error: null })
      expect(Kit.Failures.read(paths)).toMatchObject({ count: 2, sessions: [{ id: "s9" }] })
      // The next sync re-reads it again, and this time nothing failed meanwhile
      whileHistoryIsRead = () => {}
      expect(yield* Kit.Sync.run).toMatchObject({ recovered: 1, error: null })
      expect(Kit.Failures.read(paths)).toMatchObject({ count: 0, sessions: [], recovered: 2 })
    }).pipe(
      Effect.provide(layer(server.transport)),
      Effect.ensuring(
        Effect.sync(() => {
          whileHistoryIsRead = () => {}
          remove()
        })
      )
    )
  })

  it("keeps small items whole in the fixed-size file, the oldest dropped first when it is full", () => {
    const { paths, remove } = failedOnce()
    try {
      const item = (i: number, bytes = 600) => ({
        name: `${String(i).padStart(13, "0")}-1-000001-a.hook`,
        text: "x".repeat(bytes)
      })
      for (let i = 0; i < 30; i++) {
        expect(Kit.Failures.record(paths, "s9", "ENOSPC", 10 + i, item(i))).toBe(true)
      }
      // Too large to keep whole: only counted (the session is still re-read from its history).
      expect(Kit.Failures.record(paths, "s9", "ENOSPC", 50, item(99, Kit.Failures.ITEM_MAX_BYTES + 1))).toBe(true)
      expect(statSync(Kit.Failures.failuresFile(paths)).size).toBe(Kit.Failures.SIZE)
      const kept = Kit.Failures.read(paths)
      expect(kept.count).toBe(32)
      const names = kept.items?.map((i) => i.name) ?? []
      expect(names.length).toBeGreaterThan(5)
      expect(names.at(-1)).toBe(item(29).name)
      expect(names).not.toContain(item(0).name)
      expect(names).not.toContain(item(99).name)
      // Cleared once put back in the inbox, with the sessions re-read.
      Kit.Failures.recovered(paths, ["s9"], 100, 101, names)
      expect(Kit.Failures.read(paths)).toMatchObject({ count: 0, sessions: [], items: [] })
    } finally {
      remove()
    }
  })
})
