/**
 * Hook registration in Claude Code's `settings.json`, for npm installs (the plugin registers itself). Pure functions
 * plan the change on the parsed file; `apply` reads, plans and writes it back atomically with a backup.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as HookSettings from "@opensync/client/kit/HookSettings"
import * as Effect from "effect/Effect"
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
export const SettingsInvalid = HookSettings.SettingsInvalid
export type SettingsInvalid = HookSettings.SettingsInvalid
/** `settings.json` (or its backup) could not be written. */
export const SettingsWriteFailed = HookSettings.SettingsWriteFailed
export type SettingsWriteFailed = HookSettings.SettingsWriteFailed

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

const isObject = HookSettings.isObject

/**
 * Seconds each hook may run. For SessionEnd it is also the budget Claude Code gives all SessionEnd hooks together
 * (`clamp(max timeout, 1.5 s, 60 s)`, from the settings files only): without one it is 1.5 s, which a bare `node` can
 * overrun on a loaded machine, and the hook is killed before it stores the end of the session. The hook takes about
 * 0.1 s; Claude Code waits for it, not for the budget.
 */
export const HOOK_TIMEOUT_S = 10

const spec = (hookPath: string): HookSettings.Spec => ({
  entries: events.map((event) => ({
    event,
    handler: { type: "command", command: hookCommand(hookPath, event), timeout: HOOK_TIMEOUT_S }
  })),
  isOurs: (command) => isOurCommand(command, hookPath)
})

/** Parses the text of `settings.json`; an empty file is an empty object. */
export const parse = HookSettings.parse

/** The settings after a change, and what changed. */
export type Plan = HookSettings.Plan
/** Whether a plan changes the file. */
export const changes = HookSettings.changes

/** Adds our command for each event where it is absent, replacing our stale entries (an older install path). */
export const install = (settings: Json, hookPath: string): Plan => HookSettings.install(settings, spec(hookPath))

/** Removes only our entries; groups, events and the `hooks` key emptied by that removal are removed too. */
export const uninstall = (settings: Json, hookPath: string): Plan =>
  HookSettings.uninstall(settings, (command) => isOurCommand(command, hookPath))

/** Where the sync's hooks are registered: events wired in settings.json, and enabled `claude-code-sync@…` plugins. */
export interface Registration {
  readonly path: string
  readonly settingsEvents: ReadonlyArray<string>
  readonly plugins: ReadonlyArray<string>
}

/** Reads which events settings.json wires to us and whether the plugin is enabled. */
export const registration = (settings: Json, hookPath: string, path: string): Registration => {
  const settingsEvents = HookSettings.registeredEvents(settings, (command) => isOurCommand(command, hookPath))
  const enabled = isObject(settings.enabledPlugins) ? settings.enabledPlugins : {}
  const plugins = Object.entries(enabled)
    .filter(([id, on]) => id.startsWith("claude-code-sync@") && on === true)
    .map(([id]) => id)
  return { path, settingsEvents, plugins }
}

/** The text written back: two-space JSON with a final newline. */
export const render = HookSettings.render

/** The registration state of the settings file at `path` (missing file: nothing registered). */
export const inspect = (path: string, hookPath: string) =>
  Effect.map(HookSettings.load(path), (settings) => registration(settings, hookPath, path))

/** The parsed settings at `path` (a missing file: an empty object). */
export const load = HookSettings.load

/**
 * Reads `path`, applies `change` and, when it says it changed something, writes the result atomically after copying
 * the old file to `.bak` (an existing file keeps its mode; a new one is 0600).
 */
export const update = HookSettings.update

/** Reads `path`, applies `plan` and, if anything changed, writes it atomically after copying the old file to `.bak`. */
export const apply = HookSettings.apply
