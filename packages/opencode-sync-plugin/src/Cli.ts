import { Args, Command, Options, Prompt } from "@effect/cli"
import { ConfigStore, Outbox, SyncClient } from "@opensync/client"
import { ApiKey, Config as DomainConfig } from "@opensync/domain"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import packageJson from "../package.json" with { type: "json" }
import { importAll } from "./Import.js"
import * as OpenCodeConfig from "./OpenCodeConfig.js"
import * as Paths from "./Paths.js"
import * as Spool from "./Spool.js"
import * as Sync from "./Sync.js"

/** A failure the CLI prints as one line; the message says what to do next. */
export class CliError extends Data.TaggedError("CliError")<{ readonly message: string }> {}

const fail = (message: string) => Effect.fail(new CliError({ message }))
const defaultUrl = "http://127.0.0.1:4870"
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))

const mask = (key: Redacted.Redacted<string> | undefined) =>
  key === undefined ? null : `${ApiKey.displayPrefix(Redacted.value(key))}…`

const ago = (at: number | null) => {
  if (at === null) return "never"
  const s = Math.max(0, Math.round((Date.now() - at) / 1000))
  const text = s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`
  return `${new Date(at).toISOString().slice(0, 19).replace("T", " ")} UTC (${text} ago)`
}

// ---------------------------------------------------------------------------------------------------------------------
// config, set, login, logout

const effectiveConfig = Effect.gen(function* () {
  const store = yield* ConfigStore.ConfigStore
  const config = yield* store.load
  const origin = (key: keyof ConfigStore.ResolvedConfig["origins"]) =>
    config.origins[key] === "env" ? `env ${store.envName[key]}` : config.origins[key]
  return {
    path: config.path,
    convexUrl: config.serverUrl ?? null,
    apiKey: mask(config.apiKey),
    autoSync: config.autoSync,
    syncToolCalls: config.syncToolCalls,
    syncThinking: config.syncThinking,
    origins: config.origins,
    lines: [
      `config file    ${config.path}`,
      `convexUrl      ${config.serverUrl ?? "(not set: run `opencode-sync login`)"}  (${origin("serverUrl")})`,
      `apiKey         ${mask(config.apiKey) ?? "(not set: run `opencode-sync login`)"}  (${origin("apiKey")})`,
      `autoSync       ${config.autoSync}  (${origin("autoSync")})`,
      `syncToolCalls  ${config.syncToolCalls}  (${origin("syncToolCalls")})`,
      `syncThinking   ${config.syncThinking}  (${origin("syncThinking")})`
    ]
  }
})

const showConfig = (asJson: boolean) =>
  Effect.flatMap(effectiveConfig, ({ lines, ...config }) =>
    Console.log(asJson ? JSON.stringify(config, null, 2) : lines.join("\n"))
  )

const setValue = (key: string, value: string) =>
  Effect.gen(function* () {
    const problem = key === "apiKey" ? ApiKey.problem(value.trim()) : undefined
    if (problem !== undefined) return yield* fail(problem)
    const store = yield* ConfigStore.ConfigStore
    yield* store.set(key, key === "apiKey" ? value.trim() : value)
    const config = yield* store.load
    const shown = key === "apiKey" ? mask(config.apiKey) : key === "convexUrl" ? config.serverUrl : value
    yield* Console.log(`Set ${key} = ${shown} in ${config.path}.`)
    const name = key === "convexUrl" ? "serverUrl" : (key as Exclude<ConfigStore.SettableKey, "convexUrl">)
    if (config.origins[name] === "env") {
      yield* Console.log(
        `Note: ${store.envName[name]} is set in the environment and takes precedence; unset it to use this value.`
      )
    }
  })

const askUrl = (current: string | undefined) =>
  Prompt.text({
    message: "OpenSync server URL (local server, self-hosted, or https://<name>.convex.site)",
    default: current ?? defaultUrl,
    validate: (raw) => {
      const url = DomainConfig.normalizeServerUrl(raw)
      return url === undefined ? Effect.fail(`Enter an http(s) URL, e.g. ${defaultUrl}`) : Effect.succeed(url)
    }
  })

const askKey = Prompt.hidden({
  message: "API key (osk_…, from `opensync keys create` or the dashboard)",
  validate: (raw) => {
    const problem = ApiKey.problem(raw.trim())
    return problem === undefined ? Effect.succeed(raw.trim()) : Effect.fail(problem)
  }
})

const login = (flags: {
  readonly url: Option.Option<string>
  readonly key: Option.Option<Redacted.Redacted<string>>
}) =>
  Effect.gen(function* () {
    const store = yield* ConfigStore.ConfigStore
    const current = yield* Effect.orElseSucceed(store.load, () => undefined)
    if ((Option.isNone(flags.url) || Option.isNone(flags.key)) && !process.stdin.isTTY) {
      return yield* fail("No terminal to ask in: pass both --url URL and --key KEY.")
    }
    const rawUrl = Option.isSome(flags.url) ? flags.url.value : yield* askUrl(current?.serverUrl)
    const url = DomainConfig.normalizeServerUrl(rawUrl)
    if (url === undefined) return yield* fail(`"${rawUrl}" is not an http(s) URL. Pass e.g. --url ${defaultUrl}.`)
    const key = Option.isSome(flags.key) ? Redacted.value(flags.key.value).trim() : Redacted.value(yield* askKey).trim()
    const problem = ApiKey.problem(key)
    if (problem !== undefined) return yield* fail(`${problem} Nothing was saved.`)
    const client = yield* SyncClient.make({ baseUrl: url, apiKey: Redacted.make(key), retries: 0 })
    const checked = yield* client.check.pipe(
      Effect.catchTag("SendFailed", (error) => fail(`${error.message} Nothing was saved.`))
    )
    yield* store.save({ convexUrl: url, apiKey: key })
    yield* Console.log(
      [
        `Connected to ${url} (OpenSync ${checked.version}, ${checked.latencyMs} ms).`,
        `Saved the server URL and key ${ApiKey.displayPrefix(key)}… to ${store.path} (mode 0600).`,
        'Next: `opencode-sync setup` adds "opencode-sync-plugin" to your opencode.json;',
        "      `opencode-sync import` sends the sessions you already have."
      ].join("\n")
    )
  }).pipe(Effect.catchTag("QuitException", () => fail("Cancelled; nothing was saved.")))

const logout = Effect.gen(function* () {
  const store = yield* ConfigStore.ConfigStore
  yield* store.clearCredentials
  yield* Console.log(
    `Removed the server URL and API key from ${store.path}; other settings kept.\n` +
      "Sessions stay queued locally until you log in again."
  )
})

// ---------------------------------------------------------------------------------------------------------------------
// status, verify

const checkConnection = (config: ConfigStore.ResolvedConfig) =>
  Effect.gen(function* () {
    if (config.serverUrl === undefined || config.apiKey === undefined) {
      return { ok: false as const, error: "Not configured. Run `opencode-sync login`." }
    }
    const client = yield* SyncClient.make({ baseUrl: config.serverUrl, apiKey: config.apiKey, retries: 0 })
    return yield* client.check.pipe(
      Effect.map((checked) => ({ ok: true as const, version: checked.version, latencyMs: checked.latencyMs })),
      Effect.catchTag("SendFailed", (error) => Effect.succeed({ ok: false as const, error: error.message }))
    )
  })

const registration = () => {
  const files = OpenCodeConfig.inspect(OpenCodeConfig.configFiles())
  const registered = files.filter((file) => file.specs.length > 0)
  const broken = files.filter((file) => file.error !== null)
  const text =
    registered.length > 0
      ? `registered in ${registered.map((file) => `${file.path} (${file.specs.join(", ")})`).join("; ")}`
      : 'not registered: run `opencode-sync setup` (adds "opencode-sync-plugin" to your opencode.json)'
  return { files, registered: registered.length > 0, broken, text }
}

const status = (asJson: boolean) =>
  Effect.gen(function* () {
    const { lines, ...config } = yield* effectiveConfig
    const connection = yield* checkConnection(yield* (yield* ConfigStore.ConfigStore).load)
    const outbox = yield* (yield* Outbox.Outbox).stats()
    const plugin = registration()
    if (asJson) {
      return yield* Console.log(
        JSON.stringify(
          { config, connection, outbox, plugin: { registered: plugin.registered, files: plugin.files } },
          null,
          2
        )
      )
    }
    const reached = connection.ok ? `ok: OpenSync ${connection.version}, ${connection.latencyMs} ms` : connection.error
    const oldest = outbox.pending > 0 ? ` (oldest ${ago(outbox.oldestPendingAt)})` : ""
    yield* Console.log(
      [
        ...lines,
        "",
        `connection     ${reached}`,
        `outbox         ${outbox.pending} pending${oldest}, ${outbox.rejected} rejected`,
        `last sync      ${ago(outbox.lastSuccessAt)}`,
        `last error     ${outbox.lastError ?? "none"}`,
        `plugin         ${plugin.text}`,
        ...plugin.broken.map((file) => `               ${file.path} ${file.error}`)
      ].join("\n")
    )
  })

const verify = (asJson: boolean) =>
  Effect.gen(function* () {
    const plugin = registration()
    const connection = yield* checkConnection(yield* (yield* ConfigStore.ConfigStore).load)
    if (asJson) {
      yield* Console.log(
        JSON.stringify({ plugin: { registered: plugin.registered, files: plugin.files }, connection }, null, 2)
      )
    } else {
      const lines = [
        `plugin      ${plugin.registered ? "ok" : "missing"}: ${plugin.text}`,
        ...plugin.broken.map((file) => `            ${file.path} ${file.error}`),
        `connection  ${connection.ok ? `ok: OpenSync ${connection.version}, ${connection.latencyMs} ms` : connection.error}`
      ]
      yield* Console.log(lines.join("\n"))
    }
    if (!plugin.registered || !connection.ok) {
      return yield* fail(
        !plugin.registered
          ? "The plugin is not registered. Run `opencode-sync setup`."
          : "The server cannot be reached with this configuration. Run `opencode-sync login`."
      )
    }
  })

const setup = Effect.gen(function* () {
  const path = OpenCodeConfig.globalConfigFile()
  const result = yield* OpenCodeConfig.install(path)
  const lines = !result.changed
    ? [`Already set up: ${path} loads ${OpenCodeConfig.PACKAGE}. Nothing changed.`]
    : [
        `${result.created ? "Created" : "Added the plugin to"} ${path}: "plugin": ["${OpenCodeConfig.PACKAGE}"]` +
          `${result.created ? "" : ` (backup: ${path}.bak; everything else unchanged)`}.`,
        "OpenCode installs the plugin the next time it starts."
      ]
  const config = yield* (yield* ConfigStore.ConfigStore).load
  if (config.serverUrl === undefined || config.apiKey === undefined) lines.push("Next: `opencode-sync login`.")
  yield* Console.log(lines.join("\n"))
})

// ---------------------------------------------------------------------------------------------------------------------
// sync, import

const reportLines = (report: Sync.SyncReport) => [
  `Processed ${report.snapshots} session snapshot(s)` +
    (report.malformedSnapshots > 0 ? ` (${report.malformedSnapshots} unreadable, see ${Paths.logFile()})` : "") +
    `; queued ${report.eventsQueued} event(s).`,
  `Sent ${report.delivered} event(s), ${report.rejected} rejected by the server, ${report.pending} pending.`
]

const finish = (report: Sync.SyncReport) =>
  Effect.gen(function* () {
    yield* Console.log(reportLines(report).join("\n"))
    if (report.error === null) return
    const retry = ` ${report.pending} event(s) pending; run \`opencode-sync sync\` again once fixed.`
    return yield* fail(`${report.error}${report.pending > 0 ? retry : ""}`)
  })

const syncInBackground = Sync.run.pipe(
  Effect.tap((report) => (report.error === null ? Effect.void : Effect.sync(() => Spool.log(`sync: ${report.error}`)))),
  Effect.catchAllCause((cause) => Effect.sync(() => Spool.log(`sync failed: ${String(cause)}`))),
  Effect.asVoid
)

const progressBar = (progress: { sessions: number; totalSessions: number; events: number }) => {
  const width = 30
  const done = Math.round((progress.totalSessions === 0 ? 1 : progress.sessions / progress.totalSessions) * width)
  process.stderr.write(
    `\r[${"#".repeat(done)}${"-".repeat(width - done)}] ${progress.sessions}/${progress.totalSessions} sessions, ` +
      `${progress.events} events`
  )
}

const runImport = (since: Option.Option<Date>) =>
  Effect.gen(function* () {
    const config = yield* (yield* ConfigStore.ConfigStore).load
    const tty = process.stderr.isTTY === true
    const summary = yield* importAll({
      syncThinking: config.syncThinking,
      syncToolCalls: config.syncToolCalls,
      ...(Option.isSome(since) ? { since: since.value.getTime() } : {}),
      ...(tty ? { onProgress: progressBar } : {})
    })
    if (tty) process.stderr.write("\n")
    const where = [
      summary.database !== null ? `${summary.fromDatabase} from ${summary.database}` : null,
      summary.legacy !== null ? `${summary.fromLegacy} from ${summary.legacy}` : null
    ].filter((text) => text !== null)
    yield* Console.log(
      summary.sessions === 0
        ? `No OpenCode sessions found (looked in ${Paths.openCodeDatabase()} and ${Paths.openCodeLegacyStorage()}).`
        : `Imported ${summary.sessions} session(s) (${where.join(", ")}): ${summary.events} event(s) queued.`
    )
    yield* finish(yield* Sync.run)
  })

// ---------------------------------------------------------------------------------------------------------------------
// commands

const loginCommand = Command.make(
  "login",
  {
    url: Options.text("url").pipe(
      Options.withDescription(`Server URL (env OPENCODE_SYNC_CONVEX_URL; asked when missing; e.g. ${defaultUrl}).`),
      Options.withFallbackConfig(Config.string("OPENCODE_SYNC_CONVEX_URL")),
      Options.optional
    ),
    key: Options.redacted("key").pipe(
      Options.withDescription("API key, osk_… (env OPENCODE_SYNC_API_KEY; asked, hidden, when missing)."),
      Options.withFallbackConfig(Config.redacted("OPENCODE_SYNC_API_KEY")),
      Options.optional
    )
  },
  login
).pipe(Command.withDescription("Connect to an OpenSync server: test the URL and key, then save them (mode 0600)."))

const root = Command.make("opencode-sync").pipe(
  Command.withDescription("Sync your OpenCode sessions to your OpenSync server."),
  Command.withSubcommands([
    loginCommand,
    Command.make("logout", {}, () => logout).pipe(
      Command.withDescription("Forget the server URL and API key; other settings are kept.")
    ),
    Command.make("status", { json }, (o) => status(o.json)).pipe(
      Command.withDescription("Show the config, test the connection, and report the queue, last sync and plugin setup.")
    ),
    Command.make("config", { json }, (o) => showConfig(o.json)).pipe(
      Command.withDescription("Print the effective config (key masked) and where each value comes from.")
    ),
    Command.make(
      "set",
      {
        key: Args.text({ name: "KEY" }).pipe(Args.withDescription(`One of ${ConfigStore.settableKeys.join(", ")}.`)),
        value: Args.text({ name: "VALUE" }).pipe(Args.withDescription("true/false for toggles, a URL or an osk_ key."))
      },
      ({ key, value }) => setValue(key, value)
    ).pipe(Command.withDescription("Change one setting in the config file.")),
    Command.make("verify", { json }, (o) => verify(o.json)).pipe(
      Command.withDescription("Check that opencode.json(c) loads the plugin and that the server accepts the key.")
    ),
    Command.make("setup", {}, () => setup).pipe(
      Command.withDescription("Add the plugin to ~/.config/opencode/opencode.json, keeping everything else.")
    ),
    Command.make(
      "sync",
      {
        background: Options.boolean("background").pipe(
          Options.withDescription(
            "Print nothing, log problems to the log file, always exit 0 (what the plugin starts)."
          )
        )
      },
      (o) => (o.background ? syncInBackground : Effect.flatMap(Sync.run, finish))
    ).pipe(Command.withDescription("Turn the sessions the plugin recorded into events and send everything queued.")),
    Command.make(
      "import",
      {
        since: Options.date("since").pipe(
          Options.withDescription("Only sessions updated on or after this date (e.g. 2026-01-31)."),
          Options.optional
        )
      },
      (o) => runImport(o.since)
    ).pipe(
      Command.withDescription(
        "Backfill the sessions OpenCode keeps (opencode.db, or the older storage/ JSON), then send them."
      )
    )
  ])
)

/** Runs the CLI on `process.argv`. */
export const run = Command.run(root, { name: "opencode-sync", version: packageJson.version })
