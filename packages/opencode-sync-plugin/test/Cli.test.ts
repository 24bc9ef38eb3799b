/** The built `opencode-sync` CLI (dist/cli.mjs) in a throw-away HOME: config, set, setup, verify, sync without a server. */
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { cli, run } from "./support/cli.js"
import { tempDir } from "./support/outbox.js"

const bundle = join(import.meta.dirname, "../dist/plugin.mjs")
/** What `setup` registers when run from this checkout: the plugin bundle next to the CLI. */
const spec = pathToFileURL(bundle).href

/** A stand-in npm registry answering every package lookup with `status`. */
const registry = (status: number) =>
  new Promise<{ url: string; server: Server }>((done) => {
    const server = createServer((_, response) => response.writeHead(status).end(status === 200 ? "{}" : "Not found"))
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      done({ url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`, server })
    })
  })

/** Loads the plugin bundle the way OpenCode does (import, call the export), in a process of its own. */
const loadPlugin = (home: string) =>
  new Promise<number | null>((done) => {
    const code = `const m = await import(${JSON.stringify(spec)}); await m.OpenCodeSync({})`
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        XDG_CONFIG_HOME: join(home, ".config"),
        OPENCODE_SYNC_AUTO_SYNC: "0"
      },
      stdio: "ignore"
    })
    child.on("close", done)
  })

describe("opencode-sync CLI", () => {
  let dir: ReturnType<typeof tempDir>
  beforeEach(() => {
    dir = tempDir("ocs-cli-")
  })
  afterEach(() => dir.remove())

  it("set writes ~/.config/opencode-sync/config.json (mode 0600); config --json reports values and origins", async () => {
    expect((await run(dir.path, ["set", "convexUrl", "http://127.0.0.1:4870/"])).code).toBe(0)
    expect((await run(dir.path, ["set", "syncThinking", "yes"])).code).toBe(0)
    const path = join(dir.path, ".config/opencode-sync/config.json")
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ convexUrl: "http://127.0.0.1:4870", syncThinking: true })
    const shown = await run(dir.path, ["config", "--json"], { OPENCODE_SYNC_TOOL_CALLS: "false" })
    expect(JSON.parse(shown.stdout)).toMatchObject({
      path,
      convexUrl: "http://127.0.0.1:4870",
      apiKey: null,
      syncToolCalls: false,
      syncThinking: true,
      origins: { convexUrl: "file", syncToolCalls: "env", syncThinking: "file", apiKey: "default" }
    })
    expect(JSON.parse(shown.stdout)).not.toHaveProperty("telemetry")
    // An unknown setting lists this agent's own
    const colour = await run(dir.path, ["set", "colour", "blue"])
    expect(colour.code).not.toBe(0)
    expect(colour.stderr).toContain(
      'opencode-sync has no setting "colour"; use one of convexUrl, apiKey, autoSync, syncToolCalls, syncThinking.'
    )
    // (each origin under its setting's name; none for a setting this agent does not have)
    expect(JSON.parse(shown.stdout).origins).not.toHaveProperty("serverUrl")
    expect(JSON.parse(shown.stdout).origins).not.toHaveProperty("telemetry")
    const bad = await run(dir.path, ["set", "apiKey", "nope"])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^opencode-sync: /)
    // The telemetry setting belongs to agents with a telemetry export of their own.
    const telemetry = await run(dir.path, ["set", "telemetry", "true"])
    expect(telemetry.code).toBe(1)
    expect(telemetry.stderr).toContain("opencode-sync has no telemetry setting")
    expect(JSON.parse(readFileSync(path, "utf8"))).not.toHaveProperty("telemetry")
  })

  it("setup adds the bundle next to the CLI to the global opencode.jsonc, touching nothing else; uninstall undoes it", async () => {
    const configDir = join(dir.path, ".config/opencode")
    mkdirSync(configDir, { recursive: true })
    const original = '{\n  // my settings\n  "theme": "dark",\n  "plugin": ["other"],\n}\n'
    const file = join(configDir, "opencode.jsonc")
    writeFileSync(file, original)
    const setup = await run(dir.path, ["setup"])
    expect(setup.code, setup.stderr).toBe(0)
    expect(readFileSync(file, "utf8")).toBe(original.replace('["other"]', `["other", "${spec}"]`))
    expect(readFileSync(`${file}.bak`, "utf8")).toBe(original)
    expect((await run(dir.path, ["setup"])).stdout).toContain("Already set up")
    const verify = await run(dir.path, ["verify"])
    expect(verify.stdout).toContain(`plugin      ok: registered in ${file} (${spec}); never loaded: start OpenCode`)
    expect(verify.stdout).toMatch(/^install {5}clone at /m)
    expect(verify.code).toBe(1)
    expect(verify.stderr).toContain("opencode-sync login")

    const uninstall = await run(dir.path, ["uninstall"])
    expect(uninstall.code, uninstall.stderr).toBe(0)
    expect(uninstall.stdout).toContain(`Removed ${spec} from ${file}`)
    expect(readFileSync(file, "utf8")).toBe(original)
    expect((await run(dir.path, ["uninstall"])).stdout).toContain("Nothing to remove")
    // A config file setup created goes with uninstall.
    const fresh = join(dir.path, "fresh")
    mkdirSync(fresh)
    expect((await run(fresh, ["setup"])).stdout).toContain(`Created ${join(fresh, ".config/opencode/opencode.json")}`)
    expect((await run(fresh, ["uninstall"])).code).toBe(0)
    expect(existsSync(join(fresh, ".config/opencode/opencode.json"))).toBe(false)
  })

  it("verify proves OpenCode can load what is registered; setup replaces what it cannot", async () => {
    const configDir = join(dir.path, ".config/opencode")
    mkdirSync(configDir, { recursive: true })
    const file = join(configDir, "opencode.json")
    writeFileSync(file, '{\n  "plugin": ["opencode-sync-plugin"]\n}\n')
    const missing = await registry(404)
    const published = await registry(200)
    try {
      const unloadable = await run(dir.path, ["verify"], { npm_config_registry: missing.url })
      expect(unloadable.code).toBe(1)
      expect(unloadable.stdout).toContain(
        `plugin      missing: registered in ${file} (opencode-sync-plugin); OpenCode cannot load it`
      )
      expect(unloadable.stdout).toContain(
        `opencode-sync-plugin: opencode-sync-plugin is not on the npm registry (${missing.url}/opencode-sync-plugin: HTTP 404)`
      )
      expect(unloadable.stderr).toContain("Run `opencode-sync setup` to register the one this CLI came with.")
      // Once the name is published, OpenCode can install it.
      const resolvable = await run(dir.path, ["verify", "--json"], { npm_config_registry: published.url })
      expect(JSON.parse(resolvable.stdout).plugin).toMatchObject({ registered: true, loadable: true })

      const setup = await run(dir.path, ["setup"], { npm_config_registry: missing.url })
      expect(setup.code, setup.stderr).toBe(0)
      expect(setup.stdout).toContain("Replaced opencode-sync-plugin (opencode-sync-plugin is not on the npm registry")
      expect(readFileSync(file, "utf8")).toBe(`{\n  "plugin": ["${spec}"]\n}\n`)
      const verify = await run(dir.path, ["verify", "--json"])
      expect(JSON.parse(verify.stdout).plugin.checks).toEqual([
        { spec, ok: true, detail: `${bundle} loads (exports OpenCodeSync)` }
      ])
    } finally {
      missing.server.close()
      published.server.close()
    }
    // A registered file that is gone is named with the fix.
    writeFileSync(file, '{ "plugin": ["file:///nowhere/opencode-sync-plugin/dist/plugin.mjs"] }')
    const gone = await run(dir.path, ["verify"])
    expect(gone.code).toBe(1)
    expect(gone.stdout).toContain("/nowhere/opencode-sync-plugin/dist/plugin.mjs does not exist")
  })

  it("setup also removes an entry of ours OpenCode cannot load from the project's opencode.json", async () => {
    // How the original plugin was installed: its npm name in the project's config, which OpenCode cannot install
    const project = join(dir.path, "opencode.json")
    const original = '{\n  "theme": "dark",\n  "plugin": ["opencode-sync-plugin", "other"]\n}\n'
    writeFileSync(project, original)
    const missing = await registry(404)
    try {
      const before = await run(dir.path, ["verify"], { npm_config_registry: missing.url })
      expect(before.stdout).toContain("opencode-sync-plugin is not on the npm registry")
      const setup = await run(dir.path, ["setup"], { npm_config_registry: missing.url })
      expect(setup.code, setup.stderr).toBe(0)
      expect(setup.stdout).toContain(`Removed opencode-sync-plugin from ${project}: OpenCode cannot load it`)
      expect(readFileSync(project, "utf8")).toBe('{\n  "theme": "dark",\n  "plugin": ["other"]\n}\n')
      const after = await run(dir.path, ["verify", "--json"], { npm_config_registry: missing.url })
      expect(JSON.parse(after.stdout).plugin.checks).toEqual([
        { spec, ok: true, detail: `${bundle} loads (exports OpenCodeSync)` }
      ])
    } finally {
      missing.server.close()
    }
  })

  it("status says whether OpenCode ever loaded the plugin, from the heartbeat the plugin leaves", async () => {
    expect((await run(dir.path, ["setup"])).code).toBe(0)
    const before = await run(dir.path, ["status"])
    expect(before.stdout).toMatch(/^plugin {9}registered in .*; never loaded: start OpenCode/m)
    expect(JSON.parse((await run(dir.path, ["status", "--json"])).stdout).heartbeat).toBeNull()
    expect(await loadPlugin(dir.path)).toBe(0)
    const after = await run(dir.path, ["status"])
    expect(after.stdout).toMatch(/^plugin {9}registered in .*; loaded by OpenCode at \d{4}-\d\d-\d\d /m)
    const status = JSON.parse((await run(dir.path, ["status", "--json"])).stdout)
    expect(status.heartbeat).toMatchObject({ entry: bundle, host: "OpenCode", hostVersion: null })
    expect(status.install).toMatchObject({ kind: "clone", entry: cli })
  })

  it("sync without a server keeps what the plugin spooled and says what to do", async () => {
    const inbox = join(dir.path, ".config/opencode-sync/inbox")
    mkdirSync(inbox, { recursive: true })
    const snapshot = {
      sessionId: "ses_1",
      info: null,
      messages: [
        {
          info: { id: "msg_1", role: "user", time: { created: 1 } },
          parts: [{ id: "prt_1", type: "text", text: "hi" }]
        }
      ]
    }
    writeFileSync(join(inbox, "00000000000001-1-000001.json"), JSON.stringify({ v: 1, spooledAt: 1, snapshot }))
    writeFileSync(join(inbox, "00000000000002-1-000001.json"), "{ not json")
    const synced = await run(dir.path, ["sync"])
    expect(synced.code).toBe(1)
    expect(synced.stdout).toContain("Processed 1 session snapshot(s) (1 unreadable")
    expect(synced.stdout).toContain("0 rejected by the server, 1 pending")
    expect(synced.stderr).toContain("Not configured: run `opencode-sync login`")
    const status = await run(dir.path, ["status", "--json"])
    expect(JSON.parse(status.stdout)).toMatchObject({ outbox: { pending: 1 }, plugin: { registered: false } })
  })
})
