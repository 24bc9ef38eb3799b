/**
 * Every agent's CLI, built from its descriptor: `login`, `logout`, `status`, `config`, `set`, `setup`, `uninstall`,
 * `verify`, `sync`, `import`, plus the agent's own commands. The handlers are one to three lines over `Sync`,
 * `History`, `Status` and the agent's `SessionSource`.
 */
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as AccountCommands from "../AccountCommands.js"
import * as ConfigStore from "../ConfigStore.js"
import * as Outbox from "../Outbox.js"
import { plainWhenPiped } from "../PlainOutput.js"
import * as SyncClient from "../SyncClient.js"
import type { Agent } from "./Agent.js"
import * as Checkpoints from "./Checkpoints.js"
import * as History from "./History.js"
import * as HotPath from "./HotPath.js"
import { reportLines } from "./ImportText.js"
import { LocalState } from "./LocalState.js"
import * as QuickImport from "./QuickImport.js"
import { SessionSource } from "./SessionSource.js"
import * as Status from "./Status.js"
import * as Sync from "./Sync.js"
import * as Telemetry from "./Telemetry.js"

const { fail, json, mebibytes } = AccountCommands

/** Runs a sync, prints its report; fails (exit 1) with the error and what to do when something was left unsent. */
const syncAndReport = <E = never, R = never>(options: Sync.RunOptions<E, R> = { retention: "always" }) =>
  Effect.gen(function* () {
    const { agent, paths } = yield* LocalState
    const outbox = yield* Outbox.Outbox
    const corruptBefore = (yield* outbox.stats()).corrupt
    const report = yield* Sync.runWith(options)
    yield* Console.log(reportLines(agent, paths.log, report).join("\n"))
    // Said where it happens (not only in the log and the next status): the queue lost what the file held
    const corrupt = (yield* outbox.stats()).corrupt - corruptBefore
    if (corrupt > 0) {
      yield* Console.error(
        `${corrupt} outbox file(s) could not be read (cut short or damaged: a power loss?) and were kept in ` +
          `outbox/corrupt/: the sessions they named are read again from their history by the next sync, and the next ` +
          "import reads every session again."
      )
    }
    if (report.rejected > 0) {
      // Why: "1 rejected by the server" alone left the user to guess
      const last = (yield* outbox.stats()).lastRejected
      if (last !== null) {
        const what = report.rejected === 1 ? `it: ${last.reason}` : `them (the last one: ${last.reason})`
        yield* Console.log(`The server refused ${what}. \`${agent.source.cli} status\` lists what was refused.`)
      }
    }
    if (report.error === null && report.delivered + report.rejected + report.deleted + report.pending === 0) {
      // Nothing went to the server, so nothing said whether it still takes this key: a revoked key printed "Sent 0"
      // and exited 0 while status showed the 401, and the next turn's events were refused
      const connection = yield* Status.checkConnection
      if (!connection.ok && connection.kind === "refused") {
        return yield* fail(`Nothing to send, but the server refuses this configuration: ${connection.error}`)
      }
      // A server that is down is no error while nothing waits for it, but it is news
      if (!connection.ok)
        yield* Console.log(`Nothing waits for the server, which does not answer now: ${connection.error}`)
    }
    if (report.error === null) return
    const retry = ` ${report.pending} event(s) pending; run \`${agent.source.cli} sync\` again once fixed.`
    // The last error a sync met, when this one did not meet it itself (another sync is running, say).
    const last = (yield* outbox.stats()).lastError
    const lastError = last !== null && !report.error.includes(last) ? ` Last error: ${last}` : ""
    return yield* fail(`${report.error}${report.pending > 0 ? retry : ""}${lastError}`)
  })

/** What the agent's hot path starts: prints nothing, logs problems, always succeeds. */
const syncInBackground = Effect.gen(function* () {
  const { log } = yield* LocalState
  yield* Sync.run.pipe(
    Effect.tap((report) => (report.error === null ? Effect.void : log(`sync: ${report.error}`))),
    Effect.catchAllCause((cause) => log(`sync failed: ${String(cause)}`))
  )
})

/** A progress bar on stderr, drawn at most ten times a second and only once the import has run for a while. */
const progressBar = (noun: string) => {
  const started = Date.now()
  let drawnAt = 0
  let drawn = false
  const draw = (progress: History.Progress) => {
    const width = 30
    const fraction =
      progress.totalBytes > 0
        ? progress.bytes / progress.totalBytes
        : progress.totalItems === 0
          ? 1
          : progress.items / progress.totalItems
    const done = Math.round(fraction * width)
    const bytes =
      progress.totalBytes > 0
        ? `, ${mebibytes(progress.bytes).replace(" MiB", "")}/${mebibytes(progress.totalBytes)}`
        : ""
    process.stderr.write(
      `\r[${"#".repeat(done)}${"-".repeat(width - done)}] ${progress.items}/${progress.totalItems} ${noun}s${bytes}, ` +
        `${progress.events} events`
    )
    drawn = true
  }
  return {
    update: (progress: History.Progress) => {
      const now = Date.now()
      const last = progress.items === progress.totalItems
      if (now - started < 500 || (now - drawnAt < 100 && !last)) return
      drawnAt = now
      draw(progress)
    },
    end: () => {
      if (drawn) process.stderr.write("\n")
    }
  }
}

const loadOptions = Effect.flatMap(ConfigStore.ConfigStore, (store) => Effect.map(store.load, Sync.optionsOf))

/**
 * Sends the outbox while `work` appends to it: `work` gets a signal to give after each append, and a sender drains the
 * outbox whenever it is signalled, until `work` is done. A send failure stops the sender; what is left is sent (and
 * the failure reported) by the sync that follows. Returns what `work` returned and what was sent meanwhile.
 */
const sendingWhile = <A, E, R>(work: (appended: Effect.Effect<void>) => Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const outbox = yield* Outbox.Outbox
    const transport = yield* SyncClient.SyncClient
    // The requests and answers of a long send are garbage at once; collected now and then (`History.collectGarbage`),
    // the heap does not grow through the send that follows a large import.
    const counted = History.collectingEvery(History.COLLECT_EVERY_EVENTS)
    const send = (events: ReadonlyArray<unknown>) =>
      Effect.tap(transport.sendEvents(events), () => Effect.sync(() => counted(events.length)))
    const { sendEncoded } = transport
    const sendBytes =
      sendEncoded === undefined
        ? undefined
        : (body: Uint8Array, count: number) =>
            Effect.tap(sendEncoded(body, count), () => Effect.sync(() => counted(count)))
    const signal = yield* Queue.sliding<boolean>(1)
    const sent = {
      delivered: 0,
      rejected: 0,
      deleted: 0,
      unreachable: false,
      corrupt: [] as Array<Outbox.CorruptFile>
    }
    const sender = yield* Effect.fork(
      Effect.gen(function* () {
        for (;;) {
          const last = yield* Queue.take(signal)
          const drained = yield* outbox.drain(send, { claimTimeout: 0 }, sendBytes)
          sent.delivered += drained.delivered
          sent.rejected += drained.rejected
          sent.deleted += drained.deleted
          sent.corrupt.push(...drained.corrupt)
          sent.unreachable = drained.failure?.kind === "unavailable"
          if (last || drained.failure !== null) return
        }
      }).pipe(Effect.catchAll(() => Effect.void))
    )
    const result = yield* work(Effect.asVoid(Queue.offer(signal, false)))
    yield* Queue.offer(signal, true)
    yield* Fiber.join(sender)
    return { result, sent }
  })

const runImport = (since: Option.Option<Date>, again: boolean, version: string) =>
  Effect.gen(function* () {
    const { agent, paths, env } = yield* LocalState
    // What the settings are resolved from, taken before they are loaded (see QuickImport).
    const inputs = QuickImport.inputsOf(agent, env, version)
    const source = yield* SessionSource
    const config = yield* (yield* ConfigStore.ConfigStore).load
    const options = Sync.optionsOf(config)
    const configured = config.serverUrl !== undefined && config.apiKey !== undefined
    const tty = process.stderr.isTTY === true
    const importing = Effect.scoped(
      Effect.gen(function* () {
        const history = yield* source.history({
          ...options,
          ...(Option.isSome(since) ? { since: since.value.getTime() } : {}),
          ...(again ? { again } : {})
        })
        const checkpoints = Checkpoints.open(paths.stateDir, Sync.destinationOf(config))
        const bar = tty ? progressBar(agent.historyNoun) : undefined
        const run = (appended: Effect.Effect<void> | undefined) =>
          History.importItems(history.items, {
            checkpoints,
            mapping: options,
            again,
            ...(bar === undefined ? {} : { onProgress: bar.update }),
            ...(appended === undefined ? {} : { onAppend: appended })
          })
        // With a server to send to, events go out while the import reads on.
        const { result: totals, sent } = configured
          ? yield* sendingWhile(run)
          : { result: yield* run(undefined), sent: { delivered: 0, rejected: 0, deleted: 0, corrupt: [] } }
        // Files the sender could not read (a power loss cut them short): their sessions are read again, and the
        // bookkeeping this import has just saved is forgotten (it recorded as queued what those files held)
        if (sent.corrupt.length > 0) yield* Sync.lostInOutbox(sent.corrupt)
        bar?.end()
        for (const skipped of totals.skipped.slice(0, 10)) {
          yield* Console.error(`skipped ${skipped.label}: ${skipped.reason}`)
        }
        // Which files the summary's malformed lines are in (they are left out; the rest of each file is read)
        const malformedIn = totals.malformedIn ?? []
        for (const file of malformedIn.slice(0, 10)) {
          yield* Console.error(`${file.lines} malformed line(s) left out of ${file.label}`)
        }
        if (malformedIn.length > 10) {
          yield* Console.error(`… and malformed lines in ${malformedIn.length - 10} other file(s)`)
        }
        yield* Console.log(history.summary(totals))
        return sent
      })
    )
    // Under the sync lock, like every write to the outbox; a running sync is waited for.
    yield* syncAndReport({ extra: importing, waitForLock: true, retention: "never" })
    // It succeeded: the next import may answer from the bookkeeping alone when nothing changed.
    if (inputs !== undefined && config.serverUrl !== undefined && configured) {
      const server = Sync.destinationOf(config) ?? config.serverUrl
      QuickImport.record(paths, { inputs, server, options: History.fingerprintOf(options) })
    }
  })

/** `sync --session ID`: re-reads that session's history (main and subagent files) into the queue, then syncs. */
const syncSession = (sessionId: string, current: boolean) =>
  Effect.gen(function* () {
    const { agent } = yield* LocalState
    const source = yield* SessionSource
    const options = yield* loadOptions
    const noun = agent.historyNoun
    const reread = Effect.scoped(
      Effect.gen(function* () {
        const history = yield* source.history(options)
        const items = history.items.filter((item) => item.sessionId === sessionId)
        if (items.length === 0 && current) {
          // A session's first prompt can be this command: the agent has not written its history yet.
          return yield* Console.log(`This session has no ${noun} yet; sending what is queued.`)
        }
        if (items.length === 0) {
          return yield* fail(
            `No ${noun} of session ${sessionId} under ${history.where}. Check the id; ` +
              `\`${agent.source.cli} sync\` without --session sends everything queued.`
          )
        }
        const totals = yield* History.importItems(items)
        const skipped = totals.skipped.length
        yield* Console.log(
          `Re-read session ${sessionId}: ${totals.items} ${noun}(s), ${totals.events} event(s) queued` +
            (skipped > 0 ? `, ${skipped} file(s) skipped.` : ".")
        )
      })
    )
    yield* syncAndReport({ extra: Effect.as(reread, undefined), waitForLock: true, retention: "always" })
  })

/** `sync --retry-rejected`: queues the events the outbox set aside again (under the lock), then syncs. */
const retryRejected = Effect.gen(function* () {
  const outbox = yield* Outbox.Outbox
  const requeue = Effect.gen(function* () {
    const again = yield* outbox.retryRejected()
    const unreadable = again.unreadable.length > 0 ? ` (${again.unreadable.length} record(s) unreadable, kept)` : ""
    yield* Console.log(`Queued ${again.requeued} rejected event(s) again${unreadable}.`)
  })
  yield* syncAndReport({ extra: Effect.as(requeue, undefined), waitForLock: true, retention: "always" })
})

/**
 * What `import --since` takes, as the date it starts from (local midnight for a day), or undefined: an ISO date or
 * time, `today`, `yesterday`, or `<n>d` / `<n>w` back from today's start.
 */
export const parseSince = (text: string, now: number): Date | undefined => {
  const value = text.trim().toLowerCase()
  const midnight = new Date(now)
  midnight.setHours(0, 0, 0, 0)
  const daysBack = (days: number) => {
    const date = new Date(midnight)
    date.setDate(date.getDate() - days)
    return date
  }
  if (value === "today") return daysBack(0)
  if (value === "yesterday") return daysBack(1)
  const back = /^(\d{1,4})\s*([dw])$/.exec(value)
  if (back !== null) return daysBack(Number(back[1]) * (back[2] === "w" ? 7 : 1))
  if (!/^\d{4}-\d\d-\d\d(?:[t ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:z|[+-]\d\d:?\d\d)?)?$/.test(value)) return undefined
  // A day alone is that day's local midnight (as `new Date("2026-01-31")` would not: it reads UTC)
  const date = /^\d{4}-\d\d-\d\d$/.test(value) ? new Date(`${value}T00:00`) : new Date(text.trim())
  if (Number.isNaN(date.getTime())) return undefined
  // A day that does not exist (2026-02-30, 2026-02-29) is refused: the engine rolls it over into the next month
  const [year, month, day] = value.slice(0, 10).split("-").map(Number) as [number, number, number]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth ? date : undefined
}

/** `--session current` names the session the command runs in (a slash command inside the agent). */
const syncCommand = (session: Option.Option<string>, retry: boolean) =>
  Effect.gen(function* () {
    const { agent, env } = yield* LocalState
    if (retry) return yield* retryRejected
    // Asked for by a person: a sync already running (the one a hook started, retrying a server that is down) is
    // waited for, then this one reports what it finds (it said "Another sync is running" and nothing of why)
    if (Option.isNone(session) || session.value === "")
      return yield* syncAndReport({ retention: "always", waitForLock: "live" })
    if (session.value !== "current") return yield* syncSession(session.value, false)
    const variable = agent.currentSessionEnv
    const current = variable === undefined ? undefined : env[variable]?.trim()
    if (current === undefined || current === "") {
      yield* Console.log(
        `Not inside a ${agent.source.label} session (no ${variable ?? "session id"}); sending what is queued.`
      )
      return yield* syncAndReport()
    }
    return yield* syncSession(current, true)
  })

/** The agent's own settings that `login` and `setup` apply (`HostSettings`); the lines to print. */
const applyHostSettings = Effect.flatMap(SessionSource, (source) => source.hostSettings?.apply ?? Effect.succeed([]))

/** Removes what `applyHostSettings` set, on `uninstall` and `logout`; the lines to print. */
const removeHostSettings = Effect.flatMap(SessionSource, (source) => source.hostSettings?.remove ?? Effect.succeed([]))

/**
 * Makes the state directory's inbox, temp folder and failures file while the disk has room: a hook that meets a full
 * disk records what it could not store in the failures file, and cannot create that file then (before, only the first
 * hook made it: after a `login`, a disk that filled before any hook ran lost every hook silently). Best effort.
 */
const prepareState = Effect.flatMap(LocalState, ({ paths }) =>
  // A disk full already, or a state directory that cannot be made: the first hook or sync tries again.
  Effect.try(() => HotPath.prepareState(paths)).pipe(Effect.ignore)
)

const setup = (noTelemetry: boolean) =>
  Effect.gen(function* () {
    yield* prepareState
    const { agent } = yield* LocalState
    const source = yield* SessionSource
    const lines = [...(yield* source.registration.install)]
    // Telemetry first: its opt-out is saved even when what follows cannot edit the agent's settings.
    const telemetry = yield* Telemetry.apply(noTelemetry)
    lines.push(...(yield* applyHostSettings), ...telemetry)
    const store = yield* ConfigStore.ConfigStore
    const saved = yield* store.saveEnvCredentials
    if (saved.length > 0) {
      lines.push(
        `Saved ${saved.join(" and ")} to ${store.path}: ${agent.source.label} runs the hooks without this shell's ` +
          `variables. Check the connection with \`${agent.source.cli} verify\`.`
      )
    }
    const config = yield* store.load
    if (config.serverUrl === undefined || config.apiKey === undefined)
      lines.push(`Next: \`${agent.source.cli} login\`.`)
    yield* Console.log(lines.join("\n"))
  })

const uninstall = Effect.gen(function* () {
  const { agent } = yield* LocalState
  const source = yield* SessionSource
  const lines = [...(yield* source.registration.uninstall)]
  // Hooks registered another way still run (Claude Code's plugin, after its settings.json hooks were removed to stop
  // recording twice): they need the agent's settings and its telemetry export as they are
  const still = yield* source.registration.inspect
  if (still.active) {
    lines.push(
      `${agent.source.label} still runs the sync's hooks (${still.text}): its settings and telemetry stay as they are ` +
        `(\`${agent.source.cli} logout\` removes them).`,
      // What the removed hooks gave the others (Claude Code's SessionEnd budget, which `setup`'s hooks carried) is
      // set again for the hooks that stay
      ...(yield* applyHostSettings)
    )
  } else lines.push(...(yield* removeHostSettings), ...(yield* Telemetry.remove))
  yield* Console.log(lines.join("\n"))
})

const printLines = (lines: ReadonlyArray<string>) => (lines.length === 0 ? Effect.void : Console.log(lines.join("\n")))

/** `set KEY VALUE`; the `telemetry` setting exists for agents with a telemetry export, and takes effect at once. */
const setValue = (agent: Agent, key: string, value: string) =>
  Effect.gen(function* () {
    if (key === "telemetry" && agent.telemetry === undefined) {
      return yield* fail(
        `${agent.source.cli} has no telemetry setting (${agent.source.label} has no telemetry export).`
      )
    }
    // The settings this agent has (an unknown one's error listed `telemetry` for every agent)
    const keys = ConfigStore.settableKeys.filter((k) => k !== "telemetry" || agent.telemetry !== undefined)
    if (!(keys as ReadonlyArray<string>).includes(key)) {
      return yield* fail(`${agent.source.cli} has no setting ${JSON.stringify(key)}; use one of ${keys.join(", ")}.`)
    }
    yield* AccountCommands.setValue(key, value)
    if (key === "telemetry") yield* Effect.flatMap(Telemetry.apply(false), printLines)
  })

/** An agent's own command; its name, errors and value are its own business (a command's name type is invariant). */
// biome-ignore lint/suspicious/noExplicitAny: the one bridge to @effect/cli's invariant command types
export type AgentCommand<R> = Command.Command<any, R, any, any>

/** The CLI of `agent`, with its own `commands` after the common ones. */
export const make = <R>(agent: Agent, version: string, commands: ReadonlyArray<AgentCommand<R>>) => {
  const { cli, envPrefix } = agent.source
  const accountCli = {
    name: cli,
    envPrefix,
    afterLogin: agent.afterLogin,
    telemetry: agent.telemetry !== undefined
  }
  const account = AccountCommands.commands(accountCli)
  const noTelemetry = Options.boolean("no-telemetry").pipe(
    Options.withDescription(
      `Do not point ${agent.telemetry?.name ?? "the agent's telemetry"} at the server, and remove what setup added ` +
        "(saved as the telemetry setting)."
    )
  )
  const withTelemetry = agent.telemetry !== undefined
  const login = withTelemetry
    ? Command.make("login", { ...AccountCommands.loginOptions(accountCli), noTelemetry }, (flags) =>
        Effect.zipRight(
          AccountCommands.login(accountCli, flags),
          Effect.flatMap(
            Effect.zipWith(Telemetry.apply(flags.noTelemetry), applyHostSettings, (telemetry, host) => [
              ...host,
              ...telemetry
            ]),
            printLines
          )
        ).pipe(Effect.zipLeft(prepareState))
      ).pipe(Command.withDescription(AccountCommands.loginDescription))
    : account.login.pipe(Command.transformHandler((handler) => Effect.zipLeft(handler, prepareState)))
  const logout = withTelemetry
    ? Command.make("logout", {}, () =>
        Effect.zipRight(
          AccountCommands.logout,
          Effect.flatMap(
            Effect.zipWith(removeHostSettings, Telemetry.remove, (a, b) => [...a, ...b]),
            printLines
          )
        )
      ).pipe(Command.withDescription(AccountCommands.logoutDescription))
    : account.logout
  const setupCommand = withTelemetry
    ? Command.make("setup", { noTelemetry }, (o) => setup(o.noTelemetry)).pipe(
        Command.withDescription(agent.help.setup)
      )
    : Command.make("setup", {}, () => setup(false)).pipe(Command.withDescription(agent.help.setup))
  const session = Options.text("session").pipe(
    Options.withDescription(
      `Also re-read this session's ${agent.historyNoun}s before sending: its id` +
        (agent.currentSessionEnv === undefined
          ? "."
          : `, or \`current\` for the ${agent.source.label} session this runs in (${agent.currentSessionEnv}).`)
    ),
    Options.optional
  )
  const background = Options.boolean("background").pipe(
    Options.withDescription("Print nothing, log problems to the log file, always exit 0 (what the plugin starts).")
  )
  const retryRejectedFlag = Options.boolean("retry-rejected").pipe(
    Options.withDescription(
      "Queue the events the server refused (outbox/rejected/) again, then send everything queued."
    )
  )
  const since = Options.text("since").pipe(
    Options.withDescription(
      "Only what changed on or after this date: 2026-01-31 (or a time: 2026-01-31T09:00), today, yesterday, 7d, 2w."
    ),
    Options.mapEffect((text) => {
      const date = parseSince(text, Date.now())
      return date === undefined
        ? Effect.fail(
            ValidationError.invalidValue(
              HelpDoc.p(
                `--since takes a date (2026-01-31, or 2026-01-31T09:00), today, yesterday, or days or weeks back ` +
                  `(7d, 2w); got ${JSON.stringify(text)}.`
              )
            )
          )
        : Effect.succeed(date)
    }),
    Options.optional
  )
  const again = Options.boolean("again").pipe(
    Options.withDescription(
      `Read every ${agent.historyNoun} whole, also those imported before and unchanged since (to send them again).`
    )
  )
  const root = Command.make(cli).pipe(
    Command.withDescription(agent.description),
    Command.withSubcommands([
      login,
      logout,
      Command.make("status", { json }, (o) => Status.status(o.json)).pipe(Command.withDescription(agent.help.status)),
      account.config,
      Command.make("set", AccountCommands.setArgs, ({ key, value }) => setValue(agent, key, value)).pipe(
        Command.withDescription(AccountCommands.setDescription)
      ),
      setupCommand,
      Command.make("uninstall", {}, () => uninstall).pipe(Command.withDescription(agent.help.uninstall)),
      Command.make("verify", { json }, (o) => Status.verify(o.json)).pipe(Command.withDescription(agent.help.verify)),
      Command.make("sync", { background, session, retryRejected: retryRejectedFlag }, (o) =>
        o.background
          ? syncInBackground
          : syncCommand(
              Option.map(o.session, (id) => id.trim()),
              o.retryRejected
            )
      ).pipe(Command.withDescription(agent.help.sync)),
      Command.make("import", { since, again }, (o) => runImport(o.since, o.again, version)).pipe(
        Command.withDescription(agent.help.import)
      ),
      ...commands
    ])
  )
  const run = Command.run(root, { name: cli, version })
  return (argv: ReadonlyArray<string>) => plainWhenPiped(run(argv))
}
