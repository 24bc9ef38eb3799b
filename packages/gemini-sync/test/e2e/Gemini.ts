/**
 * Runs the real `gemini` CLI (installed by scripts/install-gemini.sh into `.tools/gemini/`) offline against the fake
 * Gemini API, in a throw-away HOME whose `~/.gemini/settings.json` selects API-key auth (with a comment, which
 * `gemini-sync setup` must keep), and the built `gemini-sync` CLI in the same world.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import * as HookAgent from "@opensync/testkit/HookAgent"

export const packageDir = resolve(import.meta.dirname, "../..")
export const cliPath = join(packageDir, "dist/cli.mjs")

export interface GeminiWorld extends HookAgent.World {
  readonly geminiDir: string
  readonly fakeUrl: string
  readonly bin: string
}

/** The user's settings before `setup`: API-key auth, and a comment of theirs. */
export const SETTINGS = `{
  // my Gemini CLI settings
  "security": { "auth": { "selectedType": "gemini-api-key" } }
}
`

export const makeWorld = (fakeUrl: string, bin: string): GeminiWorld => {
  const world = HookAgent.makeWorld("gemini-e2e-", "gemini-sync")
  const geminiDir = join(world.home, ".gemini")
  mkdirSync(geminiDir, { recursive: true })
  writeFileSync(join(geminiDir, "settings.json"), SETTINGS)
  return { ...world, geminiDir, fakeUrl, bin }
}

export type SyncTarget = HookAgent.SyncTarget

const env = (world: GeminiWorld, target: SyncTarget | undefined, extra: Record<string, string> = {}) => ({
  ...HookAgent.baseEnv(world),
  ...(target === undefined ? {} : { GEMINI_SYNC_CONVEX_URL: target.url, GEMINI_SYNC_API_KEY: target.key }),
  ...extra
})

/** `gemini -p` in the project, tools approved (`--yolo`), the workspace trusted, the fake as the API. */
export const runGemini = (world: GeminiWorld, prompt: string, target: SyncTarget | undefined) =>
  HookAgent.collect(world.bin, ["-p", prompt, "--yolo"], {
    cwd: world.project,
    env: env(world, target, {
      GEMINI_API_KEY: "fake-gemini-key",
      GOOGLE_GEMINI_BASE_URL: world.fakeUrl,
      GEMINI_CLI_TRUST_WORKSPACE: "true"
    })
  })

/** The built `gemini-sync` with `args`. */
export const runCli = HookAgent.cliRunner(cliPath, env)

/** The session ids of the chat files Gemini CLI wrote. */
export const sessionIds = (world: GeminiWorld): ReadonlyArray<string> => {
  const tmp = join(world.geminiDir, "tmp")
  const files: Array<string> = []
  for (const project of (() => {
    try {
      return readdirSync(tmp)
    } catch {
      return []
    }
  })()) {
    try {
      for (const name of readdirSync(join(tmp, project, "chats"))) files.push(join(tmp, project, "chats", name))
    } catch {
      // no chats
    }
  }
  return files.map(
    (file) => (JSON.parse(readFileSync(file, "utf8").split("\n")[0] ?? "{}") as { sessionId: string }).sessionId
  )
}
