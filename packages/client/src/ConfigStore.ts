import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { homedir } from "node:os"
import { dirname, join } from "node:path"
import { Config as DomainConfig } from "@opensync/domain"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/** Which plugin this is: its config directory name and the prefix of its environment variables. */
export class Tool extends Context.Tag("@opensync/client/Tool")<
  Tool,
  { readonly name: string; readonly envPrefix: string; readonly env: Readonly<Record<string, string | undefined>> }
>() {
  /** The plugin of an agent in the domain's `Sources` table (its CLI name and environment prefix). */
  static readonly layer = (
    source: { readonly cli: string; readonly envPrefix: string },
    env: Readonly<Record<string, string | undefined>> = process.env
  ) => Layer.succeed(Tool, { name: source.cli, envPrefix: source.envPrefix, env })
}

/** Where a setting came from, so `status` and `config` can explain it. */
export type Origin = "env" | "file" | "default"

/** The settings a plugin runs with, after the file and the environment are merged. */
export interface ResolvedConfig {
  readonly path: string
  readonly serverUrl: string | undefined
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly autoSync: boolean
  readonly syncToolCalls: boolean
  readonly syncThinking: boolean
  /** Whether `login` and `setup` point the agent's own telemetry export at the server (agents that have one). */
  readonly telemetry: boolean
  readonly origins: {
    readonly serverUrl: Origin
    readonly apiKey: Origin
    readonly autoSync: Origin
    readonly syncToolCalls: Origin
    readonly syncThinking: Origin
    readonly telemetry: Origin
  }
}

export class ConfigFileInvalid extends Data.TaggedError("ConfigFileInvalid")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `${this.path} is not a valid config file (${this.reason}). Fix it, or delete it and run login again.`
  }
}

export class ConfigValueInvalid extends Data.TaggedError("ConfigValueInvalid")<{
  readonly key: string
  readonly reason: string
}> {
  override get message() {
    return `Invalid value for ${this.key}: ${this.reason}`
  }
}

export class ConfigWriteFailed extends Data.TaggedError("ConfigWriteFailed")<{
  readonly path: string
  readonly cause: unknown
}> {
  override get message() {
    return `Could not write ${this.path}: ${String((this.cause as Error)?.message ?? this.cause)}`
  }
}

/** The keys `set KEY VALUE` accepts. */
export const settableKeys = ["convexUrl", "apiKey", "autoSync", "syncToolCalls", "syncThinking", "telemetry"] as const
export type SettableKey = (typeof settableKeys)[number]

const truthy = new Set(["1", "true", "yes", "on"])
const falsy = new Set(["0", "false", "no", "off"])

/** Parses a boolean setting the way people write it in shells and files. */
export const parseBoolean = (key: string, raw: string): Either.Either<boolean, ConfigValueInvalid> => {
  const value = raw.trim().toLowerCase()
  if (truthy.has(value)) return Either.right(true)
  if (falsy.has(value)) return Either.right(false)
  return Either.left(new ConfigValueInvalid({ key, reason: `"${raw}" is not a boolean (use true or false)` }))
}

const decodeFile = Schema.decodeUnknownEither(Schema.parseJson(Schema.encodedSchema(DomainConfig.ClientConfig)), {
  onExcessProperty: "preserve"
})

/** What is wrong with a config file's text, in a line: not JSON (where), not an object, or its first bad setting. */
const fileProblem = (text: string, error: ParseResult.ParseError): string => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    return `not JSON: ${cause instanceof Error ? cause.message : String(cause)}`
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? "a list" : parsed === null ? "null" : `a ${typeof parsed}`
    return `it holds ${kind}, not an object of settings`
  }
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  return issue === undefined
    ? "it does not match the settings' shape"
    : `${issue.path.join(".") || "settings"}: ${issue.message}`
}

/**
 * A server URL as `load` returns it: normalized, or, when `normalizeServerUrl` refuses it, as written with its user name
 * and password masked. A refused URL is never sent anywhere (the sync client refuses it too, and says why), and every
 * command that shows the config would otherwise print the password in it. Masking twice changes nothing.
 */
export const safeServerUrl = (raw: string): string =>
  DomainConfig.normalizeServerUrl(raw) ?? (JSON.parse(DomainConfig.describeServerUrl(raw)) as string)

/** The plugin's settings file (`$XDG_CONFIG_HOME/<tool>/config.json`, mode 0600) merged with its environment. */
export class ConfigStore extends Effect.Service<ConfigStore>()("@opensync/client/ConfigStore", {
  effect: Effect.gen(function* () {
    const tool = yield* Tool
    const env = tool.env
    const path = join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config"), tool.name, "config.json")
    const envName = {
      serverUrl: `${tool.envPrefix}_CONVEX_URL`,
      apiKey: `${tool.envPrefix}_API_KEY`,
      autoSync: `${tool.envPrefix}_AUTO_SYNC`,
      syncToolCalls: `${tool.envPrefix}_TOOL_CALLS`,
      syncThinking: `${tool.envPrefix}_THINKING`,
      telemetry: `${tool.envPrefix}_TELEMETRY`
    } as const

    const readFile = Effect.gen(function* () {
      let text: string
      try {
        text = readFileSync(path, "utf8")
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === "ENOENT") return {} as Record<string, unknown>
        return yield* new ConfigFileInvalid({ path, reason: String((cause as Error).message) })
      }
      if (text.trim() === "") return {}
      const decoded = decodeFile(text)
      if (Either.isLeft(decoded)) {
        return yield* new ConfigFileInvalid({ path, reason: fileProblem(text, decoded.left) })
      }
      return decoded.right as Record<string, unknown>
    })

    const bool = (
      key: "autoSync" | "syncToolCalls" | "syncThinking" | "telemetry",
      file: Record<string, unknown>,
      fallback: boolean
    ) =>
      Effect.gen(function* () {
        const raw = env[envName[key]]
        if (raw !== undefined && raw.trim() !== "") {
          return { value: yield* parseBoolean(envName[key], raw), origin: "env" as Origin }
        }
        if (typeof file[key] === "boolean") return { value: file[key] as boolean, origin: "file" as Origin }
        return { value: fallback, origin: "default" as Origin }
      })

    /** The effective settings; environment variables win over the file. */
    const load = Effect.gen(function* () {
      const file = yield* readFile
      // A variable set to blanks (`CODEX_SYNC_API_KEY=" "`, an emptied line of an env file) is unset: it would
      // otherwise hide the file's good value behind one no request can use
      const envUrl = env[envName.serverUrl]?.trim() || undefined
      const envKey = env[envName.apiKey]?.trim() || undefined
      const rawUrl = envUrl ?? (typeof file.convexUrl === "string" ? file.convexUrl : undefined)
      const rawKey = envKey ?? (typeof file.apiKey === "string" ? file.apiKey : undefined)
      const autoSync = yield* bool("autoSync", file, true)
      const syncToolCalls = yield* bool("syncToolCalls", file, true)
      const syncThinking = yield* bool("syncThinking", file, false)
      const telemetry = yield* bool("telemetry", file, true)
      return {
        path,
        serverUrl: rawUrl === undefined ? undefined : safeServerUrl(rawUrl),
        apiKey: rawKey === undefined || rawKey.trim() === "" ? undefined : Redacted.make(rawKey.trim()),
        autoSync: autoSync.value,
        syncToolCalls: syncToolCalls.value,
        syncThinking: syncThinking.value,
        telemetry: telemetry.value,
        origins: {
          serverUrl: envUrl !== undefined ? "env" : rawUrl === undefined ? "default" : "file",
          apiKey: envKey !== undefined ? "env" : rawKey === undefined ? "default" : "file",
          autoSync: autoSync.origin,
          syncToolCalls: syncToolCalls.origin,
          syncThinking: syncThinking.origin,
          telemetry: telemetry.origin
        }
      } satisfies ResolvedConfig
    })

    const write = (content: Record<string, unknown>) =>
      Effect.try({
        try: () => {
          // `mode` only applies to a folder mkdir creates: one made earlier (0755 by a shell's umask, an older version)
          // stays readable by others, and the file holds the key. The tool's own folder only, never a parent the user
          // chose ($XDG_CONFIG_HOME, HOME). The file itself gets 0600 from its temp file, whatever it had before.
          mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
          chmodSync(dirname(path), 0o700)
          const temp = `${path}.${process.pid}.${Date.now()}.tmp`
          writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 })
          chmodSync(temp, 0o600)
          renameSync(temp, path)
        },
        catch: (cause) => new ConfigWriteFailed({ path, cause })
      })

    /** Merges settings into the file (keeping unknown keys), written atomically with mode 0600. */
    const save = (changes: Partial<DomainConfig.ClientConfig>) =>
      Effect.gen(function* () {
        const file = yield* readFile
        yield* write({ ...file, ...changes })
      })

    /** Sets one setting from its text form, validating it first. */
    const set = (key: string, value: string) =>
      Effect.gen(function* () {
        if (!settableKeys.includes(key as SettableKey)) {
          return yield* new ConfigValueInvalid({
            key,
            reason: `unknown setting; use one of ${settableKeys.join(", ")}`
          })
        }
        if (key === "convexUrl") {
          const url = DomainConfig.normalizeServerUrl(value)
          if (url === undefined)
            return yield* new ConfigValueInvalid({ key, reason: DomainConfig.notAServerUrl(value) })
          return yield* save({ convexUrl: url })
        }
        if (key === "apiKey") {
          if (!value.startsWith("osk_"))
            return yield* new ConfigValueInvalid({ key, reason: "API keys start with osk_" })
          return yield* save({ apiKey: value })
        }
        return yield* save({ [key]: yield* parseBoolean(key, value) })
      })

    /** Forgets the server URL and key, keeping the other settings; whether the file held either. */
    const clearCredentials = Effect.gen(function* () {
      const { apiKey, convexUrl, ...rest } = yield* readFile
      if (apiKey === undefined && convexUrl === undefined) return false
      yield* write(rest)
      return true
    })

    /**
     * Saves the server URL and the key that environment variables give into the file where it holds none (`setup`:
     * the agent runs its hooks without the variables of the shell `setup` ran in); the environment variables saved.
     */
    const saveEnvCredentials = Effect.gen(function* () {
      const file = yield* readFile
      const saved: Array<string> = []
      for (const [key, variable] of [
        ["convexUrl", envName.serverUrl],
        ["apiKey", envName.apiKey]
      ] as const) {
        const value = env[variable]?.trim()
        if (value === undefined || value === "" || typeof file[key] === "string") continue
        // A value `set` would refuse (not an http(s) URL, a key of another format) stays where it is: in the
        // environment, which `status` and `verify` then report on
        const taken = yield* set(key, value).pipe(
          Effect.as(true),
          Effect.catchTag("ConfigValueInvalid", () => Effect.succeed(false))
        )
        if (taken) saved.push(variable)
      }
      return saved
    })

    return { path, envName, load, save, set, clearCredentials, saveEnvCredentials } as const
  })
}) {}
