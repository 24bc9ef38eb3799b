/**
 * The time Claude Code gives its SessionEnd hooks, raised through the `env` block of `settings.json` for the plugin.
 *
 * Claude Code gives all SessionEnd hooks together the longest `timeout` among them in the settings files, at least
 * 1.5 s, and kills a hook still running after that. The hooks `setup` writes carry a timeout of their own; a plugin's
 * `hooks.json` timeouts are not consulted, so with the plugin the budget is 1.5 s, which a bare `node` start can overrun
 * on a busy machine: the hook dies before it stores the end of the session. `CLAUDE_CODE_SESSIONEND_HOOKS_TIMEOUT_MS`
 * sets the budget whatever registered the hooks. Claude Code waits for the hooks (about 0.1 s), not for the budget.
 *
 * `login` and `setup` add it where the hooks in `settings.json` give less than 10 s and nobody set it (never shortening
 * a budget), and take the one they wrote out once the hooks give as long; `uninstall` and `logout` remove it while it
 * holds what was written (the digest is recorded like the telemetry variables'). A value the user set stays theirs.
 */
import { AccountCommands, type Kit } from "@opensync/client"
import { isObject } from "@opensync/client/kit/HookSettings"
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

/**
 * Sets the variable where the budget would otherwise be shorter than 10 s, and only there: a value the user set (in
 * the file, or in the environment the CLI runs in) stays theirs; where the SessionEnd hooks' own timeouts already give
 * 10 s or more (`setup`'s hooks, a user's long hook), the variable would only cap them, so one the plugin wrote goes.
 */
export const planAdd = (
  settings: Json,
  env: Readonly<Record<string, unknown>>,
  written: Telemetry.Written,
  processEnv: Env = {}
): AddPlan => {
  const current = env[VARIABLE]
  const ours = typeof current === "string" && written[VARIABLE] === Telemetry.digest(current)
  const unchanged = { settings, changed: false, written: {} }
  if (current !== undefined && current !== "" && !ours) return unchanged
  // The environment of a CLI started inside Claude Code holds the file's values: only a value the file lacks is the
  // user's own.
  if (current === undefined && (processEnv[VARIABLE] ?? "") !== "") return unchanged
  const { [VARIABLE]: _ours, ...others } = env
  const rest = Object.keys(others).length > 0 ? { ...settings, env: others } : withoutEnv(settings)
  if (budgetOf(rest, {}).ms >= Number(VALUE)) {
    return current === undefined ? unchanged : { settings: rest, changed: true, written: {} }
  }
  const record = { [VARIABLE]: Telemetry.digest(VALUE) }
  if (current === VALUE) return { settings, changed: false, written: record }
  return { settings: { ...settings, env: { ...env, [VARIABLE]: VALUE } }, changed: true, written: record }
}

const withoutEnv = (settings: Json): Json => {
  const { env: _env, ...rest } = settings
  return rest
}

/** Claude Code's SessionEnd budget when nothing raises it, and its ceiling for hook timeouts. */
const DEFAULT_MS = 1_500
const MAX_FROM_HOOKS_MS = 60_000

/**
 * The time Claude Code gives SessionEnd hooks as `settings` (the user's settings.json) and the CLI's environment set
 * it: the variable when set, else the longest SessionEnd hook timeout (clamped to 1.5–60 s), else 1.5 s.
 */
export const budgetOf = (settings: Json, processEnv: Env): { readonly ms: number; readonly from: string } => {
  const block = isObject(settings.env) ? settings.env : {}
  for (const [value, where] of [
    [block[VARIABLE], "settings.json"],
    [processEnv[VARIABLE], "your environment"]
  ] as const) {
    const ms = typeof value === "string" ? Number(value) : Number.NaN
    if (Number.isFinite(ms) && ms > 0) return { ms, from: `${VARIABLE} in ${where}` }
  }
  const groups = isObject(settings.hooks) && Array.isArray(settings.hooks.SessionEnd) ? settings.hooks.SessionEnd : []
  const timeouts = groups.flatMap((group) =>
    isObject(group) && Array.isArray(group.hooks)
      ? group.hooks.flatMap((hook) => (isObject(hook) && typeof hook.timeout === "number" ? [hook.timeout] : []))
      : []
  )
  if (timeouts.length === 0) return { ms: DEFAULT_MS, from: "Claude Code's default" }
  const ms = Math.min(MAX_FROM_HOOKS_MS, Math.max(DEFAULT_MS, Math.max(...timeouts) * 1000))
  return { ms, from: "the SessionEnd hook timeouts in settings.json" }
}

/** What `status` says of the budget; below 5 s, how to raise it. */
export const statusLine = (settings: Json, processEnv: Env): string => {
  const { ms, from } = budgetOf(settings, processEnv)
  const text = `SessionEnd hooks get ${ms / 1000} s (${from})`
  return ms >= 5_000
    ? text
    : `${text}: on a busy machine the hook that records a session's end can be cut off; ` +
        "`claude-code-sync login` or `setup` gives them 10 s"
}

const add = (env: Env) =>
  Effect.gen(function* () {
    const path = Settings.settingsPath(env)
    const record = Telemetry.recordPath(env, RECORD)
    const written = Telemetry.readRecord(record).settings[path] ?? {}
    const plan = yield* Settings.update(path, (settings) =>
      Either.map(Telemetry.envOf(settings, path), (block) => planAdd(settings, block, written, env))
    )
    yield* Telemetry.writeRecord(record, path, plan.written)
    if (!plan.changed) return []
    return Object.keys(plan.written).length > 0
      ? [
          `SessionEnd hooks: ${Number(VALUE) / 1000} s instead of Claude Code's 1.5 s, so a busy machine does not cut ` +
            `off the hook that records the end of a session (${VARIABLE} in the env block of ${path}).`
        ]
      : [`SessionEnd hooks: removed ${VARIABLE} from ${path}; their own timeouts give them as long.`]
  }).pipe(
    // Secondary to the command that runs it (login, setup): a settings file it cannot edit is said, not fatal.
    Effect.catchAll((error) =>
      Effect.succeed([
        `SessionEnd hooks: left as they are (${error.message}); \`claude-code-sync status\` says how long.`
      ])
    )
  )

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
  apply: add(env),
  remove: remove(env).pipe(asCliError)
})
