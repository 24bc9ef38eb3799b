/**
 * Claude Code's OpenTelemetry export, pointed at the OpenSync server through the `env` block of `settings.json`
 * (docs/telemetry.md): the server then counts every API request Claude Code made, the ones transcripts never record
 * (`/compact`, titles) included. Pure functions plan the change; `make` reads and writes the file.
 *
 * Merged, never clobbering: a variable the user set (in settings.json or in the environment the CLI runs in) that
 * would send the export elsewhere stops the whole change. What the plugin wrote is recorded (variable names and
 * digests of the values, never the key itself) in `telemetry.json` next to its config, so `disable` removes exactly
 * that, and a value the user changed since is theirs.
 */
import { createHash } from "node:crypto"
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { AccountCommands, Kit } from "@opensync/client"
import { ApiKey } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { agent } from "./Agent.js"
import * as Settings from "./Settings.js"

type Env = Readonly<Record<string, string | undefined>>
type Json = Record<string, unknown>
type Target = Kit.SessionSource.TelemetryTarget

/** How the export is called in messages. */
const NAME = agent.telemetry?.name ?? "Claude Code's OpenTelemetry export"

/** The variables the export needs, in the order they are written; prompt text stays off (no `OTEL_LOG_USER_PROMPTS`). */
export const variables = (target: Target): Readonly<Record<string, string>> => ({
  CLAUDE_CODE_ENABLE_TELEMETRY: "1",
  OTEL_LOGS_EXPORTER: "otlp",
  OTEL_METRICS_EXPORTER: "otlp",
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
  OTEL_EXPORTER_OTLP_ENDPOINT: target.serverUrl,
  OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${target.apiKey}`,
  OTEL_EXPORTER_OTLP_COMPRESSION: "gzip"
})

/** Variables that decide where (and whether) the export goes: set by the user to anything else, they win. */
const decisive = /^(CLAUDE_CODE_ENABLE_TELEMETRY|OTEL_(LOGS|METRICS)_EXPORTER|OTEL_EXPORTER_OTLP_\w+)$/

/** A variable as a message may show it: headers (credentials) by their names only. */
const shown = (name: string, value: string) =>
  /HEADERS$/.test(name)
    ? `${name}=${value
        .split(",")
        .map((header) => `${header.split("=")[0]?.trim()}=…`)
        .join(",")}`
    : `${name}=${value}`

/** The digest recorded for a value the plugin wrote. */
export const digest = (value: string): string => createHash("sha256").update(value).digest("hex").slice(0, 32)

/** What the plugin wrote into one settings file: variable name → digest of the value. */
export type Written = Readonly<Record<string, string>>

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

/** The `env` block of parsed settings; an `env` that is not an object cannot be merged into. */
export const envOf = (
  settings: Json,
  path: string
): Either.Either<Readonly<Record<string, unknown>>, Settings.SettingsInvalid> =>
  settings.env === undefined
    ? Either.right({})
    : isObject(settings.env)
      ? Either.right(settings.env)
      : Either.left(new Settings.SettingsInvalid({ path, reason: 'has an "env" value that is not an object' }))

/** A variable the user set that sends the export elsewhere (or turns it off). */
export interface Conflict {
  readonly name: string
  readonly value: string
  readonly where: "settings" | "environment"
}

export type EnablePlan =
  | {
      readonly _tag: "Write"
      readonly settings: Json
      readonly changed: boolean
      readonly written: Written
      readonly added: ReadonlyArray<string>
      readonly updated: ReadonlyArray<string>
    }
  | {
      readonly _tag: "Elsewhere"
      readonly settings: Json
      readonly changed: false
      readonly conflicts: ReadonlyArray<Conflict>
    }

/**
 * Points the export at `target`: adds the variables that are missing, updates those the plugin wrote before (a new key
 * or server), leaves those the user already set to the same value (they stay the user's). Any other variable the user
 * set that decides where the export goes, in the file or in `processEnv`, is a conflict: nothing is written.
 */
export const planEnable = (
  settings: Json,
  env: Readonly<Record<string, unknown>>,
  processEnv: Env,
  written: Written,
  target: Target
): EnablePlan => {
  const wanted = variables(target)
  const ours = (name: string, value: string) => written[name] === digest(value)
  const conflicts: Array<Conflict> = []
  for (const [where, values] of [
    ["settings", env],
    ["environment", processEnv]
  ] as const) {
    for (const [name, value] of Object.entries(values)) {
      if (!decisive.test(name) || typeof value !== "string" || value === "") continue
      if (value === wanted[name] || ours(name, value)) continue
      // The environment of a CLI started inside Claude Code holds the file's values: those are judged in the file.
      if (where === "environment" && env[name] !== undefined) continue
      conflicts.push({ name, value, where })
    }
  }
  if (conflicts.length > 0) return { _tag: "Elsewhere", settings, changed: false, conflicts }
  const next: Record<string, unknown> = { ...env }
  const record: Record<string, string> = {}
  const added: Array<string> = []
  const updated: Array<string> = []
  for (const [name, value] of Object.entries(wanted)) {
    const current = env[name]
    if (current === value) {
      if (written[name] !== undefined) record[name] = digest(value)
      continue
    }
    if (typeof current === "string" && current !== "" && ours(name, current)) updated.push(name)
    else added.push(name)
    next[name] = value
    record[name] = digest(value)
  }
  const changed = added.length > 0 || updated.length > 0
  return {
    _tag: "Write",
    settings: changed ? { ...settings, env: next } : settings,
    changed,
    written: record,
    added,
    updated
  }
}

export interface DisablePlan {
  readonly settings: Json
  readonly changed: boolean
  readonly removed: ReadonlyArray<string>
  /** Variables the plugin wrote that the user changed since: theirs now, left alone. */
  readonly kept: ReadonlyArray<string>
}

/** Removes the variables the plugin wrote that still hold what it wrote; an `env` left empty goes too. */
export const planDisable = (settings: Json, env: Readonly<Record<string, unknown>>, written: Written): DisablePlan => {
  const next: Record<string, unknown> = { ...env }
  const removed: Array<string> = []
  const kept: Array<string> = []
  for (const [name, recorded] of Object.entries(written)) {
    const current = env[name]
    if (current === undefined) continue
    if (typeof current === "string" && digest(current) === recorded) {
      delete next[name]
      removed.push(name)
    } else kept.push(name)
  }
  if (removed.length === 0) return { settings, changed: false, removed, kept }
  const { env: _env, ...rest } = settings
  return { settings: Object.keys(next).length > 0 ? { ...settings, env: next } : rest, changed: true, removed, kept }
}

// ---------------------------------------------------------------------------------------------------------------------
// The record of what was written: `telemetry.json` in the plugin's config directory, by settings file.

export interface RecordFile {
  readonly version: 1
  readonly settings: Readonly<Record<string, Written>>
}

/** A record of what was written into settings files, next to the plugin's config (`telemetry.json` by default). */
export const recordPath = (env: Env, file = "telemetry.json") => join(Kit.Agent.paths(agent, env).configDir, file)

export const readRecord = (path: string): RecordFile => {
  try {
    const json = JSON.parse(readFileSync(path, "utf8")) as Partial<RecordFile>
    return { version: 1, settings: isObject(json.settings) ? (json.settings as RecordFile["settings"]) : {} }
  } catch {
    return { version: 1, settings: {} }
  }
}

export const writeRecord = (path: string, settingsPath: string, written: Written) =>
  Effect.try({
    try: () => {
      const current = readRecord(path)
      const { [settingsPath]: _old, ...others } = current.settings
      const next: RecordFile = {
        version: 1,
        settings: Object.keys(written).length > 0 ? { ...others, [settingsPath]: written } : others
      }
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
      const temp = `${path}.${process.pid}.${Date.now()}.tmp`
      writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 })
      renameSync(temp, path)
    },
    catch: (cause) =>
      new Settings.SettingsWriteFailed({ path, reason: cause instanceof Error ? cause.message : String(cause) })
  })

// ---------------------------------------------------------------------------------------------------------------------
// The port

const asCliError = Effect.mapError(
  (error: { readonly message: string }) => new AccountCommands.CliError({ message: error.message })
)

const maskKey = (key: string) => `${ApiKey.displayPrefix(key)}…`

const enable = (env: Env, target: Target) =>
  Effect.gen(function* () {
    const path = Settings.settingsPath(env)
    const record = recordPath(env)
    const written = readRecord(record).settings[path] ?? {}
    const plan = yield* Settings.update(path, (settings) =>
      Either.map(envOf(settings, path), (block) => planEnable(settings, block, env, written, target))
    )
    if (plan._tag === "Elsewhere") {
      const list = plan.conflicts
        .map((c) => `${shown(c.name, c.value)} (${c.where === "settings" ? path : "your environment"})`)
        .join(", ")
      return [
        `${NAME}: Claude Code already exports its telemetry elsewhere (${list}); left as it is, so OpenSync counts ` +
          "usage from transcripts alone. To send it to OpenSync instead, remove those settings and run " +
          "`claude-code-sync setup` again."
      ]
    }
    yield* writeRecord(record, path, plan.written)
    if (!plan.changed) return [`${NAME}: already sent to ${target.serverUrl} (${path}).`]
    const key = maskKey(target.apiKey)
    if (plan.added.length === 0) {
      return [`${NAME}: updated ${plan.updated.join(", ")} in ${path} (now ${target.serverUrl}, key ${key}).`]
    }
    return [
      `${NAME}: sent to ${target.serverUrl}, so every API request counts, /compact included: added ` +
        `${[...plan.added, ...plan.updated].join(", ")} to the env block of ${path}.`,
      `That file now holds the key ${key}, like claude-code-sync's own config. Restart Claude Code to pick it up; ` +
        "`claude-code-sync setup --no-telemetry` turns it off."
    ]
  }).pipe(asCliError)

const disable = (env: Env) =>
  Effect.gen(function* () {
    const path = Settings.settingsPath(env)
    const record = recordPath(env)
    const written = readRecord(record).settings[path] ?? {}
    if (Object.keys(written).length === 0) return []
    const plan = yield* Settings.update(path, (settings) =>
      Either.map(envOf(settings, path), (block) => planDisable(settings, block, written))
    )
    yield* writeRecord(record, path, {})
    return [
      ...(plan.removed.length > 0 ? [`${NAME}: removed ${plan.removed.join(", ")} from ${path}.`] : []),
      ...(plan.kept.length > 0
        ? [`${NAME}: left ${plan.kept.join(", ")} in ${path} (changed since setup wrote them).`]
        : [])
    ]
  }).pipe(asCliError)

const inspect = (env: Env, target: Target | undefined) =>
  Effect.gen(function* () {
    const path = Settings.settingsPath(env)
    const written = readRecord(recordPath(env)).settings[path] ?? {}
    const loaded = yield* Effect.either(Effect.flatMap(Settings.load(path), (settings) => envOf(settings, path)))
    if (Either.isLeft(loaded)) {
      return {
        state: "off" as const,
        text: `off: ${loaded.left.message}`,
        json: { settingsPath: path, error: loaded.left.message }
      }
    }
    const block = loaded.right
    const text = (name: string) => (typeof block[name] === "string" ? (block[name] as string) : undefined)
    const endpoint = text("OTEL_EXPORTER_OTLP_ENDPOINT")
    const json = { settingsPath: path, endpoint: endpoint ?? null, written: Object.keys(written) }
    const enabled = text("CLAUDE_CODE_ENABLE_TELEMETRY") === "1"
    if (!enabled || endpoint === undefined) {
      return {
        state: "off" as const,
        text: `off: ${path} does not turn it on (\`claude-code-sync setup\` does)`,
        json
      }
    }
    const mine = Object.keys(written).length > 0
    if (target !== undefined) {
      const wanted = variables(target)
      const same = Object.keys(wanted).every(
        (name) => name === "OTEL_EXPORTER_OTLP_COMPRESSION" || text(name) === wanted[name]
      )
      if (same) return { state: "on" as const, text: `on: Claude Code exports to ${endpoint} (${path})`, json }
    }
    if (mine) {
      return {
        state: "on" as const,
        text: `on, but to ${endpoint} or with another key than the configured ones: run \`claude-code-sync setup\``,
        json
      }
    }
    return {
      state: "elsewhere" as const,
      text: `Claude Code exports to ${endpoint} (set in ${path}, not by claude-code-sync)`,
      json
    }
  })

/** The export in the Claude dirs of `env`. */
export const make = (env: Env): Kit.SessionSource.Telemetry => ({
  enable: (target) => enable(env, target),
  disable: disable(env),
  inspect: (target) => inspect(env, target)
})
