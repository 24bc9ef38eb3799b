/**
 * A real server for a suite's tests: started before them, stopped after them, with the temporary HOMEs the tests made
 * removed then.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "@effect/vitest"
import { type RunningServer, startServer } from "./Server.js"

/**
 * The environment a plugin's CLI or hook runs in, alone, in a temporary `home`: configured for `server` by its settings'
 * `prefix` (`CODEX_SYNC`), with no background sync started (the test runs the sync itself).
 */
export const agentEnv = (home: string, prefix: string, server: RunningServer): Record<string, string> => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: home,
  XDG_CONFIG_HOME: join(home, ".config"),
  XDG_CACHE_HOME: join(home, ".cache"),
  [`${prefix}_CONVEX_URL`]: server.url,
  [`${prefix}_API_KEY`]: server.key,
  [`${prefix}_AUTO_SYNC`]: "0"
})

export const serverForSuite = (homePrefix: string) => {
  let server: RunningServer | undefined
  const homes: Array<string> = []
  beforeAll(async () => {
    server = await startServer()
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    for (const home of homes) rmSync(home, { recursive: true, force: true })
  })
  return {
    /** The suite's server (once `beforeAll` ran). */
    server: (): RunningServer => {
      if (server === undefined) throw new Error("the suite's server is not started yet")
      return server
    },
    /** A fresh temporary HOME, removed after the suite. */
    home: (): string => {
      const home = mkdtempSync(join(tmpdir(), homePrefix))
      homes.push(home)
      return home
    }
  }
}
