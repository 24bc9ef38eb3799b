/**
 * Hook registration in Claude Code's `settings.json`, for npm installs (the plugin registers itself). Pure functions
 * plan the change on the parsed file; `apply` reads, plans and writes it back atomically with a backup.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { claudeDirs } from "./Agent.js"

type Env = Readonly<Record<string, string | undefined>>
type Json = Record<string, unknown>

/** The hook events the sync listens to. */
export const events = [
  "SessionStart",
  "UserPromptSubmit",
  "PostToolUse",
  "PostToolUseFailure",
  "Stop",
  "SubagentStop",
  "PreCompact",
  "SessionEnd"
] as const

/** `settings.json` cannot be read or has a shape we cannot edit safely; the file is left as it was. */
export class SettingsInvalid extends Data.TaggedError("SettingsInvalid")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `${this.path} ${this.reason}. It was not changed; fix it by hand, then run this command again.`
  }
}

/** `settings.json` (or its backup) could not be written. */
export class SettingsWriteFailed extends Data.TaggedError("SettingsWriteFailed")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Could not write ${this.path}: ${this.reason}. Check the permissions of the directory.`
  }
}

/** The user's Claude Code settings: `$CLAUDE_CONFIG_DIR/settings.json`, else `~/.claude/settings.json`. */
export const settingsPath = (env: Env = process.env): string => join(claudeDirs(env)[0] ?? ".claude", "settings.json")

/** Claude Code's default `cleanupPeriodDays`: transcripts older than this are deleted when Claude Code starts. */
export const DEFAULT_CLEANUP_DAYS = 30

/** How many days Claude Code keeps transcripts, from the settings file at `path` (a missing or odd value: the default). */
export const cleanupPeriodDays = (path: string): number => {
  try {
    const value = (JSON.parse(readFileSync(path, "utf8")) as { cleanupPeriodDays?: unknown }).cleanupPeriodDays
    return typeof value === "number" && Number.isFinite(value) && value >= 1 ? value : DEFAULT_CLEANUP_DAYS
  } catch {
    return DEFAULT_CLEANUP_DAYS
  }
}

/** The command registered for one event. */
export const hookCommand = (hookPath: string, event: string): string => `node "${hookPath}" ${event}`

/** True for a command this tool registered: our hook bundle (any install location) or the `claude-code-sync-hook` bin. */
export const isOurCommand = (command: string, hookPath: string): boolean =>
  command.includes(hookPath) ||
  /claude-code-sync[\\/]dist[\\/]hook\.[cm]js/.test(command) ||
  /(^|[\s"'/\\])claude-code-sync-hook(\.[cm]js)?["']?(\s|$)/.test(command) ||
  /(^|[\s"'/\\])claude-code-sync["']?\s+hook\s/.test(command)

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

const commandOf = (entry: unknown): string | undefined =>
  isObject(entry) && typeof entry.command === "string" ? entry.command : undefined

/** Parses the text of `settings.json`; an empty file is an empty object. */
export const parse = (text: string, path: string): Either.Either<Json, SettingsInvalid> => {
  if (text.trim() === "") return Either.right({})
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    return Either.left(new SettingsInvalid({ path, reason: `is not valid JSON (${(cause as Error).message})` }))
  }
  if (!isObject(value)) return Either.left(new SettingsInvalid({ path, reason: "is not a JSON object" }))
  if (value.hooks !== undefined && !isObject(value.hooks)) {
    return Either.left(new SettingsInvalid({ path, reason: 'has a "hooks" value that is not an object' }))
  }
  for (const [event, groups] of Object.entries((value.hooks as Json | undefined) ?? {})) {
    if (!Array.isArray(groups)) {
      return Either.left(new SettingsInvalid({ path, reason: `has a "hooks.${event}" value that is not an array` }))
    }
  }
  return Either.right(value)
}

/** The settings after a change, and what changed. */
export interface Plan {
  readonly settings: Json
  readonly added: ReadonlyArray<string>
  readonly removed: number
}

/** Removes our entries matching `drop` from one event's groups; groups left empty by the removal go too. */
const without = (groups: ReadonlyArray<unknown>, drop: (command: string) => boolean) => {
  let removed = 0
  const kept: Array<unknown> = []
  for (const group of groups) {
    if (!isObject(group) || !Array.isArray(group.hooks)) {
      kept.push(group)
      continue
    }
    const entries = group.hooks.filter((entry) => {
      const command = commandOf(entry)
      return command === undefined || !drop(command)
    })
    if (entries.length === group.hooks.length) kept.push(group)
    else {
      removed += group.hooks.length - entries.length
      if (entries.length > 0) kept.push({ ...group, hooks: entries })
    }
  }
  return { groups: kept, removed }
}

/** Adds our command for each event where it is absent, replacing our stale entries (an older install path). */
export const install = (settings: Json, hookPath: string): Plan => {
  const hooks: Json = { ...((settings.hooks as Json | undefined) ?? {}) }
  const added: Array<string> = []
  let removed = 0
  for (const event of events) {
    const command = hookCommand(hookPath, event)
    const current = (hooks[event] as ReadonlyArray<unknown> | undefined) ?? []
    const cleaned = without(current, (other) => other !== command && isOurCommand(other, hookPath))
    const present = cleaned.groups.some(
      (group) => isObject(group) && Array.isArray(group.hooks) && group.hooks.some((e) => commandOf(e) === command)
    )
    removed += cleaned.removed
    if (present) {
      if (cleaned.removed > 0) hooks[event] = cleaned.groups
      continue
    }
    const entry = event === "SessionEnd" ? { type: "command", command } : { type: "command", command, timeout: 10 }
    hooks[event] = [...cleaned.groups, { hooks: [entry] }]
    added.push(event)
  }
  if (added.length === 0 && removed === 0) return { settings, added, removed }
  return { settings: { ...settings, hooks }, added, removed }
}

/** Removes only our entries; groups, events and the `hooks` key emptied by that removal are removed too. */
export const uninstall = (settings: Json, hookPath: string): Plan => {
  if (!isObject(settings.hooks)) return { settings, added: [], removed: 0 }
  const hooks: Json = {}
  let removed = 0
  for (const [event, groups] of Object.entries(settings.hooks)) {
    const cleaned = without(groups as ReadonlyArray<unknown>, (command) => isOurCommand(command, hookPath))
    removed += cleaned.removed
    if (cleaned.removed === 0) hooks[event] = groups
    else if (cleaned.groups.length > 0) hooks[event] = cleaned.groups
  }
  if (removed === 0) return { settings, added: [], removed }
  const { hooks: _hooks, ...rest } = settings
  return { settings: Object.keys(hooks).length > 0 ? { ...settings, hooks } : rest, added: [], removed }
}

/** Where the sync's hooks are registered: events wired in settings.json, and enabled `claude-code-sync@…` plugins. */
export interface Registration {
  readonly path: string
  readonly settingsEvents: ReadonlyArray<string>
  readonly plugins: ReadonlyArray<string>
}

/** Reads which events settings.json wires to us and whether the plugin is enabled. */
export const registration = (settings: Json, hookPath: string, path: string): Registration => {
  const hooks = isObject(settings.hooks) ? settings.hooks : {}
  const settingsEvents = Object.entries(hooks)
    .filter(([, groups]) =>
      (Array.isArray(groups) ? groups : []).some(
        (group) =>
          isObject(group) &&
          Array.isArray(group.hooks) &&
          group.hooks.some((entry) => {
            const command = commandOf(entry)
            return command !== undefined && isOurCommand(command, hookPath)
          })
      )
    )
    .map(([event]) => event)
  const enabled = isObject(settings.enabledPlugins) ? settings.enabledPlugins : {}
  const plugins = Object.entries(enabled)
    .filter(([id, on]) => id.startsWith("claude-code-sync@") && on === true)
    .map(([id]) => id)
  return { path, settingsEvents, plugins }
}

/** The text written back: two-space JSON with a final newline. */
export const render = (settings: Json): string => `${JSON.stringify(settings, null, 2)}\n`

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const read = (path: string) =>
  Effect.gen(function* () {
    let text: string | undefined
    try {
      text = readFileSync(path, "utf8")
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "ENOENT") {
        return yield* new SettingsInvalid({ path, reason: `cannot be read (${describe(cause)})` })
      }
    }
    return { exists: text !== undefined, settings: yield* parse(text ?? "", path) }
  })

/** The registration state of the settings file at `path` (missing file: nothing registered). */
export const inspect = (path: string, hookPath: string) =>
  Effect.map(read(path), ({ settings }) => registration(settings, hookPath, path))

const write = (path: string, exists: boolean, settings: Json) =>
  Effect.try({
    try: () => {
      mkdirSync(dirname(path), { recursive: true })
      const mode = exists ? statSync(path).mode & 0o777 : 0o600
      if (exists) copyFileSync(path, `${path}.bak`)
      const temp = `${path}.${process.pid}.${Date.now()}.tmp`
      writeFileSync(temp, render(settings), { mode })
      renameSync(temp, path)
    },
    catch: (cause) => new SettingsWriteFailed({ path, reason: describe(cause) })
  })

/** The parsed settings at `path` (a missing file: an empty object). */
export const load = (path: string) => Effect.map(read(path), ({ settings }) => settings)

/**
 * Reads `path`, applies `change` and, when it says it changed something, writes the result atomically after copying
 * the old file to `.bak` (an existing file keeps its mode; a new one is 0600).
 */
export const update = <A extends { readonly settings: Json; readonly changed: boolean }>(
  path: string,
  change: (settings: Json) => Either.Either<A, SettingsInvalid>
) =>
  Effect.gen(function* () {
    const { exists, settings } = yield* read(path)
    const planned = yield* change(settings)
    if (planned.changed) yield* write(path, exists, planned.settings)
    return planned
  })

/** Reads `path`, applies `plan` and, if anything changed, writes it atomically after copying the old file to `.bak`. */
export const apply = (path: string, plan: (settings: Json) => Plan) =>
  Effect.gen(function* () {
    const { exists, settings } = yield* read(path)
    const planned = plan(settings)
    if (planned.added.length > 0 || planned.removed > 0) yield* write(path, exists, planned.settings)
    return planned
  })
