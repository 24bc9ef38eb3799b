/**
 * How claude-code-sync is registered with Claude Code: as a plugin (it registers itself) or through hooks in
 * `settings.json` (`setup` / `uninstall`, for npm installs). What `status`, `verify`, `setup` and `uninstall` say.
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { AccountCommands, Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { agent } from "./Agent.js"
import * as SessionEndBudget from "./SessionEndBudget.js"
import * as Settings from "./Settings.js"

type Env = Readonly<Record<string, string | undefined>>

/** `dist/hook.cjs`, next to the CLI bundle. */
export const hookPath = () => fileURLToPath(new URL("./hook.cjs", import.meta.url))

const hooksLine = (registration: Settings.Registration) => {
  const inSettings = registration.settingsEvents.length > 0
  const plugin = registration.plugins.length > 0
  const count = `${registration.settingsEvents.length} of ${Settings.events.length} events`
  const where = `settings.json (${count}, ${registration.path})`
  if (inSettings && plugin) {
    return (
      `both the plugin (${registration.plugins.join(", ")}) and ${where}: events are recorded twice; ` +
      "run `claude-code-sync uninstall` to keep only the plugin"
    )
  }
  if (plugin) return `plugin ${registration.plugins.join(", ")}`
  if (inSettings) return where
  return "not registered: install the plugin or run `claude-code-sync setup`"
}

const fix = "The hooks are not registered. Install the Claude Code plugin, or run `claude-code-sync setup`."

/** What the SessionStart hook last reported: which hook file ran, from which plugin. */
const lastRun = (paths: Kit.Agent.StatePaths): string => {
  const beat = Kit.Install.heartbeat(paths)
  if (beat === undefined) return "no session has started with these hooks yet (start Claude Code)"
  const root = beat.pluginRoot ? ` (plugin at ${beat.pluginRoot})` : ""
  return `last session started ${AccountCommands.ago(beat.at)} with ${beat.entry}${root}`
}

const inspect = (env: Env, paths: Kit.Agent.StatePaths) => {
  const path = Settings.settingsPath(env)
  return Effect.map(Effect.either(Settings.load(path)), (loaded): Kit.SessionSource.RegistrationStatus => {
    if (Either.isLeft(loaded)) {
      return {
        key: "hooks",
        active: false,
        text: loaded.left.message,
        details: [],
        json: { error: loaded.left.message },
        fix
      }
    }
    const found = Settings.registration(loaded.right, hookPath(), path)
    // Hooks in settings.json whose hook file is gone (the npm package uninstalled, or installed elsewhere since)
    const missing = Kit.HookSettings.missingScripts(
      Kit.HookSettings.positions(loaded.right, (command) => Settings.isOurCommand(command, hookPath()))
    )
    const gone = Kit.HookRegistration.missingText(missing, "claude-code-sync")
    return {
      key: "hooks",
      active: (found.settingsEvents.length > 0 && gone === undefined) || found.plugins.length > 0,
      registered: found.settingsEvents.length > 0 || found.plugins.length > 0,
      text: gone === undefined ? hooksLine(found) : `${hooksLine(found)}, but ${gone}`,
      details: [lastRun(paths), SessionEndBudget.statusLine(loaded.right, env)],
      json: {
        ...found,
        missingScripts: missing,
        sessionEndBudgetMs: SessionEndBudget.budgetOf(loaded.right, env).ms
      },
      fix: gone === undefined ? fix : Kit.HookRegistration.missingFix(path, missing, "claude-code-sync")
    }
  })
}

const asCliError = Effect.mapError(
  (error: { readonly message: string }) => new AccountCommands.CliError({ message: error.message })
)

/** What `setup` says about Claude Code deleting transcripts, and how to keep them longer. */
export const retentionLines = (path: string): ReadonlyArray<string> => {
  const days = Settings.cleanupPeriodDays(path)
  const configured = days === Settings.DEFAULT_CLEANUP_DAYS ? " (the default)" : ""
  return [
    `Claude Code deletes transcripts ${days} days after their last change${configured}: "cleanupPeriodDays" in ${path}.`,
    `To keep them longer, set e.g. "cleanupPeriodDays": 365 there. Sessions not on the server are sent before ` +
      "Claude Code deletes them (`claude-code-sync status` lists them)."
  ]
}

const install = (env: Env) =>
  Effect.gen(function* () {
    const hook = hookPath()
    if (!existsSync(hook))
      return yield* AccountCommands.fail(`Cannot find the hook entry ${hook}. Reinstall claude-code-sync.`)
    const path = Settings.settingsPath(env)
    const existed = existsSync(path)
    const plan = yield* Settings.apply(path, (settings) => Settings.install(settings, hook))
    const registration = yield* Settings.inspect(path, hook)
    const events = plan.added.length > 0 ? plan.added.join(", ") : "no new events"
    const replaced = plan.removed > 0 ? ` (replaced ${plan.removed} old entry/entries)` : ""
    const raised =
      plan.updated.length > 0 ? ` Gave ${plan.updated.join(", ")} a timeout of ${Settings.HOOK_TIMEOUT_S} s.` : ""
    const lines = !Settings.changes(plan)
      ? [`Already set up: ${path} runs ${hook} on every event. Nothing changed.`]
      : [
          `Registered ${hook} for ${events}${replaced} in ${path}.${raised}`,
          `${existed ? `Backup of the previous file: ${path}.bak. ` : ""}Restart Claude Code to pick up the hooks.`
        ]
    if (registration.plugins.length > 0) {
      lines.push(
        `The plugin ${registration.plugins.join(", ")} is enabled too: disable it, or run \`claude-code-sync uninstall\`.`
      )
    }
    lines.push(...retentionLines(path))
    return lines
  }).pipe(asCliError)

const uninstall = (env: Env) =>
  Effect.gen(function* () {
    const path = Settings.settingsPath(env)
    const plan = yield* Settings.apply(path, (settings) => Settings.uninstall(settings, hookPath()))
    return [
      plan.removed === 0
        ? `Nothing to remove: ${path} has no claude-code-sync hooks.`
        : `Removed ${plan.removed} claude-code-sync hook entry/entries from ${path} (backup: ${path}.bak); ` +
          "other settings and hooks are unchanged."
    ]
  }).pipe(asCliError)

/** The registration in the Claude dirs of `env`. */
export const make = (env: Env): Kit.SessionSource.Registration => ({
  inspect: inspect(env, Kit.Agent.paths(agent, env)),
  install: install(env),
  uninstall: uninstall(env)
})
