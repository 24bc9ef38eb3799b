/**
 * Runs the real `codex` CLI (installed by scripts/install-codex.sh into `.tools/codex/`) offline against the fake
 * Responses API, in a throw-away HOME whose `$CODEX_HOME/config.toml` declares the fake as the model provider, and the
 * built `codex-sync` CLI in the same world.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import * as HookAgent from "@opensync/testkit/HookAgent"

export const packageDir = resolve(import.meta.dirname, "../..")
export const cliPath = join(packageDir, "dist/cli.mjs")
export const hookPath = join(packageDir, "dist/hook.cjs")

export interface CodexWorld extends HookAgent.World {
  readonly codexHome: string
  readonly bin: string
}

/** A world whose Codex talks to the fake at `fakeUrl`. */
export const makeWorld = (fakeUrl: string, bin: string): CodexWorld => {
  const world = HookAgent.makeWorld("codex-e2e-", "codex-sync")
  const codexHome = join(world.home, ".codex")
  mkdirSync(codexHome, { recursive: true })
  writeFileSync(
    join(codexHome, "config.toml"),
    [
      'model = "gpt-5.5"',
      'model_provider = "fake"',
      "",
      "[model_providers.fake]",
      'name = "Fake"',
      `base_url = "${fakeUrl}/v1"`,
      'env_key = "FAKE_API_KEY"',
      'wire_api = "responses"',
      ""
    ].join("\n")
  )
  return { ...world, codexHome, bin }
}

/** Where codex-sync sends: a server URL and key, given through the environment (`CODEX_SYNC_*`). */
export type SyncTarget = HookAgent.SyncTarget

const env = (world: CodexWorld, target: SyncTarget | undefined, extra: Record<string, string> = {}) => ({
  ...HookAgent.baseEnv(world),
  CODEX_HOME: world.codexHome,
  ...(target === undefined ? {} : { CODEX_SYNC_CONVEX_URL: target.url, CODEX_SYNC_API_KEY: target.key }),
  ...extra
})

/**
 * `codex exec` in the project. The hooks run untrusted with `--dangerously-bypass-hook-trust` (a person trusts them
 * once in the TUI); `--sandbox workspace-write` lets apply_patch write.
 */
export const runCodex = (world: CodexWorld, prompt: string, target: SyncTarget | undefined) =>
  HookAgent.collect(
    world.bin,
    ["exec", "--dangerously-bypass-hook-trust", "--skip-git-repo-check", "--sandbox", "workspace-write", prompt],
    { cwd: world.project, env: env(world, target, { FAKE_API_KEY: "sk-fake-dummy" }) }
  )

/** The built `codex-sync` with `args`. */
export const runCli = HookAgent.cliRunner(cliPath, env)

/** The session id `codex exec` printed (`session id: …` on stderr). */
export const sessionIdOf = (stderr: string): string | undefined => /session id: ([0-9a-f-]{36})/.exec(stderr)?.[1]
