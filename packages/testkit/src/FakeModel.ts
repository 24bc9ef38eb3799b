/**
 * The loopback HTTP skeleton the fake model servers share (the Anthropic Messages fake that drives `claude`, the
 * OpenAI Chat Completions fake that drives `opencode`): bound to 127.0.0.1 on an ephemeral port, each request's body
 * read whole and logged with the headers a test asks about, `/` and `/health` answered `ok`, a failing handler
 * answered 500. Each fake supplies only its API's routes and replies; a billing fake also keeps the replies it billed. Also what the harnesses that run the real
 * agents against such a fake share: running a CLI with a timeout, reading its JSON lines, a free loopback port, a
 * scratch git project.
 */
import { execFileSync, spawn } from "node:child_process"
import { writeFileSync } from "node:fs"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { type AddressInfo, createServer as createNetServer } from "node:net"
import { join } from "node:path"

// The scripted scenario every fake plays: a turn of four tool steps (echo, a file write, a failing `ls`, a subagent)
// and a final text, a subagent that answers once, and a marker that asks for one plain text answer instead.

/** Marker in a prompt that selects a one-text answer. */
export const TEXT_MARKER = "SCENARIO:text"
/** Marker in the subagent's prompt; such requests get one text answer. */
export const SUBAGENT_MARKER = "SUBAGENT_TASK"
export const FINAL_TEXT = "All done: ran 4 tool steps (echo, write, a failing ls, a subagent)."
export const SUBAGENT_TEXT = "SUBAGENT_DONE: done."

// The shorter scenario the Codex and Gemini CLI fakes play: three tool steps (echo, a file write, a failing `ls`) and
// a final text; the same text marker asks for one plain answer instead.

export const THREE_STEP_FINAL_TEXT = "All done: ran 3 tool steps."
/** The file the failing `ls` of the three-step scenario lists. */
export const THREE_STEP_MISSING_FILE = "./no-such-file-harness"
/** The body of the file the three-step scenario writes: it must never reach the server. */
export const THREE_STEP_WRITTEN_CONTENT = "hello from the fake model: the file body must not be synced\n"

/**
 * The tokens a three-step fake bills for step `step` of the scenario (`text`: for the one-text answer): growing
 * prompts, a cached prefix after the first call, some reasoning. `input` includes `cached`; `output` does not include
 * `reasoning`. Each fake spells them in its API's usage object.
 */
export const threeStepTokens = (step: number, text: boolean) => ({
  input: 2_000 + 150 * step,
  cached: step === 0 ? 0 : 1_500 + 100 * step,
  output: text ? 30 : 35 + 2 * step,
  reasoning: text ? 0 : 5 + step
})

/** A model reply a three-step fake billed: the model, the kind of request, the scenario step, the API's usage. */
export interface ThreeStepBill<Kind extends string, Usage> {
  readonly model: string
  readonly kind: Kind
  readonly step: number
  readonly usage: Usage
}

/** One request a fake answered. */
export interface LoggedRequest<Reply> {
  readonly at: number
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: unknown
  readonly status: number
  /** Set for the requests the fake answered with a model reply. */
  readonly reply?: Reply
}

export interface FakeModel<Reply> {
  /** `http://127.0.0.1:<port>` followed by the `basePath` the fake was started with. */
  readonly url: string
  /** Every request answered so far, in arrival order. */
  readonly requests: ReadonlyArray<LoggedRequest<Reply>>
  readonly close: () => Promise<void>
}

/** One request as a fake's handler sees it. */
export interface Exchange<Reply> {
  readonly method: string
  readonly path: string
  /** The request body as text. */
  readonly raw: string
  readonly res: ServerResponse
  /** Logs the request with the status it was answered with, and the reply when it was a model reply. */
  readonly log: (status: number, body: unknown, reply?: Reply) => void
}

export interface Options<Reply> {
  /** Appended to the origin in `url` (e.g. `/v1`). */
  readonly basePath?: string
  /** The request headers each log entry keeps. */
  readonly loggedHeaders: ReadonlyArray<string>
  /** The API's error body for a handler that failed. */
  readonly errorBody: (message: string) => unknown
  readonly handle: (exchange: Exchange<Reply>) => void | Promise<void>
}

export const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {}
) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify(body))
}

/** The replies the fake logged, in order: one per billed response. */
export const replies = <Reply>(fake: FakeModel<Reply>): ReadonlyArray<Reply> =>
  fake.requests.flatMap((request) => (request.reply === undefined ? [] : [request.reply]))

/** Starts a fake on 127.0.0.1 with an ephemeral port. */
export const start = async <Reply>(options: Options<Reply>): Promise<FakeModel<Reply>> => {
  const requests: Array<LoggedRequest<Reply>> = []
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req)
    const method = req.method ?? "GET"
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname
    const headers = Object.fromEntries(options.loggedHeaders.map((name) => [name, req.headers[name]?.toString()]))
    const log = (status: number, body: unknown, reply?: Reply) =>
      requests.push({ at: Date.now(), method, path, headers, body, status, ...(reply === undefined ? {} : { reply }) })
    if ((method === "HEAD" || method === "GET") && (path === "/" || path === "/health")) {
      log(200, null)
      res.writeHead(200, { "content-type": "text/plain" })
      return void res.end(method === "HEAD" ? undefined : "ok")
    }
    await options.handle({ method, path, raw, res, log })
  }
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, options.errorBody(String(error)))
      else res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${options.basePath ?? ""}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** A fake that also keeps its model replies (what it billed), in order, in an array a test may empty. */
export interface Billing<Reply> extends FakeModel<Reply> {
  readonly billed: Array<Reply>
}

/** The exchange of a billing fake: `bill` logs the request as answered (200) with `reply` and keeps the reply. */
export interface BillingExchange<Reply> extends Exchange<Reply> {
  readonly bill: (body: unknown, reply: Reply) => void
}

/** Starts a fake (as `start`) whose handler bills its model replies. */
export const startBilling = async <Reply>(
  options: Omit<Options<Reply>, "handle"> & {
    readonly handle: (exchange: BillingExchange<Reply>) => void | Promise<void>
  }
): Promise<Billing<Reply>> => {
  const billed: Array<Reply> = []
  const fake = await start<Reply>({
    ...options,
    handle: (exchange) =>
      options.handle({
        ...exchange,
        bill: (body, reply) => {
          billed.push(reply)
          exchange.log(200, body, reply)
        }
      })
  })
  return { ...fake, billed }
}

/** A free 127.0.0.1 port: bound, read, released (for a server that starts later). */
export const reservePort = () =>
  new Promise<number>((done, fail) => {
    const server = createNetServer()
    server.once("error", fail)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => done(port))
    })
  })

/** How a run of an agent's CLI (or of the sync CLI next to it) ended. */
export interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly wallMs: number
}

/** Runs `command`, collecting its output; killed (SIGKILL, noted in `stderr`) after `timeoutMs` (default 180 s). */
export const collect = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env: Record<string, string>; readonly timeoutMs?: number }
) =>
  new Promise<Run>((done, fail) => {
    const timeoutMs = options.timeoutMs ?? 180_000
    const started = performance.now()
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    const timer = setTimeout(() => {
      stderr += `\n[e2e] killed after ${timeoutMs} ms\n`
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL")
    }, timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      fail(error)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      done({ code, signal, stdout, stderr, wallMs: Math.round(performance.now() - started) })
    })
  })

/** The JSON lines of an agent's machine-readable output (`--output-format stream-json`, `--format json`). */
export const jsonLines = <Line>(stdout: string): Array<Line> =>
  stdout
    .split("\n")
    .filter((line) => line.trim().startsWith("{"))
    .map((line) => JSON.parse(line) as Line)

/**
 * Makes `project` a git repository with one commit of `file` (`text`), as `home`'s user and without the machine's git
 * configuration; on `branch` when given, else git's default.
 */
export const gitProject = (options: {
  readonly project: string
  readonly home: string
  readonly file: string
  readonly text: string
  readonly branch?: string
}) => {
  writeFileSync(join(options.project, options.file), options.text)
  const git = (...args: ReadonlyArray<string>) =>
    execFileSync("git", ["-c", "user.name=E2E", "-c", "user.email=e2e@example.invalid", ...args], {
      cwd: options.project,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: options.home, GIT_CONFIG_NOSYSTEM: "1" },
      stdio: "ignore"
    })
  git("init", "-q", ...(options.branch === undefined ? [] : ["-b", options.branch]))
  git("add", options.file)
  git("commit", "-q", "-m", "init")
}
