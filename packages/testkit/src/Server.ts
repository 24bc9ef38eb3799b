import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import type { Api } from "@opensync/domain"

/** A real `opensync serve` process on an ephemeral 127.0.0.1 port, with its own data dir. */
export interface RunningServer {
  readonly url: string
  /** Everything the server printed so far (stdout and stderr). */
  readonly output: () => string
  /** The key printed on first start, owned by the local user. */
  readonly key: string
  readonly dataDir: string
  readonly process: ChildProcess
  /** Runs `opensync <args>` against the same data dir and returns its stdout. */
  readonly cli: (args: ReadonlyArray<string>) => Promise<string>
  readonly stop: () => Promise<void>
}

export const binPath = resolve(__dirname, "../../server/dist/opensync.mjs")

/** What a command printed, and how it exited. */
export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `node <args>` in `env` alone, with `stdin`; what it printed. */
export const runNode = (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined>,
  stdin = ""
): Promise<Ran> =>
  new Promise<Ran>((done) => {
    const child = spawn(process.execPath, args, { env })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => done({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })

export const runCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  runNode([binPath, ...args], { ...process.env, ...env })

export interface StartOptions {
  /** The data dir (default: a fresh temporary one, removed on stop). */
  readonly dataDir?: string
  /** More environment for the server. */
  readonly env?: Record<string, string>
  /** More `serve` arguments. */
  readonly args?: ReadonlyArray<string>
  /** A command the server runs under (e.g. a wrapper that mounts its data dir); it gets `node opensync.mjs …`. */
  readonly wrapper?: ReadonlyArray<string>
}

/** Starts a server on a fresh data dir (or the given one) and waits until it prints its URL. */
export const startServer = async (options: StartOptions = {}): Promise<RunningServer> => {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "opensync-test-"))
  const command = [
    ...(options.wrapper ?? []),
    process.execPath,
    binPath,
    "serve",
    "--port",
    "0",
    "--data-dir",
    dataDir,
    ...(options.args ?? [])
  ]
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, OPENSYNC_PORT: "", OPENSYNC_DATA_DIR: "", ...options.env }
  })
  let output = ""
  const { url, key } = await new Promise<{ url: string; key: string }>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${output}`)), 20_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const url = output.match(/listening on (http:\/\/\S+)/)?.[1]
      if (url !== undefined) {
        clearTimeout(timer)
        done({ url, key: output.match(/osk_[0-9A-Za-z]+/)?.[0] ?? "" })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.on("exit", (code) => fail(new Error(`server exited with ${code}:\n${output}`)))
  })
  return {
    url,
    key,
    dataDir,
    output: () => output,
    process: child,
    cli: async (args) => {
      const result = await runCli([...args, "--data-dir", dataDir])
      if (result.code !== 0)
        throw new Error(`opensync ${args.join(" ")} failed (${result.code}): ${result.stderr}${result.stdout}`)
      return result.stdout
    },
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done()
        child.once("exit", () => {
          if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
          done()
        })
        child.kill("SIGTERM")
      })
  }
}

/** A session as `GET /api/sessions/{id}` answers it: the contract's own type, as JSON. */
export type StoredDetail = typeof Api.SessionDetail.Encoded
export type StoredSession = StoredDetail["session"]
export type StoredMessage = StoredDetail["messages"][number]
export type StoredToolCall = StoredDetail["toolCalls"][number]
export type StoredUsage = StoredSession["usage"]

/**
 * A GET on a connection of its own (closed after the answer). `fetch` reuses a pooled keep-alive connection, and after a
 * test held the event loop for longer than the server keeps an idle connection (a `spawnSync` of a CLI, a few seconds
 * under load), the close had not been seen yet: the request went out on the closed connection and failed with "other
 * side closed" (a CI run, FullDisk.test.ts).
 */
export const getOnce = (
  url: string,
  headers: Readonly<Record<string, string>>
): Promise<{ readonly status: number; readonly text: string }> =>
  new Promise((resolveAnswer, reject) => {
    const client = url.startsWith("https:") ? https : http
    const request = client.get(url, { headers, agent: false }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () =>
        resolveAnswer({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") })
      )
      response.on("error", reject)
    })
    request.on("error", reject)
  })

/** `GET /api/sessions/{id}`: the parsed detail and its raw JSON text, or `undefined` while it is not there (404). */
export const getSession = async (
  server: { readonly url: string; readonly key: string },
  id: string
): Promise<{ readonly detail: StoredDetail; readonly raw: string } | undefined> => {
  const response = await getOnce(`${server.url}/api/sessions/${encodeURIComponent(id)}`, {
    authorization: `Bearer ${server.key}`
  })
  if (response.status === 404) return undefined
  const raw = response.text
  if (response.status < 200 || response.status >= 300)
    throw new Error(`GET /api/sessions/${id}: ${response.status} ${raw}`)
  return { detail: JSON.parse(raw) as StoredDetail, raw }
}

/** Calls `check` every `intervalMs` until it returns a value or `timeoutMs` passes (then returns `undefined`). */
export const pollFor = async <A>(
  check: () => Promise<A | undefined>,
  timeoutMs: number,
  intervalMs = 250
): Promise<A | undefined> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined || Date.now() >= deadline) return value
    await new Promise((done) => setTimeout(done, intervalMs))
  }
}
