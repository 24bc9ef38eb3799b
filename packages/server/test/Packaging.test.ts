import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiKey } from "@opensync/domain"
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

// ---------- the packages ----------

/**
 * The packages installed the way a user installs them: `npm pack`, then `npm install -g --prefix <empty>` of the
 * tarballs with only the npm registry. The installed executables run from the prefix, not from this repository.
 */
describe("packages installed from their tarballs into an empty prefix", () => {
  let installed: InstalledPackages
  let server: RunningInstalledServer

  beforeAll(async () => {
    installed = await installPackages()
    server = await startInstalledServer(installed, mkdtempSync(join(installed.home, "data-")))
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
    expect(manifestOf(installed, "opensync").dependencies).toEqual({ "@libsql/client": "0.12.0" })
  })

  it("opensync --help lists serve and keys", async () => {
    const help = await installed.run("opensync", ["--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("- serve [--host text] [--port integer] [--data-dir directory]")
    expect(help.stdout).toContain("- keys create --name text")
  })

  it("opensync serve starts, answers /health and names the installed command", async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as Record<string, unknown>
    expect(health).toMatchObject({ status: "ok", version: manifestOf(installed, "opensync").version, cli: "opensync" })
    expect(server.key).toMatch(/^osk_/)
    expect(server.output()).toContain("    opensync keys create --name laptop\n")
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
    const empty = await installed.run("opensync", ["keys", "list", "--data-dir", dataDir])
    expect(empty).toMatchObject({ code: 0 })
    expect(empty.stdout).toContain("No API keys. Create one with `opensync keys create --name NAME`.")
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
      await page.locator("code", { hasText: /^opensync keys create --name dashboard$/ }).waitFor()
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
})
