/**
 * What the end-to-end suites of agents with command hooks (Codex, Gemini CLI) share: a throw-away world (HOME, a git
 * project, the plugin's state dir), running a process with a timeout and collecting its output, waiting until the
 * background syncs the hooks started are over, an ingest-scope key like the one the docs tell users to create, and a
 * port nothing listens on (a server that is down).
 */
import { execFileSync, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import type { RunningServer } from "./Server.js"

export interface World {
  readonly root: string
  readonly home: string
  /** A git repository with one commit. */
  readonly project: string
  /** The plugin's state (inbox, outbox, lock, log): `$XDG_CONFIG_HOME/<cli>`. */
  readonly stateDir: string
  readonly remove: () => void
}

/** A fresh HOME and project for `cli`'s plugin. */
export const makeWorld = (prefix: string, cli: string): World => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), prefix)))
  const home = join(root, "home")
  const project = join(root, "projects", "demo")
  mkdirSync(home, { recursive: true })
  mkdirSync(project, { recursive: true })
  const git = (...args: Array<string>) =>
    execFileSync("git", args, {
      cwd: project,
      stdio: "ignore",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "dev",
        GIT_AUTHOR_EMAIL: "dev@example.com",
        GIT_COMMITTER_NAME: "dev",
        GIT_COMMITTER_EMAIL: "dev@example.com"
      }
    })
  git("init", "-q", "-b", "main")
  writeFileSync(join(project, "README.md"), "# demo\n")
  git("add", "README.md")
  git("commit", "-q", "-m", "init")
  return {
    root,
    home,
    project,
    stateDir: join(home, ".config", cli),
    remove: () => rmSync(root, { recursive: true, force: true })
  }
}

/** The environment every process of a world gets: nothing of the test's but the node directory on PATH. */
export const baseEnv = (world: World): Record<string, string> => ({
  PATH: [dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
  HOME: world.home,
  XDG_CONFIG_HOME: join(world.home, ".config"),
  TERM: "dumb",
  LANG: "C.UTF-8"
})

export interface Collected {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a process to completion (killed after `timeoutMs`), collecting its output. */
export const collect = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env: Record<string, string>; readonly timeoutMs?: number }
) =>
  new Promise<Collected>((done) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 180_000)
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("close", (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })

const count = (dir: string, suffix: string) => {
  try {
    return readdirSync(dir).filter((name) => name.endsWith(suffix)).length
  } catch {
    return 0
  }
}

/**
 * Waits until the background syncs the hooks started are over: no lock, an empty inbox and no follow-up waiting,
 * continuously for `quietMs`. True when that happened within `timeoutMs`.
 */
export const waitForSyncIdle = async (stateDir: string, timeoutMs = 30_000, quietMs = 1_000): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  let idleSince: number | undefined
  while (Date.now() < deadline) {
    const busy =
      existsSync(join(stateDir, "sync.lock")) ||
      count(join(stateDir, "inbox"), ".hook") > 0 ||
      count(join(stateDir, "followups"), ".json") > 0
    if (busy) idleSince = undefined
    else if (idleSince === undefined) idleSince = Date.now()
    else if (Date.now() - idleSince >= quietMs) return true
    await new Promise((done) => setTimeout(done, 100))
  }
  return false
}

/** An ingest-scope key on `server` (`opensync keys create --scope ingest`): it can sync, not read. */
export const ingestKey = async (server: RunningServer, name: string): Promise<string> => {
  const created = JSON.parse(await server.cli(["keys", "create", "--name", name, "--scope", "ingest", "--json"])) as {
    key: string
  }
  return created.key
}

/** A loopback port nothing listens on. */
export const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer()
    server.once("error", fail)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => done(port))
    })
  })

/** `GET /api/sessions/{id}` with `key`: the HTTP status only (a key of the ingest scope may not read). */
export const readStatus = async (url: string, key: string, id: string): Promise<number> =>
  (await fetch(`${url}/api/sessions/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${key}` } })).status
