import { execFile } from "node:child_process"
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync
} from "node:fs"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiKey } from "@opensync/domain"
import * as Agents from "@opensync/testkit/Agents"
import { hasBrowser, launch } from "@opensync/testkit/Browser"
import {
  type InstalledPackages,
  installPackages,
  manifestOf,
  type PackageName,
  packages,
  type RunningInstalledServer,
  repoRoot,
  startInstalledServer
} from "@opensync/testkit/Packages"
import { getSession, pollFor } from "@opensync/testkit/Server"
// The agents' end-to-end helpers (a throw-away HOME, the fake model servers): the plugins' own e2e suites use them too.
import * as Claude from "../../claude-code-sync/test/e2e/Claude.js"
import * as FakeAnthropic from "../../claude-code-sync/test/e2e/FakeAnthropic.js"
import * as FakeOpenAI from "../../opencode-sync-plugin/test/e2e/FakeOpenAI.js"
import * as OpenCode from "../../opencode-sync-plugin/test/e2e/OpenCode.js"

/**
 * How the executables are built and shipped. The build tests and the packing run in this one file, one after the
 * other, because each runs scripts/build.mjs (`npm pack` through `prepack`) and the build tests rely on no other build
 * running meanwhile. Test files that only run the bundles may run alongside: outputs are replaced atomically.
 */

// ---------- scripts/build.mjs ----------

const plugin = "packages/opencode-sync-plugin/dist/plugin.mjs"
const stamp = join(repoRoot, "node_modules/.cache/opensync-build/opencode-plugin.json")

/** Runs the build; returns the outputs it rebuilt (its `build: …` line), [] when everything was up to date. */
const build = async (): Promise<Array<string>> => {
  const { stderr } = await promisify(execFile)(process.execPath, [join(repoRoot, "scripts/build.mjs")], {
    cwd: repoRoot
  })
  const line = stderr.split("\n").find((text) => text.startsWith("build: "))
  return line === undefined
    ? []
    : line
        .slice("build: ".length)
        .replace(/ \([\d.]+ s\)$/, "")
        .split(", ")
}

interface Stamp {
  inputs: Record<string, string | null>
  outputs: Record<string, string | null>
}
const readStamp = (): Stamp => JSON.parse(readFileSync(stamp, "utf8"))
const writeStamp = (value: Stamp) => writeFileSync(stamp, JSON.stringify(value))

/**
 * An output whose stamp (digests of its inputs and of the output itself) still matches is skipped, so `npm start` does
 * not rebuild unchanged sources; one whose inputs or file changed is rebuilt.
 */
describe("scripts/build.mjs", () => {
  it("rebuilds nothing when sources, configuration and outputs are unchanged", async () => {
    await build()
    expect(await build()).toEqual([])
  })

  it("rebuilds an output whose file changed since it was built (e.g. an older bundle checked out)", async () => {
    await build()
    const built = readFileSync(join(repoRoot, plugin), "utf8")
    const stale = join(repoRoot, `${plugin}.stale`)
    writeFileSync(stale, `${built}\n// an older build\n`)
    renameSync(stale, join(repoRoot, plugin))
    expect(await build()).toEqual([plugin])
    expect(readFileSync(join(repoRoot, plugin), "utf8")).toBe(built)
    expect(await build()).toEqual([])
  })

  it("rebuilds an output when one of the files it was built from no longer has the recorded digest", async () => {
    await build()
    const recorded = readStamp()
    const source = "packages/opencode-sync-plugin/src/Plugin.ts"
    expect(Object.keys(recorded.inputs)).toContain(source)
    expect(Object.keys(recorded.inputs)).toContain("package-lock.json")
    writeStamp({ ...recorded, inputs: { ...recorded.inputs, [source]: "digest-of-an-earlier-version" } })
    expect(await build()).toEqual([plugin])
    expect(readStamp().inputs[source]).toBe(recorded.inputs[source])
    expect(await build()).toEqual([])
  })
})

/** The agent releases to prove it with: the pinned ones together, and the current ones when either is newer. */
const agentPairs = (() => {
  const claude = Agents.agentVersions("claude-code")
  const opencode = Agents.agentVersions("opencode")
  const pairs = (["pinned", "current"] as const).flatMap((role) => {
    const c = claude.find((v) => v.roles.includes(role))
    const o = opencode.find((v) => v.roles.includes(role))
    return c === undefined || o === undefined ? [] : [{ role, claude: c, opencode: o }]
  })
  return pairs.filter((pair, i) => i === 0 || pair.claude !== pairs[0]?.claude || pair.opencode !== pairs[0]?.opencode)
})()

// ---------- the packages ----------

/**
 * The packages installed the way a user installs them: `npm pack`, then `npm install -g --prefix <empty>` of the
 * tarballs with only the npm registry. The installed executables run from the prefix, not from this repository.
 */
describe("packages installed from their tarballs into an empty prefix", () => {
  let installed: InstalledPackages
  let server: RunningInstalledServer
  let dataDir: string

  beforeAll(async () => {
    installed = await installPackages()
    dataDir = mkdtempSync(join(installed.home, "data-"))
    server = await startInstalledServer(installed, dataDir)
  }, 300_000)

  afterAll(async () => {
    await server?.stop()
    installed?.remove()
  })

  it("depend on public npm packages only: no workspace package is needed or installed", () => {
    for (const name of Object.keys(packages) as Array<PackageName>) {
      const dependencies = Object.keys(manifestOf(installed, name).dependencies ?? {})
      expect(dependencies.filter((dependency) => dependency.startsWith("@opensync/"))).toEqual([])
    }
    const nested = readdirSync(installed.packageDir("opensync"), { recursive: true }).map(String)
    expect(nested.filter((path) => path.includes("@opensync"))).toEqual([])
    expect(manifestOf(installed, "opensync").dependencies).toEqual({ libsql: "0.4.7" })
  })

  it("opensync --help lists serve and keys", async () => {
    const help = await installed.run("opensync", ["--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("- serve [--host text] [--port integer] [--data-dir directory]")
    expect(help.stdout).toContain("- keys create --name text")
    expect(help.stdout).not.toContain("\u001b[")
  })

  it("opensync serve starts, answers /health and names the installed command", async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as Record<string, unknown>
    expect(health).toMatchObject({ status: "ok", version: manifestOf(installed, "opensync").version, cli: "opensync" })
    expect(server.key).toMatch(/^osk_/)
    // (on its own data dir, which the banner names: a key made in the default one would be unknown to it)
    expect(server.output()).toMatch(/ {4}opensync keys create --name laptop --data-dir \S+\n/)
    expect(server.output()).toContain("    claude-code-sync login")
    const refused = await fetch(`${server.url}/api/sessions`, {
      headers: { authorization: `Bearer ${ApiKey.generate()}` }
    })
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: string }).error).toContain(
      "Create one with `opensync keys create --name NAME`."
    )
  })

  it("opensync serve serves the dashboard's built index and assets from inside the package", async () => {
    const index = await fetch(`${server.url}/`, { headers: { accept: "text/html" } })
    expect(index.status).toBe(200)
    expect(index.headers.get("content-type")).toContain("text/html")
    const html = await index.text()
    const shipped = readFileSync(join(installed.packageDir("opensync"), "dist/dashboard/index.html"), "utf8")
    expect(html).toBe(shipped)
    const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1]
    expect(script).toBeDefined()
    const asset = await fetch(`${server.url}${script}`)
    expect(asset.status).toBe(200)
    expect(asset.headers.get("content-type")).toContain("javascript")
  })

  it("opensync keys list reads the same SQLite file offline (libsql's native binary resolved)", async () => {
    const dataDir = mkdtempSync(join(installed.home, "keys-"))
    // a data dir without a store is said to be one, with the installed command that makes one
    const empty = await installed.run("opensync", ["keys", "list", "--data-dir", dataDir])
    expect(empty).toMatchObject({ code: 1 })
    expect(empty.stderr).toContain(`No OpenSync store in ${dataDir}`)
    expect(empty.stderr).toContain(`\`opensync serve --data-dir ${dataDir}\``)
    const created = await installed.run("opensync", ["keys", "create", "--name", "laptop", "--data-dir", dataDir])
    expect(created.code).toBe(0)
    const listed = await installed.run("opensync", ["keys", "list", "--data-dir", dataDir])
    expect(listed.stdout).toContain("laptop")
  })

  it.skipIf(!hasBrowser)("the dashboard's sign-in help names the installed command", async () => {
    const { browser, page } = await launch([])
    try {
      await page.goto(server.url)
      await page.getByText("Where do I get a key?").click()
      await page.locator("code", { hasText: /^opensync keys create --name dashboard --scope full$/ }).waitFor()
    } finally {
      await browser.close()
    }
  })

  it("claude-code-sync --help, with the plugin's files and the hook the plugin points at", async () => {
    const help = await installed.run("claude-code-sync", ["--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("claude-code-sync")
    const dir = installed.packageDir("claude-code-sync")
    const hooks = readFileSync(join(dir, "hooks/hooks.json"), "utf8")
    const targets = [...hooks.matchAll(/\$\{CLAUDE_PLUGIN_ROOT\}\/([^"\\ ]+)/g)].map((match) => match[1])
    expect(targets.length).toBeGreaterThan(0)
    for (const target of new Set(targets)) expect(existsSync(join(dir, target as string))).toBe(true)
    expect(JSON.parse(readFileSync(join(dir, ".claude-plugin/plugin.json"), "utf8")).name).toBe("claude-code-sync")
    expect(existsSync(installed.bin("claude-code-sync-hook"))).toBe(true)
  })

  it("the dashboard's setup without prompts, as written: CLAUDE_SYNC_CONVEX_URL=… CLAUDE_SYNC_API_KEY=… claude-code-sync setup", async () => {
    const setup = await installed.run("claude-code-sync", ["setup"], {
      CLAUDE_SYNC_CONVEX_URL: server.url,
      CLAUDE_SYNC_API_KEY: server.key
    })
    expect(setup.code, `${setup.stdout}${setup.stderr}`).toBe(0)
    expect(setup.stdout).toContain("Saved CLAUDE_SYNC_CONVEX_URL and CLAUDE_SYNC_API_KEY to")
    // What the hooks meet, without those variables: a configured CLI that reaches the server
    const verify = await installed.run("claude-code-sync", ["verify"])
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
  })

  it("opencode-sync --help", async () => {
    const help = await installed.run("opencode-sync", ["--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("opencode-sync")
  })

  it("codex-sync and gemini-sync: --help, and setup registers the hook of the installed package", async () => {
    const settings = {
      "codex-sync": join(installed.home, ".codex", "hooks.json"),
      "gemini-sync": join(installed.home, ".gemini", "settings.json")
    } as const
    for (const cli of ["codex-sync", "gemini-sync"] as const) {
      const help = await installed.run(cli, ["--help"])
      expect(help.code, help.stderr).toBe(0)
      expect(help.stdout).toContain(cli)
      const setup = await installed.run(cli, ["setup"])
      expect(setup.code, `${setup.stdout}${setup.stderr}`).toBe(0)
      const hook = join(installed.packageDir(cli), "dist/hook.cjs")
      expect(existsSync(hook)).toBe(true)
      expect(readFileSync(settings[cli], "utf8")).toContain(JSON.stringify(hook).slice(1, -1))
      expect(existsSync(installed.bin(`${cli}-hook`))).toBe(true)
    }
  })

  it("the OpenCode plugin entry (the package's main) exists and imports in Node, exporting the plugin", async () => {
    const dir = installed.packageDir("opencode-sync-plugin")
    const main = manifestOf(installed, "opencode-sync-plugin").main
    expect(main).toBeDefined()
    const entry = join(dir, main as string)
    expect(existsSync(entry)).toBe(true)
    const plugin = (await import(pathToFileURL(entry).href)) as Record<string, unknown>
    const exported = Object.values(plugin)
    expect(exported.length).toBeGreaterThan(0)
    expect(exported.every((value) => typeof value === "function")).toBe(true)
  })

  /**
   * issue 13's proof: the three packages packed and installed into an empty prefix (the set above), the installed
   * `opensync` serving, `opensync keys create` making the plugins' key (its default scope, `ingest`) and a `full` key to
   * read back; in fresh homes `claude-code-sync login` + `setup` and `opencode-sync login` + `setup` from the prefix;
   * then the real `claude` and the real `opencode` with nothing but what setup registered (no `--plugin-dir`, no
   * hand-written `file://` entry). Both sessions are then on the server.
   */
  describe("installed as a user installs: the packed packages, setup, the real agents, both sessions on the server", () => {
    for (const pair of agentPairs) {
      const missing = pair.claude.missing ?? pair.opencode.missing
      it.skipIf(missing !== undefined)(
        `${pair.claude.label} and ${pair.opencode.label}`,
        { timeout: 300_000 },
        async () => {
          const opensync = (args: ReadonlyArray<string>) => installed.run("opensync", [...args, "--data-dir", dataDir])
          const created = await opensync(["keys", "create", "--name", "laptop", "--json"])
          expect(created.code, created.stderr).toBe(0)
          const ingest = JSON.parse(created.stdout) as { key: string; scope: string }
          expect(ingest.scope).toBe("ingest")
          const readerCreated = await opensync(["keys", "create", "--name", "reader", "--scope", "full", "--json"])
          const reader = { url: server.url, key: (JSON.parse(readerCreated.stdout) as { key: string }).key }
          const onPath = (env: Record<string, string>) => ({
            ...env,
            PATH: `${dirname(installed.bin("opensync"))}:${env.PATH}`
          })
          /** The installed `name` in an agent's workspace, after its `login` to the server and its `setup` succeeded. */
          const loginAndSetup = async (name: string, env: Record<string, string>, cwd: string) => {
            const command = (...args: ReadonlyArray<string>) =>
              OpenCode.collect(name, args, { cwd, env: onPath(env), timeoutMs: 60_000 })
            expect((await command("login", "--url", server.url, "--key", ingest.key)).code).toBe(0)
            const setup = await command("setup")
            expect(setup.code, setup.stderr).toBe(0)
            return command
          }

          // Claude Code: login and setup from the prefix, then `claude` with only what setup wrote.
          const anthropic = await FakeAnthropic.start()
          const claudeHome = Claude.makeWorkspace()
          try {
            const env = Claude.clientEnv(claudeHome, anthropic.url, undefined)
            const ccs = await loginAndSetup("claude-code-sync", env, claudeHome.project)
            const hook = join(installed.packageDir("claude-code-sync"), "dist/hook.cjs")
            const settings = JSON.parse(readFileSync(join(claudeHome.home, ".claude/settings.json"), "utf8"))
            expect(settings.hooks.Stop[0].hooks[0].command).toBe(`node "${hook}" Stop`)
            expect(settings.env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(server.url)
            const run = await Claude.runClaude({
              workspace: claudeHome,
              fakeUrl: anthropic.url,
              prompt: "Run echo hello, write hello.txt, list a missing file, then ask a subagent to say done.",
              sync: undefined,
              pluginDir: null,
              bin: pair.claude.bin,
              env: { PATH: onPath(env).PATH }
            })
            expect(run.code, run.stderr).toBe(0)
            const billed = FakeAnthropic.replies(anthropic).length
            let seen: Awaited<ReturnType<typeof getSession>>
            const stored = await pollFor(async () => {
              const found = await getSession(reader, run.sessionId)
              seen = found
              const figures = found?.detail.session.figures
              return found?.detail.session.endReason === "other" &&
                found.raw.includes(FakeAnthropic.FINAL_TEXT) &&
                figures?.telemetryRequests === billed
                ? found
                : undefined
            }, 60_000)
            // When it did not arrive whole, say what did and what the hooks' syncs logged
            const log = join(claudeHome.stateDir, "claude-code-sync.log")
            expect(
              stored,
              `the Claude Code session reached the installed server; last seen: ${JSON.stringify({
                endReason: seen?.detail.session.endReason,
                finalText: seen?.raw.includes(FakeAnthropic.FINAL_TEXT),
                telemetryRequests: seen?.detail.session.figures?.telemetryRequests,
                billed
              })}; ${log}: ${existsSync(log) ? readFileSync(log, "utf8").slice(-3000) : "none"}`
            ).toBeDefined()
            expect(stored?.detail.session.source).toBe("claude-code")
            expect(stored?.detail.toolCalls.length).toBe(4)
            await Claude.waitForSyncIdle(claudeHome)
            const status = JSON.parse((await ccs("status", "--json")).stdout)
            expect(status.install).toMatchObject({
              kind: "global package",
              root: installed.packageDir("claude-code-sync")
            })
            expect(status.heartbeat).toMatchObject({ entry: hook, host: "Claude Code" })
            expect(status.telemetry).toMatchObject({ state: "on", lastReceivedAt: expect.any(Number) })
            // The backfill the docs give (`claude-code-sync import`), twice: the first runs the CLI proper, the second
            // finds nothing changed and is answered by the installed entry point alone (the CLI's bundle not read).
            const mainLog = join(claudeHome.home, "main-log.txt")
            const backfill = () =>
              OpenCode.collect("claude-code-sync", ["import"], {
                cwd: claudeHome.project,
                env: {
                  ...onPath(env),
                  NODE_OPTIONS: `--require ${join(repoRoot, "packages/testkit/src/main-log.cjs")}`,
                  MAIN_LOG: mainLog
                },
                timeoutMs: 120_000
              })
            const first = await backfill()
            expect(first.code, first.stderr).toBe(0)
            expect(readFileSync(mainLog, "utf8")).toContain("/dist/cli-main.cjs")
            writeFileSync(mainLog, "")
            const again = await backfill()
            expect(again.code, again.stderr).toBe(0)
            expect(again.stdout).toMatch(/^1 session \(0 new, 0 updated, 1 unchanged\): read 0 transcript file\(s\)/)
            expect(readFileSync(mainLog, "utf8")).toBe("")
          } finally {
            await anthropic.close()
            await Claude.removeWorkspace(claudeHome)
          }

          // OpenCode: an opencode.json with the provider only; login and setup from the prefix register the plugin.
          const openai = await FakeOpenAI.start()
          const client = { bin: pair.opencode.bin, version: pair.opencode.version }
          const opencodeHome = OpenCode.makeWorkspace(openai.url, client)
          try {
            const config = join(opencodeHome.configDir, "opencode.json")
            writeFileSync(config, `${JSON.stringify(OpenCode.openCodeConfig(openai.url, false), null, 2)}\n`)
            const env = OpenCode.clientEnv(opencodeHome, undefined)
            const ocs = await loginAndSetup("opencode-sync", env, opencodeHome.project)
            const entry = join(installed.packageDir("opencode-sync-plugin"), "dist/plugin.mjs")
            expect((JSON.parse(readFileSync(config, "utf8")) as { plugin: Array<string> }).plugin).toEqual([
              pathToFileURL(entry).href
            ])
            const run = await OpenCode.collect(
              pair.opencode.bin,
              ["run", "--format", "json", `${FakeOpenAI.TEXT_MARKER} ${FakeOpenAI.NOSUB_MARKER} Say hi.`],
              { cwd: opencodeHome.project, env: onPath(env) }
            )
            expect(run.code, run.stderr.slice(-2000)).toBe(0)
            const sessionId = run.stdout.match(/"sessionID":"(ses_[^"]+)"/)?.[1] ?? ""
            expect(sessionId).not.toBe("")
            const stored = await pollFor(async () => {
              const found = await getSession(reader, sessionId)
              return found?.raw.includes(FakeOpenAI.PLAIN_TEXT) ? found : undefined
            }, 60_000)
            expect(stored, "the OpenCode session reached the installed server").toBeDefined()
            expect(stored?.detail.session.source).toBe("opencode")
            await OpenCode.waitForSyncIdle(opencodeHome)
            const status = await ocs("status")
            expect(status.stdout).toContain(`loaded by OpenCode ${pair.opencode.version} at `)
            expect(status.stdout).toContain(`global package at ${installed.packageDir("opencode-sync-plugin")}`)
            // The backfill the docs give (`opencode-sync import`), twice: the first runs the CLI proper and reads the
            // session from OpenCode's opencode.db; the second finds nothing changed and is answered by the installed
            // entry point alone (which reads opencode.db with the package's own libsql), the CLI's bundle not read.
            const opencodeLog = join(opencodeHome.root, "main-log.txt")
            const backfill = () =>
              OpenCode.collect("opencode-sync", ["import"], {
                cwd: opencodeHome.project,
                env: {
                  ...onPath(env),
                  NODE_OPTIONS: `--require ${join(repoRoot, "packages/testkit/src/main-log.cjs")}`,
                  MAIN_LOG: opencodeLog
                },
                timeoutMs: 120_000
              })
            const first = await backfill()
            expect(first.code, first.stderr).toBe(0)
            expect(first.stdout).toMatch(
              /^\d+ sessions? \(\d+ new, \d+ updated, \d+ unchanged\): read \d+ session\(s\)/m
            )
            expect(readFileSync(opencodeLog, "utf8")).toContain("/dist/cli-main.cjs")
            writeFileSync(opencodeLog, "")
            const again = await backfill()
            expect(again.code, again.stderr).toBe(0)
            expect(again.stdout).toMatch(/^(\d+) sessions? \(0 new, 0 updated, \1 unchanged\): read 0 session\(s\)/)
            expect(readFileSync(opencodeLog, "utf8")).toBe("")
          } finally {
            await openai.close()
            opencodeHome.remove()
          }

          // Codex and Gemini CLI: the backfill the docs give (`codex-sync import`, `gemini-sync import`) from the
          // prefix, of a captured session file each, twice: the second is answered by the installed entry point alone.
          for (const [cli, place] of [
            [
              "codex-sync",
              ".codex/sessions/2026/12/04/rollout-2026-12-04T13-03-12-01a24126-d071-7d40-b1a6-dce6c095a6d9.jsonl"
            ],
            ["gemini-sync", ".gemini/tmp/demo/chats/session-2026-12-04T17-13-cc98f61b.jsonl"]
          ] as const) {
            const home = mkdtempSync(join(installed.home, `${cli}-home-`))
            const fixture =
              cli === "codex-sync"
                ? "codex-sync/test/fixtures/rollout-0.171.0.jsonl"
                : "gemini-sync/test/fixtures/session-tools-0.61.0.jsonl"
            mkdirSync(dirname(join(home, place)), { recursive: true })
            copyFileSync(join(repoRoot, "packages", fixture), join(home, place))
            const log = join(home, "main-log.txt")
            const env = {
              PATH: process.env.PATH ?? "/usr/bin:/bin",
              HOME: home,
              NODE_OPTIONS: `--require ${join(repoRoot, "packages/testkit/src/main-log.cjs")}`,
              MAIN_LOG: log
            }
            const command = (...args: ReadonlyArray<string>) =>
              OpenCode.collect(cli, args, { cwd: home, env: onPath(env), timeoutMs: 120_000 })
            expect((await command("login", "--url", server.url, "--key", ingest.key)).code).toBe(0)
            const first = await command("import")
            expect(first.code, first.stderr).toBe(0)
            expect(first.stdout).toMatch(/^1 session \(1 new, 0 updated, 0 unchanged\): read 1 \w+ file\(s\)/)
            expect(first.stdout).toMatch(/Sent [1-9]\d* event\(s\), 0 rejected by the server, 0 pending\./)
            writeFileSync(log, "")
            const again = await command("import")
            expect(again.code, again.stderr).toBe(0)
            expect(again.stdout).toMatch(
              /^1 session \(0 new, 0 updated, 1 unchanged\): read 0 \w+ file\(s\) \(0\.0 MiB\)/
            )
            expect(readFileSync(log, "utf8")).toBe("")
          }

          // Both sessions, as the dashboard lists them.
          const list = await fetch(`${server.url}/api/sessions`, { headers: { authorization: `Bearer ${reader.key}` } })
          const sources = ((await list.json()) as { sessions: ReadonlyArray<{ source: string }> }).sessions.map(
            (s) => s.source
          )
          expect(sources).toEqual(expect.arrayContaining(["claude-code", "opencode"]))
        }
      )
    }
  })
})
