/**
 * How codex-sync is registered with Codex: command hooks in `$CODEX_HOME/hooks.json` (the user-level hooks file, which
 * every `codex` and `codex exec` reads). Codex runs a new hook only after the user trusted it, so `status` and `verify`
 * also report what `config.toml` records about our handlers, and `setup` says how to trust them.
 */
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Kit } from "@opensync/client"
import { agent, codexHome } from "./Agent.js"
import * as Hooks from "./Hooks.js"
import * as Trust from "./Trust.js"

type Env = Readonly<Record<string, string | undefined>>

/** `dist/hook.cjs`, next to the CLI bundle. */
export const hookPath = () => fileURLToPath(new URL("./hook.cjs", import.meta.url))

/** `$CODEX_HOME/hooks.json`. */
export const hooksFile = (env: Env) => join(codexHome(env), "hooks.json")

/** What `setup` prints after registering: Codex's trust step, which only the user can take. */
export const trustLines = [
  "Codex runs new hooks only after you trust them: start `codex` once and, at “Hooks need review”, choose",
  "“Trust all and continue” (or review them one by one with /hooks). Until then `codex exec` skips them, unless",
  "you run it with --dangerously-bypass-hook-trust. `codex-sync status` shows whether Codex trusts them."
]

/** Whether Codex will run our handlers: trusted in `config.toml`, or seen running (the SessionStart heartbeat). */
const gate =
  (env: Env, paths: Kit.Agent.StatePaths) =>
  (positions: ReadonlyArray<Kit.HookSettings.Position>): Kit.HookRegistration.Gate => {
    const config = Trust.readConfig(join(codexHome(env), "config.toml"))
    const file = hooksFile(env)
    if (Trust.hooksDisabled(config)) {
      return {
        open: false,
        text: `Codex's hooks feature is off in ${join(codexHome(env), "config.toml")}: set [features] hooks = true`
      }
    }
    const trusted = Trust.currentlyTrusted(config, Trust.readStale(Trust.staleTrustFile(paths.stateDir)))
    const count = positions.filter((p) => trusted.has(Trust.trustKey(file, p.event, p.group, p.handler))).length
    if (count === positions.length) return { open: true, text: `trusted in Codex (${count} of ${positions.length})` }
    // (a session started before `setup` last rewrote our handlers ran the old ones: it says nothing of these)
    const beat = Kit.Install.heartbeat(paths)
    const rewrittenAt = Trust.staleSince(Trust.staleTrustFile(paths.stateDir))
    const ran = beat !== undefined && (rewrittenAt === undefined || beat.at > rewrittenAt)
    const untrusted = `${positions.length - count} of ${positions.length} not trusted in Codex yet`
    return ran
      ? {
          open: true,
          text: `${untrusted}; they ran (\`codex exec --dangerously-bypass-hook-trust\`, or trusted since)`
        }
      : {
          open: false,
          text: `${untrusted}: start \`codex\` and choose “Trust all and continue” at “Hooks need review” (or use /hooks)`
        }
  }

/** The registration in the Codex home of `env`. */
export const make = (env: Env): Kit.SessionSource.Registration => {
  const paths = Kit.Agent.paths(agent, env)
  return Kit.HookRegistration.make({
    agent,
    paths,
    hookPath: hookPath(),
    settingsPath: hooksFile(env),
    events: Hooks.events,
    // Codex's hook timeouts are in seconds. It clamps SessionEnd's to 3 s and warns about a longer one at every start
    // (`codex exec` on stderr, the TUI's "⚠ warnings"): 3 there, which the hook keeps to (it only queues).
    handler: (event, command) => ({ type: "command", command, timeout: event === "SessionEnd" ? 3 : 10 }),
    clamped: ["SessionEnd"],
    gate: gate(env, paths),
    afterInstall: trustLines,
    onRewritten: (positions) =>
      Trust.markStale(
        Trust.staleTrustFile(paths.stateDir),
        Trust.readConfig(join(codexHome(env), "config.toml")),
        positions.map((p) => Trust.trustKey(hooksFile(env), p.event, p.group, p.handler))
      )
  })
}
