/**
 * Helpers to run the real `opencode` CLI (installed by scripts/install-opencode.sh into `.tools/opencode/` for the
 * pinned version, `.tools/opencode-<version>/` for others) offline against the fake Chat Completions API, with this
 * package's bundle loaded from `opencode.json` as a `file://` plugin, in a throw-away HOME and a fresh git project.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { pinnedVersion } from "@opensync/testkit/Agents"
import { collect, gitProject, jsonLines } from "@opensync/testkit/FakeModel"

export const repoRoot = resolve(import.meta.dirname, "../../../..")
export const packageDir = resolve(repoRoot, "packages/opencode-sync-plugin")
/** The pinned `opencode`; other versions come from `Agents.agentVersions`. */
export const opencodeBin = join(repoRoot, ".tools/opencode/node_modules/.bin/opencode")
export const cliPath = join(packageDir, "dist/cli.mjs")
export const pluginPath = join(packageDir, "dist/plugin.mjs")
/** The pinned version, as scripts/install-opencode.sh states it. */
export const OPENCODE_VERSION = pinnedVersion("opencode")
/** $ per million tokens, as configured for the fake model (OpenCode computes the cost from these). */
export const RATES = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }

export interface Workspace {
  readonly root: string
  readonly home: string
  readonly project: string
  readonly configDir: string
  readonly dataDir: string
  /** opencode-sync's state (inbox, outbox, lock, log). */
  readonly stateDir: string
  /** The `opencode` this workspace runs, and its version. */
  readonly client: Client
  readonly remove: () => void
}

/** Which `opencode` to run. */
export interface Client {
  readonly bin: string
  readonly version: string
}

const pinned: Client = { bin: opencodeBin, version: OPENCODE_VERSION }

/** An empty npm install of `@opencode-ai/plugin` in a config dir, so OpenCode's background install has nothing to do. */
const seedConfigDir = (dir: string, version: string) => {
  mkdirSync(join(dir, "node_modules"), { recursive: true })
  const dependencies = { "@opencode-ai/plugin": version }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ dependencies }))
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({ lockfileVersion: 3, requires: true, packages: { "": { dependencies } } })
  )
}

/** The `opencode.json` of a run: the fake provider and model, and this plugin (unless `plugin: false`). */
export const openCodeConfig = (fakeUrl: string, plugin = true) => ({
  $schema: "https://opencode.ai/config.json",
  autoupdate: false,
  share: "disabled",
  enabled_providers: ["fake"],
  model: "fake/fake-model",
  small_model: "fake/fake-model",
  ...(plugin ? { plugin: [pathToFileURL(pluginPath).href] } : {}),
  provider: {
    fake: {
      npm: "@ai-sdk/openai-compatible",
      name: "Fake OpenAI",
      options: { baseURL: fakeUrl, apiKey: "sk-e2e-dummy" },
      models: {
        "fake-model": {
          name: "Fake Model",
          tool_call: true,
          limit: { context: 200_000, output: 8_192 },
          cost: { input: RATES.input, output: RATES.output, cache_read: RATES.cacheRead, cache_write: RATES.cacheWrite }
        }
      }
    }
  },
  permission: { edit: "allow", bash: "allow", webfetch: "deny" }
})

export const makeWorkspace = (fakeUrl: string, client: Client = pinned): Workspace => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ocs-e2e-")))
  const home = join(root, "home")
  const project = join(root, "project")
  const configDir = join(home, ".config/opencode")
  mkdirSync(project, { recursive: true })
  seedConfigDir(configDir, client.version)
  writeFileSync(join(configDir, "opencode.json"), `${JSON.stringify(openCodeConfig(fakeUrl), null, 2)}\n`)
  gitProject({ project, home, file: "README.md", text: "# Demo project\n" })
  return {
    root,
    home,
    project,
    configDir,
    dataDir: join(home, ".local/share/opencode"),
    stateDir: join(home, ".config/opencode-sync"),
    client,
    remove: () => rmSync(root, { recursive: true, force: true })
  }
}

export interface SyncTarget {
  readonly url: string
  readonly key: string
}

/** The whole environment of a run (`env -i` style): nothing is inherited from the test process. */
export const clientEnv = (workspace: Workspace, sync: SyncTarget | undefined): Record<string, string> => ({
  PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
  HOME: workspace.home,
  XDG_CONFIG_HOME: join(workspace.home, ".config"),
  XDG_DATA_HOME: join(workspace.home, ".local/share"),
  XDG_CACHE_HOME: join(workspace.home, ".cache"),
  XDG_STATE_HOME: join(workspace.home, ".local/state"),
  TERM: "dumb",
  LANG: "C.UTF-8",
  OPENCODE_DISABLE_MODELS_FETCH: "1",
  OPENCODE_DISABLE_AUTOUPDATE: "1",
  OPENCODE_DISABLE_SHARE: "1",
  OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
  ...(sync === undefined ? {} : { OPENCODE_SYNC_CONVEX_URL: sync.url, OPENCODE_SYNC_API_KEY: sync.key })
})

export { collect, type Run } from "@opensync/testkit/FakeModel"

/** One line of `opencode run --format json`. */
export interface RunLine {
  readonly type: string
  readonly sessionID?: string
  readonly part?: Record<string, unknown>
}

/** `opencode run --format json <message>` in the project (another turn of `session` when given). */
export const runOpenCode = async (
  workspace: Workspace,
  message: string,
  sync: SyncTarget | undefined,
  session?: string
) => {
  const args = ["run", "--format", "json", ...(session === undefined ? [] : ["--session", session]), message]
  const run = await collect(workspace.client.bin, args, { cwd: workspace.project, env: clientEnv(workspace, sync) })
  const lines = jsonLines<RunLine>(run.stdout)
  const sessionId = lines.find((line) => typeof line.sessionID === "string")?.sessionID ?? ""
  return { ...run, lines, sessionId }
}

/** What `opencode export <id>` prints: the session as OpenCode stored it. */
export interface Exported {
  readonly info: Record<string, unknown> & {
    readonly id: string
    readonly title: string
    readonly directory: string
    readonly parentID?: string
    readonly cost: number
    readonly tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number } }
  }
  readonly messages: ReadonlyArray<{
    readonly info: Record<string, unknown> & {
      readonly id: string
      readonly role: string
      readonly cost?: number
      readonly modelID?: string
      readonly tokens?: { input: number; output: number; reasoning: number; cache: { read: number; write: number } }
      readonly time: { created: number; completed?: number }
    }
    readonly parts: ReadonlyArray<Record<string, unknown> & { readonly type: string; readonly id: string }>
  }>
}

export const exportSession = async (workspace: Workspace, id: string): Promise<Exported> => {
  const run = await collect(workspace.client.bin, ["export", id], {
    cwd: workspace.project,
    env: clientEnv(workspace, undefined)
  })
  if (run.code !== 0) throw new Error(`opencode export ${id} failed: ${run.stderr}`)
  const start = run.stdout.indexOf("{")
  return JSON.parse(run.stdout.slice(start)) as Exported
}

/** `node dist/cli.mjs <args>` with the environment of the OpenCode runs. */
export const runCli = (
  workspace: Workspace,
  args: ReadonlyArray<string>,
  sync: SyncTarget | undefined,
  extraEnv: Record<string, string> = {}
) =>
  collect(process.execPath, [cliPath, ...args], {
    cwd: workspace.project,
    env: { ...clientEnv(workspace, sync), ...extraEnv },
    timeoutMs: 60_000
  })

/** True while a sync holds the lock. */
export const syncRunning = (workspace: Workspace) => existsSync(join(workspace.stateDir, "sync.lock"))

/** Snapshots the plugin spooled that no sync has processed yet. */
export const inboxCount = (workspace: Workspace) => {
  try {
    return readdirSync(join(workspace.stateDir, "inbox")).filter((name) => name.endsWith(".json")).length
  } catch {
    return 0
  }
}

/** Waits until the background syncs are over: no lock and an empty inbox, continuously for `quietMs`. */
export const waitForSyncIdle = async (workspace: Workspace, timeoutMs = 20_000, quietMs = 1_000) => {
  const deadline = Date.now() + timeoutMs
  let idleSince: number | undefined
  while (Date.now() < deadline) {
    if (syncRunning(workspace) || inboxCount(workspace) > 0) idleSince = undefined
    else if (idleSince === undefined) idleSince = Date.now()
    else if (Date.now() - idleSince >= quietMs) return true
    await new Promise((done) => setTimeout(done, 100))
  }
  return false
}
