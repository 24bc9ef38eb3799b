/**
 * The real local OpenSync server for the e2e tests: the shared test helper for the usual case, plus a server on a
 * chosen port (started only after the Claude run, to test delivery after an outage) and a typed read of one session.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { binPath, runCli } from "../../../server/test/support/server.js"

export { startServer } from "../../../server/test/support/server.js"

/** A data dir with one API key, made offline (`opensync keys create`), for a server started later. */
export const prepareDataDir = async (): Promise<{ readonly dataDir: string; readonly key: string }> => {
  const dataDir = mkdtempSync(join(tmpdir(), "opensync-e2e-"))
  const created = await runCli(["keys", "create", "--name", "claude-e2e", "--data-dir", dataDir, "--json"])
  if (created.code !== 0) throw new Error(`opensync keys create failed: ${created.stderr}${created.stdout}`)
  const key = (JSON.parse(created.stdout) as { key?: string }).key
  if (key === undefined) throw new Error(`no key in: ${created.stdout}`)
  return { dataDir, key }
}

/** Starts `opensync serve` on 127.0.0.1:`port` with `dataDir`; `stop` ends it by PID and removes the data dir. */
export const startServerAt = async (port: number, dataDir: string) => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("OPENSYNC_")))
  const args = ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir]
  const child = spawn(process.execPath, [binPath, ...args], { env })
  let output = ""
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${output}`)), 20_000)
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      const found = output.match(/listening on (http:\/\/\S+)/)?.[1]
      if (found !== undefined) {
        clearTimeout(timer)
        done(found)
      }
    })
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.on("exit", (code) => {
      clearTimeout(timer)
      fail(new Error(`server exited with ${code}:\n${output}`))
    })
  })
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        const finish = () => {
          rmSync(dataDir, { recursive: true, force: true })
          done()
        }
        if (child.exitCode !== null || child.pid === undefined) return finish()
        child.once("exit", finish)
        process.kill(child.pid, "SIGTERM")
      })
  }
}

// ---------- reading what the server stored ----------

export interface StoredUsage {
  readonly input: number
  readonly output: number
  readonly cacheRead: number
  readonly cacheWrite5m: number
  readonly cacheWrite1h: number
  readonly reasoning: number
}

export interface StoredMessage {
  readonly id: string
  readonly role: string
  readonly text: string
  readonly model: string | null
  readonly agentId: string | null
  readonly createdAt: number
  readonly usage: StoredUsage
  readonly costUsd: number
  readonly costBasis: string
  readonly parts: ReadonlyArray<{ readonly type: string; readonly name?: string; readonly callId?: string }>
}

export interface StoredToolCall {
  readonly id: string
  readonly name: string
  readonly status: string
  readonly startedAt: number
  readonly durationMs: number | null
  readonly agentId: string | null
  readonly input: { readonly summary: string | null; readonly paths: ReadonlyArray<string>; readonly bytes: number }
  readonly output: { readonly bytes: number; readonly exitCode: number | null; readonly error: string | null }
}

export interface StoredSession {
  readonly id: string
  readonly source: string
  readonly title: string | null
  readonly projectPath: string | null
  readonly gitBranch: string | null
  readonly model: string | null
  readonly endReason: string | null
  readonly messageCount: number
  readonly toolCallCount: number
  readonly toolErrorCount: number
  readonly usage: StoredUsage
  readonly totalTokens: number
  readonly costUsd: number
  readonly unpricedMessages: number
}

export interface SessionDetail {
  readonly session: StoredSession
  readonly messages: ReadonlyArray<StoredMessage>
  readonly toolCalls: ReadonlyArray<StoredToolCall>
  readonly children: ReadonlyArray<StoredSession>
}

/** `GET /api/sessions/{id}`: the parsed detail and its raw JSON text, or `undefined` while it is not there (404). */
export const getSession = async (
  server: { readonly url: string; readonly key: string },
  id: string
): Promise<{ readonly detail: SessionDetail; readonly raw: string } | undefined> => {
  const response = await fetch(`${server.url}/api/sessions/${encodeURIComponent(id)}`, {
    headers: { authorization: `Bearer ${server.key}` }
  })
  if (response.status === 404) return undefined
  const raw = await response.text()
  if (!response.ok) throw new Error(`GET /api/sessions/${id}: ${response.status} ${raw}`)
  return { detail: JSON.parse(raw) as SessionDetail, raw }
}
