import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Kit, Redactor } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { agent } from "../src/Agent.js"
import * as Mapping from "../src/Mapping.js"
import * as PluginModule from "../src/Plugin.js"
import * as Source from "../src/Source.js"
import { CHILD, eventsOf, MAIN } from "./support/fixtures.js"
import { drainAll, tempDir } from "./support/outbox.js"

const keys = ["OPENCODE_SYNC_STATE_DIR", "OPENCODE_SYNC_AUTO_SYNC", "XDG_CONFIG_HOME"] as const

describe("the plugin entry", () => {
  let dir: ReturnType<typeof tempDir>
  const saved: Partial<Record<(typeof keys)[number], string | undefined>> = {}
  beforeEach(() => {
    dir = tempDir("ocs-plugin-")
    for (const key of keys) saved[key] = process.env[key]
    process.env.OPENCODE_SYNC_STATE_DIR = join(dir.path, "state")
    process.env.OPENCODE_SYNC_AUTO_SYNC = "0"
    process.env.XDG_CONFIG_HOME = join(dir.path, "config")
  })
  afterEach(() => {
    for (const key of keys) {
      if (saved[key] === undefined) delete process.env[key]
      else process.env[key] = saved[key]
    }
    dir.remove()
  })

  const inbox = () => {
    try {
      return readdirSync(join(dir.path, "state/inbox")).sort()
    } catch {
      return []
    }
  }

  it("exports only the plugin function (OpenCode calls every export)", () => {
    expect(Object.keys(PluginModule)).toEqual(["OpenCodeSync"])
    const bundle = readFileSync(join(import.meta.dirname, "../dist/plugin.mjs"), "utf8")
    expect(bundle.match(/export\{[^}]*\}/g)).toEqual([expect.stringMatching(/^export\{\w+ as OpenCodeSync\}$/)])
    expect(bundle).not.toMatch(/effect|@libsql/)
  })

  it("at exit on a full disk, records every session it could not save for the next sync to re-read", async () => {
    const logged: Array<unknown> = []
    const hooks = await PluginModule.OpenCodeSync({
      client: { app: { log: (o) => logged.push(o) } },
      directory: "/home/dev/projects/demo"
    })
    // Both sessions' turns are under way (no `session.idle` yet): only `dispose` saves them.
    const endsTurn = (e: { type: string; properties?: { status?: { type?: string } } }) =>
      ["session.idle", "session.error", "session.compacted"].includes(e.type) ||
      (e.type === "session.status" && e.properties?.status?.type === "idle")
    for (const event of eventsOf("global").filter((e) => !endsTurn(e))) await hooks.event({ event })
    expect(inbox()).toEqual([])
    // What `setup` and every sync leave ahead of time, so that a failure can be recorded on a full disk.
    const paths = Kit.Agent.paths(agent, process.env)
    Kit.Failures.preallocate(paths)
    // The inbox cannot be written (a file where its folder should be), as on a full disk.
    rmSync(join(dir.path, "state/inbox"), { recursive: true, force: true })
    writeFileSync(join(dir.path, "state/inbox"), "")
    await hooks.dispose()
    expect(
      Kit.Failures.read(paths)
        .sessions.map((s) => s.id)
        .sort()
    ).toEqual([MAIN, CHILD].sort())
    expect(logged).toHaveLength(2)
  })

  it.live("spools each finished turn to the inbox; the sync turns the spool into the same events", () =>
    Effect.gen(function* () {
      const logged: Array<unknown> = []
      const hooks = yield* Effect.promise(() =>
        PluginModule.OpenCodeSync({
          client: { app: { log: (o) => logged.push(o) } },
          directory: "/home/dev/projects/demo"
        })
      )
      for (const event of eventsOf("global")) yield* Effect.promise(() => hooks.event({ event }))
      expect(inbox().length).toBe(5)
      yield* Effect.promise(() => hooks.dispose())
      expect(inbox().length).toBe(5)
      expect(logged).toEqual([])

      const processed = yield* Kit.Sync.processInbox({ syncToolCalls: true, syncThinking: false })
      expect(processed).toMatchObject({ inboxItems: 5, unreadable: 0 })
      expect(inbox()).toEqual([])
      const events = yield* drainAll
      expect(new Set(events.filter((e) => e.kind === "message").map((e) => e.sessionId))).toEqual(
        new Set([MAIN, CHILD])
      )
      const mainMessages = events.filter((e) => e.kind === "message" && e.sessionId === MAIN)
      expect(new Set(mainMessages.map((e) => (e.kind === "message" ? e.messageId : ""))).size).toBe(6)
      expect(events.filter((e) => e.kind === "tool_call").length).toBe(4)
      expect(events.every((e) => e.source === Mapping.SOURCE)).toBe(true)
    }).pipe(
      Effect.provide(
        Source.layer.pipe(
          Layer.provideMerge(
            Kit.Main.layer(agent, {
              OPENCODE_SYNC_STATE_DIR: join(dir.path, "state"),
              XDG_CONFIG_HOME: join(dir.path, "config")
            })
          )
        )
      )
    )
  )

  it.live("never throws into OpenCode: a failure is reported through client.app.log", () =>
    Effect.gen(function* () {
      const logged: Array<{ body: { service: string; level: string; message: string } }> = []
      const hooks = yield* Effect.promise(() =>
        PluginModule.OpenCodeSync({ client: { app: { log: (o) => logged.push(o as (typeof logged)[number]) } } })
      )
      // The state dir is a file: spooling fails.
      process.env.OPENCODE_SYNC_STATE_DIR = join(import.meta.dirname, "../package.json")
      for (const event of eventsOf("project")) yield* Effect.promise(() => hooks.event({ event }))
      const poisoned = {
        get type(): string {
          throw new Error("boom")
        }
      }
      yield* Effect.promise(() => hooks.event({ event: poisoned }))
      expect(logged.length).toBeGreaterThanOrEqual(2)
      expect(logged[0]?.body).toMatchObject({ service: "opencode-sync", level: "error" })
      expect(logged[0]?.body.message).toMatch(/^could not record session\.status: Error: ENOTDIR/)
      expect(logged.at(-1)?.body.message).toBe("could not record an event: Error: boom")
    })
  )

  it("redacts secrets before events are queued (a changed event gets the id of its redacted content)", () => {
    const text =
      "my key is sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-AAAAAAAA"
    const events = Mapping.toEvents(
      {
        sessionId: MAIN,
        info: null,
        messages: [
          { info: { id: "msg_1", role: "user", time: { created: 1 } }, parts: [{ id: "prt_1", type: "text", text }] }
        ]
      },
      { syncToolCalls: true, syncThinking: false }
    )
    const redacted = Effect.runSync(Redactor.redactEvents(events).pipe(Effect.provide(Redactor.Redactor.Default)))
    expect(JSON.stringify(redacted)).not.toContain("sk-ant-api03")
    expect(redacted[0]?.id).not.toBe(events[0]?.id)
  })
})
