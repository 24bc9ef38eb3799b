/**
 * What the tests of agents with command hooks (Codex, Gemini CLI) share: the captured hook payloads and the inbox
 * items they become; for the end-to-end suites, a throw-away world (HOME, a git project, the plugin's state dir),
 * running a process with a timeout and collecting its output, the suite's fake model, server and keys, waiting until
 * the background syncs the hooks started are over, an ingest-scope key like the one the docs tell users to create, a
 * port nothing listens on (a server that is down), and the checks every such plugin's CLI must pass (`sync` after an
 * outage, `import` after live sync).
 */
import { execFileSync } from "node:child_process"
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, beforeAll, describe, expect } from "@effect/vitest"
import { Usage } from "@opensync/domain"
import { type Agent, type AgentVersion, agentVersions, recordResults } from "./Agents.js"
import * as FakeModel from "./FakeModel.js"
import { getSession, pollFor, type RunningServer, startServer } from "./Server.js"

/** One hook call a real agent made, as captured: the hook's argument and its stdin. */
export interface CapturedHook {
  readonly argv: string
  readonly stdin: Record<string, unknown>
}

/** The hook calls captured in `path`, one `{argv, stdin}` a line. */
export const capturedHooks = (path: string): Array<CapturedHook> =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as CapturedHook)

/** A hook call as the hook stores it in the inbox: a header line `{v, hook, receivedAt}`, then stdin as sent. */
export const inboxItem = (hook: string, stdin: unknown, receivedAt: number) => ({
  name: `${receivedAt}-1-000001-abc.hook`,
  text: `${JSON.stringify({ v: 1, hook, receivedAt })}\n${typeof stdin === "string" ? stdin : JSON.stringify(stdin)}`,
  mtimeMs: receivedAt
})

/** Token counts in OpenSync's terms, in the order the readers' tests give them (no 1-hour cache writes). */
export const usage = (
  input: number,
  cacheRead: number,
  output: number,
  reasoning: number,
  cacheWrite5m = 0
): Usage.UsageFields => ({ input, output, cacheRead, cacheWrite5m, cacheWrite1h: 0, reasoning })

/** The tokens of a session an agent's reader read: its messages' usage, summed. */
export const totalUsage = (session: {
  readonly messages: ReadonlyArray<{ readonly usage: Usage.UsageFields | null }>
}): Usage.UsageFields =>
  session.messages.reduce((sum, message) => Usage.add(sum, message.usage ?? Usage.zero), Usage.zero)

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

/** How a process ended: its exit code and output (FakeModel's run, shared by every e2e harness). */
export type Collected = FakeModel.Run

/** Runs a process to completion (killed after `timeoutMs`, default 180 s), collecting its output. */
export const collect = FakeModel.collect

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
export const freePort = FakeModel.reservePort

/** `GET /api/sessions/{id}` with `key`: the HTTP status only (a key of the ingest scope may not read). */
export const readStatus = async (url: string, key: string, id: string): Promise<number> =>
  (await fetch(`${url}/api/sessions/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${key}` } })).status

/** Where a plugin sends: a server URL and key, given through the environment. */
export interface SyncTarget {
  readonly url: string
  readonly key: string
}

/** The built plugin CLI at `cliPath`, run in a world's project with the environment `env` gives it. */
export const cliRunner =
  <W extends World>(
    cliPath: string,
    env: (world: W, target: SyncTarget | undefined, extra: Record<string, string>) => Record<string, string>
  ) =>
  (world: W, args: ReadonlyArray<string>, target?: SyncTarget, extra: Record<string, string> = {}) =>
    collect(process.execPath, [cliPath, ...args], { cwd: world.project, env: env(world, target, extra) })

/** What an end-to-end suite runs against, set up before its first test. */
export interface Suite<Fake, W extends World> {
  readonly fake: Fake
  readonly server: RunningServer
  readonly world: W
  /** An ingest-scope key (what the plugin syncs with) and the server's full key (what the test reads with). */
  readonly ingest: SyncTarget
  readonly full: SyncTarget
  /** The plugin's CLI in the suite's world. */
  readonly runCli: RunCli
}

/**
 * Sets up an end-to-end suite for one agent version (call inside its `describe`): the fake model, a real local server
 * with an ingest key named `keyName`, and a world whose agent talks to the fake; after the suite, records its results
 * for docs/compatibility.md, waits for the background syncs and takes it all down. The parts are there once the
 * suite's `beforeAll` ran.
 */
export const suite = <
  Fake extends { readonly url: string; readonly close: () => Promise<void> },
  W extends World
>(options: {
  readonly version: AgentVersion
  readonly keyName: string
  readonly startFake: () => Promise<Fake>
  readonly makeWorld: (fakeUrl: string, bin: string) => W
  readonly runCli: (world: W, args: ReadonlyArray<string>, target?: SyncTarget) => Promise<Collected>
}): Suite<Fake, W> => {
  const parts: Partial<{ -readonly [K in keyof Suite<Fake, W>]: Suite<Fake, W>[K] }> = {}
  parts.runCli = (args, target) => options.runCli(parts.world!, args, target)
  beforeAll(async () => {
    parts.fake = await options.startFake()
    parts.server = await startServer()
    parts.ingest = { url: parts.server.url, key: await ingestKey(parts.server, options.keyName) }
    parts.full = { url: parts.server.url, key: parts.server.key }
    parts.world = options.makeWorld(parts.fake.url, options.version.bin)
  })
  afterAll(async (done) => {
    recordResults(options.version, done)
    await waitForSyncIdle(parts.world?.stateDir ?? "", 10_000)
    await parts.server?.stop()
    await parts.fake?.close()
    parts.world?.remove()
  })
  return parts as Suite<Fake, W>
}

/**
 * One `describe` per supported version of `agent` (skipped, with a warning, where the version is missing), each with
 * its end-to-end suite (see `suite`), against which `tests` registers the version's tests.
 */
export const describeVersions = <
  Fake extends { readonly url: string; readonly close: () => Promise<void> },
  W extends World
>(
  agent: Agent,
  title: string,
  options: Omit<Parameters<typeof suite<Fake, W>>[0], "version">,
  tests: (e2e: Suite<Fake, W>, version: AgentVersion) => void
) => {
  for (const version of agentVersions(agent)) {
    if (version.missing !== undefined) process.stderr.write(`${version.label} e2e tests skipped: ${version.missing}\n`)
    describe.skipIf(version.missing !== undefined)(`${version.label}: ${title}`, () =>
      tests(suite({ version, ...options }), version)
    )
  }
}

export type RunCli = (args: ReadonlyArray<string>, target?: SyncTarget) => Promise<Collected>
type Stored = Awaited<ReturnType<typeof getSession>>

/**
 * A one-text session made while the server is down: `runAgent` runs the agent on `prompt` syncing to `down` (a port
 * nothing listens on) and gives the new session's id. Once its background sync is over the session is not on the
 * server and waits in the outbox; `<cli> sync` delivers it, the prompt and the fake's `reply` (and what `check`
 * expects of it), and a second `sync` sends nothing.
 */
export const expectDeliveredOnceAfterOutage = async (
  suite: Suite<FakeModel.Billing<unknown>, World>,
  session: {
    readonly runAgent: (prompt: string, down: SyncTarget) => Promise<string>
    readonly reply: string
  },
  check: (stored: Stored) => void
) => {
  const { fake, full, ingest, runCli } = suite
  const down = { url: `http://127.0.0.1:${await freePort()}`, key: ingest.key }
  fake.billed.length = 0
  const prompt = `${FakeModel.TEXT_MARKER} Say hello.`
  const id = await session.runAgent(prompt, down)
  expect(await waitForSyncIdle(suite.world.stateDir, 90_000)).toBe(true)
  expect(await getSession(full, id)).toBeUndefined()
  const status = await runCli(["status", "--json"], down)
  expect((JSON.parse(status.stdout) as { outbox: { pending: number } }).outbox.pending).toBeGreaterThan(0)

  const flushed = await runCli(["sync"], ingest)
  expect(flushed.code, `${flushed.stdout}${flushed.stderr}`).toBe(0)
  expect(flushed.stdout).toMatch(/Sent [1-9]\d* event\(s\), 0 rejected by the server, 0 pending\./)
  const stored = await getSession(full, id)
  expect(stored?.detail.messages.map((m) => [m.role, m.text])).toEqual([
    ["user", prompt],
    ["assistant", session.reply]
  ])
  check(stored)
  const again = await runCli(["sync"], ingest)
  expect(again.stdout).toContain("Sent 0 event(s), 0 rejected by the server, 0 pending.")
  expect((await getSession(full, id))?.raw).toBe(stored?.raw)
}

/**
 * A `<cli> sync` that delivered everything the queue in `stateDir` held (an older version's, after an upgrade): no
 * error, nothing refused or left pending, the inbox empty and nothing set aside; its report says `processed`.
 */
export const expectQueueDelivered = (
  sync: { readonly code: number | null; readonly stdout: string; readonly stderr: string },
  stateDir: string,
  processed: string
) => {
  expect(sync.stderr).toBe("")
  expect(sync.code).toBe(0)
  expect(sync.stdout).toContain(processed)
  expect(sync.stdout).toMatch(/, 0 rejected by the server, 0 pending\./)
  expect(readdirSync(join(stateDir, "inbox"))).toEqual([])
  expect(existsSync(join(stateDir, "inbox-bad"))).toBe(false)
}

/**
 * `<cli> import` after live sync of the suite's two sessions: it reads both files and leaves session `sessionId` as it
 * was; a second import reads no file (none changed since).
 */
export const expectImportChangesNothing = async (suite: Suite<unknown, World>, sessionId: string) => {
  const { full, ingest, runCli } = suite
  const before = await getSession(full, sessionId)
  const imported = await runCli(["import"], ingest)
  expect(imported.code, `${imported.stdout}${imported.stderr}`).toBe(0)
  expect(imported.stdout).toMatch(/^2 sessions \(\d+ new, \d+ updated, \d+ unchanged\): read 2 \w+ file\(s\)/m)
  expect((await getSession(full, sessionId))?.raw).toBe(before?.raw)
  // Files that did not change since they were imported are not read again.
  const again = await runCli(["import"], ingest)
  expect(again.code, `${again.stdout}${again.stderr}`).toBe(0)
  expect(again.stdout).toMatch(/^2 sessions \(0 new, 0 updated, 2 unchanged\): read 0 \w+ file\(s\) \(0\.0 MiB\)/m)
}

/**
 * After a live run, once the background syncs the hooks started are over: the ingest key cannot read session
 * `sessionId` (it may only sync); the full key reads it, with the `expected` number of messages and tool calls; and
 * `<cli> verify` says the hooks ran.
 */
export const expectSyncedLive = async (
  suite: Suite<unknown, World>,
  sessionId: string,
  expected: { readonly messages: number; readonly toolCalls: number }
) => {
  const { full, ingest } = suite
  expect(await waitForSyncIdle(suite.world.stateDir, 90_000)).toBe(true)
  expect(await readStatus(ingest.url, ingest.key, sessionId)).toBe(403)
  const stored = await pollFor(async () => {
    const got = await getSession(full, sessionId)
    return got !== undefined &&
      got.detail.messages.length === expected.messages &&
      got.detail.toolCalls.length === expected.toolCalls
      ? got
      : undefined
  }, 60_000)
  expect(stored, "the session reached the server").toBeDefined()
  const verify = await suite.runCli(["verify"], ingest)
  expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
  expect(verify.stdout).toContain("last session started")
  return stored
}
