import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { createClient } from "@libsql/client"
import { Outbox, Redactor } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { importAll } from "../src/Import.js"
import * as Mapping from "../src/Mapping.js"
import * as Storage from "../src/Storage.js"
import { run } from "./support/cli.js"
import { writeDatabase } from "./support/database.js"
import { exported, exportedSnapshot, MAIN } from "./support/fixtures.js"
import { drainAll, tempDir } from "./support/outbox.js"

const options = { syncToolCalls: true, syncThinking: false }

/** Writes sessions as OpenCode ≤ 1.1 did: storage/session/<project>/<ses>.json, message/<ses>/, part/<msg>/. */
const writeLegacy = (root: string, sessions: ReadonlyArray<typeof exported>) => {
  for (const session of sessions) {
    const info = session.info
    const write = (path: string, value: unknown) => {
      mkdirSync(join(path, ".."), { recursive: true })
      writeFileSync(path, JSON.stringify(value))
    }
    write(join(root, "session", String(info.projectID), `${String(info.id)}.json`), info)
    for (const message of session.messages) {
      write(join(root, "message", String(info.id), `${String(message.info.id)}.json`), message.info)
      for (const part of message.parts)
        write(join(root, "part", String(message.info.id), `${String(part.id)}.json`), part)
    }
  }
}

/** The export of another, older session: the fixture with new ids and times. */
const renamed = (suffix: string, shift: number): typeof exported => {
  const text = JSON.stringify(exported)
    .replaceAll(MAIN, `${MAIN.slice(0, -4)}${suffix}`)
    .replaceAll(/"(msg|prt)_([0-9a-zA-Z]+)"/g, `"$1_$2${suffix}"`)
  const copy = JSON.parse(text) as typeof exported
  const info = copy.info as { time: { created: number; updated: number } }
  info.time = { created: info.time.created - shift, updated: info.time.updated - shift }
  return copy
}

describe("Storage and import", () => {
  let dir: ReturnType<typeof tempDir>
  let env: Record<string, string>
  beforeEach(() => {
    dir = tempDir("ocs-storage-")
    env = { XDG_DATA_HOME: join(dir.path, "data"), HOME: dir.path }
    mkdirSync(join(dir.path, "data/opencode"), { recursive: true })
  })
  afterEach(() => dir.remove())

  const layer = () => Layer.mergeAll(Outbox.layer(join(dir.path, "outbox")), Redactor.Redactor.Default)

  it.live("reads a session from opencode.db into the same events as `opencode export`", () =>
    Effect.gen(function* () {
      const path = join(dir.path, "data/opencode/opencode.db")
      yield* Effect.promise(() => writeDatabase(path, [exported]))
      const snapshot = yield* Effect.scoped(
        Effect.gen(function* () {
          const store = yield* Storage.openSqlite(path)
          expect((yield* store!.list(undefined)).map((ref) => ref.id)).toEqual([MAIN])
          return yield* store!.load(MAIN)
        })
      )
      expect(Mapping.toEvents(snapshot!, options)).toEqual(Mapping.toEvents(exportedSnapshot, options))
    })
  )

  it.live("counts the rows of opencode.db whose data cannot be read, and reads the rest", () =>
    Effect.gen(function* () {
      const path = join(dir.path, "data/opencode/opencode.db")
      yield* Effect.promise(() => writeDatabase(path, [exported]))
      const db = createClient({ url: `file:${path}` })
      const part = exported.messages.at(-1)!.parts[0]!
      yield* Effect.promise(() =>
        db.execute({ sql: "UPDATE part SET data = '{\"type\":' WHERE id = ?", args: [String(part.id)] })
      )
      db.close()
      const loaded = yield* Effect.scoped(Effect.flatMap(Storage.openSqlite(path), (store) => store!.read(MAIN)))
      expect(loaded?.malformed).toBe(1)
      expect(loaded?.snapshot.messages.flatMap((m) => m.parts).map((p) => p.id)).not.toContain(part.id)
    })
  )

  it.live("reads the legacy JSON storage into the same events", () =>
    Effect.gen(function* () {
      const root = join(dir.path, "data/opencode/storage")
      writeLegacy(root, [exported])
      const refs = yield* Storage.listLegacy(root, undefined)
      expect(refs.map((ref) => ref.id)).toEqual([MAIN])
      const snapshot = yield* Storage.loadLegacy(root, refs[0]!)
      expect(Mapping.toEvents(snapshot, options)).toEqual(Mapping.toEvents(exportedSnapshot, options))
    })
  )

  it.live("imports the database first, then legacy-only sessions, honouring XDG_DATA_HOME and --since", () =>
    Effect.gen(function* () {
      const older = renamed("OLD1", 86_400_000)
      yield* Effect.promise(() => writeDatabase(join(dir.path, "data/opencode/opencode.db"), [exported]))
      writeLegacy(join(dir.path, "data/opencode/storage"), [exported, older])
      const progress: Array<number> = []
      const summary = yield* importAll({ ...options, env, onProgress: (p) => progress.push(p.sessions) })
      expect(summary).toMatchObject({ sessions: 2, fromDatabase: 1, fromLegacy: 1 })
      expect(progress).toEqual([1, 2])
      const events = yield* drainAll
      expect(events.length).toBe(summary.events)
      const expected = [
        ...Mapping.toEvents(exportedSnapshot, options),
        ...Mapping.toEvents({ sessionId: String(older.info.id), info: older.info, messages: older.messages }, options)
      ]
      expect(events.map((e) => e.id).sort()).toEqual(expected.map((e) => e.id).sort())

      const since = (exported.info as { time: { updated: number } }).time.updated - 1000
      const recent = yield* importAll({ ...options, env, since })
      expect(recent).toMatchObject({ sessions: 1, fromDatabase: 1, fromLegacy: 0 })
    }).pipe(Effect.provide(layer()))
  )

  it.live("finds nothing, without failing, when OpenCode has no store", () =>
    Effect.gen(function* () {
      const summary = yield* importAll({ ...options, env })
      expect(summary).toEqual({ sessions: 0, fromDatabase: 0, fromLegacy: 0, events: 0, database: null, legacy: null })
    }).pipe(Effect.provide(layer()))
  )

  it.live("says clearly when the database is not OpenCode's", () =>
    Effect.gen(function* () {
      const path = join(dir.path, "data/opencode/opencode.db")
      const db = createClient({ url: `file:${path}` })
      yield* Effect.promise(() => db.execute("CREATE TABLE other (x)"))
      db.close()
      const error = yield* Effect.flip(importAll({ ...options, env }))
      expect(error.message).toBe(
        `Cannot read OpenCode's sessions at ${path}: it has no session, message and part tables (not an OpenCode database?)`
      )
    }).pipe(Effect.provide(layer()))
  )

  it.live("counts legacy files cut short as malformed, and imports them again once they are whole", () =>
    Effect.gen(function* () {
      const root = join(dir.path, "data/opencode/storage")
      writeLegacy(root, [exported])
      // The last prompt's message file and a reply's text part cut short (a crash while OpenCode wrote them)
      const prompt = exported.messages.filter((m) => m.info.role === "user").at(-1)!
      const reply = exported.messages.find(
        (m) => m.info.role === "assistant" && m.parts.some((p) => p.type === "text")
      )!
      const text = reply.parts.find((p) => p.type === "text")!
      const files = [
        join(root, "message", MAIN, `${String(prompt.info.id)}.json`),
        join(root, "part", String(reply.info.id), `${String(text.id)}.json`)
      ]
      const whole = files.map((file) => readFileSync(file, "utf8"))
      for (const [i, file] of files.entries()) writeFileSync(file, whole[i]!.slice(0, 40))
      const cliEnv = { XDG_DATA_HOME: env.XDG_DATA_HOME! }
      const importOnce = () => Effect.promise(() => run(dir.path, ["import"], cliEnv))
      const outbox = Outbox.layer(join(dir.path, ".config/opencode-sync/outbox"))
      const queued = () => drainAll.pipe(Effect.provide(outbox))
      const expected = Mapping.toEvents(exportedSnapshot, options)
      const byMessage = (events: ReadonlyArray<(typeof expected)[number]>, id: unknown) =>
        events.filter((e) => e.kind === "message" && e.messageId === id)

      const first = yield* importOnce()
      // (It exits 1: no server is configured, so the events stay queued)
      expect(first.stdout).toContain("1 session (1 new, 0 updated, 0 unchanged): read 1 session(s)")
      expect(first.stdout).toContain("event(s) queued, 2 malformed record(s) left out (read again next time).")
      expect(first.stderr).toContain(`2 malformed line(s) left out of ${join(root, "session")}`)
      const before = yield* queued()
      expect(byMessage(before, prompt.info.id)).toEqual([])
      expect(byMessage(before, reply.info.id)).not.toEqual(byMessage(expected, reply.info.id))

      // Still cut short: read again, and said again
      const again = yield* importOnce()
      expect(again.stdout).toContain("2 malformed record(s) left out")
      expect(yield* queued()).toEqual([])

      // Repaired: what was missing is queued, as `opencode export` has it
      for (const [i, file] of files.entries()) writeFileSync(file, whole[i]!)
      const repaired = yield* importOnce()
      expect(repaired.stdout).toContain("1 session (0 new, 1 updated, 0 unchanged): read 1 session(s)")
      expect(repaired.stdout).not.toContain("malformed")
      const after = yield* queued()
      expect(byMessage(after, prompt.info.id)).toEqual(byMessage(expected, prompt.info.id))
      expect(byMessage(after, reply.info.id)).toEqual(byMessage(expected, reply.info.id))

      // Then it is whole: read once more (its note changed), then answered from the bookkeeping
      yield* importOnce()
      const last = yield* importOnce()
      expect(last.stdout).toContain("1 session (0 new, 0 updated, 1 unchanged): read 0 session(s)")
      expect(yield* queued()).toEqual([])
    })
  )
})
