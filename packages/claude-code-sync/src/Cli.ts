import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Args, Command, Options } from "@effect/cli"
import { AccountCommands, ConfigStore, Outbox } from "@opensync/client"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import packageJson from "../package.json" with { type: "json" }
import { discover, importAll, importFiles } from "./Import.js"
import * as Paths from "./Paths.js"
import * as Settings from "./Settings.js"
import * as Sync from "./Sync.js"

const cli: AccountCommands.Cli = {
  name: "claude-code-sync",
  envPrefix: "CLAUDE_SYNC",
  afterLogin: [
    "Next: install the Claude Code plugin, or run `claude-code-sync setup` to register the hooks in settings.json;",
    "      `claude-code-sync import` sends the sessions you already have."
  ]
}
const account = AccountCommands.commands(cli)
const { ago, fail, json, megabytes } = AccountCommands

/** `dist/hook.cjs`, next to the CLI bundle. */
const hookPath = () => fileURLToPath(new URL("./hook.cjs", import.meta.url))

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
    const { lines, ...config } = yield* AccountCommands.effectiveConfig(cli)
    const connection = yield* AccountCommands.checkConnection(cli, yield* (yield* ConfigStore.ConfigStore).load)
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

/** `sync --session ID`: re-reads that session's transcripts (main and subagents) into the queue, then syncs. */
const syncSession = (sessionId: string, current = false) =>
  Effect.gen(function* () {
    const config = yield* (yield* ConfigStore.ConfigStore).load
    const files = (yield* discover(process.env)).filter((file) => file.sessionId === sessionId)
    if (files.length === 0 && current) {
      // A session's first prompt can be this command: Claude Code has not written its transcript yet.
      yield* Console.log("This session has no transcript yet; sending what is queued.")
      return yield* finish(yield* Sync.run)
    }
    if (files.length === 0) {
      const where = Paths.claudeDirs(process.env)
        .map((dir) => `${dir}/projects`)
        .join(", ")
      return yield* fail(
        `No transcript of session ${sessionId} under ${where}. Check the id (it is the transcript's file name); ` +
          "`claude-code-sync sync` without --session sends everything queued."
      )
    }
    const summary = yield* importFiles(files, {
      syncThinking: config.syncThinking,
      syncToolCalls: config.syncToolCalls
    })
    yield* Console.log(
      `Re-read session ${sessionId}: ${summary.files} transcript(s), ${summary.events} event(s) queued` +
        (summary.skippedFiles.length > 0 ? `, ${summary.skippedFiles.length} file(s) skipped.` : ".")
    )
    yield* finish(yield* Sync.run)
  })

/** `--session current` names the Claude Code session the command runs in (`/claude-code-sync:sync-now`). */
const syncCommandRun = (session: Option.Option<string>) => {
  if (Option.isNone(session) || session.value === "") return Effect.flatMap(Sync.run, finish)
  if (session.value !== "current") return syncSession(session.value)
  const current = process.env.CLAUDE_CODE_SESSION_ID?.trim()
  return current === undefined || current === ""
    ? Console.log("Not inside a Claude Code session (no CLAUDE_CODE_SESSION_ID); sending what is queued.").pipe(
        Effect.zipRight(Effect.flatMap(Sync.run, finish))
      )
    : syncSession(current, true)
}

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

const statusCommand = Command.make("status", { json }, (o) => status(o.json)).pipe(
  Command.withDescription("Show the config, test the connection, and report the outbox, last sync and hook setup.")
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
    ),
    session: Options.text("session").pipe(
      Options.withDescription(
        "Also re-read this session's transcripts before sending: its id, or `current` for the Claude Code session " +
          "this runs in (CLAUDE_CODE_SESSION_ID)."
      ),
      Options.optional
    )
  },
  (o) => (o.background ? syncInBackground : syncCommandRun(Option.map(o.session, (id) => id.trim())))
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
    account.login,
    account.logout,
    statusCommand,
    account.config,
    account.set,
    setupCommand,
    uninstallCommand,
    syncCommand,
    importCommand,
    hookCommand
  ])
)

/** Runs the CLI on `process.argv`. */
export const run = Command.run(root, { name: "claude-code-sync", version: packageJson.version })
