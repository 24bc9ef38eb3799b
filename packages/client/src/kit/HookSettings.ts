/**
 * Command hooks registered in an agent's JSON settings file, in the shape Claude Code, Codex (`hooks.json`) and Gemini
 * CLI (`settings.json`) share: `{"hooks": {"<Event>": [{"matcher"?: …, "hooks": [{"type": "command", "command": …}]}]}}`.
 * Pure functions plan a change on the parsed file (add our entry per event, replace our stale ones, remove only ours);
 * `apply` reads, plans and writes the file back atomically after copying it to `.bak`. A file with comments (JSONC,
 * which Gemini CLI accepts) is edited in place by `JsoncFile`; this module re-renders plain JSON.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { dirname, isAbsolute, win32 } from "node:path"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"

export type Json = Record<string, unknown>

/** The settings file cannot be read or has a shape we cannot edit safely; the file is left as it was. */
export class SettingsInvalid extends Data.TaggedError("SettingsInvalid")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `${this.path} ${this.reason}. It was not changed; fix it by hand, then run this command again.`
  }
}

/** The settings file (or its backup) could not be written. */
export class SettingsWriteFailed extends Data.TaggedError("SettingsWriteFailed")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Could not write ${this.path}: ${this.reason}. Check the permissions of the directory.`
  }
}

/** What to register: one handler per event, and how to recognise handlers we registered (any install location). */
export interface Spec {
  /**
   * Our handler for each event; `ceiling`, the longest timeout the agent honours for it (Codex clamps SessionEnd's to
   * 3 s and warns about a longer one at every start): a longer one in the file is lowered to the handler's.
   */
  readonly entries: ReadonlyArray<{ readonly event: string; readonly handler: Json; readonly ceiling?: number }>
  readonly isOurs: (command: string) => boolean
}

export const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const commandOf = (entry: unknown): string | undefined =>
  isObject(entry) && typeof entry.command === "string" ? entry.command : undefined

/** Checks the parsed value's shape: an object whose `hooks`, when present, maps events to arrays. */
export const validate = (value: unknown, path: string): Either.Either<Json, SettingsInvalid> => {
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

/** Parses the text of a settings file; an empty file is an empty object. */
export const parse = (text: string, path: string): Either.Either<Json, SettingsInvalid> => {
  if (text.trim() === "") return Either.right({})
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    return Either.left(new SettingsInvalid({ path, reason: `is not valid JSON (${(cause as Error).message})` }))
  }
  return validate(value, path)
}

/**
 * The settings after a change, and what changed (`updated`: events whose entry of ours got the spec's timeout;
 * `events`: the events whose lists changed).
 */
export interface Plan {
  readonly settings: Json
  readonly added: ReadonlyArray<string>
  readonly removed: number
  readonly updated: ReadonlyArray<string>
  readonly events: ReadonlyArray<string>
}

/** Whether the plan changes the file. */
export const changes = (plan: Plan): boolean => plan.added.length > 0 || plan.removed > 0 || plan.updated.length > 0

const timeoutOf = (entry: unknown): number | undefined =>
  isObject(entry) && typeof entry.timeout === "number" ? entry.timeout : undefined

/**
 * Our entries for `command` given the handler's timeout where theirs is missing or shorter (an install from before the
 * timeout was raised), or longer than the agent honours (`ceiling`); another longer one the user set is kept.
 * Undefined when none needs it.
 */
const withTimeout = (groups: ReadonlyArray<unknown>, command: string, handler: Json, ceiling?: number) => {
  const wanted = timeoutOf(handler)
  if (wanted === undefined) return undefined
  const short = (entry: unknown) => {
    const current = timeoutOf(entry)
    return (
      isObject(entry) &&
      commandOf(entry) === command &&
      (current === undefined || current < wanted || (ceiling !== undefined && current > ceiling))
    )
  }
  const isShort = (group: unknown): group is Json & { readonly hooks: ReadonlyArray<unknown> } =>
    isObject(group) && Array.isArray(group.hooks) && group.hooks.some(short)
  if (!groups.some(isShort)) return undefined
  return groups.map((group) =>
    isShort(group)
      ? {
          ...group,
          hooks: group.hooks.map((entry) => (short(entry) ? { ...(entry as Json), timeout: wanted } : entry))
        }
      : group
  )
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

/**
 * Adds our handler for each event where it is absent (as a group of its own, after the others, so the positions of
 * the user's hooks do not move), replacing our stale entries (an older install path).
 */
export const install = (settings: Json, spec: Spec): Plan => {
  const hooks: Json = { ...((settings.hooks as Json | undefined) ?? {}) }
  const added: Array<string> = []
  const updated: Array<string> = []
  const events: Array<string> = []
  let removed = 0
  for (const { event, handler, ceiling } of spec.entries) {
    const command = commandOf(handler) ?? ""
    const current = (hooks[event] as ReadonlyArray<unknown> | undefined) ?? []
    const cleaned = without(current, (other) => other !== command && spec.isOurs(other))
    const present = cleaned.groups.some(
      (group) => isObject(group) && Array.isArray(group.hooks) && group.hooks.some((e) => commandOf(e) === command)
    )
    removed += cleaned.removed
    if (present) {
      const raised = withTimeout(cleaned.groups, command, handler, ceiling)
      if (raised !== undefined) updated.push(event)
      if (cleaned.removed > 0 || raised !== undefined) {
        hooks[event] = raised ?? cleaned.groups
        events.push(event)
      }
      continue
    }
    hooks[event] = [...cleaned.groups, { hooks: [handler] }]
    added.push(event)
    events.push(event)
  }
  if (events.length === 0) return { settings, added, removed, updated, events: [] }
  return { settings: { ...settings, hooks }, added, removed, updated, events }
}

/** Removes only our entries; groups, events and the `hooks` key emptied by that removal are removed too. */
export const uninstall = (settings: Json, isOurs: (command: string) => boolean): Plan => {
  if (!isObject(settings.hooks)) return { settings, added: [], removed: 0, updated: [], events: [] }
  const hooks: Json = {}
  const events: Array<string> = []
  let removed = 0
  for (const [event, groups] of Object.entries(settings.hooks)) {
    const cleaned = without(groups as ReadonlyArray<unknown>, isOurs)
    removed += cleaned.removed
    if (cleaned.removed > 0) events.push(event)
    if (cleaned.removed === 0) hooks[event] = groups
    else if (cleaned.groups.length > 0) hooks[event] = cleaned.groups
  }
  if (removed === 0) return { settings, added: [], removed, updated: [], events: [] }
  const { hooks: _hooks, ...rest } = settings
  return {
    settings: Object.keys(hooks).length > 0 ? { ...settings, hooks } : rest,
    added: [],
    removed,
    updated: [],
    events
  }
}

/** Where one of our handlers sits: its event, its group's index and its index in the group. */
export interface Position {
  readonly event: string
  readonly group: number
  readonly handler: number
  readonly command: string
}

/** Every handler of ours in the file, in file order. */
export const positions = (settings: Json, isOurs: (command: string) => boolean): ReadonlyArray<Position> => {
  const hooks = isObject(settings.hooks) ? settings.hooks : {}
  const found: Array<Position> = []
  for (const [event, groups] of Object.entries(hooks)) {
    ;(Array.isArray(groups) ? groups : []).forEach((group, groupIndex) => {
      if (!isObject(group) || !Array.isArray(group.hooks)) return
      group.hooks.forEach((entry, handlerIndex) => {
        const command = commandOf(entry)
        if (command !== undefined && isOurs(command)) {
          found.push({ event, group: groupIndex, handler: handlerIndex, command })
        }
      })
    })
  }
  return found
}

/**
 * The script a handler's command runs with Node (`node "<path>" Event`, as `hookCommand` writes it, or unquoted), when
 * it names one by an absolute path; undefined for any other command (the `<cli>-hook` executable, a relative path).
 */
export const scriptOf = (command: string, platform: NodeJS.Platform = process.platform): string | undefined => {
  const match = /(?:^|[\s"'/\\])node(?:\.exe)?["']?\s+(?:"([^"]+)"|'([^']+)'|((?:\\ |\S)+))/.exec(command)
  // Unquoted, a space is written `\ ` (a shell runs `node /hooks\ dir/hook.cjs`)
  const script = match?.[1] ?? match?.[2] ?? match?.[3]?.replaceAll("\\ ", " ")
  if (script === undefined) return undefined
  if (platform === "win32") {
    // Claude Code runs hooks through Git Bash on Windows, where `/c/Users/…` is `C:\Users\…`
    const drive = /^\/([a-zA-Z])\//.exec(script)
    const native = drive === null ? script : `${drive[1]}:${script.slice(2)}`
    return win32.isAbsolute(native) && /^[a-zA-Z]:|^\\\\/.test(native) ? native : undefined
  }
  return isAbsolute(script) ? script : undefined
}

/**
 * The scripts our handlers run that are not there (the package was uninstalled, or installed elsewhere since): every
 * hook then fails in the agent, and nothing is recorded.
 */
export const missingScripts = (found: ReadonlyArray<Position>): ReadonlyArray<string> => [
  ...new Set(
    found.flatMap((position) => {
      const script = scriptOf(position.command)
      return script !== undefined && !existsSync(script) ? [script] : []
    })
  )
]

/** The events that run one of our handlers. */
export const registeredEvents = (settings: Json, isOurs: (command: string) => boolean): ReadonlyArray<string> => [
  ...new Set(positions(settings, isOurs).map((position) => position.event))
]

/** The text written back: two-space JSON with a final newline. */
export const render = (settings: Json): string => `${JSON.stringify(settings, null, 2)}\n`

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** The file's text, or undefined when it does not exist. */
export const readText = (path: string): Effect.Effect<string | undefined, SettingsInvalid> =>
  Effect.try({
    try: () => {
      try {
        return readFileSync(path, "utf8")
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined
        throw cause
      }
    },
    catch: (cause) => new SettingsInvalid({ path, reason: `cannot be read (${describe(cause)})` })
  })

const read = (path: string) =>
  Effect.gen(function* () {
    const text = yield* readText(path)
    return { exists: text !== undefined, settings: yield* parse(text ?? "", path) }
  })

/** The parsed file at `path` (a missing file is an empty object). */
export const load = (path: string): Effect.Effect<Json, SettingsInvalid> =>
  Effect.map(read(path), ({ settings }) => settings)

/** What this process last wrote to each file: a file that still holds it is not backed up over the real backup. */
const lastWritten = new Map<string, string>()

/**
 * Writes `text` to `path` atomically (temp file + rename), after copying an existing file to `<path>.bak`, unless the
 * file holds what this process wrote to it last: one command editing a file in steps (hooks, then env variables)
 * leaves the file as it was before the command in `.bak`, not a step of its own.
 */
export const writeText = (path: string, exists: boolean, text: string): Effect.Effect<void, SettingsWriteFailed> =>
  Effect.try({
    try: () => {
      mkdirSync(dirname(path), { recursive: true })
      const mode = exists ? statSync(path).mode & 0o777 : 0o600
      if (exists && readFileSync(path, "utf8") !== lastWritten.get(path)) copyFileSync(path, `${path}.bak`)
      const temp = `${path}.${process.pid}.${Date.now()}.tmp`
      writeFileSync(temp, text, { mode })
      renameSync(temp, path)
      lastWritten.set(path, text)
    },
    catch: (cause) => new SettingsWriteFailed({ path, reason: describe(cause) })
  })

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
    if (planned.changed) yield* writeText(path, exists, render(planned.settings))
    return planned
  })

/** Reads `path`, applies `plan` and, if anything changed, writes it atomically after copying the old file to `.bak`. */
export const apply = (path: string, plan: (settings: Json) => Plan) =>
  Effect.gen(function* () {
    const { exists, settings } = yield* read(path)
    const planned = plan(settings)
    if (changes(planned)) yield* writeText(path, exists, render(planned.settings))
    return planned
  })
