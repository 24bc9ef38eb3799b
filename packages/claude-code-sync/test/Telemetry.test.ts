/**
 * `login` and `setup` point Claude Code's OpenTelemetry export at the server through the `env` block of
 * `~/.claude/settings.json`: merged into what is there, never over a user's own export, updated when the key changes,
 * removed exactly by `uninstall`, `logout`, `--no-telemetry` and the `telemetry` setting; `status` says whether it is
 * on and when the server last received telemetry. The pure plans first, then the built CLI against a real server.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ApiKey } from "@opensync/domain"
import * as Either from "effect/Either"
import * as SessionEndBudget from "../src/SessionEndBudget.js"
import * as Telemetry from "../src/Telemetry.js"
import * as Cli from "./support/cli.js"

const target = { serverUrl: "http://127.0.0.1:4870", apiKey: "osk_test0000000000000000000000000000000000" }
const ours = Telemetry.variables(target)
/** What `login` and `setup` also write, telemetry or not: the time SessionEnd hooks get (SessionEndBudget). */
const budget = { [SessionEndBudget.VARIABLE]: SessionEndBudget.VALUE }
const digests = (values: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, Telemetry.digest(value)]))

describe("planning the env block", () => {
  it("adds every variable the export needs, and no prompt text, next to what the file has", () => {
    const settings = { model: "opus", env: { FOO: "bar" }, hooks: { Stop: [] } }
    const plan = Telemetry.planEnable(settings, settings.env, {}, {}, target)
    expect(plan._tag).toBe("Write")
    if (plan._tag !== "Write") return
    expect(plan.settings).toEqual({
      model: "opus",
      hooks: { Stop: [] },
      env: {
        FOO: "bar",
        CLAUDE_CODE_ENABLE_TELEMETRY: "1",
        OTEL_LOGS_EXPORTER: "otlp",
        OTEL_METRICS_EXPORTER: "otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4870",
        OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${target.apiKey}`,
        OTEL_EXPORTER_OTLP_COMPRESSION: "gzip"
      }
    })
    expect(JSON.stringify(plan.settings)).not.toContain("OTEL_LOG_USER_PROMPTS")
    expect(plan.written).toEqual(digests(ours))
    // The record holds digests, never the key.
    expect(JSON.stringify(plan.written)).not.toContain(target.apiKey)
  })

  it("leaves a variable the user already set to the same value as theirs: not recorded, not removed later", () => {
    const env = { CLAUDE_CODE_ENABLE_TELEMETRY: "1", OTEL_LOGS_EXPORTER: "otlp" }
    const plan = Telemetry.planEnable({ env }, env, {}, {}, target)
    if (plan._tag !== "Write") throw new Error(plan._tag)
    expect(Object.keys(plan.written)).not.toContain("CLAUDE_CODE_ENABLE_TELEMETRY")
    expect(plan.added).not.toContain("OTEL_LOGS_EXPORTER")
    const removed = Telemetry.planDisable(plan.settings, plan.settings.env as Record<string, unknown>, plan.written)
    expect(removed.settings).toEqual({ env })
  })

  it("writes nothing when the user exports elsewhere, in settings.json or in the environment", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318", OTEL_LOGS_EXPORTER: "otlp" }
    const inFile = Telemetry.planEnable({ env }, env, {}, {}, target)
    expect(inFile).toMatchObject({
      _tag: "Elsewhere",
      changed: false,
      conflicts: [{ name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "https://collector.example:4318", where: "settings" }]
    })
    const fromShell = Telemetry.planEnable({}, {}, { OTEL_METRICS_EXPORTER: "prometheus" }, {}, target)
    expect(fromShell).toMatchObject({
      _tag: "Elsewhere",
      conflicts: [{ name: "OTEL_METRICS_EXPORTER", where: "environment" }]
    })
    // A signal-specific endpoint would take the logs elsewhere too.
    const logs = { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "https://logs.example" }
    expect(Telemetry.planEnable({ env: logs }, logs, {}, {}, target)._tag).toBe("Elsewhere")
    // Variables that do not decide where the export goes are no conflict.
    const harmless = { OTEL_METRIC_EXPORT_INTERVAL: "10000", OTEL_RESOURCE_ATTRIBUTES: "team=a" }
    expect(Telemetry.planEnable({ env: harmless }, harmless, {}, {}, target)._tag).toBe("Write")
  })

  it("updates only the header on a new key, and does not mistake its own earlier values in the environment", () => {
    const first = Telemetry.planEnable({}, {}, {}, {}, target)
    if (first._tag !== "Write") throw new Error(first._tag)
    const env = first.settings.env as Record<string, string>
    const rekeyed = { ...target, apiKey: "osk_test1111111111111111111111111111111111" }
    // Run from inside Claude Code, the CLI's environment holds the file's (old) values.
    const plan = Telemetry.planEnable(first.settings, env, env, first.written, rekeyed)
    if (plan._tag !== "Write") throw new Error(plan._tag)
    expect(plan.added).toEqual([])
    expect(plan.updated).toEqual(["OTEL_EXPORTER_OTLP_HEADERS"])
    expect((plan.settings.env as Record<string, string>).OTEL_EXPORTER_OTLP_HEADERS).toBe(
      `Authorization=Bearer ${rekeyed.apiKey}`
    )
    expect(plan.written).toEqual(digests(Telemetry.variables(rekeyed)))
    const again = Telemetry.planEnable(
      plan.settings,
      plan.settings.env as Record<string, unknown>,
      {},
      plan.written,
      rekeyed
    )
    expect(again).toMatchObject({ _tag: "Write", changed: false })
  })

  it("removes what it wrote and nothing else; a value the user changed since is theirs", () => {
    const user = { FOO: "bar" }
    const first = Telemetry.planEnable({ env: user }, user, {}, {}, target)
    if (first._tag !== "Write") throw new Error(first._tag)
    const edited = { ...(first.settings.env as Record<string, string>), OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }
    // The edit now decides the export: setup stays out of it.
    expect(Telemetry.planEnable({ env: edited }, edited, {}, first.written, target)._tag).toBe("Elsewhere")
    const plan = Telemetry.planDisable({ env: edited }, edited, first.written)
    expect(plan.kept).toEqual(["OTEL_EXPORTER_OTLP_PROTOCOL"])
    expect(plan.settings).toEqual({ env: { FOO: "bar", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" } })
    // An env block left empty goes, like the hooks key.
    const bare = Telemetry.planEnable({}, {}, {}, {}, target)
    if (bare._tag !== "Write") throw new Error(bare._tag)
    expect(
      Telemetry.planDisable(bare.settings, bare.settings.env as Record<string, unknown>, bare.written).settings
    ).toEqual({})
  })

  it("refuses an env block that is not an object", () => {
    const found = Telemetry.envOf({ env: ["x"] }, "/home/u/.claude/settings.json")
    expect(Either.isLeft(found) && found.left.message).toContain('has an "env" value that is not an object')
  })
})

describe("the CLI against a real server", () => {
  const context = Cli.serverAndHomes("ccs-telemetry-")
  const home = context.home
  const settingsFile = (dir: string) => join(dir, ".claude", "settings.json")
  const settingsOf = (dir: string) => JSON.parse(readFileSync(settingsFile(dir), "utf8"))
  const newKey = async () => {
    return (JSON.parse(await context.server.cli(["keys", "create", "--name", "laptop", "--json"])) as { key: string })
      .key
  }

  it("login writes the export's settings; a second login with a new key updates the header; logout removes them", async () => {
    const dir = home()
    mkdirSync(join(dir, ".claude"))
    const original = `${JSON.stringify({ env: { FOO: "bar" }, model: "opus" }, null, 2)}\n`
    writeFileSync(settingsFile(dir), original)
    chmodSync(settingsFile(dir), 0o644)
    const key = await newKey()
    const login = await Cli.run(dir, ["login", "--url", context.server.url, "--key", key])
    expect(login.code, login.stderr).toBe(0)
    expect(login.stdout).toContain(`Claude Code's OpenTelemetry export: sent to ${context.server.url}`)
    expect(login.stdout).toContain(`That file now holds the key ${ApiKey.displayPrefix(key)}…`)
    expect(login.stdout).not.toContain(key)
    expect(settingsOf(dir)).toEqual({
      model: "opus",
      env: { FOO: "bar", ...budget, ...Telemetry.variables({ serverUrl: context.server.url, apiKey: key }) }
    })
    // The file keeps the mode it had.
    expect(statSync(settingsFile(dir)).mode & 0o777).toBe(0o644)

    const second = await newKey()
    const relogin = await Cli.run(dir, ["login", "--url", context.server.url, "--key", second])
    expect(relogin.stdout).toContain("updated OTEL_EXPORTER_OTLP_HEADERS")
    expect(settingsOf(dir).env.OTEL_EXPORTER_OTLP_HEADERS).toBe(`Authorization=Bearer ${second}`)
    expect(JSON.stringify(settingsOf(dir))).not.toContain(key)

    const logout = await Cli.run(dir, ["logout"])
    expect(logout.code, logout.stderr).toBe(0)
    expect(readFileSync(settingsFile(dir), "utf8")).toBe(original)
  })

  it("setup writes them next to the hooks; uninstall gives back the file as it was", async () => {
    const dir = home()
    mkdirSync(join(dir, ".claude"))
    const original = `${JSON.stringify({ env: { CLAUDE_CODE_ENABLE_TELEMETRY: "1", FOO: "bar" } }, null, 2)}\n`
    writeFileSync(settingsFile(dir), original)
    const key = await newKey()
    const env = { CLAUDE_SYNC_CONVEX_URL: context.server.url, CLAUDE_SYNC_API_KEY: key }
    const setup = await Cli.run(dir, ["setup"], env)
    expect(setup.code, setup.stderr).toBe(0)
    const settings = settingsOf(dir)
    expect(Object.keys(settings.hooks)).toHaveLength(8)
    // No SessionEnd variable: setup's hooks carry the timeout that gives that budget.
    expect(settings.env).toEqual({ FOO: "bar", ...Telemetry.variables({ serverUrl: context.server.url, apiKey: key }) })
    expect((await Cli.run(dir, ["setup"], env)).stdout).toContain(`already sent to ${context.server.url}`)
    const uninstall = await Cli.run(dir, ["uninstall"], env)
    expect(uninstall.code, uninstall.stderr).toBe(0)
    // The user's own CLAUDE_CODE_ENABLE_TELEMETRY=1 was there before: it stays.
    expect(JSON.parse(readFileSync(settingsFile(dir), "utf8"))).toEqual(JSON.parse(original))
  })

  it("--no-telemetry writes nothing, removes what was written, and is remembered by the next login", async () => {
    const dir = home()
    const key = await newKey()
    expect((await Cli.run(dir, ["login", "--url", context.server.url, "--key", key])).code).toBe(0)
    expect(settingsOf(dir).env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(context.server.url)
    const off = await Cli.run(dir, ["setup", "--no-telemetry"])
    expect(off.code, off.stderr).toBe(0)
    expect(off.stdout).toContain("Claude Code's OpenTelemetry export: off (--no-telemetry")
    expect(settingsOf(dir).env).toBeUndefined()
    expect((await Cli.run(dir, ["login", "--url", context.server.url, "--key", key])).code).toBe(0)
    expect(settingsOf(dir).env).toBeUndefined()
    expect(JSON.parse((await Cli.run(dir, ["config", "--json"])).stdout).telemetry).toBe(false)
    // The setting turns it on again, at once.
    const on = await Cli.run(dir, ["set", "telemetry", "true"])
    expect(on.stdout).toContain(`sent to ${context.server.url}`)
    expect(settingsOf(dir).env.OTEL_EXPORTER_OTLP_HEADERS).toBe(`Authorization=Bearer ${key}`)
    // And the environment variable turns it off for a login.
    const fresh = home()
    const envOff = await Cli.run(fresh, ["login", "--url", context.server.url, "--key", key], {
      CLAUDE_SYNC_TELEMETRY: "0"
    })
    expect(envOff.stdout).toContain("off (CLAUDE_SYNC_TELEMETRY is false)")
    expect(settingsOf(fresh)).toEqual({ env: budget })
  })

  it("leaves a user's own export alone and says so", async () => {
    const dir = home()
    mkdirSync(join(dir, ".claude"))
    const original = `${JSON.stringify(
      {
        env: {
          CLAUDE_CODE_ENABLE_TELEMETRY: "1",
          OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318",
          OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=collector-secret-value"
        }
      },
      null,
      2
    )}\n`
    writeFileSync(settingsFile(dir), original)
    const login = await Cli.run(dir, ["login", "--url", context.server.url, "--key", context.server.key])
    expect(login.code, login.stderr).toBe(0)
    expect(login.stdout).toContain("Claude Code already exports its telemetry elsewhere")
    expect(login.stdout).toContain("OTEL_EXPORTER_OTLP_ENDPOINT=https://collector.example:4318")
    expect(login.stdout).not.toContain("collector-secret-value")
    expect(settingsOf(dir)).toEqual({ env: { ...JSON.parse(original).env, ...budget } })
    const status = JSON.parse((await Cli.run(dir, ["status", "--json"])).stdout)
    expect(status.telemetry).toMatchObject({ state: "elsewhere", endpoint: "https://collector.example:4318" })
    expect((await Cli.run(dir, ["uninstall"])).code).toBe(0)
    expect(readFileSync(settingsFile(dir), "utf8")).toBe(original)

    // Exported from the shell that runs setup: the same.
    const shell = home()
    const fromShell = await Cli.run(shell, ["login", "--url", context.server.url, "--key", context.server.key], {
      OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318"
    })
    expect(fromShell.stdout).toContain("OTEL_EXPORTER_OTLP_ENDPOINT=https://collector.example:4318 (your environment)")
    expect(settingsOf(shell)).toEqual({ env: budget })
  })

  it("status says telemetry is on, and when the server last received some with the key settings.json holds", async () => {
    const dir = home()
    const key = await newKey()
    expect((await Cli.run(dir, ["login", "--url", context.server.url, "--key", key])).code).toBe(0)
    const before = await Cli.run(dir, ["status"])
    expect(before.stdout).toMatch(
      new RegExp(
        `^telemetry {6}on: Claude Code exports to ${context.server.url} .*the server has received none yet$`,
        "m"
      )
    )
    // What Claude Code does with these settings: POST OTLP to <endpoint>/v1/logs with the header.
    const env = settingsOf(dir).env as Record<string, string>
    const [name, value] = env.OTEL_EXPORTER_OTLP_HEADERS?.split("=") ?? []
    const body = readFileSync(join(Cli.fixtures, "claude-otel-otlp-http-json.jsonl"), "utf8").split("\n")[0] ?? ""
    const sent = Date.now()
    const posted = await fetch(`${env.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/logs`, {
      method: "POST",
      headers: { [name ?? ""]: value ?? "", "content-type": "application/json" },
      body: JSON.stringify((JSON.parse(body) as { body: unknown }).body)
    })
    expect(posted.status).toBe(200)
    const status = JSON.parse((await Cli.run(dir, ["status", "--json"])).stdout)
    expect(status.telemetry).toMatchObject({
      state: "on",
      endpoint: context.server.url,
      settingsPath: settingsFile(dir)
    })
    expect(status.telemetry.lastReceivedAt).toBeGreaterThanOrEqual(sent - 1_000)
    expect((await Cli.run(dir, ["status"])).stdout).toMatch(
      /^telemetry {6}on: .*the server last received telemetry 20/m
    )
  })
})
