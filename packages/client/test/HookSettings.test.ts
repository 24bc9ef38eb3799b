import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import * as HookSettings from "@opensync/client/kit/HookSettings"
import * as JsoncFile from "@opensync/client/kit/JsoncFile"
import * as Effect from "effect/Effect"

const hook = "/opt/acme-sync/dist/hook.cjs"
const spec: HookSettings.Spec = {
  entries: ["SessionStart", "Stop"].map((event) => ({
    event,
    handler: { type: "command", command: `node "${hook}" ${event}`, timeout: 10 }
  })),
  isOurs: (command) => command.includes("acme-sync/dist/hook.cjs")
}

describe("HookSettings (a Claude-shaped hooks file)", () => {
  it("adds our handler as a group of its own after the user's, so their positions do not move; removes only ours", () => {
    const user = { hooks: [{ type: "command", command: "say stopped" }] }
    const settings = { model: "x", hooks: { Stop: [user], Notification: [user] } }
    const installed = HookSettings.install(settings, spec)
    expect(installed.added).toEqual(["SessionStart", "Stop"])
    expect(HookSettings.positions(installed.settings, spec.isOurs)).toEqual([
      { event: "Stop", group: 1, handler: 0, command: `node "${hook}" Stop` },
      { event: "SessionStart", group: 0, handler: 0, command: `node "${hook}" SessionStart` }
    ])
    expect(HookSettings.install(installed.settings, spec)).toMatchObject({ added: [], removed: 0, events: [] })
    const removed = HookSettings.uninstall(installed.settings, spec.isOurs)
    expect(removed.removed).toBe(2)
    expect(removed.settings).toEqual(settings)
  })

  it("replaces our entries from another install path", () => {
    const stale = {
      hooks: { Stop: [{ hooks: [{ type: "command", command: 'node "/old/acme-sync/dist/hook.cjs" Stop' }] }] }
    }
    const plan = HookSettings.install(stale, spec)
    expect(plan).toMatchObject({ added: ["SessionStart", "Stop"], removed: 1 })
    expect(HookSettings.registeredEvents(plan.settings, spec.isOurs)).toEqual(["Stop", "SessionStart"])
    expect(HookSettings.positions(plan.settings, spec.isOurs).map((p) => p.command)).not.toContain(
      'node "/old/acme-sync/dist/hook.cjs" Stop'
    )
  })
})

describe("JsoncFile (settings with comments: Gemini CLI)", () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "jsonc-file-"))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const apply = (path: string, plan: (s: HookSettings.Json) => HookSettings.Plan) =>
    Effect.runPromise(JsoncFile.apply(path, plan))

  it("setup then uninstall gives back the file byte for byte: comments, layout and trailing commas kept", async () => {
    const originals = [
      '{\n  // mine\n  "security": { "auth": { "selectedType": "gemini-api-key" } },\n}\n',
      '{\n\t"ui": {\n\t\t"theme": "dark" /* keep */\n\t}\n}',
      "{}\n",
      '{\n  "hooks": {\n    // the user\'s own\n    "Stop": [{ "hooks": [{ "type": "command", "command": "say hi" }] }]\n  }\n}\n'
    ]
    for (const original of originals) {
      const path = join(dir, "settings.json")
      writeFileSync(path, original)
      await apply(path, (settings) => HookSettings.install(settings, spec))
      const installed = readFileSync(path, "utf8")
      expect(readFileSync(`${path}.bak`, "utf8")).toBe(original)
      const parsed = await Effect.runPromise(JsoncFile.load(path))
      expect([...HookSettings.registeredEvents(parsed, spec.isOurs)].sort(), original).toEqual(["SessionStart", "Stop"])
      for (const kept of ["// mine", "/* keep */", "// the user's own", '"say hi"']) {
        if (original.includes(kept)) expect(installed).toContain(kept)
      }
      await apply(path, (settings) => HookSettings.uninstall(settings, spec.isOurs))
      expect(readFileSync(path, "utf8"), original).toBe(original.endsWith("\n") ? original : `${original}\n`)
    }
  })

  it("creates a missing file, and leaves a file it cannot parse as it was", async () => {
    const path = join(dir, "new", "settings.json")
    await apply(path, (settings) => HookSettings.install(settings, spec))
    expect(JSON.parse(readFileSync(path, "utf8")).hooks.Stop[0].hooks[0].command).toBe(`node "${hook}" Stop`)
    const broken = join(dir, "broken.json")
    writeFileSync(broken, '{ "hooks": { "Stop": [ }')
    const failed = await Effect.runPromise(Effect.flip(JsoncFile.apply(broken, (s) => HookSettings.install(s, spec))))
    expect(failed._tag).toBe("SettingsInvalid")
    expect(failed.message).toContain("It was not changed")
    expect(readFileSync(broken, "utf8")).toBe('{ "hooks": { "Stop": [ }')
    const notArray = join(dir, "odd.json")
    writeFileSync(notArray, '{ "hooks": { "Stop": "x" } }')
    const odd = await Effect.runPromise(Effect.flip(JsoncFile.apply(notArray, (s) => HookSettings.install(s, spec))))
    expect(odd.message).toContain('"hooks.Stop" value that is not an array')
  })
})

describe("the scripts our hooks run", () => {
  it("are read from the commands as setup writes them, and named when they are not there", () => {
    const here = __filename
    const gone = "/nonexistent/lib/node_modules/gemini-sync/dist/hook.cjs"
    expect(HookSettings.scriptOf(`node "${here}" Stop`)).toBe(here)
    expect(HookSettings.scriptOf(`node '${gone}' Stop`)).toBe(gone)
    expect(HookSettings.scriptOf(`/usr/bin/node ${gone} SessionEnd`)).toBe(gone)
    expect(HookSettings.scriptOf(`"C:/Program Files/nodejs/node.exe" "${gone}" Stop`)).toBe(gone)
    // A space escaped in an unquoted path; Git Bash's paths on Windows (Claude Code runs hooks through it)
    expect(HookSettings.scriptOf("node /opt/hooks\\ dir/hook.cjs Stop", "linux")).toBe("/opt/hooks dir/hook.cjs")
    expect(HookSettings.scriptOf('node "/c/Users/me/npm/claude-code-sync/dist/hook.cjs" Stop', "win32")).toBe(
      "c:/Users/me/npm/claude-code-sync/dist/hook.cjs"
    )
    expect(HookSettings.scriptOf('node "C:\\npm\\hook.cjs" Stop', "win32")).toBe("C:\\npm\\hook.cjs")
    // Not a script by an absolute path: nothing to check
    expect(HookSettings.scriptOf("gemini-sync-hook AfterAgent")).toBeUndefined()
    expect(HookSettings.scriptOf("node dist/hook.cjs Stop")).toBeUndefined()
    const at = (command: string, event: string) => ({ event, group: 0, handler: 0, command })
    expect(
      HookSettings.missingScripts([
        at(`node "${here}" Stop`, "Stop"),
        at(`node "${gone}" Stop`, "Stop"),
        at(`node "${gone}" SessionEnd`, "SessionEnd")
      ])
    ).toEqual([gone])
  })
})
