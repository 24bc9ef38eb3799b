/**
 * `status` and `verify` of every agent's CLI: the effective config, the connection, the queue, and how the plugin is
 * registered with the agent.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs"
import { dirname } from "node:path"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as AccountCommands from "../AccountCommands.js"
import * as ConfigStore from "../ConfigStore.js"
import * as Outbox from "../Outbox.js"
import * as SyncClient from "../SyncClient.js"
import * as SyncLock from "../SyncLock.js"
import type { StatePaths } from "./Agent.js"
import * as Failures from "./Failures.js"
import * as Inbox from "./Inbox.js"
import * as Install from "./Install.js"
import { LocalState } from "./LocalState.js"
import * as Retention from "./Retention.js"
import { type RegistrationStatus, SessionSource } from "./SessionSource.js"
import * as Telemetry from "./Telemetry.js"

const { ago, fail, utc } = AccountCommands

/**
 * What keeps the hot path from storing what it receives, or undefined: a folder it writes (the state directory, the
 * inbox, its temp folder) that cannot be written, or, where one does not exist yet, the nearest folder above it that
 * cannot. A hook that cannot store a payload has nowhere to record that either (not even the log): this is how the
 * user learns of it.
 */
const stateProblem = (paths: StatePaths): string | undefined => {
  for (const dir of [paths.stateDir, paths.inbox, paths.tmp]) {
    let at = dir
    while (!existsSync(at) && dirname(at) !== at) at = dirname(at)
    try {
      if (!statSync(at).isDirectory()) return `${at} is not a folder`
      accessSync(at, constants.W_OK)
    } catch (cause) {
      return `${at} cannot be written (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`
    }
  }
  return undefined
}

/** Tests the configured server and key: its version and latency, or why it cannot be reached. */
export const checkConnection = Effect.gen(function* () {
  const { agent } = yield* LocalState
  const config = yield* (yield* ConfigStore.ConfigStore).load
  if (config.serverUrl === undefined || config.apiKey === undefined) {
    return { ok: false as const, error: `Not configured. Run \`${agent.source.cli} login\`.`, kind: "refused" as const }
  }
  return yield* (yield* SyncClient.SyncClient).check.pipe(
    Effect.map((checked) => ({
      ok: true as const,
      version: checked.version,
      latencyMs: checked.latencyMs,
      ...(checked.telemetryReceivedAt === undefined ? {} : { telemetryReceivedAt: checked.telemetryReceivedAt })
    })),
    Effect.catchTag("SendFailed", (error) =>
      Effect.succeed({ ok: false as const, error: error.message, kind: error.kind })
    )
  )
})

type Checked = Effect.Effect.Success<typeof checkConnection>

const reached = (connection: Checked) =>
  connection.ok ? `ok: OpenSync ${connection.version}, ${connection.latencyMs} ms` : connection.error

const indent = (width: number) => (line: string) => `${" ".repeat(width)}${line}`

/** The inbox in words: what waits, what could not be read, what the hot path could not store and what became of it. */
const inboxLines = (
  inbox: ReturnType<typeof Inbox.counts>,
  failures: Failures.Failures,
  noun: string,
  historyNoun: string
): ReadonlyArray<string> => {
  const lines = [
    `${inbox.waiting} ${noun}(s) waiting` +
      (inbox.unreadable > 0
        ? `, ${inbox.unreadable} unreadable kept redacted in inbox-bad/ (oldest ${ago(inbox.oldestUnreadableAt)}; ` +
          "removed after 7 days)"
        : "")
  ]
  if (failures.count > 0) {
    lines.push(
      `${failures.count} ${noun}(s) could not be stored, ${ago(failures.firstAt)} to ${ago(failures.lastAt)} ` +
        `(${failures.lastError}): the next sync re-reads ${failures.sessions.length} session(s) from their ${historyNoun}s`
    )
  } else if (failures.recoveredAt !== null) {
    lines.push(
      `${failures.recovered} ${noun}(s) could not be stored (${failures.lastError}); their sessions were re-read ` +
        `from their ${historyNoun}s ${ago(failures.recoveredAt)}`
    )
  }
  return lines
}

/**
 * The outbox in words: how many events wait, since when and why, and what sends them (`connection`: what the server
 * answers now; a refused key or URL waits for a login, not for the server to come back); what the server failed on
 * or refused.
 */
const outboxLines = (outbox: Outbox.Stats, connection: Checked, cli: string): ReadonlyArray<string> => {
  const lines: Array<string> = []
  if (outbox.pending === 0) lines.push("0 pending")
  else {
    // (the error's own full stop, before the `;` that follows it, made "queued.; the next hook")
    const why = outbox.lastError === null ? "" : `: ${outbox.lastError.replace(/\.$/, "")}`
    const next = connection.ok
      ? "the next hook or turn sends them"
      : connection.kind === "refused"
        ? `they are sent once \`${cli} login\` has a key and URL the server accepts`
        : "the next hook or turn retries (at most once a minute while the server stays down)"
    lines.push(`${outbox.pending} pending since ${ago(outbox.oldestPendingAt)}${why}; ${next}`)
  }
  if (outbox.retrying > 0) {
    const failed = outbox.lastFailed === null ? "" : `: ${outbox.lastFailed.reason}`
    const next = outbox.nextRetryAt === null ? "" : `, next try ${utc(outbox.nextRetryAt)}`
    lines.push(`${outbox.retrying} the server failed on${next}${failed}`)
  }
  if (outbox.rejected > 0) {
    const last =
      outbox.lastRejected === null ? "" : ` (the last ${ago(outbox.lastRejected.at)}: ${outbox.lastRejected.reason})`
    lines.push(
      `${outbox.rejected} refused by the server, kept in outbox/rejected/${last}; \`sync --retry-rejected\` sends them again`
    )
  }
  if (outbox.corrupt > 0) {
    lines.push(
      `${outbox.corrupt} unreadable outbox file(s) kept in outbox/corrupt/ (what they held is read again from the ` +
        "history: the sessions they name by the next sync, every session by the next import)"
    )
  }
  return lines
}

/** `status`: config, connection, queue, last sync and error, registration. */
export const status = (asJson: boolean) =>
  Effect.gen(function* () {
    const { agent, entry, paths } = yield* LocalState
    const cli = {
      name: agent.source.cli,
      envPrefix: agent.source.envPrefix,
      afterLogin: agent.afterLogin,
      telemetry: agent.telemetry !== undefined
    }
    const install = Install.describe(agent, entry)
    const heartbeat = Install.heartbeat(paths) ?? null
    const inbox = Inbox.counts(paths, agent.inboxSuffix)
    const failures = Failures.read(paths)
    const settings = yield* (yield* ConfigStore.ConfigStore).load
    const retention = yield* Effect.either(
      Retention.check({ syncToolCalls: settings.syncToolCalls, syncThinking: settings.syncThinking }, false)
    )
    const history = Either.isRight(retention)
      ? retention.right === undefined
        ? []
        : [Retention.describe(agent.source.label, agent.source.cli, retention.right)]
      : [`cannot check the sessions ${agent.source.label} deletes soon: ${retention.left.message}`]
    const { lines, ...config } = yield* AccountCommands.effectiveConfig(cli)
    const connection = yield* checkConnection
    const outbox = yield* (yield* Outbox.Outbox).stats()
    const lock = yield* SyncLock.inspect(paths.lock)
    const registration = yield* (yield* SessionSource).registration.inspect
    const telemetry = yield* Telemetry.status(connection.ok ? connection.telemetryReceivedAt : undefined)
    const state = stateProblem(paths)
    if (asJson) {
      return yield* Console.log(
        JSON.stringify(
          {
            config,
            state: stateJson(paths, state),
            connection,
            outbox,
            lock,
            inbox: { ...inbox, failures },
            [registration.key]: registration.json,
            ...(telemetry === undefined ? {} : { telemetry: telemetry.json }),
            install,
            heartbeat,
            retention: Either.isRight(retention) ? (retention.right ?? null) : { error: retention.left.message }
          },
          null,
          2
        )
      )
    }
    yield* Console.log(
      [
        ...lines,
        "",
        `install        ${Install.line(agent, install)}`,
        ...(state === undefined ? [] : [`state          ${state}: ${lostWhile(agent.inboxNoun)}`]),
        `connection     ${reached(connection)}`,
        ...outboxLines(outbox, connection, agent.source.cli).map(
          (line, i) => `${i === 0 ? "outbox         " : "               "}${line}`
        ),
        ...inboxLines(inbox, failures, agent.inboxNoun, agent.historyNoun).map(
          (line, i) => `${i === 0 ? "inbox          " : "               "}${line}`
        ),
        ...(lock === null ? [] : [`sync           ${lockLine(lock, paths.lock)}`]),
        `last sync      ${ago(outbox.lastSuccessAt)}`,
        // (when: an error met before the last sync, by another server URL say, is told apart from a current one)
        `last error     ${outbox.lastError === null ? "none" : `${ago(outbox.lastErrorAt)}: ${outbox.lastError}`}`,
        ...history.map((line) => `history        ${line}`),
        `${registration.key.padEnd(15)}${registration.text}`,
        ...registration.details.map(indent(15)),
        ...(telemetry === undefined ? [] : [`telemetry      ${telemetry.line}`])
      ].join("\n")
    )
  })

/** `status --json`'s and `verify --json`'s `state`: the folder, whether the hooks can write it, and what keeps them. */
const stateJson = (paths: StatePaths, problem: string | undefined) => ({
  dir: paths.stateDir,
  writable: problem === undefined,
  ...(problem === undefined ? {} : { problem })
})

/** What is lost while the state directory cannot be written. */
const lostWhile = (noun: string): string =>
  `every ${noun} the agent sends is lost until it can (make it writable, then run import to read back what was missed)`

/** The sync lock's line: who runs a sync and since when, or a lock nobody holds any more (taken over by the next sync). */
const lockLine = (lock: SyncLock.LockState, file: string): string => {
  const since = lock.holder?.acquiredAt ?? lock.since
  if (!lock.alive) return `none running (a dead sync's lock in ${file}, taken over by the next sync)`
  if (lock.holder === null) {
    return (
      `an older version's lock (${file}, written ${ago(since)}), counted as running until ` +
      utc(SyncLock.olderLockExpiresAt(since))
    )
  }
  return `running: pid ${lock.holder.pid} (${lock.holder.command}), since ${ago(since)}`
}

/** `ok`, `not active` (registered, not run by the agent yet: Codex before trust), or `missing`. */
const registrationState = (registration: RegistrationStatus): string =>
  registration.active ? "ok" : registration.registered === true ? "not active" : "missing"

/** `verify`: exits 1 unless the agent runs the plugin and the server accepts the key. */
export const verify = (asJson: boolean) =>
  Effect.gen(function* () {
    const { agent, entry, paths } = yield* LocalState
    const registration = yield* (yield* SessionSource).registration.inspect
    const connection = yield* checkConnection
    const install = Install.describe(agent, entry)
    const state = stateProblem(paths)
    if (asJson) {
      yield* Console.log(
        JSON.stringify(
          {
            [registration.key]: registration.json,
            connection,
            install,
            state: stateJson(paths, state)
          },
          null,
          2
        )
      )
    } else {
      const lines = [
        `install     ${Install.line(agent, install)}`,
        ...(state === undefined ? [] : [`state       ${state}: ${lostWhile(agent.inboxNoun)}`]),
        `${registration.key.padEnd(12)}${registrationState(registration)}: ${registration.text}`,
        ...registration.details.map(indent(12)),
        `connection  ${reached(connection)}`
      ]
      yield* Console.log(lines.join("\n"))
    }
    if (!registration.active) return yield* fail(registration.fix)
    if (state !== undefined) return yield* fail(`The plugin's state folder cannot be written: ${state}.`)
    if (!connection.ok) {
      const cli = agent.source.cli
      return yield* fail(
        connection.kind === "unavailable"
          ? `The server cannot be reached: start it (or check the URL \`${cli} status\` shows), then run \`${cli} verify\` again.`
          : connection.kind === "refused"
            ? `The server refuses this configuration: run \`${cli} login\` with its URL and a key it accepts.`
            : `The server failed to answer: ${connection.error}`
      )
    }
  })
