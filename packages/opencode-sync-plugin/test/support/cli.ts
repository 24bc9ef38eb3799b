/** Runs the built `opencode-sync` CLI (dist/cli.mjs) the way a user would, in a throw-away HOME. */
import { spawn } from "node:child_process"
import { join } from "node:path"

export const cli = join(import.meta.dirname, "../../dist/cli.mjs")

/** `opencode-sync <args>` in `home` (also its working directory), with nothing of the test's environment but PATH. */
export const run = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: home,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: join(home, ".config"), ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("close", (code) => done({ code, stdout, stderr }))
  })
