import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
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
import * as Paths from "./Paths.js"
import * as Settings from "./Settings.js"
import * as Sync from "./Sync.js"

/** A failure the CLI prints as one line; the message says what to do next. */
export class CliError extends Data.TaggedError("CliError")<{ readonly message: string }> {}

const fail = (message: string) => Effect.fail(new CliError({ message }))
const defaultUrl = "http://127.0.0.1:4870"
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))

/** `dist/hook.cjs`, next to the CLI bundle. */
const hookPath = () => fileURLToPath(new URL("./hook.cjs", import.meta.url))

const mask = (key: Redacted.Redacted<string> | undefined) =>
  key === undefined ? null : `${ApiKey.displayPrefix(Redacted.value(key))}…`

const megabytes = (bytes: number) => (bytes / 1048576).toFixed(1)

const ago = (at: number | null) => {
  if (at === null) return "never"
  const s = Math.max(0, Math.round((Date.now() - at) / 1000))
  const text =
    s < 120
      ? `${s} s`
      : s < 7200
        ? `${Math.round(s / 60)} min`
        : s < 172800
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86400)} d`
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
      `convexUrl      ${config.serverUrl ?? "(not set: run `claude-code-sync login`)"}  (${origin("serverUrl")})`,
      `apiKey         ${mask(config.apiKey) ?? "(not set: run `claude-code-sync login`)"}  (${origin("apiKey")})`,
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
    const origin = key === "convexUrl" ? config.origins.serverUrl : config.origins[key as "apiKey"]
    if (origin === "env") {
      const name = store.envName[key === "convexUrl" ? "serverUrl" : (key as "apiKey")]
      yield* Console.log(`Note: ${name} is set in the environment and takes precedence; unset it to use this value.`)
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
        "Next: install the Claude Code plugin, or run `claude-code-sync setup` to register the hooks in settings.json;",
        "      `claude-code-sync import` sends the sessions you already have."
      ].join("\n")
    )
  }).pipe(Effect.catchTag("QuitException", () => fail("Cancelled; nothing was saved.")))

const logout = Effect.gen(function* () {
  const store = yield* ConfigStore.ConfigStore
  yield* store.clearCredentials
  yield* Console.log(
    `Removed the server URL and API key from ${store.path}; other settings kept.\n` +
      "Events stay queued locally until you log in again."
  )
})

// ---------------------------------------------------------------------------------------------------------------------
// status

const checkConnection = (config: ConfigStore.ResolvedConfig) =>
  Effect.gen(function* () {
    if (config.serverUrl === undefined || config.apiKey === undefined) {
      return { ok: false as const, error: "Not configured. Run `claude-code-sync login`." }
    }
    const client = yield* SyncClient.make({ baseUrl: config.serverUrl, apiKey: config.apiKey, retries: 0 })
    return yield* client.check.pipe(
      Effect.map((checked) => ({ ok: true as const, version: checked.version, latencyMs: checked.latencyMs })),
      Effect.catchTag("SendFailed", (error) => Effect.succeed({ ok: false as const, error: error.message }))
    )
  })

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

const status = (asJson: boolean) =>
  Effect.gen(function* () {
    const { lines, ...config } = yield* effectiveConfig
    const connection = yield* checkConnection(yield* (yield* ConfigStore.ConfigStore).load)
    const outbox = yield* (yield* Outbox.Outbox).stats()
    const hooks = yield* Effect.either(Settings.inspect(Settings.settingsPath(), hookPath()))
    const hooksText = hooks._tag === "Right" ? hooksLine(hooks.right) : hooks.left.message
    if (asJson) {
      const hooksJson = hooks._tag === "Right" ? hooks.right : { error: hooks.left.message }
      return yield* Console.log(JSON.stringify({ config, connection, outbox, hooks: hooksJson }, null, 2))
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
        `hooks          ${hooksText}`
      ].join("\n")
    )
  })

// ---------------------------------------------------------------------------------------------------------------------
// sync, import, hook

const reportLines = (report: Sync.SyncReport) => {
  const malformed =
    report.malformedPayloads > 0 ? ` (${report.malformedPayloads} malformed, see ${Paths.logFile()})` : ""
  return [
    `Processed ${report.hookPayloads} hook payload(s)${malformed} and ${report.transcriptsRead} transcript(s); ` +
      `queued ${report.eventsQueued} event(s).`,
    `Sent ${report.delivered} event(s), ${report.rejected} rejected by the server, ${report.pending} pending.`
  ]
}

/** Prints the sync report; fails (exit 1) with the error and what to do when something was left unsent. */
const finish = (report: Sync.SyncReport) =>
  Effect.gen(function* () {
    yield* Console.log(reportLines(report).join("\n"))
    if (report.error === null) return
    const retry = ` ${report.pending} event(s) pending; run \`claude-code-sync sync\` again once fixed.`
    return yield* fail(`${report.error}${report.pending > 0 ? retry : ""}`)
  })

const syncInBackground = Sync.run.pipe(
  Effect.tap((report) => (report.error === null ? Effect.void : Effect.sync(() => Sync.log(`sync: ${report.error}`)))),
  Effect.catchAllCause((cause) => Effect.sync(() => Sync.log(`sync failed: ${String(cause)}`))),
  Effect.asVoid
)

const progressBar = (progress: {
  files: number
  totalFiles: number
  bytes: number
  totalBytes: number
  events: number
}) => {
  const width = 30
  const done = Math.round((progress.totalBytes === 0 ? 1 : progress.bytes / progress.totalBytes) * width)
  const bar = `[${"#".repeat(done)}${"-".repeat(width - done)}]`
  process.stderr.write(
    `\r${bar} ${progress.files}/${progress.totalFiles} files, ` +
      `${megabytes(progress.bytes)}/${megabytes(progress.totalBytes)} MB, ${progress.events} events`
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
    for (const skipped of summary.skippedFiles.slice(0, 10))
      yield* Console.error(`skipped ${skipped.path}: ${skipped.reason}`)
    yield* Console.log(
      `Imported ${summary.sessions} session(s) from ${summary.files} file(s) (${megabytes(summary.bytes)} MB): ` +
        `${summary.events} event(s) queued, ${summary.skippedFiles.length} file(s) skipped, ` +
        `${summary.malformedLines} malformed line(s).`
    )
    yield* finish(yield* Sync.run)
  })

const runHook = (event: string) =>
  Effect.async<void>((resume) => {
    const child = spawn(process.execPath, [hookPath(), event], { stdio: ["inherit", "ignore", "ignore"] })
    child.on("error", (error) => {
      Sync.log(`hook ${event}: cannot start ${hookPath()}: ${error.message}`)
      resume(Effect.void)
    })
    child.on("exit", () => resume(Effect.void))
  })

// ---------------------------------------------------------------------------------------------------------------------
// setup, uninstall

const setup = Effect.gen(function* () {
  const hook = hookPath()
  if (!existsSync(hook)) return yield* fail(`Cannot find the hook entry ${hook}. Reinstall claude-code-sync.`)
  const path = Settings.settingsPath()
  const plan = yield* Settings.apply(path, (settings) => Settings.install(settings, hook))
  const registration = yield* Settings.inspect(path, hook)
  const events = plan.added.length > 0 ? plan.added.join(", ") : "no new events"
  const replaced = plan.removed > 0 ? ` (replaced ${plan.removed} old entry/entries)` : ""
  const lines =
    plan.added.length === 0 && plan.removed === 0
      ? [`Already set up: ${path} runs ${hook} on every event. Nothing changed.`]
      : [
          `Registered ${hook} for ${events}${replaced} in ${path}.`,
          `Backup of the previous file: ${path}.bak. Restart Claude Code to pick up the hooks.`
        ]
  if (registration.plugins.length > 0) {
    lines.push(
      `The plugin ${registration.plugins.join(", ")} is enabled too: disable it, or run \`claude-code-sync uninstall\`.`
    )
  }
  const config = yield* (yield* ConfigStore.ConfigStore).load
  if (config.serverUrl === undefined || config.apiKey === undefined) lines.push("Next: `claude-code-sync login`.")
  yield* Console.log(lines.join("\n"))
})

const uninstall = Effect.gen(function* () {
  const path = Settings.settingsPath()
  const plan = yield* Settings.apply(path, (settings) => Settings.uninstall(settings, hookPath()))
  yield* Console.log(
    plan.removed === 0
      ? `Nothing to remove: ${path} has no claude-code-sync hooks.`
      : `Removed ${plan.removed} claude-code-sync hook entry/entries from ${path} (backup: ${path}.bak); ` +
          "other settings and hooks are unchanged."
  )
})

// ---------------------------------------------------------------------------------------------------------------------
// commands

const loginCommand = Command.make(
  "login",
  {
    url: Options.text("url").pipe(
      Options.withDescription(`Server URL (env CLAUDE_SYNC_CONVEX_URL; asked when missing; e.g. ${defaultUrl}).`),
      Options.withFallbackConfig(Config.string("CLAUDE_SYNC_CONVEX_URL")),
      Options.optional
    ),
    key: Options.redacted("key").pipe(
      Options.withDescription("API key, osk_… (env CLAUDE_SYNC_API_KEY; asked, hidden, when missing)."),
      Options.withFallbackConfig(Config.redacted("CLAUDE_SYNC_API_KEY")),
      Options.optional
    )
  },
  login
).pipe(Command.withDescription("Connect to an OpenSync server: test the URL and key, then save them (mode 0600)."))

const logoutCommand = Command.make("logout", {}, () => logout).pipe(
  Command.withDescription("Forget the server URL and API key; other settings are kept.")
)

const statusCommand = Command.make("status", { json }, (o) => status(o.json)).pipe(
  Command.withDescription("Show the config, test the connection, and report the outbox, last sync and hook setup.")
)

const setCommand = Command.make(
  "set",
  {
    key: Args.text({ name: "KEY" }).pipe(Args.withDescription(`One of ${ConfigStore.settableKeys.join(", ")}.`)),
    value: Args.text({ name: "VALUE" }).pipe(Args.withDescription("true/false for toggles, a URL or an osk_ key."))
  },
  ({ key, value }) => setValue(key, value)
).pipe(Command.withDescription("Change one setting in the config file."))

const configCommand = Command.make("config", { json }, (o) => showConfig(o.json)).pipe(
  Command.withDescription("Print the effective config (key masked) and where each value comes from.")
)

const setupCommand = Command.make("setup", {}, () => setup).pipe(
  Command.withDescription("Register the hooks in ~/.claude/settings.json (for npm installs; the plugin needs none).")
)

const uninstallCommand = Command.make("uninstall", {}, () => uninstall).pipe(
  Command.withDescription("Remove our hooks from ~/.claude/settings.json, leaving everything else as it was.")
)

const syncCommand = Command.make(
  "sync",
  {
    background: Options.boolean("background").pipe(
      Options.withDescription("Print nothing, log problems to the log file, always exit 0 (what the hook starts).")
    )
  },
  (o) => (o.background ? syncInBackground : Effect.flatMap(Sync.run, finish))
).pipe(Command.withDescription("Turn the recorded hook events into session data and send everything queued."))

const importCommand = Command.make(
  "import",
  {
    since: Options.date("since").pipe(
      Options.withDescription("Only transcripts modified on or after this date (e.g. 2026-01-31)."),
      Options.optional
    )
  },
  (o) => runImport(o.since)
).pipe(Command.withDescription("Backfill the sessions Claude Code still keeps (~/.claude/projects), then send them."))

const hookCommand = Command.make(
  "hook",
  { event: Args.text({ name: "EVENT" }).pipe(Args.withDescription("The hook event name, e.g. Stop.")) },
  (o) => runHook(o.event)
).pipe(Command.withDescription("Record one hook payload from stdin (manual wiring); prints nothing, always exits 0."))

const root = Command.make("claude-code-sync").pipe(
  Command.withDescription("Sync your Claude Code sessions to your OpenSync server."),
  Command.withSubcommands([
    loginCommand,
    logoutCommand,
    statusCommand,
    configCommand,
    setCommand,
    setupCommand,
    uninstallCommand,
    syncCommand,
    importCommand,
    hookCommand
  ])
)

/** Runs the CLI on `process.argv`. */
export const run = Command.run(root, { name: "claude-code-sync", version: packageJson.version })
