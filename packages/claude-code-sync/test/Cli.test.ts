import { spawn } from "node:child_process"
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type Api, ApiKey } from "@opensync/domain"
import { type RunningServer, startServer } from "@opensync/testkit/Server"
import { SESSION_USAGE } from "./support/cli.js"

const cli = resolve(__dirname, "../dist/cli.cjs")
const hookMjs = resolve(__dirname, "../dist/hook.cjs")
const fixtures = resolve(__dirname, "fixtures")
const sessionId = "c763ea33-250a-4cfa-ba10-d17cac298173"

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The environment of a run: the test's, minus anything that would point the CLI at the real user's files. */
const cleanEnv = (home: string, extra: Record<string, string> = {}) => {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(CLAUDE|XDG_)/.test(name)) env[name] = value
  }
  return { ...env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), ...extra }
}

const exec = (file: string, args: ReadonlyArray<string>, env: Record<string, string>, stdin = "") =>
  new Promise<Result>((done) => {
    const child = spawn(process.execPath, [file, ...args], { env })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => done({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })

const tempHome = () => mkdtempSync(join(tmpdir(), "ccs-cli-"))
const run = (home: string, args: ReadonlyArray<string>) => exec(cli, args, cleanEnv(home))
const configPath = (home: string) => join(home, ".config", "claude-code-sync", "config.json")
const readConfig = (home: string) => JSON.parse(readFileSync(configPath(home), "utf8"))

/**
 * Copies the main transcript into `home/.claude` and returns the `settings` run's hook payloads pointing at it. The
 * subagent's transcript is left out, so the session's usage is the main thread's alone.
 */
const fixtureSession = (home: string) => {
  const project = join(home, ".claude", "projects", "-home-dev-projects-demo")
  mkdirSync(project, { recursive: true })
  copyFileSync(join(fixtures, "claude-transcript.jsonl"), join(project, `${sessionId}.jsonl`))
  return readFileSync(join(fixtures, "claude-hooks.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { run: string; hook_event_name: string; payload: unknown })
    .filter((entry) => entry.run === "settings")
    .map((entry) => ({
      event: entry.hook_event_name,
      stdin: JSON.stringify(entry.payload).replaceAll("/home/dev/.claude/", `${home}/.claude/`)
    }))
}

/** Feeds each payload to the hook on stdin, as Claude Code does (auto sync off, so the test drives `sync`). */
const feedHooks = async (home: string, payloads: ReadonlyArray<{ event: string; stdin: string }>, viaCli = false) => {
  for (const { event, stdin } of payloads) {
    const result = viaCli
      ? await exec(cli, ["hook", event], cleanEnv(home, { CLAUDE_SYNC_AUTO_SYNC: "0" }), stdin)
      : await exec(hookMjs, [event], cleanEnv(home, { CLAUDE_SYNC_AUTO_SYNC: "0" }), stdin)
    expect(result).toEqual({ code: 0, stdout: "", stderr: "" })
  }
}

const api = async <A>(server: { url: string }, key: string, path: string): Promise<A> => {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } })
  expect(response.status).toBe(200)
  return (await response.json()) as A
}

let server: RunningServer
const homes: Array<string> = []
const home = () => {
  const dir = tempHome()
  homes.push(dir)
  return dir
}

beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server?.stop()
  for (const dir of homes) rmSync(dir, { recursive: true, force: true })
})

// Each test runs the CLI several times as separate processes: slow on a loaded machine, hence the longer limit.
describe("claude-code-sync CLI", { timeout: 180_000 }, () => {
  it("prints --help for every command and exits 0", async () => {
    const dir = home()
    const commands = ["", "login", "logout", "status", "config", "set", "setup", "uninstall", "sync", "import", "hook"]
    for (const command of commands) {
      const result = await run(dir, command === "" ? ["--help"] : [command, "--help"])
      expect(result.code, `${command} --help`).toBe(0)
      expect(result.stdout).toContain("USAGE")
      // Piped (as here): no terminal colours (they were ESC[0;1m… in `--help | less` and logs)
      expect(result.stdout).not.toContain("\u001b[")
    }
    const wrong = await run(dir, ["import", "--bogus"])
    expect(wrong.code).not.toBe(0)
    expect(`${wrong.stdout}${wrong.stderr}`).toContain("--bogus")
    expect(`${wrong.stdout}${wrong.stderr}`).not.toContain("\u001b[")
    expect(existsSync(configPath(dir))).toBe(false)
  }, 60_000)

  it("says a server URL that is no http(s) URL is wrong, not that the server cannot be reached; never shows a password", async () => {
    const dir = home()
    fixtureSession(dir)
    const key = `osk_${"a".repeat(32)}`
    for (const [url, shown] of [
      ["127.0.0.1:9", '"127.0.0.1:9"'],
      ["htp://127.0.0.1:9", '"htp://127.0.0.1:9"'],
      ["http://user:secretpw@127.0.0.1:9", '"http://***@127.0.0.1:9"']
    ] as const) {
      const env = cleanEnv(dir, { CLAUDE_SYNC_CONVEX_URL: url, CLAUDE_SYNC_API_KEY: key })
      const imported = await exec(cli, ["import"], env)
      expect([url, imported.code]).toEqual([url, 1])
      expect(imported.stderr).toContain(`The server URL ${shown} is not an http(s) URL without a user name or password`)
      expect(imported.stderr).not.toContain("Is the server running")
      expect(imported.stdout + imported.stderr).not.toContain("secretpw")
      const synced = await exec(cli, ["sync"], env)
      expect([url, synced.code]).toEqual([url, 1])
    }
  })

  it("names the files whose malformed lines an import left out", async () => {
    const dir = home()
    fixtureSession(dir)
    const transcript = join(dir, ".claude", "projects", "-home-dev-projects-demo", `${sessionId}.jsonl`)
    const lines = readFileSync(transcript, "utf8").split("\n")
    // two lines damaged in the middle (a disk error, an editor): cut short, and not JSON
    lines[3] = (lines[3] ?? "").slice(0, 40)
    lines[5] = "not json at all"
    writeFileSync(transcript, lines.join("\n"))
    const env = cleanEnv(dir, { CLAUDE_SYNC_CONVEX_URL: server.url, CLAUDE_SYNC_API_KEY: server.key })
    const imported = await exec(cli, ["import"], env)
    expect(imported.code).toBe(0)
    expect(imported.stdout).toContain(", 2 malformed line(s).")
    expect(imported.stderr).toBe(`2 malformed line(s) left out of ${transcript}\n`)
  })

  it("refuses a malformed key before any network call", async () => {
    const dir = home()
    const result = await run(dir, ["login", "--url", "http://127.0.0.1:9", "--key", "sk-ant-abc123"])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('API keys start with "osk_"')
    expect(result.stderr).not.toContain("Cannot reach")
    expect(existsSync(configPath(dir))).toBe(false)
  })

  it("logs in, reports status, changes settings and logs out", async () => {
    const dir = home()
    const login = await run(dir, ["login", "--url", `${server.url}/`, "--key", server.key])
    expect(login.stderr).toBe("")
    expect(login.code).toBe(0)
    expect(login.stdout).toContain(`Connected to ${server.url}`)
    expect(login.stdout).toContain(`${ApiKey.displayPrefix(server.key)}…`)
    expect(login.stdout).not.toContain(server.key)
    expect(statSync(configPath(dir)).mode & 0o777).toBe(0o600)
    expect(readConfig(dir)).toEqual({ convexUrl: server.url, apiKey: server.key })

    const status = await run(dir, ["status", "--json"])
    expect(status.code).toBe(0)
    const report = JSON.parse(status.stdout)
    expect(report.connection).toMatchObject({ ok: true, version: expect.any(String), latencyMs: expect.any(Number) })
    expect(report.config).toMatchObject({ convexUrl: server.url, apiKey: `${ApiKey.displayPrefix(server.key)}…` })
    expect(report.outbox).toMatchObject({ pending: 0, rejected: 0, lastError: null })
    expect(report.hooks).toEqual({
      path: join(dir, ".claude", "settings.json"),
      settingsEvents: [],
      plugins: [],
      missingScripts: [],
      sessionEndBudgetMs: 10_000
    })
    expect(status.stdout).not.toContain(server.key)

    const before = readFileSync(configPath(dir), "utf8")
    const badKey = await run(dir, ["login", "--url", server.url, "--key", ApiKey.generate()])
    expect(badKey.code).not.toBe(0)
    expect(badKey.stderr).toMatch(/rejected the API key .*Run login again with a valid osk_ key\. Nothing was saved\./)
    expect(readFileSync(configPath(dir), "utf8")).toBe(before)
    // A server that is down: said without what a sync says of its queue (a login queues nothing)
    const down = await run(dir, ["login", "--url", "http://127.0.0.1:9", "--key", server.key])
    expect(down.code).not.toBe(0)
    expect(down.stderr).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:9 .*Is the server running\? Nothing was saved\./)
    expect(down.stderr).not.toContain("queued")
    expect(readFileSync(configPath(dir), "utf8")).toBe(before)

    expect((await run(dir, ["set", "syncThinking", "true"])).code).toBe(0)
    const config = await run(dir, ["config", "--json"])
    expect(JSON.parse(config.stdout)).toEqual({
      path: configPath(dir),
      convexUrl: server.url,
      apiKey: `${ApiKey.displayPrefix(server.key)}…`,
      autoSync: true,
      syncToolCalls: true,
      syncThinking: true,
      telemetry: true,
      origins: {
        convexUrl: "file",
        apiKey: "file",
        autoSync: "default",
        syncToolCalls: "default",
        syncThinking: "file",
        telemetry: "default"
      }
    })
    const badSetting = await run(dir, ["set", "colour", "blue"])
    expect(badSetting.code).not.toBe(0)
    expect(badSetting.stderr).toContain(
      "use one of convexUrl, apiKey, autoSync, syncToolCalls, syncThinking, telemetry"
    )

    const logout = await run(dir, ["logout"])
    expect(logout.code).toBe(0)
    expect(logout.stdout).toContain("Removed the server URL and API key")
    expect(readConfig(dir)).toEqual({ syncThinking: true })
    const twice = await run(dir, ["logout"])
    expect(twice.code).toBe(0)
    expect(twice.stdout).toContain("Not logged in:")
    const after = JSON.parse((await run(dir, ["status", "--json"])).stdout)
    expect(after.connection).toEqual({
      ok: false,
      error: "Not configured. Run `claude-code-sync login`.",
      kind: "refused"
    })
  })

  it("config and status never show a password in the server URL, nor a key of another format", async () => {
    const dir = home()
    mkdirSync(join(dir, ".config", "claude-code-sync"), { recursive: true })
    writeFileSync(
      configPath(dir),
      JSON.stringify({ convexUrl: "https://bob:hunter2secret@example.com", apiKey: "hunter2pass" })
    )
    const fromEnv = cleanEnv(dir, {
      CLAUDE_SYNC_CONVEX_URL: "http://eve:hunter2secret@127.0.0.1:9",
      CLAUDE_SYNC_API_KEY: "osk_hunter2"
    })
    for (const [env, url, key] of [
      [cleanEnv(dir), "https://***@example.com", "(not an OpenSync key, 11 characters)"],
      [fromEnv, "http://***@127.0.0.1:9", "(a malformed OpenSync key, 11 characters)"]
    ] as const) {
      for (const args of [["config"], ["config", "--json"], ["status"], ["status", "--json"]]) {
        const result = await exec(cli, args, env)
        expect(`${result.stdout}${result.stderr}`, args.join(" ")).not.toContain("hunter2")
        if (args[1] === "--json") {
          const config = JSON.parse(result.stdout)
          expect(args[0] === "config" ? config : config.config).toMatchObject({ convexUrl: url, apiKey: key })
        } else {
          expect(result.stdout).toContain(
            `convexUrl      "${url}" is not an http(s) URL without a user name or password`
          )
          expect(result.stdout).toContain(`apiKey         ${key}`)
        }
      }
    }
  })

  it("set, logout and login say when an environment variable overrides the file", async () => {
    const dir = home()
    const revoked = ApiKey.generate()
    const withEnv = (args: ReadonlyArray<string>, extra: Record<string, string>) =>
      exec(cli, args, cleanEnv(dir, extra))
    // login with another key in the environment: saved, but nothing else is configured with a key syncs do not use
    const login = await withEnv(["login", "--url", server.url, "--key", server.key], { CLAUDE_SYNC_API_KEY: revoked })
    expect(login.code).toBe(1)
    expect(login.stdout).toContain(`Saved the server URL and key ${ApiKey.displayPrefix(server.key)}…`)
    expect(login.stderr).toContain("CLAUDE_SYNC_API_KEY is set in the environment and takes precedence")
    expect(login.stderr).toContain("`unset CLAUDE_SYNC_API_KEY`")
    expect(readConfig(dir)).toEqual({ convexUrl: server.url, apiKey: server.key })
    const settings = join(dir, ".claude", "settings.json")
    expect(existsSync(settings) ? readFileSync(settings, "utf8") : "").not.toContain(revoked)
    // The same key in the environment (the flag falls back to it) overrides nothing
    const same = await withEnv(["login", "--url", server.url], { CLAUDE_SYNC_API_KEY: server.key })
    expect([same.code, same.stderr]).toEqual([0, ""])
    expect(readFileSync(settings, "utf8")).toContain(server.key)

    // set: what was saved, not what the environment gives, nor the text typed
    const env = { CLAUDE_SYNC_API_KEY: revoked, CLAUDE_SYNC_CONVEX_URL: "http://127.0.0.1:9" }
    const setKey = await withEnv(["set", "apiKey", server.key], env)
    expect(setKey.stdout).toContain(`Set apiKey = ${ApiKey.displayPrefix(server.key)}… in ${configPath(dir)}.`)
    expect(setKey.stdout).toContain("Note: CLAUDE_SYNC_API_KEY is set in the environment and takes precedence")
    const setUrl = await withEnv(["set", "convexUrl", "https://happy-cat-123.convex.cloud/"], env)
    expect(setUrl.stdout).toContain("Set convexUrl = https://happy-cat-123.convex.site in")
    expect(setUrl.stdout).toContain("Note: CLAUDE_SYNC_CONVEX_URL is set")
    const setToggle = await withEnv(["set", "autoSync", "YES"], { CLAUDE_SYNC_AUTO_SYNC: "false" })
    expect(setToggle.stdout).toContain("Set autoSync = true in")
    expect(setToggle.stdout).toContain("Note: CLAUDE_SYNC_AUTO_SYNC is set")

    // logout: the file's credentials go; the environment's still sync, and it says which to unset
    const logout = await withEnv(["logout"], { CLAUDE_SYNC_API_KEY: revoked })
    expect(logout.code).toBe(0)
    expect(logout.stdout).toContain("Removed the server URL and API key")
    // The key alone syncs nothing: it says so (it said syncs went on, and the next sync said "Not configured")
    expect(logout.stdout).toContain(
      "CLAUDE_SYNC_API_KEY is still set in the environment, but without a server URL nothing is synced"
    )
    expect(logout.stdout).not.toContain("Still configured")
    expect((await withEnv(["sync"], { CLAUDE_SYNC_API_KEY: revoked })).stderr).toContain("Not configured")
    const again = await withEnv(["logout"], env)
    expect(again.stdout).not.toContain("Not logged in")
    expect(again.stdout).toContain(
      "Still configured: CLAUDE_SYNC_CONVEX_URL and CLAUDE_SYNC_API_KEY are set in the environment"
    )
  })

  it("status and verify say when the state folder cannot be written: the hooks lose what they receive", async () => {
    const dir = home()
    const stateDir = join(dir, ".config", "claude-code-sync")
    mkdirSync(stateDir, { recursive: true })
    // The inbox a file, not a folder (a permission the test's root would ignore; the same check reads both)
    writeFileSync(join(stateDir, "inbox"), "")
    const status = await run(dir, ["status"])
    expect(status.stdout).toMatch(/state {10}.*inbox is not a folder: every hook payload the agent sends is lost/)
    const json = JSON.parse((await run(dir, ["status", "--json"])).stdout)
    expect(json.state).toMatchObject({ dir: stateDir, writable: false, problem: expect.stringContaining("inbox") })
    const verify = await run(dir, ["verify"])
    expect(verify.code).toBe(1)
    expect(verify.stdout).toMatch(/state {7}.*inbox is not a folder/)
    if (process.getuid?.() !== 0) {
      rmSync(join(stateDir, "inbox"))
      chmodSync(stateDir, 0o500)
      try {
        expect((await run(dir, ["status"])).stdout).toMatch(/state {10}.*cannot be written \(EACCES\)/)
      } finally {
        chmodSync(stateDir, 0o700)
      }
    }
    rmSync(join(stateDir, "inbox"), { force: true })
    expect(JSON.parse((await run(dir, ["status", "--json"])).stdout).state).toEqual({ dir: stateDir, writable: true })
  })

  it("registers and removes its hooks in settings.json", async () => {
    const dir = home()
    const setup = await run(dir, ["setup"])
    expect(setup.code).toBe(0)
    const settings = JSON.parse(readFileSync(join(dir, ".claude", "settings.json"), "utf8"))
    expect(settings.hooks.Stop).toEqual([
      { hooks: [{ type: "command", command: `node "${hookMjs}" Stop`, timeout: 10 }] }
    ])
    const status = JSON.parse((await run(dir, ["status", "--json"])).stdout)
    expect(status.hooks.settingsEvents).toHaveLength(8)
    expect((await run(dir, ["setup"])).stdout).toContain("Already set up")
    expect((await run(dir, ["uninstall"])).code).toBe(0)
    expect(JSON.parse(readFileSync(join(dir, ".claude", "settings.json"), "utf8"))).toEqual({})
  })

  it("status and verify say when the hook file the hooks run is gone (the package uninstalled or moved)", async () => {
    const dir = home()
    expect((await run(dir, ["setup"])).code).toBe(0)
    const settingsPath = join(dir, ".claude", "settings.json")
    // Set up from another install (another prefix, another Node) that was uninstalled since
    const gone = "/nonexistent/prefix/lib/node_modules/claude-code-sync/dist/hook.cjs"
    writeFileSync(settingsPath, readFileSync(settingsPath, "utf8").replaceAll(hookMjs, gone))
    const status = await run(dir, ["status"])
    expect(status.stdout).toContain(`the hook file they run is not there (${gone}; uninstalled or moved)`)
    const json = JSON.parse((await run(dir, ["status", "--json"])).stdout)
    expect(json.hooks).toMatchObject({ missingScripts: [gone] })
    const verify = await run(dir, ["verify"])
    expect(verify.code).toBe(1)
    expect(verify.stdout + verify.stderr).toContain("run `claude-code-sync setup` again")
    // setup from this install replaces them
    expect((await run(dir, ["setup"])).stdout).toContain("replaced 8 old entry/entries")
    expect(JSON.parse((await run(dir, ["status", "--json"])).stdout).hooks.missingScripts).toEqual([])
  })

  it("setup without prompts (the dashboard's one-liner) saves the URL and key the environment gives, for the hooks", async () => {
    const dir = home()
    const withVars = (args: ReadonlyArray<string>) =>
      exec(cli, args, cleanEnv(dir, { CLAUDE_SYNC_CONVEX_URL: server.url, CLAUDE_SYNC_API_KEY: server.key }))
    const setup = await withVars(["setup"])
    expect(setup.code).toBe(0)
    expect(setup.stdout).toContain("Saved CLAUDE_SYNC_CONVEX_URL and CLAUDE_SYNC_API_KEY to")
    expect(setup.stdout).not.toContain("Next: `claude-code-sync login`")
    const config = JSON.parse(readFileSync(join(dir, ".config", "claude-code-sync", "config.json"), "utf8"))
    expect(config).toMatchObject({ convexUrl: server.url, apiKey: server.key })
    // What the hooks see, without the variables: configured
    expect((await run(dir, ["verify"])).code).toBe(0)
    // A file that has them keeps them; a second setup saves nothing
    const again = await exec(
      cli,
      ["setup"],
      cleanEnv(dir, { CLAUDE_SYNC_CONVEX_URL: "http://127.0.0.1:9", CLAUDE_SYNC_API_KEY: server.key })
    )
    expect(again.stdout).not.toContain("Saved")
    // A value the file would refuse (a key of another format) is left in the environment; setup still sets up
    const other = home()
    const odd = await exec(
      cli,
      ["setup"],
      cleanEnv(other, { CLAUDE_SYNC_CONVEX_URL: server.url, CLAUDE_SYNC_API_KEY: "sk-legacy-0123456789" })
    )
    expect(odd.code).toBe(0)
    expect(odd.stdout).toContain("Saved CLAUDE_SYNC_CONVEX_URL to")
    expect(JSON.parse(readFileSync(join(other, ".config", "claude-code-sync", "config.json"), "utf8"))).toEqual({
      convexUrl: server.url
    })
    expect(JSON.parse(readFileSync(join(dir, ".config", "claude-code-sync", "config.json"), "utf8")).convexUrl).toBe(
      server.url
    )
  })

  it("uninstall with the plugin enabled removes the settings.json hooks only: telemetry and the SessionEnd budget stay", async () => {
    const dir = home()
    mkdirSync(join(dir, ".claude"), { recursive: true })
    writeFileSync(
      join(dir, ".claude", "settings.json"),
      JSON.stringify({ enabledPlugins: { "claude-code-sync@opensync": true } })
    )
    expect((await run(dir, ["login", "--url", server.url, "--key", server.key])).code).toBe(0)
    expect((await run(dir, ["setup"])).stdout).toContain("is enabled too")
    const before = JSON.parse(readFileSync(join(dir, ".claude", "settings.json"), "utf8"))
    expect(before.env.CLAUDE_CODE_ENABLE_TELEMETRY).toBe("1")
    const removed = await run(dir, ["uninstall"])
    expect(removed.code).toBe(0)
    expect(removed.stdout).toMatch(/Claude Code still runs the sync's hooks \(plugin claude-code-sync@opensync\)/)
    const after = JSON.parse(readFileSync(join(dir, ".claude", "settings.json"), "utf8"))
    expect(after.hooks ?? {}).toEqual({})
    // setup took the SessionEnd budget out (its hooks gave 10 s); without them the plugin's hooks need it back
    expect(before.env.CLAUDE_CODE_SESSIONEND_HOOKS_TIMEOUT_MS).toBe(undefined)
    expect(after.env).toEqual({ ...before.env, CLAUDE_CODE_SESSIONEND_HOOKS_TIMEOUT_MS: "10000" })
    expect(removed.stdout).toContain("SessionEnd hooks: 10 s instead of Claude Code's 1.5 s")
    // and status no longer sends the user back to setup, nor says the end of a session can be cut off
    const status = (await run(dir, ["status"])).stdout
    expect(status).not.toContain("setup` does")
    expect(status).toContain("SessionEnd hooks get 10 s")
    // Without the plugin, uninstall removes them too
    writeFileSync(join(dir, ".claude", "settings.json"), JSON.stringify({ ...after, enabledPlugins: {} }))
    await run(dir, ["setup"])
    expect((await run(dir, ["uninstall"])).stdout).not.toContain("still runs")
    expect(
      JSON.parse(readFileSync(join(dir, ".claude", "settings.json"), "utf8")).env?.CLAUDE_CODE_ENABLE_TELEMETRY
    ).toBe(undefined)
  })

  it("sends recorded hook events and the transcript; syncing or importing again changes nothing", async () => {
    const dir = home()
    expect((await run(dir, ["login", "--url", server.url, "--key", server.key])).code).toBe(0)
    const payloads = fixtureSession(dir)
    await feedHooks(dir, payloads)
    expect(readdirSync(join(dir, ".config", "claude-code-sync", "inbox"))).toHaveLength(payloads.length)

    const sync = await run(dir, ["sync"])
    expect(sync.stderr).toBe("")
    expect(sync.code).toBe(0)
    expect(sync.stdout).toMatch(new RegExp(`Processed ${payloads.length} hook payload\\(s\\) and 1 transcript\\(s\\)`))
    expect(sync.stdout).toMatch(/, 0 rejected by the server, 0 pending\./)

    const list = await api<Api.SessionPage>(server, server.key, "/api/sessions")
    expect(list.sessions.map((session) => session.id)).toContain(sessionId)
    const detail = await api<Api.SessionDetail>(server, server.key, `/api/sessions/${sessionId}`)
    expect(detail.session.usage).toEqual(SESSION_USAGE)

    const again = await run(dir, ["sync"])
    expect(again.code).toBe(0)
    // Nothing left in the inbox: only what was sent is reported.
    expect(again.stdout).toBe("Sent 0 event(s), 0 rejected by the server, 0 pending.\n")
    expect(await api<Api.SessionDetail>(server, server.key, `/api/sessions/${sessionId}`)).toEqual(detail)

    // The sync recorded where it stopped reading the transcript: an import finds nothing new and reads nothing.
    const reimport = await run(dir, ["import"])
    expect(reimport.stderr).toBe("")
    expect(reimport.code).toBe(0)
    expect(reimport.stdout).toContain(
      "1 session (0 new, 0 updated, 1 unchanged): read 0 transcript file(s) (0.0 MiB), 0 event(s) queued."
    )
    expect(reimport.stdout).toContain("Sent 0 event(s), 0 rejected by the server, 0 pending.")

    // A --since after every transcript says what it left out, not that there is nothing
    const later = await run(dir, ["import", "--since", "2099-01-01"])
    expect(later.code).toBe(0)
    expect(later.stdout).toContain(
      "Nothing changed since 2099-01-01: 1 transcript file(s) older than that left out (import without --since to read them)."
    )

    // Words a person types; what it cannot read is said as such
    expect((await run(dir, ["import", "--since", "yesterday"])).code).toBe(0)
    const soon = await run(dir, ["import", "--since", "soon"])
    expect(soon.code).not.toBe(0)
    expect(soon.stderr).toContain("--since takes a date (2026-01-31, or 2026-01-31T09:00), today, yesterday, or days")

    // --again reads it whole and sends it all again: the server counts duplicates, nothing changes.
    const again2 = await run(dir, ["import", "--again"])
    expect(again2.stderr).toBe("")
    expect(again2.code).toBe(0)
    const queued = Number(again2.stdout.match(/read 1 transcript file\(s\) \(\d+\.\d MiB\), (\d+) event/)?.[1])
    expect(queued).toBeGreaterThan(0)
    expect(again2.stdout).toContain(`Sent ${queued} event(s), 0 rejected by the server, 0 pending.`)
    expect(await api<Api.SessionDetail>(server, server.key, `/api/sessions/${sessionId}`)).toEqual(detail)

    // Deleted on the server: importing it again says the server dropped its events, and why
    const deleted = await fetch(`${server.url}/api/sessions/${encodeURIComponent(sessionId)}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${server.key}` }
    })
    expect(deleted.status).toBe(200)
    const afterDelete = await run(dir, ["import", "--again"])
    expect(afterDelete.code).toBe(0)
    expect(afterDelete.stdout).toContain("Sent 0 event(s), 0 rejected by the server, 0 pending.")
    expect(afterDelete.stdout).toContain(
      `${queued} event(s) dropped by the server: their session was deleted there, and a deleted session stays deleted.`
    )
  })

  it("says it was interrupted and exits 130 on Ctrl-C (SIGINT) or SIGTERM; what it queued stays queued", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const dir = home()
      fixtureSession(dir)
      // A server that is not there: the import queues the session, then its send waits between retries
      const env = cleanEnv(dir, {
        CLAUDE_SYNC_CONVEX_URL: "http://127.0.0.1:9",
        CLAUDE_SYNC_API_KEY: `osk_${"a".repeat(32)}`
      })
      const result = await new Promise<Result>((done) => {
        const child = spawn(process.execPath, [cli, "import"], { env })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (chunk) => {
          stdout += chunk
          if (stdout.includes("queued.")) child.kill(signal)
        })
        child.stderr.on("data", (chunk) => (stderr += chunk))
        child.on("close", (code) => done({ code, stdout, stderr }))
      })
      expect([signal, result.code]).toEqual([signal, 130])
      expect(result.stderr).toContain("claude-code-sync: interrupted; what was queued stays queued.")
      const status = JSON.parse((await run(dir, ["status", "--json"])).stdout)
      expect(status.outbox.pending).toBeGreaterThan(0)
    }
  }, 90_000)

  it("keeps events pending while the server is down and delivers them exactly once when it is back", async () => {
    const dir = home()
    const dataDir = mkdtempSync(join(tmpdir(), "ccs-server-"))
    homes.push(dataDir)
    const first = await startServer({ dataDir })
    const key = first.key
    expect((await run(dir, ["login", "--url", first.url, "--key", key])).code).toBe(0)
    await first.stop()

    const payloads = fixtureSession(dir)
    await feedHooks(dir, payloads, true)
    const down = await run(dir, ["sync"])
    expect(down.code).not.toBe(0)
    const pending = Number(down.stdout.match(/, (\d+) pending\./)?.[1])
    expect(pending).toBeGreaterThan(0)
    expect(down.stdout).toContain("Sent 0 event(s)")
    expect(down.stderr).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:\d+ .*Is the server running\?/)
    expect(down.stderr).toContain(`${pending} event(s) pending; run \`claude-code-sync sync\` again once fixed.`)

    const background = await run(dir, ["sync", "--background"])
    expect(background).toEqual({ code: 0, stdout: "", stderr: "" })
    expect(readFileSync(join(dir, ".config", "claude-code-sync", "claude-code-sync.log"), "utf8")).toMatch(
      /sync: Cannot reach/
    )
    const status = JSON.parse((await run(dir, ["status", "--json"])).stdout)
    expect(status.connection.ok).toBe(false)
    expect(status.outbox).toMatchObject({ pending, lastError: expect.stringMatching(/Cannot reach/) })

    const second = await startServer({ dataDir })
    try {
      expect((await run(dir, ["set", "convexUrl", second.url])).code).toBe(0)
      const up = await run(dir, ["sync"])
      expect(up.stderr).toBe("")
      expect(up.code).toBe(0)
      expect(up.stdout).toContain(`Sent ${pending} event(s), 0 rejected by the server, 0 pending.`)
      const again = await run(dir, ["sync"])
      expect(again.stdout).toContain("Sent 0 event(s), 0 rejected by the server, 0 pending.")
      const detail = await api<Api.SessionDetail>(second, key, `/api/sessions/${sessionId}`)
      expect(detail.session.usage).toMatchObject({ input: 25, output: 252, cacheRead: 54_548, cacheWrite5m: 14_270 })
    } finally {
      await second.stop()
    }
  }, 90_000)
})
