/**
 * The time Claude Code gives its SessionEnd hooks, raised through the `env` block of `settings.json` for the plugin.
 *
 * Claude Code gives all SessionEnd hooks together the longest `timeout` among them in the settings files, at least
 * 1.5 s, and kills a hook still running after that. The hooks `setup` writes carry a timeout of their own; a plugin's
 * `hooks.json` timeouts are not consulted, so with the plugin the budget is 1.5 s, which a bare `node` start can overrun
 * on a busy machine: the hook dies before it stores the end of the session. `CLAUDE_CODE_SESSIONEND_HOOKS_TIMEOUT_MS`
 * sets the budget whatever registered the hooks. Claude Code waits for the hooks (about 0.1 s), not for the budget.
 *
 * `login` and `setup` add it where it is missing, `uninstall` and `logout` remove it while it holds what was written (the
 * digest is recorded like the telemetry variables'); a value the user set is theirs and left alone.
 */
import { AccountCommands, type Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Settings from "./Settings.js"
import * as Telemetry from "./Telemetry.js"

type Env = Readonly<Record<string, string | undefined>>
type Json = Record<string, unknown>

export const VARIABLE = "CLAUDE_CODE_SESSIONEND_HOOKS_TIMEOUT_MS"
export const VALUE = String(Settings.HOOK_TIMEOUT_S * 1000)
const RECORD = "session-end-budget.json"

export interface AddPlan {
  readonly settings: Json
  readonly changed: boolean
  /** What the plugin wrote, recorded for `uninstall`: nothing when the value is the user's. */
  readonly written: Telemetry.Written
}

/** Adds the variable when it is missing, or updates a value the plugin wrote before; a value the user set stays. */
export const planAdd = (
  settings: Json,
  env: Readonly<Record<string, unknown>>,
  written: Telemetry.Written
): AddPlan => {
  const current = env[VARIABLE]
  const ours = typeof current === "string" && written[VARIABLE] === Telemetry.digest(current)
  const record = { [VARIABLE]: Telemetry.digest(VALUE) }
  if (current === VALUE) return { settings, changed: false, written: ours ? record : {} }
  if (current !== undefined && current !== "" && !ours) return { settings, changed: false, written: {} }
  return { settings: { ...settings, env: { ...env, [VARIABLE]: VALUE } }, changed: true, written: record }
}

const add = (env: Env) =>
  Effect.gen(function* () {
    const path = Settings.settingsPath(env)
    const record = Telemetry.recordPath(env, RECORD)
    const written = Telemetry.readRecord(record).settings[path] ?? {}
    const plan = yield* Settings.update(path, (settings) =>
      Either.map(Telemetry.envOf(settings, path), (block) => planAdd(settings, block, written))
    )
    yield* Telemetry.writeRecord(record, path, plan.written)
    return plan.changed
      ? [
          `SessionEnd hooks: ${Number(VALUE) / 1000} s instead of Claude Code's 1.5 s, so a busy machine does not cut ` +
            `off the hook that records the end of a session (${VARIABLE} in the env block of ${path}).`
        ]
      : []
  })

const remove = (env: Env) =>
  Effect.gen(function* () {
    const path = Settings.settingsPath(env)
    const record = Telemetry.recordPath(env, RECORD)
    const written = Telemetry.readRecord(record).settings[path] ?? {}
    if (Object.keys(written).length === 0) return []
    const plan = yield* Settings.update(path, (settings) =>
      Either.map(Telemetry.envOf(settings, path), (block) => Telemetry.planDisable(settings, block, written))
    )
    yield* Telemetry.writeRecord(record, path, {})
    return plan.removed.length > 0 ? [`SessionEnd hooks: removed ${VARIABLE} from ${path}.`] : []
  })

const asCliError = Effect.mapError(
  (error: { readonly message: string }) => new AccountCommands.CliError({ message: error.message })
)

/** The budget in the Claude dirs of `env`. */
export const make = (env: Env): Kit.SessionSource.HostSettings => ({
  apply: add(env).pipe(asCliError),
  remove: remove(env).pipe(asCliError)
})
