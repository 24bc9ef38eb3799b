/**
 * The commands both plugin CLIs share, for the account and its settings: `login`, `logout`, `config`, `set`, plus the
 * pieces their `status` commands print (effective config, times). Each CLI passes who it is; the
 * config store it runs with (`ConfigStore.layer` for its tool) decides the file and the environment variables.
 */
import { Args, Command, Options, Prompt } from "@effect/cli"
import { ApiKey, Config as DomainConfig } from "@opensync/domain"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as ConfigStore from "./ConfigStore.js"
import * as SyncClient from "./SyncClient.js"

/** Which CLI this is, for its messages. */
export interface Cli {
  /** The command users type, e.g. `claude-code-sync`. */
  readonly name: string
  /** The prefix of its environment variables, e.g. `CLAUDE_SYNC` (`CLAUDE_SYNC_CONVEX_URL`, `CLAUDE_SYNC_API_KEY`). */
  readonly envPrefix: string
  /** What to do after a successful login, one line each. */
  readonly afterLogin: ReadonlyArray<string>
  /** Whether the agent has a telemetry export the `telemetry` setting controls (shown by `config` then). */
  readonly telemetry?: boolean
}

/** A failure the CLI prints as one line; the message says what to do next. */
export class CliError extends Data.TaggedError("CliError")<{ readonly message: string }> {}

export const fail = (message: string) => Effect.fail(new CliError({ message }))

/** The local server `opensync serve` starts. */
export const defaultUrl = "http://127.0.0.1:4870"

export const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))

/**
 * An API key as it may be shown: its public prefix only. A key of another format (a password pasted by mistake, a
 * truncated key) has no public prefix: its first characters could be all of it, so only its length is shown.
 */
export const mask = (key: Redacted.Redacted<string> | undefined): string | null => {
  if (key === undefined) return null
  const value = Redacted.value(key)
  if (ApiKey.problem(value) === undefined) return `${ApiKey.displayPrefix(value)}…`
  return value.startsWith("osk_")
    ? `(a malformed OpenSync key, ${value.length} characters)`
    : `(not an OpenSync key, ${value.length} characters)`
}

/**
 * A server URL as the `config` and `status` lines show it: as requests use it, or, for one they refuse, quoted with any
 * user name and password masked, and why nothing is sent to it.
 */
const urlLine = (url: string): string =>
  DomainConfig.normalizeServerUrl(url) ?? `${DomainConfig.notAServerUrl(url)}: nothing is sent`

/** A size in MiB (2^20 bytes), one decimal, labelled: `12.3 MiB`. */
export const mebibytes = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`

/** `2026-11-21 09:30:00 UTC (3 min ago)`, or `never`. */
/** A time as `2026-11-21 09:30:00 UTC`. */
export const utc = (at: number): string => `${new Date(at).toISOString().slice(0, 19).replace("T", " ")} UTC`

export const ago = (at: number | null, now: number = Date.now()): string => {
  if (at === null) return "never"
  const s = Math.max(0, Math.round((now - at) / 1000))
  const text =
    s < 120
      ? `${s} s`
      : s < 7200
        ? `${Math.round(s / 60)} min`
        : s < 172800
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86400)} d`
  return `${utc(at)} (${text} ago)`
}

/** The settings in effect and where each comes from (file, env, default), as JSON and as aligned lines. */
export const effectiveConfig = (cli: Cli) =>
  Effect.gen(function* () {
    const store = yield* ConfigStore.ConfigStore
    const config = yield* store.load
    const origin = (key: keyof ConfigStore.ResolvedConfig["origins"]) =>
      config.origins[key] === "env" ? `env ${store.envName[key]}` : config.origins[key]
    const notSet = `(not set: run \`${cli.name} login\`)`
    return {
      path: config.path,
      // (the store gives a URL it refuses with its password masked: `ConfigStore.safeServerUrl`)
      convexUrl: config.serverUrl ?? null,
      apiKey: mask(config.apiKey),
      autoSync: config.autoSync,
      syncToolCalls: config.syncToolCalls,
      syncThinking: config.syncThinking,
      ...(cli.telemetry === true ? { telemetry: config.telemetry } : {}),
      // (under the settings' own names: `convexUrl`, as above, not the store's `serverUrl`)
      origins: {
        convexUrl: config.origins.serverUrl,
        apiKey: config.origins.apiKey,
        autoSync: config.origins.autoSync,
        syncToolCalls: config.origins.syncToolCalls,
        syncThinking: config.origins.syncThinking,
        ...(cli.telemetry === true ? { telemetry: config.origins.telemetry } : {})
      },
      lines: [
        `config file    ${config.path}`,
        `convexUrl      ${config.serverUrl === undefined ? notSet : urlLine(config.serverUrl)}  (${origin("serverUrl")})`,
        `apiKey         ${mask(config.apiKey) ?? notSet}  (${origin("apiKey")})`,
        `autoSync       ${config.autoSync}  (${origin("autoSync")})`,
        `syncToolCalls  ${config.syncToolCalls}  (${origin("syncToolCalls")})`,
        `syncThinking   ${config.syncThinking}  (${origin("syncThinking")})`,
        ...(cli.telemetry === true ? [`telemetry      ${config.telemetry}  (${origin("telemetry")})`] : [])
      ]
    }
  })

const showConfig = (cli: Cli, asJson: boolean) =>
  Effect.flatMap(effectiveConfig(cli), ({ lines, ...config }) =>
    Console.log(asJson ? JSON.stringify(config, null, 2) : lines.join("\n"))
  )

/** `set KEY VALUE`: validates and saves one setting, says where it went and whether the environment overrides it. */
export const setValue = (key: string, value: string) =>
  Effect.gen(function* () {
    const problem = key === "apiKey" ? ApiKey.problem(value.trim()) : undefined
    if (problem !== undefined) return yield* fail(problem)
    const store = yield* ConfigStore.ConfigStore
    yield* store.set(key, key === "apiKey" ? value.trim() : value)
    // What was saved, as the file now holds it: not what `load` gives (an environment variable wins there), and not
    // the text typed (`YES` is saved as true, a `.convex.cloud` URL as its `.convex.site` origin)
    const shown =
      key === "apiKey"
        ? mask(Redacted.make(value.trim()))
        : key === "convexUrl"
          ? DomainConfig.normalizeServerUrl(value)
          : yield* ConfigStore.parseBoolean(key, value)
    yield* Console.log(`Set ${key} = ${shown} in ${store.path}.`)
    const setting = key === "convexUrl" ? "serverUrl" : (key as Exclude<ConfigStore.SettableKey, "convexUrl">)
    const config = yield* store.load
    if (config.origins[setting] === "env") {
      yield* Console.log(
        `Note: ${store.envName[setting]} is set in the environment and takes precedence; unset it to use this value.`
      )
    }
  })

const askUrl = (current: string | undefined) =>
  Prompt.text({
    message: "OpenSync server URL (local server, self-hosted, or https://<name>.convex.site)",
    default: current ?? defaultUrl,
    validate: (raw) => {
      const url = DomainConfig.normalizeServerUrl(raw)
      return url === undefined
        ? Effect.fail(`Enter an http(s) URL without a user name or password, e.g. ${defaultUrl}`)
        : Effect.succeed(url)
    }
  })

const askKey = Prompt.hidden({
  message: "API key (osk_…, from `opensync keys create` or the dashboard's Settings)",
  validate: (raw) => {
    const problem = ApiKey.problem(raw.trim())
    return problem === undefined ? Effect.succeed(raw.trim()) : Effect.fail(problem)
  }
})

/** `login`: asks for what the flags leave out, tests the server and key, saves them. */
export const login = (
  cli: Cli,
  flags: { readonly url: Option.Option<string>; readonly key: Option.Option<Redacted.Redacted<string>> }
) =>
  Effect.gen(function* () {
    const store = yield* ConfigStore.ConfigStore
    const current = yield* Effect.orElseSucceed(store.load, () => undefined)
    if ((Option.isNone(flags.url) || Option.isNone(flags.key)) && !process.stdin.isTTY) {
      return yield* fail("No terminal to ask in: pass both --url URL and --key KEY.")
    }
    const rawUrl = Option.isSome(flags.url) ? flags.url.value : yield* askUrl(current?.serverUrl)
    const url = DomainConfig.normalizeServerUrl(rawUrl)
    if (url === undefined) {
      return yield* fail(`${DomainConfig.notAServerUrl(rawUrl)}. Pass e.g. --url ${defaultUrl}.`)
    }
    const key = Option.isSome(flags.key) ? Redacted.value(flags.key.value).trim() : Redacted.value(yield* askKey).trim()
    const problem = ApiKey.problem(key)
    if (problem !== undefined) return yield* fail(`${problem} Nothing was saved.`)
    const client = yield* SyncClient.makeFetch({ baseUrl: url, apiKey: Redacted.make(key) })
    const checked = yield* client.check.pipe(
      Effect.catchTag("SendFailed", (error) => fail(`${error.message} Nothing was saved.`))
    )
    yield* store.save({ convexUrl: url, apiKey: key })
    const saved = [
      `Connected to ${url} (OpenSync ${checked.version}, ${checked.latencyMs} ms).`,
      `Saved the server URL and key ${ApiKey.displayPrefix(key)}… to ${store.path} (mode 0600).`
    ]
    // Environment variables win over the file: one that gives another URL or key (a revoked key in a shell profile)
    // would be what syncs use, and what the steps after login (the agent's telemetry export) configure. Stopping here
    // skips those steps, and the exit code says the login is not in effect. The same value (the flags fall back to
    // the variables) overrides nothing.
    const effective = yield* Effect.orElseSucceed(store.load, () => undefined)
    const overriding = [
      ...(effective?.origins.serverUrl === "env" && effective.serverUrl !== url ? [store.envName.serverUrl] : []),
      ...(effective?.origins.apiKey === "env" &&
      (effective.apiKey === undefined || Redacted.value(effective.apiKey) !== key)
        ? [store.envName.apiKey]
        : [])
    ]
    if (overriding.length > 0) {
      yield* Console.log(saved.join("\n"))
      const [is, it] = overriding.length === 1 ? ["is", "it"] : ["are", "them"]
      return yield* fail(
        `${overriding.join(" and ")} ${is} set in the environment and take${overriding.length === 1 ? "s" : ""} ` +
          `precedence over what was just saved: syncing would use ${it}, not what login checked, so nothing else was ` +
          `configured${cli.telemetry === true ? " (the agent's telemetry export included)" : ""}. Unset ${it} ` +
          `(\`unset ${overriding.join(" ")}\`, and wherever else ${is === "is" ? "it is" : "they are"} set), then run ` +
          `\`${cli.name} login\` again.`
      )
    }
    yield* Console.log([...saved, ...cli.afterLogin].join("\n"))
  }).pipe(Effect.catchTag("QuitException", () => fail("Cancelled; nothing was saved.")))

/**
 * `logout`: forgets the server URL and key. Only the file's: one an environment variable gives keeps syncs going, so
 * it names the variables to unset rather than say the user is logged out.
 */
export const logout = Effect.gen(function* () {
  const store = yield* ConfigStore.ConfigStore
  const removed = yield* store.clearCredentials
  const config = yield* Effect.orElseSucceed(store.load, () => undefined)
  const fromEnv = (["serverUrl", "apiKey"] as const)
    .filter((setting) => config?.origins[setting] === "env")
    .map((setting) => store.envName[setting])
  const lines = removed
    ? [
        `Removed the server URL and API key from ${store.path}; other settings kept.`,
        "Events stay queued locally until you log in again."
      ]
    : fromEnv.length === 0
      ? [`Not logged in: ${store.path} holds no server URL or API key; nothing to remove.`]
      : [`${store.path} holds no server URL or API key; nothing to remove there.`]
  if (fromEnv.length === 2) {
    lines.push(
      `Still configured: ${fromEnv.join(" and ")} are set in the environment, and syncs use them until you unset ` +
        `them (\`unset ${fromEnv.join(" ")}\`, and wherever else they are set).`
    )
  } else if (fromEnv.length === 1) {
    // One of the two alone syncs nothing: say so, rather than that syncs go on
    const missing = config?.origins.serverUrl === "env" ? "an API key" : "a server URL"
    lines.push(
      `${fromEnv[0]} is still set in the environment, but without ${missing} nothing is synced until you log in ` +
        `again; unset it (\`unset ${fromEnv[0]}\`, and wherever else it is set) to leave no credential behind.`
    )
  }
  yield* Console.log(lines.join("\n"))
})

/** The options of `login`: `--url` and `--key`, each falling back to its environment variable. */
export const loginOptions = (cli: Cli) => ({
  url: Options.text("url").pipe(
    Options.withDescription(
      `Server URL (env ${cli.envPrefix}_CONVEX_URL; asked when missing; e.g. ${defaultUrl} or ` +
        "https://<name>.convex.cloud)."
    ),
    Options.withFallbackConfig(Config.string(`${cli.envPrefix}_CONVEX_URL`)),
    Options.optional
  ),
  key: Options.redacted("key").pipe(
    Options.withDescription(`API key, osk_… (env ${cli.envPrefix}_API_KEY; asked, hidden, when missing).`),
    Options.withFallbackConfig(Config.redacted(`${cli.envPrefix}_API_KEY`)),
    Options.optional
  )
})

export const loginDescription = "Connect to an OpenSync server: test the URL and key, then save them (mode 0600)."

/** The arguments of `set`. */
export const setArgs = {
  key: Args.text({ name: "KEY" }).pipe(Args.withDescription(`One of ${ConfigStore.settableKeys.join(", ")}.`)),
  value: Args.text({ name: "VALUE" }).pipe(Args.withDescription("true/false for toggles, a URL or an osk_ key."))
}

export const setDescription = "Change one setting in the config file."
export const logoutDescription = "Forget the server URL and API key; other settings are kept."

/** `login`, `logout`, `config` and `set` for the given CLI. */
export const commands = (cli: Cli) => ({
  login: Command.make("login", loginOptions(cli), (flags) => login(cli, flags)).pipe(
    Command.withDescription(loginDescription)
  ),
  logout: Command.make("logout", {}, () => logout).pipe(Command.withDescription(logoutDescription)),

  config: Command.make("config", { json }, (o) => showConfig(cli, o.json)).pipe(
    Command.withDescription("Print the effective config (key masked) and where each value comes from.")
  ),

  set: Command.make("set", setArgs, ({ key, value }) => setValue(key, value)).pipe(
    Command.withDescription(setDescription)
  )
})
