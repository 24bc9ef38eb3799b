/**
 * Helpers to run the real `claude` CLI (installed by scripts/install-clients.sh into `.tools/`) offline against the
 * fake Messages API, with this package loaded through `--plugin-dir`, in a throw-away HOME and a fresh git project.
 */
import { execFileSync } from "node:child_process"
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync
} from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { collect, gitProject, jsonLines } from "@opensync/testkit/FakeModel"
import type { World } from "@opensync/testkit/HookAgent"

export const repoRoot = resolve(import.meta.dirname, "../../../..")
export const pluginDir = resolve(repoRoot, "packages/claude-code-sync")
/** The pinned `claude` (scripts/install-clients.sh); other versions come from `Agents.agentVersions`. */
export const claudeBin = join(repoRoot, ".tools/node_modules/.bin/claude")
export const cliPath = join(pluginDir, "dist/cli.cjs")
export const hookPath = join(pluginDir, "dist/hook.cjs")
export const MODEL = "claude-sonnet-4-5"
export const GIT_BRANCH = "e2e-branch"

/**
 * A throw-away HOME and a git project (one commit, a CLAUDE.md) under one temp dir; its `stateDir` is claude-code-sync's
 * (inbox, outbox, lock, log: `$XDG_CONFIG_HOME/claude-code-sync`, shared by hooks and CLI).
 */
export interface Workspace extends World {
  /** `$CLAUDE_PLUGIN_DATA` of the plugin loaded with `--plugin-dir` (id `claude-code-sync-inline`). */
  readonly pluginDataDir: string
}

export const makeWorkspace = (): Workspace => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ccs-e2e-")))
  const home = join(root, "home")
  const project = join(root, "project")
  mkdirSync(home, { recursive: true })
  mkdirSync(project, { recursive: true })
  gitProject({
    project,
    home,
    file: "CLAUDE.md",
    text: "# Demo project\n\nA scratch project for the claude-code-sync e2e test.\n",
    branch: GIT_BRANCH
  })
  return {
    root,
    home,
    project,
    stateDir: join(home, ".config/claude-code-sync"),
    pluginDataDir: join(home, ".claude/plugins/data/claude-code-sync-inline"),
    remove: () => rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
  }
}

/** Where claude-code-sync sends to; `undefined` leaves it unconfigured. */
export interface SyncTarget {
  readonly url: string
  readonly key: string
}

/** The whole environment of a client run (`env -i` style): nothing is inherited from the test process. */
export const clientEnv = (workspace: Workspace, fakeUrl: string, sync: SyncTarget | undefined) => {
  const env: Record<string, string> = {
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: workspace.home,
    XDG_CONFIG_HOME: join(workspace.home, ".config"),
    TERM: "dumb",
    LANG: "C.UTF-8",
    ANTHROPIC_BASE_URL: fakeUrl,
    ANTHROPIC_API_KEY: "sk-ant-e2e-dummy-key-000000000000",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_ERROR_REPORTING: "1",
    DISABLE_BUG_COMMAND: "1"
  }
  if (process.getuid?.() === 0) env.IS_SANDBOX = "1"
  if (sync !== undefined) {
    env.CLAUDE_SYNC_CONVEX_URL = sync.url
    env.CLAUDE_SYNC_API_KEY = sync.key
  }
  return env
}

/** One line of `--output-format stream-json`. */
export interface StreamLine {
  readonly type: string
  readonly subtype?: string
  readonly session_id?: string
  readonly [key: string]: unknown
}

export interface ClaudeRun {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly wallMs: number
  readonly lines: ReadonlyArray<StreamLine>
  readonly stderr: string
  readonly sessionId: string
  /** The last `result` line: a run with a background subagent (2.1.332+) has one per turn, the last one cumulative. */
  readonly result: StreamLine | undefined
}

/** Runs `claude -p <prompt>` in the workspace's project with this package as a `--plugin-dir` plugin. */
export const runClaude = async (options: {
  readonly workspace: Workspace
  readonly fakeUrl: string
  readonly prompt: string
  readonly sync: SyncTarget | undefined
  /** `--dangerously-skip-permissions` (default true; needed for Write/Bash in `-p`). */
  readonly skipPermissions?: boolean
  readonly timeoutMs?: number
  /** The plugin to load with `--plugin-dir` (default: this package); `null` loads only installed plugins. */
  readonly pluginDir?: string | null
  /** The `claude` binary to run (default: the pinned one). */
  readonly bin?: string
  /** Continue this session (`--resume <id>`). */
  readonly resume?: string
  /** Variables added to (or, when undefined, removed from) the client's environment (and so its hooks'). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** More arguments before `-p`. */
  readonly args?: ReadonlyArray<string>
}): Promise<ClaudeRun> => {
  const plugin = options.pluginDir === undefined ? pluginDir : options.pluginDir
  const args = [
    ...(options.resume === undefined ? [] : ["--resume", options.resume]),
    ...(options.args ?? []),
    "-p",
    options.prompt,
    "--output-format",
    "stream-json",
    "--verbose",
    "--model",
    MODEL,
    ...(options.skipPermissions === false ? [] : ["--dangerously-skip-permissions"]),
    ...(plugin === null ? [] : ["--plugin-dir", plugin])
  ]
  const env: Record<string, string> = clientEnv(options.workspace, options.fakeUrl, options.sync)
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  const run = await collect(options.bin ?? claudeBin, args, {
    cwd: options.workspace.project,
    env,
    timeoutMs: options.timeoutMs ?? 180_000
  })
  const lines = jsonLines<StreamLine>(run.stdout)
  const result = lines.findLast((line) => line.type === "result")
  const sessionId =
    result?.session_id ?? lines.find((line) => line.type === "system" && line.subtype === "init")?.session_id ?? ""
  return { code: run.code, signal: run.signal, wallMs: run.wallMs, lines, stderr: run.stderr, sessionId, result }
}

/**
 * Runs `prompt`, then `--resume <its session> -p /compact` when it succeeded, with only what is installed in the
 * workspace (no `--plugin-dir`) and claude-code-sync unconfigured: what a user who ran `setup` gets.
 */
export const runAndCompact = async (options: {
  readonly workspace: Workspace
  readonly fakeUrl: string
  readonly prompt: string
  readonly bin: string
  readonly env?: Readonly<Record<string, string | undefined>>
}): Promise<{ readonly first: ClaudeRun; readonly compact: ClaudeRun | undefined }> => {
  const installedOnly = { ...options, sync: undefined, pluginDir: null }
  const first = await runClaude(installedOnly)
  if (first.code !== 0) return { first, compact: undefined }
  const compact = await runClaude({ ...installedOnly, prompt: "/compact", resume: first.sessionId })
  return { first, compact }
}

/** Runs `node dist/cli.cjs <args>` as a user would in a terminal, with the environment the Claude run had. */
export const runCli = (
  workspace: Workspace,
  args: ReadonlyArray<string>,
  sync: SyncTarget | undefined,
  timeoutMs = 60_000
) =>
  collect(process.execPath, [cliPath, ...args], {
    cwd: workspace.project,
    env: clientEnv(workspace, "http://127.0.0.1:9", sync),
    timeoutMs
  })

export { reservePort } from "@opensync/testkit/FakeModel"
export { pollFor } from "@opensync/testkit/Server"

/** Hook payloads stored but not yet turned into events (a sync running while they arrived leaves them for the next). */
export const pendingHookPayloads = (workspace: Workspace) => {
  try {
    return readdirSync(join(workspace.stateDir, "inbox")).filter((name) => name.endsWith(".hook")).length
  } catch {
    return 0
  }
}

/** The hook events whose payloads wait in the inbox (their files' header line names the hook). */
export const inboxHooks = (workspace: Workspace): ReadonlyArray<string> => {
  const inbox = join(workspace.stateDir, "inbox")
  return readdirSync(inbox)
    .filter((name) => name.endsWith(".hook"))
    .sort()
    .map(
      (name) =>
        (JSON.parse(readFileSync(join(inbox, name), "utf8").split("\n", 1)[0] ?? "{}") as { hook?: string }).hook ?? ""
    )
}

/** True while a sync (a background one or a `sync` command) holds the lock. */
export const syncRunning = (workspace: Workspace) => existsSync(join(workspace.stateDir, "sync.lock"))

/**
 * How many detached background syncs (`sync --background`) of this workspace are alive, from /proc (Linux; none
 * elsewhere): a hook's `spawn` returns once its child exists, so after Claude Code exited every sync its hooks started
 * is either here or over, however long it takes to start on a loaded machine.
 */
export const backgroundSyncs = (workspace: Workspace): number => {
  let pids: ReadonlyArray<string>
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name))
  } catch {
    return 0
  }
  let alive = 0
  for (const pid of pids) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("--background")) continue
      if (readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`HOME=${workspace.home}`)) alive++
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return alive
}

/**
 * Waits until the detached background syncs the hooks started are over: none alive (`backgroundSyncs`) and no sync
 * lock, continuously for `quietMs`. The lock alone was not enough: a sync that took more than `quietMs` to start on a
 * loaded machine took it after the wait, and delivered what the test meant the next `sync` to deliver.
 */
export const waitForSyncIdle = async (workspace: Workspace, timeoutMs = 15_000, quietMs = 1_000) => {
  const deadline = Date.now() + timeoutMs
  let idleSince: number | undefined
  while (Date.now() < deadline) {
    if (syncRunning(workspace) || backgroundSyncs(workspace) > 0) idleSince = undefined
    else if (idleSince === undefined) idleSince = Date.now()
    else if (Date.now() - idleSince >= quietMs) return true
    await new Promise((done) => setTimeout(done, 100))
  }
  return false
}

/**
 * Removes the workspace once the detached background syncs the hooks started are over. One may start late (a detached
 * `node` starting on a loaded machine) and write into the tree while it goes, so removal is retried after waiting again.
 */
export const removeWorkspace = async (workspace: Workspace) => {
  for (let attempt = 0; ; attempt++) {
    await waitForSyncIdle(workspace, 10_000, 500)
    try {
      return workspace.remove()
    } catch (cause) {
      if (attempt >= 10) throw cause
    }
  }
}

/** `claude-code-sync sync`, retried while a background sync still holds the lock. */
export const flush = async (workspace: Workspace, sync: SyncTarget | undefined) => {
  for (let attempt = 0; ; attempt++) {
    const run = await runCli(workspace, ["sync"], sync)
    if (attempt >= 20 || !`${run.stdout}${run.stderr}`.includes("Another sync is running")) return run
    await new Promise((done) => setTimeout(done, 250))
  }
}

export const hasClaude = () => existsSync(claudeBin)
export const hasCli = () => existsSync(cliPath)

/** Runs `claude <args>` (e.g. `plugin install …`) in the workspace's project with the test environment. */
export const runClaudeCommand = (
  workspace: Workspace,
  args: ReadonlyArray<string>,
  options: { readonly bin?: string; readonly timeoutMs?: number } = {}
) =>
  collect(options.bin ?? claudeBin, args, {
    cwd: workspace.project,
    env: clientEnv(workspace, "http://127.0.0.1:9", undefined),
    timeoutMs: options.timeoutMs ?? 60_000
  })

/**
 * What a user gets from `/plugin marketplace add <this repo>`: the files git tracks (as they are in the working tree)
 * of the marketplace manifest and the plugin, copied into `dir`. Untracked files (a local build) are left out, so an
 * install from it fails the same way a clone would when something the plugin needs is not committed.
 */
export const trackedMarketplace = (dir: string): string => {
  const tracked = execFileSync("git", ["ls-files", "-z", "--", ".claude-plugin", "packages/claude-code-sync"], {
    cwd: repoRoot,
    encoding: "utf8"
  })
    .split("\0")
    .filter((path) => path !== "" && !path.includes("/test/"))
  for (const path of tracked) {
    const from = join(repoRoot, path)
    if (!existsSync(from)) continue
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    copyFileSync(from, join(dir, path))
  }
  return dir
}
