import { Command, Options } from "@effect/cli"
import { AccountCommands, ConfigStore, Outbox } from "@opensync/client"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import packageJson from "../package.json" with { type: "json" }
import { importAll } from "./Import.js"
import * as OpenCodeConfig from "./OpenCodeConfig.js"
import * as Paths from "./Paths.js"
import * as Spool from "./Spool.js"
import * as Sync from "./Sync.js"

const cli: AccountCommands.Cli = {
  name: "opencode-sync",
  envPrefix: "OPENCODE_SYNC",
  afterLogin: [
    'Next: `opencode-sync setup` adds "opencode-sync-plugin" to your opencode.json;',
    "      `opencode-sync import` sends the sessions you already have."
  ]
}
const account = AccountCommands.commands(cli)
const { ago, fail, json } = AccountCommands
const checkConnection = (config: ConfigStore.ResolvedConfig) => AccountCommands.checkConnection(cli, config)

// ---------------------------------------------------------------------------------------------------------------------
// status, verify

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
    const { lines, ...config } = yield* AccountCommands.effectiveConfig(cli)
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

const root = Command.make("opencode-sync").pipe(
  Command.withDescription("Sync your OpenCode sessions to your OpenSync server."),
  Command.withSubcommands([
    account.login,
    account.logout,
    Command.make("status", { json }, (o) => status(o.json)).pipe(
      Command.withDescription("Show the config, test the connection, and report the queue, last sync and plugin setup.")
    ),
    account.config,
    account.set,
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
