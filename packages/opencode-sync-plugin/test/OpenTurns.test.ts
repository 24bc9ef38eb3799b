/**
 * OpenCode killed mid-turn: the turn the plugin held in memory is marked on disk (`<state>/open-turns/<session>`), and
 * a marker whose process is gone makes the next plugin start (or `opencode-sync sync`) re-read the session from
 * opencode.db.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Kit } from "@opensync/client"
import type { Event } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { agent } from "../src/Agent.js"
import * as PluginModule from "../src/Plugin.js"
import * as Source from "../src/Source.js"
import { writeDatabase } from "./support/database.js"
import { CHILD, eventsOf, exported, MAIN } from "./support/fixtures.js"
import { drainAll, tempDir } from "./support/outbox.js"

const keys = ["OPENCODE_SYNC_STATE_DIR", "OPENCODE_SYNC_AUTO_SYNC", "XDG_CONFIG_HOME", "XDG_DATA_HOME"] as const

/** The id of a process that ran and exited. */
const deadPid = () =>
  new Promise<number>((done) => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" })
    child.on("exit", () => done(child.pid ?? 999_999_999))
  })

const endsTurn = (e: { type: string; properties?: { status?: { type?: string } } }) =>
  ["session.idle", "session.error", "session.compacted"].includes(e.type) ||
  (e.type === "session.status" && e.properties?.status?.type === "idle")

describe("a turn OpenCode was killed in", () => {
  let dir: ReturnType<typeof tempDir>
  const saved: Partial<Record<(typeof keys)[number], string | undefined>> = {}
  const state = () => join(dir.path, "state")
  const openTurns = () => join(state(), "open-turns")
  const markers = () => (existsSync(openTurns()) ? readdirSync(openTurns()).sort() : [])
  const env = () => ({
    OPENCODE_SYNC_STATE_DIR: state(),
    XDG_CONFIG_HOME: join(dir.path, "config"),
    XDG_DATA_HOME: join(dir.path, "data")
  })
  const paths = () => Kit.Agent.paths(agent, env())
  /** OpenCode's store, holding the session as OpenCode saved it while the turn ran. */
  const database = () => {
    mkdirSync(join(dir.path, "data", "opencode"), { recursive: true })
    return writeDatabase(join(dir.path, "data", "opencode", "opencode.db"), [exported])
  }
  const failed = () =>
    Kit.Failures.read(paths())
      .sessions.map((s) => s.id)
      .sort()

  beforeEach(() => {
    dir = tempDir("ocs-open-turns-")
    for (const key of keys) saved[key] = process.env[key]
    Object.assign(process.env, env(), { OPENCODE_SYNC_AUTO_SYNC: "0" })
  })
  afterEach(() => {
    for (const key of keys) {
      if (saved[key] === undefined) delete process.env[key]
      else process.env[key] = saved[key]
    }
    dir.remove()
  })

  /** The kit's sync as `opencode-sync sync` runs it (no server configured: what it queues stays in the outbox). */
  const syncAndDrain = Effect.gen(function* () {
    const report = yield* Kit.Sync.run
    const events: ReadonlyArray<Event.EventEncoded> = yield* drainAll
    return { report, events }
  })
  const runSync = () =>
    Effect.runPromise(
      syncAndDrain.pipe(Effect.provide(Source.layer.pipe(Layer.provideMerge(Kit.Main.layer(agent, env())))))
    )

  /** What the re-read from opencode.db must send: the stored session's messages and tool calls. */
  const expectSessionSent = (events: ReadonlyArray<Event.EventEncoded>) => {
    const messages = new Set(events.flatMap((e) => (e.kind === "message" && e.sessionId === MAIN ? [e.messageId] : [])))
    expect(messages.size).toBe(exported.messages.length)
    expect(events.filter((e) => e.kind === "tool_call" && e.sessionId === MAIN).length).toBe(4)
  }

  it("marks a turn once while it is held in memory, and unmarks it once it is in the inbox", async () => {
    const hooks = await PluginModule.OpenCodeSync({ directory: "/home/dev/projects/demo" })
    const events = eventsOf("global")
    const during = events.filter((e) => !endsTurn(e))
    for (const event of during) await hooks.event({ event })
    expect(markers()).toEqual([MAIN, CHILD].sort())
    expect(readFileSync(join(openTurns(), MAIN), "utf8").split(" ")[0]).toBe(String(process.pid))
    // A plugin start while this OpenCode runs leaves its markers alone.
    await PluginModule.OpenCodeSync({ directory: "/home/dev/projects/demo" })
    expect(markers()).toEqual([MAIN, CHILD].sort())
    expect(failed()).toEqual([])
    for (const event of events.filter(endsTurn)) await hooks.event({ event })
    expect(markers()).toEqual([])
    expect(readdirSync(join(state(), "inbox")).length).toBeGreaterThan(0)
  })

  it("the next plugin start records a killed turn's sessions, and the sync re-reads them from opencode.db", async () => {
    await database()
    // A turn with finished API calls and tool calls, and no `session.idle`: nothing reaches the inbox.
    const killed = await PluginModule.OpenCodeSync({ directory: "/home/dev/projects/demo" })
    for (const event of eventsOf("global").filter((e) => !endsTurn(e))) await killed.event({ event })
    expect(existsSync(join(state(), "inbox")) ? readdirSync(join(state(), "inbox")) : []).toEqual([])
    // OpenCode is killed: no idle, no dispose; its process is gone.
    const pid = await deadPid()
    for (const name of markers()) writeFileSync(join(openTurns(), name), `${pid} 1.5\n`)

    await PluginModule.OpenCodeSync({ directory: "/home/dev/projects/demo" })
    expect(failed()).toEqual([MAIN, CHILD].sort())
    expect(Kit.Failures.read(paths()).lastError).toBe("OpenCode stopped during a turn")
    expect(markers()).toEqual([])

    const { report, events } = await runSync()
    expect(report.recovered).toBe(1)
    expectSessionSent(events)
    expect(failed()).toEqual([])
  })

  it("`opencode-sync sync` does the same; a marker of a running process, or of this one, stays", async () => {
    await database()
    mkdirSync(openTurns(), { recursive: true })
    writeFileSync(join(openTurns(), MAIN), `${await deadPid()} 1.5\n`)
    writeFileSync(join(openTurns(), "ses_live"), `${process.ppid} 1.5\n`)
    writeFileSync(join(openTurns(), "ses_here"), `${process.pid} ${performance.timeOrigin}\n`)
    // A marker of this process's id with another start time: an earlier process that had the id.
    writeFileSync(join(openTurns(), "ses_reused"), `${process.pid} 1.5\n`)
    writeFileSync(join(openTurns(), "ses_garbled"), "not a pid")

    const { report, events } = await runSync()
    expect(report.recovered).toBe(1)
    expectSessionSent(events)
    expect(markers()).toEqual(["ses_here", "ses_live"])
    expect(Kit.Failures.read(paths()).sessions).toEqual([])
  })
})
