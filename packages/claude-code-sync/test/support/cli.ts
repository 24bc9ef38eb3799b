/** What the tests of the built CLI and hook share: running them in a throw-away HOME, the captured session. */
import { spawn } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll } from "@effect/vitest"
import { type RunningServer, startServer } from "@opensync/testkit/Server"

export const cli = resolve(__dirname, "../../dist/cli.mjs")
export const hook = resolve(__dirname, "../../dist/hook.cjs")
export const fixtures = resolve(__dirname, "../fixtures")
/** The captured session of the `settings` run, and its subagent. */
export const SESSION_ID = "c763ea33-250a-4cfa-ba10-d17cac298173"
export const AGENT_ID = "a0aff73444ac06d3e"

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

/** The session's transcript (and its subagent's, when asked) where Claude Code keeps them under `home`. */
export const transcripts = (home: string, options: { readonly subagent?: boolean } = {}) => {
  const project = join(home, ".claude", "projects", "-home-dev-projects-demo")
  mkdirSync(join(project, SESSION_ID, "subagents"), { recursive: true })
  copyFileSync(join(fixtures, "claude-transcript.jsonl"), join(project, `${SESSION_ID}.jsonl`))
  if (options.subagent === true) {
    copyFileSync(
      join(fixtures, "claude-subagent-transcript.jsonl"),
      join(project, SESSION_ID, "subagents", `agent-${AGENT_ID}.jsonl`)
    )
  }
  return project
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
