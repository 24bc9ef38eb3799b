/**
 * The registration of an agent whose plugin is a command hook listed in one JSON settings file (Codex's `hooks.json`,
 * Gemini CLI's `settings.json`): `setup` adds `node "<hook>" <Event>` for each event (replacing our entries from an
 * older install path), `uninstall` removes only ours, `status`/`verify` say which events are wired, whether the
 * agent's own gate lets them run (Codex asks the user to trust new hooks) and when a session last started with them.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as AccountCommands from "../AccountCommands.js"
import type { Agent, StatePaths } from "./Agent.js"
import * as HookSettings from "./HookSettings.js"
import * as Install from "./Install.js"
import type { Registration, RegistrationStatus } from "./SessionSource.js"

/** How the settings file is read and edited (plain JSON by default; `JsoncFile` for files with comments). */
export interface SettingsFile {
  readonly load: (path: string) => Effect.Effect<HookSettings.Json, HookSettings.SettingsInvalid>
  readonly apply: (
    path: string,
    plan: (settings: HookSettings.Json) => HookSettings.Plan
  ) => Effect.Effect<HookSettings.Plan, HookSettings.SettingsInvalid | HookSettings.SettingsWriteFailed>
}

/** What an agent's own gate says about our registered handlers (Codex: trusted or not). */
export interface Gate {
  /** Whether the agent runs them. */
  readonly open: boolean
  /** One line for `status` and `verify`. */
  readonly text: string
}

export interface Options {
  readonly agent: Agent
  readonly paths: StatePaths
  /** The hook bundle (`dist/hook.cjs` next to the CLI). */
  readonly hookPath: string
  /** The settings file the hooks go in. */
  readonly settingsPath: string
  readonly events: ReadonlyArray<string>
  /** The handler registered for one event (`{type: "command", command, timeout}` in the agent's units). */
  readonly handler: (event: string, command: string) => HookSettings.Json
  /**
   * Events whose handler's timeout is the longest the agent honours (it clamps a longer one): a longer one in the file
   * is lowered to it (`HookSettings.Spec`'s `ceiling`).
   */
  readonly clamped?: ReadonlyArray<string>
  readonly file?: SettingsFile
  /** The agent's own gate, given where our handlers sit in the file. */
  readonly gate?: (positions: ReadonlyArray<HookSettings.Position>) => Gate
  /** Printed after `setup` registered the hooks (what the user still has to do). */
  readonly afterInstall: ReadonlyArray<string>
  /**
   * Called after `setup` changed the file, with our handlers it wrote where another handler was (a new command path,
   * another timeout): an agent that trusts a handler by its content (Codex) no longer trusts those.
   */
  readonly onRewritten?: (positions: ReadonlyArray<HookSettings.Position>) => void
}

/** The handler entry at `position` of `settings`, as JSON text (undefined when there is none). */
const entryAt = (settings: HookSettings.Json, position: HookSettings.Position): string | undefined => {
  const hooks = settings.hooks as Record<string, unknown> | undefined
  const groups = hooks?.[position.event]
  const group = Array.isArray(groups) ? (groups[position.group] as { hooks?: unknown } | undefined) : undefined
  const entry = Array.isArray(group?.hooks) ? group.hooks[position.handler] : undefined
  return entry === undefined ? undefined : JSON.stringify(entry)
}

/** The settings files `setup` created (they did not exist), so that `uninstall` removes them again when left empty. */
const createdFile = (paths: StatePaths) => join(paths.stateDir, "settings-created.json")

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

const createdList = (paths: StatePaths): ReadonlyArray<string> => {
  try {
    const list = JSON.parse(readFileSync(createdFile(paths), "utf8")) as unknown
    return Array.isArray(list) ? list.filter((item): item is string => typeof item === "string") : []
  } catch {
    return []
  }
}

const writeCreated = (paths: StatePaths, list: ReadonlyArray<string>) => {
  try {
    mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 })
    writeFileSync(createdFile(paths), JSON.stringify(list), { mode: 0o600 })
  } catch {
    // Without it, `uninstall` leaves the emptied file: nothing is lost
  }
}

const rememberCreated = (paths: StatePaths, file: string) =>
  writeCreated(paths, [...createdList(paths).filter((item) => item !== file), file])
const forgetCreated = (paths: StatePaths, file: string) =>
  writeCreated(
    paths,
    createdList(paths).filter((item) => item !== file)
  )
const createdBySetup = (paths: StatePaths, file: string) => createdList(paths).includes(file)

/** A settings object with nothing left in it (`{}`, or only an empty `hooks`). */
const isEmpty = (settings: HookSettings.Json): boolean => {
  const keys = Object.keys(settings)
  const hooks = settings.hooks
  return (
    keys.every((key) => key === "hooks") &&
    (hooks === undefined || (HookSettings.isObject(hooks) && Object.keys(hooks).length === 0))
  )
}

/** The command registered for one event. */
export const hookCommand = (hookPath: string, event: string): string => `node "${hookPath}" ${event}`

/**
 * True for a command an install of `cli` registered: the hook bundle at `hookPath`, the same package's bundle at
 * another install path, or the `<cli>-hook` executable.
 */
export const isOurCommand = (command: string, hookPath: string, packageName: string, cli: string): boolean => {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  return (
    command.includes(hookPath) ||
    new RegExp(`${escape(packageName)}[\\\\/]dist[\\\\/]hook\\.[cm]?js`).test(command) ||
    new RegExp(`(^|[\\s"'/\\\\])${escape(cli)}-hook(\\.[cm]js)?["']?(\\s|$)`).test(command)
  )
}

const plainJson: SettingsFile = { load: HookSettings.load, apply: HookSettings.apply }

const asCliError = Effect.mapError(
  (error: { readonly message: string }) => new AccountCommands.CliError({ message: error.message })
)

/**
 * What `status` says of registered hooks whose script is not there (`HookSettings.missingScripts`), or undefined when
 * every script is.
 */
export const missingText = (missing: ReadonlyArray<string>, cli: string): string | undefined =>
  missing.length === 0
    ? undefined
    : `the hook file they run is not there (${missing.join(", ")}; uninstalled or moved): every hook fails; ` +
      `run \`${cli} setup\` again`

/** What to do about hooks in `settingsPath` whose script is not there (`missing`, not empty). */
export const missingFix = (settingsPath: string, missing: ReadonlyArray<string>, cli: string): string =>
  `The hooks in ${settingsPath} run ${missing[0]}, which is not there: run \`${cli} setup\` again.`

/** The registration of `options.agent`'s hooks in `options.settingsPath`. */
export const make = (options: Options): Registration => {
  const { agent, hookPath, settingsPath } = options
  const { cli, npmPackage, label } = agent.source
  const file = options.file ?? plainJson
  const isOurs = (command: string) => isOurCommand(command, hookPath, npmPackage, cli)
  const spec: HookSettings.Spec = {
    entries: options.events.map((event) => {
      const handler = options.handler(event, hookCommand(hookPath, event))
      const ceiling = options.clamped?.includes(event) === true ? handler.timeout : undefined
      return { event, handler, ...(typeof ceiling === "number" ? { ceiling } : {}) }
    }),
    isOurs
  }
  const fix =
    `The hooks are not registered in ${settingsPath}: run \`${cli} setup\`` +
    (options.gate === undefined ? "." : `, then let ${label} run them (see \`${cli} status\`).`)

  const lastRun = (): string => {
    const beat = Install.heartbeat(options.paths)
    if (beat === undefined) return `no session has started with these hooks yet (start ${label})`
    return `last session started ${AccountCommands.ago(beat.at)} with ${beat.entry}`
  }

  const inspect = Effect.map(Effect.either(file.load(settingsPath)), (loaded): RegistrationStatus => {
    if (Either.isLeft(loaded)) {
      const message = loaded.left.message
      return { key: "hooks", active: false, text: message, details: [], json: { error: message }, fix }
    }
    const positions = HookSettings.positions(loaded.right, isOurs)
    const events = [...new Set(positions.map((position) => position.event))]
    const complete = options.events.every((event) => events.includes(event))
    const gate = positions.length > 0 ? options.gate?.(positions) : undefined
    const missing = HookSettings.missingScripts(positions)
    const count = `${events.length} of ${options.events.length} events`
    const gone = missingText(missing, cli)
    const text =
      events.length === 0
        ? `not registered: run \`${cli} setup\``
        : gone !== undefined
          ? `${settingsPath} (${count}), but ${gone}`
          : `${settingsPath} (${count}${complete ? "" : `; run \`${cli} setup\` to add the others`})`
    return {
      key: "hooks",
      active: events.length > 0 && (gate?.open ?? true) && gone === undefined,
      registered: events.length > 0,
      text,
      details: [...(gate === undefined ? [] : [gate.text]), lastRun()],
      json: { path: settingsPath, events, positions, gate: gate ?? null, missingScripts: missing },
      fix:
        gone !== undefined
          ? missingFix(settingsPath, missing, cli)
          : events.length > 0 && gate !== undefined && !gate.open
            ? gate.text
            : fix
    }
  })

  const install = Effect.gen(function* () {
    if (!existsSync(hookPath))
      return yield* AccountCommands.fail(`Cannot find the hook entry ${hookPath}. Reinstall ${npmPackage}.`)
    const existed = existsSync(settingsPath)
    const before = existed ? yield* Effect.either(file.load(settingsPath)) : undefined
    const plan = yield* file.apply(settingsPath, (settings) => HookSettings.install(settings, spec)).pipe(asCliError)
    if (!existed && HookSettings.changes(plan)) rememberCreated(options.paths, settingsPath)
    if (
      options.onRewritten !== undefined &&
      before !== undefined &&
      Either.isRight(before) &&
      HookSettings.changes(plan)
    ) {
      const after = yield* Effect.either(file.load(settingsPath))
      if (Either.isRight(after)) {
        const rewritten = HookSettings.positions(after.right, isOurs).filter((position) => {
          const previous = entryAt(before.right, position)
          return previous !== undefined && previous !== entryAt(after.right, position)
        })
        if (rewritten.length > 0) options.onRewritten(rewritten)
      }
    }
    const replaced = plan.removed > 0 ? ` (replaced ${plan.removed} entry/entries from another install path)` : ""
    if (!HookSettings.changes(plan)) {
      return [`Already set up: ${settingsPath} runs ${hookPath} on ${options.events.join(", ")}. Nothing changed.`]
    }
    return [
      `Registered ${hookPath} for ${plan.added.length > 0 ? plan.added.join(", ") : "every event"}${replaced} in ${settingsPath}.` +
        (plan.updated.length > 0 ? ` Set the timeout of ${plan.updated.join(", ")} to ours.` : ""),
      ...(existed ? [`Backup of the previous file: ${settingsPath}.bak.`] : []),
      ...options.afterInstall
    ]
  })

  const uninstall = Effect.gen(function* () {
    const before = readText(settingsPath)
    const plan = yield* file
      .apply(settingsPath, (settings) => HookSettings.uninstall(settings, isOurs))
      .pipe(asCliError)
    // A file `setup` created, left with nothing in it: removed, as it was before `setup` (and the backup of our hooks
    // the edit just made with it)
    const left = yield* Effect.either(file.load(settingsPath))
    if (
      plan.removed > 0 &&
      createdBySetup(options.paths, settingsPath) &&
      Either.isRight(left) &&
      isEmpty(left.right)
    ) {
      rmSync(settingsPath, { force: true })
      if (before !== undefined && readText(`${settingsPath}.bak`) === before)
        rmSync(`${settingsPath}.bak`, { force: true })
      forgetCreated(options.paths, settingsPath)
      return [`Removed ${settingsPath}: \`${cli} setup\` had created it, and nothing else is in it.`]
    }
    return [
      plan.removed === 0
        ? `Nothing to remove: ${settingsPath} has no ${npmPackage} hooks.`
        : `Removed ${plan.removed} ${npmPackage} hook entry/entries from ${settingsPath} (backup: ${settingsPath}.bak); ` +
          "other settings and hooks are unchanged."
    ]
  })

  return { inspect, install, uninstall }
}
