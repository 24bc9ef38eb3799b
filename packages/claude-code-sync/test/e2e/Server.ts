/**
 * The real local OpenSync server for the e2e tests: the shared test helper for the usual case, plus a server on a
 * chosen port (started only after the Claude run, to test delivery after an outage) and a typed read of one session.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { binPath, runCli } from "@opensync/testkit/Server"

export type { StoredDetail as SessionDetail } from "@opensync/testkit/Server"
export * from "@opensync/testkit/Server"

const createKey = async (dataDir: string, name: string, scope: "ingest" | "full") => {
  const created = await runCli(["keys", "create", "--name", name, "--scope", scope, "--data-dir", dataDir, "--json"])
  if (created.code !== 0) throw new Error(`opensync keys create failed: ${created.stderr}${created.stdout}`)
  const key = (JSON.parse(created.stdout) as { key?: string }).key
  if (key === undefined) throw new Error(`no key in: ${created.stdout}`)
  return key
}

/**
 * A data dir made offline (`opensync keys create`) for a server started later, with the plugin's key (the `ingest`
 * scope the docs tell users to give plugins) and a `full` key to read what arrived.
 */
export const prepareDataDir = async (): Promise<{
  readonly dataDir: string
  readonly key: string
  readonly readerKey: string
}> => {
  const dataDir = mkdtempSync(join(tmpdir(), "opensync-e2e-"))
  return {
    dataDir,
    key: await createKey(dataDir, "claude-e2e", "ingest"),
    readerKey: await createKey(dataDir, "reader", "full")
  }
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
