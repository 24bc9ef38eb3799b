/**
 * Codex trusts a hook by a hash of its handler. A `setup` that rewrites our handlers in place (another install path,
 * another timeout) makes that trust stale while `config.toml` still records it: `status` and `verify` must say the
 * hooks need review again, until Codex records a new hash for them. Also: the SessionEnd timeout Codex honours, and
 * an uninstall that gives back what setup found.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Codex from "./e2e/Codex.js"

const trustAll = (world: Codex.CodexWorld, hashOf: (key: string) => string) => {
  const hooksFile = join(world.codexHome, "hooks.json")
  const hooks = JSON.parse(readFileSync(hooksFile, "utf8")).hooks as Record<string, unknown>
  const snake = (event: string) => event.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()
  const tables = Object.keys(hooks).map(
    (event) => `[hooks.state."${hooksFile}:${snake(event)}:0:0"]\ntrusted_hash = "${hashOf(event)}"\n`
  )
  const config = join(world.codexHome, "config.toml")
  const base = readFileSync(config, "utf8").split("\n[hooks.state")[0] ?? ""
  writeFileSync(config, `${base}\n[hooks.state]\n\n${tables.join("\n")}`)
}

const gateOf = async (world: Codex.CodexWorld) => {
  const status = await Codex.runCli(world, ["status", "--json"])
  expect(status.code, status.stderr).toBe(0)
  return (JSON.parse(status.stdout) as { hooks: { gate: { open: boolean; text: string } } }).hooks.gate
}

describe("codex-sync's hooks in Codex: trust, timeouts, uninstall", () => {
  it("a setup that rewrites trusted handlers says they need review again, until Codex trusts the new ones", {
    timeout: 60_000
  }, async () => {
    const world = Codex.makeWorld("http://127.0.0.1:9", "codex")
    // An earlier install at another path, trusted in Codex
    const hooksFile = join(world.codexHome, "hooks.json")
    expect((await Codex.runCli(world, ["setup"])).code).toBe(0)
    writeFileSync(
      hooksFile,
      readFileSync(hooksFile, "utf8").replaceAll(Codex.hookPath, "/old/codex-sync/dist/hook.cjs")
    )
    trustAll(world, (event) => `sha256:old-${event}`)
    expect(await gateOf(world)).toMatchObject({ open: true, text: "trusted in Codex (5 of 5)" })

    // setup moves the handlers to this install: Codex's recorded hashes are for the old commands
    const setup = await Codex.runCli(world, ["setup"])
    expect(setup.stdout).toContain("replaced 5 entry/entries from another install path")
    const stale = await gateOf(world)
    expect(stale.open).toBe(false)
    expect(stale.text).toContain("5 of 5 not trusted in Codex yet")
    const verify = await Codex.runCli(world, ["verify"])
    expect(verify.code).toBe(1)
    expect(verify.stderr).toContain("Trust all and continue")

    // the user trusts them in Codex: new hashes are recorded
    trustAll(world, (event) => `sha256:new-${event}`)
    expect(await gateOf(world)).toMatchObject({ open: true, text: "trusted in Codex (5 of 5)" })
    // a setup that changes nothing keeps that trust
    expect((await Codex.runCli(world, ["setup"])).stdout).toContain("Already set up")
    expect(await gateOf(world)).toMatchObject({ open: true })
    // verify, hooks trusted: a server down is not fixed by logging in again, a refused key is
    const down = await Codex.runCli(world, ["verify"], { url: "http://127.0.0.1:9", key: `osk_${"A".repeat(42)}` })
    expect(down.code).toBe(1)
    expect(down.stderr).toContain("The server cannot be reached: start it")
    expect(down.stderr).not.toContain("login")
  })

  it("registers SessionEnd with the 3 s Codex honours (it warns about a longer one at every start), older ones too", {
    timeout: 60_000
  }, async () => {
    const world = Codex.makeWorld("http://127.0.0.1:9", "codex")
    const hooksFile = join(world.codexHome, "hooks.json")
    const timeouts = () =>
      Object.fromEntries(
        Object.entries(
          JSON.parse(readFileSync(hooksFile, "utf8")).hooks as Record<
            string,
            Array<{ hooks: Array<{ timeout: number }> }>
          >
        ).map(([event, groups]) => [event, groups[0]?.hooks[0]?.timeout])
      )
    expect((await Codex.runCli(world, ["setup"])).code).toBe(0)
    expect(timeouts()).toEqual({ SessionStart: 10, UserPromptSubmit: 10, Stop: 10, PreCompact: 10, SessionEnd: 3 })
    // what an earlier version registered
    writeFileSync(hooksFile, readFileSync(hooksFile, "utf8").replace('"timeout": 3', '"timeout": 10'))
    expect(timeouts().SessionEnd).toBe(10)
    const again = await Codex.runCli(world, ["setup"])
    expect(again.stdout).toContain("Set the timeout of SessionEnd to ours.")
    expect(timeouts().SessionEnd).toBe(3)
  })

  it("uninstall gives back what setup found: no hooks file where there was none, the user's own where there was one", {
    timeout: 60_000
  }, async () => {
    const world = Codex.makeWorld("http://127.0.0.1:9", "codex")
    const hooksFile = join(world.codexHome, "hooks.json")
    expect(existsSync(hooksFile)).toBe(false)
    expect((await Codex.runCli(world, ["setup"])).code).toBe(0)
    const removed = await Codex.runCli(world, ["uninstall"])
    expect(removed.code, removed.stderr).toBe(0)
    expect(existsSync(hooksFile)).toBe(false)
    expect(existsSync(`${hooksFile}.bak`)).toBe(false)

    const own =
      '{\n  "hooks": {\n    "Stop": [{ "hooks": [{ "type": "command", "command": "notify-send done" }] }]\n  }\n}\n'
    writeFileSync(hooksFile, own)
    expect((await Codex.runCli(world, ["setup"])).code).toBe(0)
    expect((await Codex.runCli(world, ["uninstall"])).code).toBe(0)
    expect(JSON.parse(readFileSync(hooksFile, "utf8"))).toEqual(JSON.parse(own))
  })
})
