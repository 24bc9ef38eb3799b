import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Settings from "../src/Settings.js"

const hook = "/opt/node/lib/node_modules/claude-code-sync/dist/hook.cjs"
const cmd = (event: string) => `node "${hook}" ${event}`
const ours = (event: string) => ({ hooks: [{ type: "command", command: cmd(event), timeout: 10 }] })

let dir: string
let path: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ccs-settings-"))
  path = join(dir, "settings.json")
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const setup = () => Settings.apply(path, (settings) => Settings.install(settings, hook))
const uninstall = () => Settings.apply(path, (settings) => Settings.uninstall(settings, hook))
const read = () => readFileSync(path, "utf8")
const write = (settings: Parameters<typeof Settings.render>[0]) => writeFileSync(path, Settings.render(settings))

const allOurs = {
  SessionStart: [ours("SessionStart")],
  UserPromptSubmit: [ours("UserPromptSubmit")],
  PostToolUse: [ours("PostToolUse")],
  PostToolUseFailure: [ours("PostToolUseFailure")],
  Stop: [ours("Stop")],
  SubagentStop: [ours("SubagentStop")],
  PreCompact: [ours("PreCompact")],
  SessionEnd: [ours("SessionEnd")]
}
/** Our hooks but PostToolUse, which `original` already has a hook for: setup adds them after the user's. */
const { PostToolUse: _, ...ourNewHooks } = allOurs

const original = {
  model: "opus",
  permissions: { allow: ["Bash(ls:*)"] },
  hooks: {
    PostToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "~/bin/audit.sh" }] }],
    Notification: [{ hooks: [{ type: "command", command: "notify-send done" }] }]
  },
  enabledPlugins: { "other@market": true }
}

describe("setup", () => {
  it.effect("creates settings.json with our hooks when there is none", () =>
    Effect.gen(function* () {
      const plan = yield* setup()
      expect(plan.added).toEqual(Settings.events)
      expect(JSON.parse(read())).toEqual({ hooks: allOurs })
      expect(statSync(path).mode & 0o777).toBe(0o600)
      expect(existsSync(`${path}.bak`)).toBe(false)
    })
  )

  it.effect("fills an empty file", () =>
    Effect.gen(function* () {
      writeFileSync(path, "")
      yield* setup()
      expect(read()).toBe(`${JSON.stringify({ hooks: allOurs }, null, 2)}\n`)
      expect(readFileSync(`${path}.bak`, "utf8")).toBe("")
    })
  )

  it.effect("keeps every other setting and hook, appending ours, and backs up the old file", () =>
    Effect.gen(function* () {
      writeFileSync(path, Settings.render(original), { mode: 0o644 })
      const plan = yield* setup()
      expect(plan).toMatchObject({ added: Settings.events, removed: 0 })
      expect(JSON.parse(read())).toEqual({
        model: "opus",
        permissions: { allow: ["Bash(ls:*)"] },
        hooks: {
          PostToolUse: [
            { matcher: "Bash", hooks: [{ type: "command", command: "~/bin/audit.sh" }] },
            ours("PostToolUse")
          ],
          Notification: [{ hooks: [{ type: "command", command: "notify-send done" }] }],
          ...ourNewHooks
        },
        enabledPlugins: { "other@market": true }
      })
      expect(Object.keys(JSON.parse(read()).hooks)).toEqual([
        "PostToolUse",
        "Notification",
        ...Object.keys(ourNewHooks)
      ])
      expect(readFileSync(`${path}.bak`, "utf8")).toBe(Settings.render(original))
      expect(statSync(path).mode & 0o777).toBe(0o644)
    })
  )

  it.effect("is idempotent: a second setup changes nothing", () =>
    Effect.gen(function* () {
      write(original)
      yield* setup()
      const first = read()
      const plan = yield* setup()
      expect(plan).toMatchObject({ added: [], removed: 0 })
      expect(read()).toBe(first)
      expect(readFileSync(`${path}.bak`, "utf8")).toBe(Settings.render(original))
    })
  )

  it.effect("replaces our entries from an older install path and legacy `claude-code-sync hook` wiring", () =>
    Effect.gen(function* () {
      write({
        hooks: {
          Stop: [
            {
              hooks: [
                { type: "command", command: 'node "/old/node_modules/claude-code-sync/dist/hook.mjs" Stop' },
                { type: "command", command: "say stopped" }
              ]
            }
          ],
          SessionEnd: [{ hooks: [{ type: "command", command: "claude-code-sync hook SessionEnd" }] }]
        }
      })
      const plan = yield* setup()
      expect(plan.removed).toBe(2)
      const hooks = JSON.parse(read()).hooks
      expect(hooks.Stop).toEqual([{ hooks: [{ type: "command", command: "say stopped" }] }, ours("Stop")])
      expect(hooks.SessionEnd).toEqual([ours("SessionEnd")])
    })
  )

  it.effect(
    "gives SessionEnd a budget past Claude Code's 1.5 s default, and raises it in an older install in place",
    () =>
      Effect.gen(function* () {
        // Claude Code gives all SessionEnd hooks max(their timeouts, 1.5 s): without one, a slow `node` start loses the end.
        expect((yield* setup()).added).toContain("SessionEnd")
        expect(JSON.parse(read()).hooks.SessionEnd[0].hooks[0].timeout).toBeGreaterThanOrEqual(5)

        // What setup wrote before: our SessionEnd entry without a timeout, between two of the user's, and a longer
        // timeout the user gave our Stop entry.
        const user = { type: "command", command: "say bye" }
        write({
          hooks: {
            ...allOurs,
            Stop: [{ hooks: [{ type: "command", command: cmd("Stop"), timeout: 30 }] }],
            SessionEnd: [{ matcher: "*", hooks: [user, { type: "command", command: cmd("SessionEnd") }, user] }]
          }
        })
        const plan = yield* setup()
        expect(plan).toMatchObject({ added: [], removed: 0, updated: ["SessionEnd"], events: ["SessionEnd"] })
        const hooks = JSON.parse(read()).hooks
        expect(hooks.SessionEnd).toEqual([
          { matcher: "*", hooks: [user, { type: "command", command: cmd("SessionEnd"), timeout: 10 }, user] }
        ])
        expect(hooks.Stop[0].hooks[0].timeout).toBe(30)
        expect(existsSync(`${path}.bak`)).toBe(true)
        expect((yield* setup()).updated).toEqual([])
      })
  )

  it.effect("refuses invalid JSON and leaves the file untouched", () =>
    Effect.gen(function* () {
      const broken = '{ "model": "opus", }\n'
      writeFileSync(path, broken)
      const error = yield* Effect.flip(setup())
      expect(error._tag).toBe("SettingsInvalid")
      expect(error.message).toMatch(/settings\.json is not valid JSON .*It was not changed; fix it by hand/)
      expect(read()).toBe(broken)
      expect(existsSync(`${path}.bak`)).toBe(false)
      const again = yield* Effect.flip(uninstall())
      expect(again._tag).toBe("SettingsInvalid")
      expect(read()).toBe(broken)
    })
  )

  it.effect("refuses a hooks value it cannot edit safely", () =>
    Effect.gen(function* () {
      writeFileSync(path, '{"hooks": {"Stop": "oops"}}')
      const error = yield* Effect.flip(setup())
      expect(error.message).toContain('"hooks.Stop" value that is not an array')
      expect(read()).toBe('{"hooks": {"Stop": "oops"}}')
    })
  )
})

describe("uninstall", () => {
  it.effect("restores the original structure after setup", () =>
    Effect.gen(function* () {
      write(original)
      yield* setup()
      const plan = yield* uninstall()
      expect(plan.removed).toBe(Settings.events.length)
      expect(read()).toBe(Settings.render(original))
    })
  )

  it.effect("removes the hooks key it created, and nothing else", () =>
    Effect.gen(function* () {
      write({ model: "sonnet" })
      yield* setup()
      yield* uninstall()
      expect(read()).toBe(Settings.render({ model: "sonnet" }))
      const plan = yield* uninstall()
      expect(plan.removed).toBe(0)
    })
  )

  it.effect("removes the claude-code-sync-hook bin wiring too", () =>
    Effect.gen(function* () {
      write({
        hooks: {
          Stop: [{ hooks: [{ type: "command", command: "claude-code-sync-hook Stop" }] }],
          Notification: [{ hooks: [{ type: "command", command: "my-claude-code-sync-hook-fork" }] }]
        }
      })
      yield* uninstall()
      expect(JSON.parse(read())).toEqual({
        hooks: { Notification: [{ hooks: [{ type: "command", command: "my-claude-code-sync-hook-fork" }] }] }
      })
    })
  )
})

describe("registration", () => {
  it("reports the events wired to us and enabled plugins", () => {
    const settings = Settings.install({ enabledPlugins: { "claude-code-sync@opensync": true, "x@y": true } }, hook)
    expect(Settings.registration(settings.settings, hook, path)).toEqual({
      path,
      settingsEvents: Settings.events,
      plugins: ["claude-code-sync@opensync"]
    })
    expect(Settings.registration({}, hook, path)).toEqual({ path, settingsEvents: [], plugins: [] })
  })

  it("honours CLAUDE_CONFIG_DIR", () => {
    expect(Settings.settingsPath({ CLAUDE_CONFIG_DIR: "/cfg/claude" })).toBe("/cfg/claude/settings.json")
    expect(Settings.settingsPath({ HOME: "/home/u" })).toBe("/home/u/.claude/settings.json")
  })
})
