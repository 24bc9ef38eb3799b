/** The built `opencode-sync` CLI (dist/cli.mjs) in a throw-away HOME: config, set, setup, verify, sync without a server. */
import { spawn } from "node:child_process"
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { tempDir } from "./support/outbox.js"

const cli = join(import.meta.dirname, "../dist/cli.mjs")

const run = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: home,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: join(home, ".config"), ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("close", (code) => done({ code, stdout, stderr }))
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
      origins: { serverUrl: "file", syncToolCalls: "env", syncThinking: "file", apiKey: "default" }
    })
    const bad = await run(dir.path, ["set", "apiKey", "nope"])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^opencode-sync: /)
  })

  it("setup adds the plugin to the global opencode.jsonc without touching the rest; verify then finds it", async () => {
    const configDir = join(dir.path, ".config/opencode")
    mkdirSync(configDir, { recursive: true })
    const original = '{\n  // my settings\n  "theme": "dark",\n  "plugin": ["other"],\n}\n'
    writeFileSync(join(configDir, "opencode.jsonc"), original)
    const setup = await run(dir.path, ["setup"])
    expect(setup.code, setup.stderr).toBe(0)
    expect(readFileSync(join(configDir, "opencode.jsonc"), "utf8")).toBe(
      original.replace('["other"]', '["other", "opencode-sync-plugin"]')
    )
    expect((await run(dir.path, ["setup"])).stdout).toContain("Already set up")
    const verify = await run(dir.path, ["verify"])
    expect(verify.stdout).toContain(
      `plugin      ok: registered in ${join(configDir, "opencode.jsonc")} (opencode-sync-plugin)`
    )
    expect(verify.code).toBe(1)
    expect(verify.stderr).toContain("opencode-sync login")
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
