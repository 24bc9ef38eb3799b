/** What the tests of the built CLI and hook share: running them in a throw-away HOME, the captured session. */
import { spawn } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { afterAll, beforeAll } from "@effect/vitest"
import { type RunningServer, startServer } from "@opensync/testkit/Server"

export const cli = resolve(__dirname, "../../dist/cli.cjs")
export const hook = resolve(__dirname, "../../dist/hook.cjs")
export const fixtures = resolve(__dirname, "../fixtures")
/** The captured session of the `settings` run, and its subagent. */
export const SESSION_ID = "c763ea33-250a-4cfa-ba10-d17cac298173"
export const AGENT_ID = "a0aff73444ac06d3e"
/** Its token usage, from the capture's README (what the server must hold once the transcript is read). */
export const SESSION_USAGE = {
  input: 25,
  output: 252,
  cacheRead: 54_548,
  cacheWrite5m: 14_270,
  cacheWrite1h: 0,
  reasoning: 0
}

/** Session k's copy of a capture: every id (session, messages, tool uses, requests, the subagent) made its own. */
export const copyFor = (text: string, k: number) => {
  const tag = k.toString(16).padStart(4, "0")
  return text
    .replace(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{8}([0-9a-f]{4})/g,
      (id) => `${id.slice(0, -4)}${tag}`
    )
    .replace(/\b(msg|toolu|req|srvtoolu)_fake[A-Za-z0-9]*/g, (id) => `${id}${tag}`)
    .replaceAll(AGENT_ID, `${AGENT_ID.slice(0, -4)}${tag}`)
}

export interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** `node <args>` in `home`, with nothing of the test's environment but PATH (plus `env`), fed `stdin`. */
export const node = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}, stdin = "") =>
  new Promise<Result>((done) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: join(home, ".config"), ...env }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr }))
    child.stdin.end(stdin)
  })

/** `claude-code-sync <args>`. */
export const run = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  node(home, [cli, ...args], env)

/** `claude-code-sync`'s state directory in `home`. */
export const stateDir = (home: string) => join(home, ".config", "claude-code-sync")

/** The `settings` run's hook payloads (without SubagentStop unless asked), their paths pointed at `home`. */
export const payloads = (home: string, options: { readonly subagent?: boolean } = {}) =>
  readFileSync(join(fixtures, "claude-hooks.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { run: string; hook_event_name: string; payload: unknown })
    .filter((line) => line.run === "settings" && (options.subagent === true || line.hook_event_name !== "SubagentStop"))
    .map((line) => ({
      event: line.hook_event_name,
      stdin: JSON.stringify(line.payload).replaceAll("/home/dev/.claude/", `${home}/.claude/`)
    }))

/** Where Claude Code keeps the session's transcript and its subagent's under `home`. */
export const transcriptPaths = (home: string) => {
  const project = join(home, ".claude", "projects", "-home-dev-projects-demo")
  return {
    project,
    main: join(project, `${SESSION_ID}.jsonl`),
    subagent: join(project, SESSION_ID, "subagents", `agent-${AGENT_ID}.jsonl`)
  }
}

/**
 * The session's transcript (or `main`, a text in its place: a part of it, say) and its subagent's, when asked, where
 * Claude Code keeps them under `home`.
 */
export const transcripts = (
  home: string,
  options: { readonly subagent?: boolean; readonly main?: string } = {}
): ReturnType<typeof transcriptPaths> => {
  const paths = transcriptPaths(home)
  mkdirSync(dirname(paths.subagent), { recursive: true })
  if (options.main === undefined) copyFileSync(join(fixtures, "claude-transcript.jsonl"), paths.main)
  else writeFileSync(paths.main, options.main)
  if (options.subagent === true) copyFileSync(join(fixtures, "claude-subagent-transcript.jsonl"), paths.subagent)
  return paths
}

/** A real local server and a throw-away HOME for the tests of one file, stopped and removed after them. */
export const serverAndHome = (prefix: string) => {
  const context = { server: undefined as unknown as RunningServer, home: "" }
  beforeAll(async () => {
    context.server = await startServer()
    context.home = mkdtempSync(join(tmpdir(), prefix))
  })
  afterAll(async () => {
    await context.server?.stop()
    if (context.home !== "") rmSync(context.home, { recursive: true, force: true })
  })
  return context
}

/** A real server for the file's tests, and fresh HOMEs made on demand; all removed at the end. */
export const serverAndHomes = (prefix: string) => {
  const homes: Array<string> = []
  const context = {
    server: undefined as unknown as RunningServer,
    home: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix))
      homes.push(dir)
      return dir
    }
  }
  beforeAll(async () => {
    context.server = await startServer()
  })
  afterAll(async () => {
    await context.server?.stop()
    for (const dir of homes) rmSync(dir, { recursive: true, force: true })
  })
  return context
}
