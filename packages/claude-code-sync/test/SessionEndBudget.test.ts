/**
 * `login` and `setup` raise the time Claude Code gives SessionEnd hooks (1.5 s unless a settings file's hook asks for
 * more, which a plugin cannot) through `CLAUDE_CODE_SESSIONEND_HOOKS_TIMEOUT_MS` in the env block of settings.json;
 * `uninstall` and `logout` remove it while it holds what was written; a value the user set is never touched. The plan
 * first, then the built CLI against a real server. The real `claude` honouring it: ClaudeE2E.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as SessionEndBudget from "../src/SessionEndBudget.js"
import * as Telemetry from "../src/Telemetry.js"
import * as Cli from "./support/cli.js"

const { VARIABLE, VALUE } = SessionEndBudget

describe("planning the budget", () => {
  it("adds it when missing, next to what the block has, and records what it wrote", () => {
    const env = { FOO: "bar" }
    const plan = SessionEndBudget.planAdd({ model: "opus", env }, env, {})
    expect(plan).toEqual({
      settings: { model: "opus", env: { FOO: "bar", [VARIABLE]: VALUE } },
      changed: true,
      written: { [VARIABLE]: Telemetry.digest(VALUE) }
    })
    expect(Number(VALUE)).toBeGreaterThanOrEqual(5_000)
    expect(SessionEndBudget.planAdd(plan.settings, { FOO: "bar", [VARIABLE]: VALUE }, plan.written)).toMatchObject({
      changed: false,
      written: plan.written
    })
  })

  it("leaves a value the user set, shorter or longer, and does not record it as written", () => {
    for (const theirs of ["3000", "60000", VALUE]) {
      const env = { [VARIABLE]: theirs }
      expect(SessionEndBudget.planAdd({ env }, env, {})).toEqual({ settings: { env }, changed: false, written: {} })
    }
  })

  it("never shortens a longer budget: a user's own SessionEnd hook timeout, or the variable in their environment", () => {
    const long = { hooks: { SessionEnd: [{ hooks: [{ type: "command", command: "archive.sh", timeout: 45 }] }] } }
    expect(SessionEndBudget.planAdd(long, {}, {})).toEqual({ settings: long, changed: false, written: {} })
    expect(SessionEndBudget.planAdd({}, {}, {}, { [VARIABLE]: "30000" })).toMatchObject({ changed: false, written: {} })
    // Inside Claude Code the environment holds the file's value: judged in the file.
    const ours = { [VARIABLE]: VALUE }
    const record = { [VARIABLE]: Telemetry.digest(VALUE) }
    expect(SessionEndBudget.planAdd({ env: ours }, ours, record, ours)).toMatchObject({
      changed: false,
      written: record
    })
  })

  it("takes out the one it wrote once the hooks' own timeouts give as long (setup after login)", () => {
    const hooks = { SessionEnd: [{ hooks: [{ type: "command", command: "x", timeout: 10 }] }] }
    const env = { FOO: "bar", [VARIABLE]: VALUE }
    expect(SessionEndBudget.planAdd({ hooks, env }, env, { [VARIABLE]: Telemetry.digest(VALUE) })).toEqual({
      settings: { hooks, env: { FOO: "bar" } },
      changed: true,
      written: {}
    })
    const alone = { [VARIABLE]: VALUE }
    expect(SessionEndBudget.planAdd({ hooks, env: alone }, alone, { [VARIABLE]: Telemetry.digest(VALUE) })).toEqual({
      settings: { hooks },
      changed: true,
      written: {}
    })
    // Shorter hook timeouts: the variable is still what gives 10 s.
    const short = { SessionEnd: [{ hooks: [{ type: "command", command: "x", timeout: 3 }] }] }
    expect(SessionEndBudget.planAdd({ hooks: short }, {}, {}).changed).toBe(true)
  })

  it("updates a value it wrote before (an older default)", () => {
    const env = { [VARIABLE]: "5000" }
    const plan = SessionEndBudget.planAdd({ env }, env, { [VARIABLE]: Telemetry.digest("5000") })
    expect(plan.changed).toBe(true)
    expect(plan.settings).toEqual({ env: { [VARIABLE]: VALUE } })
  })
})

describe("the budget as the settings set it", () => {
  const hooks = (...timeouts: ReadonlyArray<number | undefined>) => ({
    SessionEnd: [{ hooks: timeouts.map((timeout) => ({ type: "command", command: "x", timeout })) }]
  })

  it("is 1.5 s by default, the longest SessionEnd timeout clamped to 1.5–60 s, or the variable", () => {
    expect(SessionEndBudget.budgetOf({}, {})).toEqual({ ms: 1500, from: "Claude Code's default" })
    expect(SessionEndBudget.budgetOf({ hooks: hooks(undefined) }, {}).ms).toBe(1500)
    expect(SessionEndBudget.budgetOf({ hooks: hooks(1) }, {}).ms).toBe(1500)
    expect(SessionEndBudget.budgetOf({ hooks: hooks(3, 10) }, {}).ms).toBe(10_000)
    expect(SessionEndBudget.budgetOf({ hooks: hooks(600) }, {}).ms).toBe(60_000)
    expect(SessionEndBudget.budgetOf({ hooks: hooks(10), env: { [VARIABLE]: "2500" } }, {})).toEqual({
      ms: 2500,
      from: `${VARIABLE} in settings.json`
    })
    expect(SessionEndBudget.budgetOf({}, { [VARIABLE]: "7000" })).toEqual({
      ms: 7000,
      from: `${VARIABLE} in your environment`
    })
    expect(SessionEndBudget.budgetOf({ env: { [VARIABLE]: "soon" } }, {}).ms).toBe(1500)
  })

  it("says how to raise it when it is short", () => {
    expect(SessionEndBudget.statusLine({}, {})).toBe(
      "SessionEnd hooks get 1.5 s (Claude Code's default): on a busy machine the hook that records a session's end " +
        "can be cut off; `claude-code-sync login` or `setup` gives them 10 s"
    )
    expect(SessionEndBudget.statusLine({ env: { [VARIABLE]: VALUE } }, {})).toBe(
      `SessionEnd hooks get 10 s (${VARIABLE} in settings.json)`
    )
  })
})

describe("the CLI against a real server", () => {
  const context = Cli.serverAndHomes("ccs-budget-")
  const settingsFile = (dir: string) => join(dir, ".claude", "settings.json")
  const settingsOf = (dir: string) => JSON.parse(readFileSync(settingsFile(dir), "utf8"))
  const login = (dir: string) =>
    Cli.run(dir, ["login", "--url", context.server.url, "--key", context.server.key, "--no-telemetry"])

  it("login adds it (with telemetry off too) and says why; logout gives back the file as it was", async () => {
    const dir = context.home()
    mkdirSync(join(dir, ".claude"))
    const original = `${JSON.stringify({ model: "opus", env: { FOO: "bar" } }, null, 2)}\n`
    writeFileSync(settingsFile(dir), original)
    const first = await login(dir)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain(`SessionEnd hooks: 10 s instead of Claude Code's 1.5 s`)
    expect(first.stdout).toContain(`${VARIABLE} in the env block of ${settingsFile(dir)}`)
    expect(settingsOf(dir)).toEqual({ model: "opus", env: { FOO: "bar", [VARIABLE]: VALUE } })
    expect((await login(dir)).stdout).not.toContain("SessionEnd hooks")
    const status = await Cli.run(dir, ["status", "--json"])
    expect(JSON.parse(status.stdout).hooks.sessionEndBudgetMs).toBe(10_000)
    expect((await Cli.run(dir, ["status"])).stdout).toContain(
      `SessionEnd hooks get 10 s (${VARIABLE} in settings.json)`
    )
    const logout = await Cli.run(dir, ["logout"])
    expect(logout.code, logout.stderr).toBe(0)
    expect(logout.stdout).toContain(`SessionEnd hooks: removed ${VARIABLE} from ${settingsFile(dir)}.`)
    expect(readFileSync(settingsFile(dir), "utf8")).toBe(original)
    expect((await Cli.run(dir, ["status"])).stdout).toContain(
      "SessionEnd hooks get 1.5 s (Claude Code's default): on a busy machine"
    )
  })

  it("setup after login takes it out (its hooks' timeout gives as long); the backup is the file before the command", async () => {
    const dir = context.home()
    mkdirSync(join(dir, ".claude"))
    expect((await login(dir)).code).toBe(0)
    const before = readFileSync(settingsFile(dir), "utf8")
    expect(JSON.parse(before).env).toEqual({ [VARIABLE]: VALUE })
    const setup = await Cli.run(dir, ["setup"], { CLAUDE_SYNC_CONVEX_URL: context.server.url })
    expect(setup.code, setup.stderr).toBe(0)
    expect(setup.stdout).toContain(`SessionEnd hooks: removed ${VARIABLE} from ${settingsFile(dir)}`)
    expect(settingsOf(dir).env).toBeUndefined()
    expect(settingsOf(dir).hooks.SessionEnd[0].hooks[0].timeout).toBe(10)
    // setup wrote the file twice (hooks, then the variable): .bak is what it was before setup.
    expect(readFileSync(`${settingsFile(dir)}.bak`, "utf8")).toBe(before)
    expect((await Cli.run(dir, ["status"])).stdout).toContain(
      "SessionEnd hooks get 10 s (the SessionEnd hook timeouts in settings.json)"
    )
  })

  it("a settings file it cannot edit does not fail login --no-telemetry, and the opt-out is saved", async () => {
    const dir = context.home()
    mkdirSync(join(dir, ".claude"))
    writeFileSync(settingsFile(dir), '{"env": "x"}\n')
    const result = await login(dir)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain("SessionEnd hooks: left as they are (")
    expect(result.stdout).toContain('has an "env" value that is not an object')
    expect(JSON.parse((await Cli.run(dir, ["config", "--json"])).stdout).telemetry).toBe(false)
    expect(readFileSync(settingsFile(dir), "utf8")).toBe('{"env": "x"}\n')
  })

  it("keeps the user's own value through login, setup and uninstall", async () => {
    const dir = context.home()
    mkdirSync(join(dir, ".claude"))
    writeFileSync(settingsFile(dir), `${JSON.stringify({ env: { [VARIABLE]: "30000" } }, null, 2)}\n`)
    expect((await login(dir)).code).toBe(0)
    expect((await Cli.run(dir, ["setup", "--no-telemetry"])).code).toBe(0)
    expect(settingsOf(dir).env).toEqual({ [VARIABLE]: "30000" })
    expect((await Cli.run(dir, ["uninstall"])).code).toBe(0)
    expect(settingsOf(dir)).toEqual({ env: { [VARIABLE]: "30000" } })
  })

  it("leaves a value the user changed after login in place on uninstall", async () => {
    const dir = context.home()
    expect((await login(dir)).code).toBe(0)
    const changed = { ...settingsOf(dir), env: { [VARIABLE]: "20000" } }
    writeFileSync(settingsFile(dir), JSON.stringify(changed))
    expect((await Cli.run(dir, ["uninstall"])).code).toBe(0)
    expect(settingsOf(dir).env).toEqual({ [VARIABLE]: "20000" })
  })
})
