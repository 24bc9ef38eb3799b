import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApiKey } from "@opensync/domain"
import { type RunningServer, runCli, startServer } from "@opensync/testkit/Server"
import * as Install from "../src/Install.js"

/** Help texts name the command that works where the server runs: `opensync` installed, `npm run opensync --` in a clone. */

const base = mkdtempSync(join(tmpdir(), "opensync-install-"))
afterAll(() => rmSync(base, { recursive: true, force: true }))

/** Creates `files` (relative path → content) under a fresh folder and returns it. */
const layout = (name: string, files: Record<string, string>) => {
  const root = join(base, name)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
  return root
}

const workspaces = (list: Array<string>) => JSON.stringify({ name: "opensync", workspaces: list })

describe("Install.detect", () => {
  it("a clone: packages/server/{dist,src} under a root whose package.json lists the workspace", () => {
    const root = layout("clone", {
      "package.json": workspaces(["packages/domain", "packages/server"]),
      "packages/server/dist/opensync.mjs": "",
      "packages/server/src/Cli.ts": ""
    })
    expect(Install.detect(join(root, "packages/server/dist"))).toBe("clone")
    expect(Install.detect(join(root, "packages/server/src"))).toBe("clone")
    const glob = layout("clone-glob", {
      "package.json": workspaces(["packages/*"]),
      "packages/server/dist/opensync.mjs": ""
    })
    expect(Install.detect(join(glob, "packages/server/dist"))).toBe("clone")
  })

  it("this repository's server is a clone", () => {
    expect(Install.detect(resolve(__dirname, "../dist"))).toBe("clone")
  })

  it("not a clone when the root's workspaces do not include packages/server, or it has none", () => {
    const other = layout("other-monorepo", {
      "package.json": workspaces(["packages/app"]),
      "packages/server/dist/opensync.mjs": ""
    })
    expect(Install.detect(join(other, "packages/server/dist"))).toBe("global")
    const broken = layout("broken-manifest", { "package.json": "{", "packages/server/dist/opensync.mjs": "" })
    expect(Install.detect(join(broken, "packages/server/dist"))).toBe("global")
  })

  it("npm install -g: <prefix>/lib/node_modules/opensync with <prefix>/bin/opensync (Windows: <prefix>/opensync.cmd)", () => {
    const unix = layout("prefix", { "lib/node_modules/opensync/dist/opensync.mjs": "", "bin/opensync": "" })
    expect(Install.detect(join(unix, "lib/node_modules/opensync/dist"))).toBe("global")
    const windows = layout("appdata-npm", { "node_modules/opensync/dist/opensync.mjs": "", "opensync.cmd": "" })
    expect(Install.detect(join(windows, "node_modules/opensync/dist"))).toBe("global")
  })

  it("npx, or a project's own node_modules: npx opensync", () => {
    const npx = layout("npm-cache/_npx/0a1b2c", {
      "package.json": JSON.stringify({ dependencies: { opensync: "^0.1.0" } }),
      "node_modules/opensync/dist/opensync.mjs": ""
    })
    expect(Install.detect(join(npx, "node_modules/opensync/dist"))).toBe("npx")
    const project = layout("project", {
      "package.json": JSON.stringify({ name: "app", dependencies: { opensync: "0.1.0" } }),
      "node_modules/opensync/dist/opensync.mjs": ""
    })
    expect(Install.detect(join(project, "node_modules/opensync/dist"))).toBe("npx")
  })

  it("each install's command", () => {
    expect(["clone", "global", "npx"].map((install) => Install.cliFor(install as Install.Install))).toEqual([
      "npm run opensync --",
      "opensync",
      "npx opensync"
    ])
  })
})

describe("the server in this clone", () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server?.stop())

  it("the first start's next steps run here: the data dir it was started with, the plugins' CLIs by their paths", () => {
    const banner = server.output()
    expect(banner).toContain("First start")
    // The test server's data dir is not the default one: the key is made there
    expect(banner).toMatch(/npm run opensync -- keys create --name laptop --data-dir \S+/)
    for (const cli of [
      "node packages/claude-code-sync/dist/cli.cjs login",
      "node packages/opencode-sync-plugin/dist/cli.mjs login",
      "node packages/codex-sync/dist/cli.mjs login",
      "node packages/gemini-sync/dist/cli.mjs login"
    ]) {
      expect(banner).toContain(cli)
    }
  })

  it("/health names the clone's command", async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as Record<string, unknown>
    expect(health.cli).toBe("npm run opensync --")
  })

  it("a revoked or unknown key's 401 says how to create one here", async () => {
    const unknown = ApiKey.generate()
    const reply = await fetch(`${server.url}/api/sessions`, { headers: { authorization: `Bearer ${unknown}` } })
    expect(reply.status).toBe(401)
    expect(((await reply.json()) as { error: string }).error).toContain(
      "Create one with `npm run opensync -- keys create --name NAME`."
    )
    const created = JSON.parse(await server.cli(["keys", "create", "--name", "revoked", "--json"])) as {
      id: string
      key: string
    }
    expect(await server.cli(["keys", "revoke", created.id])).toContain(`Revoked ${created.id}`)
    // revoking it again says so, and changes nothing
    expect(await server.cli(["keys", "revoke", created.id])).toMatch(/was already revoked \(.*\); nothing changed\./)
    const signIn = await fetch(`${server.url}/auth/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiKey: created.key })
    })
    expect(signIn.status).toBe(401)
    expect(((await signIn.json()) as { error: string }).error).toContain(
      "`npm run opensync -- keys create --name NAME`"
    )
  })

  it("the CLI's own hints use the clone's command", async () => {
    const empty = mkdtempSync(join(base, "data-"))
    // a data dir without a store is a mistake said as such (it made an empty store there, and listed nothing)
    for (const command of [
      ["keys", "list"],
      ["sessions", "list"],
      ["sign-ins", "list"]
    ]) {
      const listed = await runCli([...command, "--data-dir", empty])
      expect(listed.code).toBe(1)
      expect(listed.stderr).toContain(`No OpenSync store in ${empty} (it has no opensync.db).`)
      expect(listed.stderr).toContain(`\`npm run opensync -- serve --data-dir ${empty}\``)
    }
    expect(existsSync(join(empty, "opensync.db"))).toBe(false)
    const badPort = await runCli(["serve", "--port", "99999", "--data-dir", empty])
    expect(badPort.code).toBe(1)
    expect(badPort.stderr).toContain("--port takes 0 (any free port) to 65535 (got 99999).")
    // a key made in one data dir says which: a server on another one would refuse it
    const made = await runCli(["keys", "create", "--name", "laptop", "--data-dir", empty])
    expect(made.stdout).toContain(`for user local in ${empty} (a server on another --data-dir does not know it)`)
    const revoked = await runCli(["keys", "revoke", "key_missing", "--data-dir", empty])
    expect(revoked.code).not.toBe(0)
    expect(revoked.stderr).toContain("See `npm run opensync -- keys list`.")
  })
})
