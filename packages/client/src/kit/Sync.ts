/**
 * The sync every agent's plugin runs (`<cli> sync`, and detached after a turn): under the lock, the inbox items become
 * redacted events in the outbox (and the files they ask to re-read are read), then everything queued is sent. A hook
 * that fires while a sync holds the lock does not start another one, so after releasing it the inbox is checked again
 * and, if items arrived meanwhile, another round runs, until a round finds the inbox empty or takes nothing from it.
 */
import { existsSync, type Stats, statSync } from "node:fs"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as AccountCommands from "../AccountCommands.js"
import * as ConfigStore from "../ConfigStore.js"
import * as Outbox from "../Outbox.js"
import * as Redactor from "../Redactor.js"
import * as SyncClient from "../SyncClient.js"
import * as SyncLock from "../SyncLock.js"
import * as Checkpoints from "./Checkpoints.js"
import * as Failures from "./Failures.js"
import * as FollowUps from "./FollowUps.js"
import * as History from "./History.js"
import * as HotPath from "./HotPath.js"
import type { ReportCounts } from "./ImportText.js"
import * as Inbox from "./Inbox.js"
import { LocalState } from "./LocalState.js"
import * as OpenTurns from "./OpenTurns.js"
import * as Retention from "./Retention.js"
import { type FollowUp, FollowUpFailed, type MappingOptions, SessionSource } from "./SessionSource.js"

/** What one sync did: its counts (see `ImportText.ReportCounts`) and the error that stopped it, if one did. */
export interface SyncReport extends ReportCounts {
  readonly error: string | null
}

/** What processing the inbox did. */
export interface Processed {
  readonly inboxItems: number
  readonly unreadable: number
  readonly followUps: number
  readonly eventsQueued: number
}

const nothingProcessed = { inboxItems: 0, unreadable: 0, followUps: 0, eventsQueued: 0, recovered: 0, saved: 0 }

export const optionsOf = (config: ConfigStore.ResolvedConfig): MappingOptions => ({
  syncToolCalls: config.syncToolCalls,
  syncThinking: config.syncThinking
})

/**
 * Why a follow-up's path cannot be read as a file, when it is something else that is there (a FIFO, a device, a
 * folder): reading a FIFO nobody writes to blocks for ever, and the sync held its lock with it (every later sync, and
 * every import, waited; the follow-up, never removed, blocked the next sync the same way).
 */
const notAFile = (path: string): string | undefined => {
  let stats: Stats
  try {
    stats = statSync(path)
  } catch {
    return undefined
  }
  if (stats.isFile()) return undefined
  const what = stats.isDirectory()
    ? "a folder"
    : stats.isFIFO()
      ? "a FIFO"
      : stats.isSocket()
        ? "a socket"
        : stats.isCharacterDevice() || stats.isBlockDevice()
          ? "a device"
          : "something other than a file"
  return `it is ${what}, not a file; left out`
}

/** Reads one follow-up: on from where the last read of the file stopped when the agent can, else whole. */
const readFollowUp = (followUp: FollowUp, options: MappingOptions, checkpoints: Checkpoints.Store) =>
  Effect.gen(function* () {
    const wrong = notAFile(followUp.path)
    if (wrong !== undefined) return yield* new FollowUpFailed({ path: followUp.path, reason: wrong })
    const source = yield* SessionSource
    if (source.followUpItem === undefined) {
      const events = yield* source.followUp(followUp, options)
      if (events.length > 0) yield* (yield* Outbox.Outbox).append(yield* Redactor.redactEvents(events))
      return events.length
    }
    const item = yield* source.followUpItem(followUp, options)
    const totals = yield* History.importItems([item], { checkpoints, mapping: options })
    const skipped = totals.skipped[0]
    if (skipped !== undefined) return yield* new FollowUpFailed({ path: followUp.path, reason: skipped.reason })
    return totals.events
  })

/**
 * Spool files the drain could not read (cut short by a power loss, damaged): their readable events were queued again,
 * the rest may be lost. The sessions they name are read again from the agent's history by the next sync (`Failures`),
 * and the bookkeeping is forgotten, so the next import reads everything again: a file cut short names only some of
 * its sessions, and the others were recorded as read.
 */
export const lostInOutbox = (corrupt: ReadonlyArray<Outbox.CorruptFile>) =>
  Effect.gen(function* () {
    const { paths, log } = yield* LocalState
    const now = Date.now()
    for (const file of corrupt) {
      yield* log(
        `sync: outbox file ${file.file} could not be read (${file.reason}), kept in outbox/corrupt/: the ` +
          `${file.sessions.length} session(s) it names are read again from their history, and the next import reads every session`
      )
      // (Failures keeps the latest sessions only; the forgotten bookkeeping covers every other)
      for (const id of file.sessions.slice(-Failures.MAX_SESSIONS)) {
        Failures.record(paths, id, `an outbox file could not be read (outbox/corrupt/${file.file})`, now)
      }
    }
    yield* Effect.try(() => Checkpoints.forget(paths.stateDir)).pipe(Effect.ignore)
  })

/** The configured destination of the bookkeeping (`Checkpoints.destination`): the server's URL and its key. */
export const destinationOf = (config: ConfigStore.ResolvedConfig): string | null =>
  Checkpoints.destination(config.serverUrl, config.apiKey === undefined ? undefined : Redacted.value(config.apiKey))

/**
 * Turns the stored inbox items into redacted events in the outbox, then reads the files they asked to re-read (only
 * what was appended since their last read, see `Checkpoints`). Nothing is consumed before what it yields is durable:
 * an item is removed only after its events are in the outbox and its follow-ups are recorded in the follow-up queue,
 * and a follow-up only after its events are in the outbox.
 */
export const processInbox = (options: MappingOptions, server: string | null = null) =>
  Effect.gen(function* () {
    const { agent, paths, log } = yield* LocalState
    const source = yield* SessionSource
    const outbox = yield* Outbox.Outbox
    const redactor = yield* Redactor.Redactor
    let inboxItems = 0
    let unreadable = 0
    let followUpsRead = 0
    let queued = 0
    const checkpoints = Checkpoints.open(paths.stateDir, server)
    const fingerprint = History.fingerprintOf(options)
    for (const name of Inbox.list(paths, agent.inboxSuffix)) {
      const item = Inbox.read(paths, name)
      const decoded =
        "problem" in item ? { _tag: "Unreadable" as const, reason: item.problem } : source.decode(item, options)
      if (decoded._tag === "Unreadable" && decoded.keep === true) {
        // Not this CLI's to read, nor to set aside (set aside, it was redacted and deleted after a week): left for the
        // release that reads it
        yield* log(`sync: ${name}: ${decoded.reason}`)
        continue
      }
      if (decoded._tag === "Unreadable") {
        yield* log(`sync: ${name}: ${decoded.reason} (moved to inbox-bad/, redacted)`)
        Inbox.setAside(paths, name, "problem" in item ? undefined : yield* redactor.text(item.text))
        unreadable++
        continue
      }
      if (decoded.events.length > 0) yield* outbox.append(yield* Redactor.redactEvents(decoded.events))
      queued += decoded.events.length
      yield* Effect.try({
        try: () => FollowUps.record(paths, decoded.followUps, Date.now()),
        catch: (cause) =>
          new Outbox.OutboxWriteFailed({
            what: "the list of sessions to read again",
            path: paths.followUps,
            reason: `${cause instanceof Error ? cause.message : String(cause)}. Check that the folder is writable and the disk is not full.`
          })
      })
      if (decoded.read !== undefined) {
        const { sessionId, key, version, part } = decoded.read
        const known = checkpoints.get(key)
        if (part === 1 || (known?.part === part - 1 && known.options === fingerprint)) {
          checkpoints.put(key, { sessionId, options: fingerprint, version, part })
        }
      }
      Inbox.remove(paths, name)
      inboxItems++
    }
    // The bookkeeping is only a shortcut: when it cannot be written, the next import reads those items again.
    yield* Effect.try(() => checkpoints.save()).pipe(Effect.ignore)
    const followUps = FollowUps.list(paths)
    for (const bad of followUps.unreadable) {
      yield* log(`sync: ${bad.file}: ${bad.reason} (removed)`)
      FollowUps.remove(bad.file)
    }
    for (const { file, followUp } of followUps.queued) {
      // The follow-up's own failure is logged and recorded as what could not be stored (`status` shows it; the next
      // step re-reads the session from the agent's history), then dropped; an outbox write failure stops the sync
      // (kept queued).
      const read = yield* readFollowUp(followUp, options, checkpoints).pipe(
        Effect.map((events) => Either.right(events)),
        Effect.catchTag("FollowUpFailed", (failed) => Effect.succeed(Either.left(failed)))
      )
      if (Either.isLeft(read)) {
        yield* log(`sync: ${read.left.message}`)
        // A file that is not there is no failure: a session that ends before the agent wrote anything has none.
        // (Dated a millisecond back: the recovery of this same sync, which may start within the millisecond, keeps
        // only sessions recorded once it began, by hooks failing meanwhile.)
        if (existsSync(followUp.path)) {
          Failures.record(paths, followUp.sessionId, `after a turn, ${read.left.message}`, Date.now() - 1)
        }
        FollowUps.remove(file)
        continue
      }
      FollowUps.remove(file)
      queued += read.right
      followUpsRead++
    }
    return { inboxItems, unreadable, followUps: followUpsRead, eventsQueued: queued } satisfies Processed
  })

/** Takes the sync lock of the agent's state directory for the scope, or says who holds it (a dead holder's is taken over). */
export const take = Effect.flatMap(LocalState, ({ paths }) => SyncLock.take(paths.lock))

/** `take`, reduced to whether the lock is held. */
export const lock = Effect.map(take, (taken) => taken.held)

/**
 * Re-reads, from the agent's own history, the sessions whose items the hot path could not store (a full disk), then
 * clears them from the failures file. Returns how many sessions were found.
 */
export const recoverFailures = (options: MappingOptions) =>
  Effect.gen(function* () {
    const { agent, paths, log } = yield* LocalState
    const since = Date.now()
    const failures = Failures.read(paths)
    // The items kept whole go back into the inbox (this sync's next round processes them).
    const queued: Array<string> = []
    for (const item of failures.items ?? []) {
      const put = yield* Effect.either(Effect.try(() => HotPath.writeInbox(paths, item.name, item.text)))
      if (Either.isRight(put)) queued.push(item.name)
    }
    if (failures.sessions.length === 0) {
      if (queued.length > 0) {
        yield* Effect.try(() => Failures.recovered(paths, [], since, Date.now(), queued)).pipe(Effect.ignore)
      }
      return 0
    }
    const ids = failures.sessions.map((session) => session.id)
    const source = yield* SessionSource
    const read = yield* Effect.either(
      Effect.scoped(
        Effect.gen(function* () {
          const history = yield* source.history(options)
          const items = history.items.filter((item) => ids.includes(item.sessionId))
          yield* History.importItems(items)
          return new Set(items.map((item) => item.sessionId))
        })
      )
    )
    if (Either.isLeft(read)) {
      yield* log(`sync: cannot re-read the sessions whose items could not be stored: ${read.left.message}`)
      return 0
    }
    const missing = ids.filter((id) => !read.right.has(id))
    yield* log(
      `sync: re-read ${read.right.size} session(s) from their ${agent.historyNoun}s after ${failures.count} item(s) ` +
        `could not be stored (${failures.lastError ?? "unknown error"})` +
        (missing.length > 0 ? `; not found: ${missing.join(", ")}` : "")
    )
    yield* Effect.try(() => Failures.recovered(paths, ids, since, Date.now(), queued)).pipe(
      Effect.catchAll((error) => log(`sync: cannot update ${Failures.failuresFile(paths)}: ${String(error.error)}`))
    )
    return read.right.size
  })

const pendingCount = Effect.flatMap(Outbox.Outbox, (outbox) => Effect.map(outbox.stats(), (stats) => stats.pending))

/** Events sent, and refused by the server. */
export interface Sent {
  readonly delivered: number
  readonly rejected: number
  /** Dropped by the server: their session was deleted there. */
  readonly deleted: number
  /**
   * Whether the server could not be reached at the end (its drain already waited through the retries): the drain that
   * follows tries once, so an import while the server is down waits for it once, not twice.
   */
  readonly unreachable?: boolean
}

/** What a sync does besides the inbox, under its lock, before sending (an import, a re-read, the retention check). */
export interface RunOptions<E = never, R = never> {
  /**
   * Runs once, under the lock, after the inbox is processed (an import, a session re-read); returns what it sent
   * itself, if it sends while it works.
   */
  readonly extra?: Effect.Effect<Sent | undefined, E, R>
  /** Check the sessions the agent deletes soon: on every run, at most hourly (the default), or not at all. */
  readonly retention?: "always" | "hourly" | "never"
  /**
   * Wait (up to two minutes) for a sync that holds the lock, instead of leaving the work to it; `"live"`: only for one
   * of this version whose process runs (an older version's lock may be left for minutes: said at once).
   */
  readonly waitForLock?: boolean | "live"
}

const LOCK_WAIT_MS = 120_000

/** ` (pid 123, command …, since 2026-11-21 09:30:00 UTC, 12 s ago)`: who holds the lock, and since when. */
const holderText = (taken: { readonly holder: SyncLock.Holder | null; readonly since: number | null }): string => {
  const since = taken.holder?.acquiredAt ?? taken.since
  const who = taken.holder === null ? "an older version" : `pid ${taken.holder.pid}: ${taken.holder.command}`
  const when = since === null ? "" : `, since ${AccountCommands.ago(since).replace(" (", ", ").replace(/\)$/, "")}`
  return ` (${who}${when})`
}

/**
 * Takes the lock, waiting for another sync to finish when asked to (saying so on stderr, once: an import that waits in
 * silence looks hung); when it cannot, who holds it.
 */
const takeLock = (wait: boolean | "live") =>
  Effect.gen(function* () {
    const deadline = Date.now() + (wait === false ? 0 : LOCK_WAIT_MS)
    let said = false
    for (;;) {
      const taken = yield* take
      if (taken.held) return undefined
      if (Date.now() >= deadline || (wait === "live" && taken.holder === null)) return holderText(taken)
      if (!said) {
        said = true
        const { paths } = yield* LocalState
        const older =
          taken.holder === null && taken.since !== null
            ? ` An older version's lock (${paths.lock}) counts as stale from ` +
              `${AccountCommands.utc(SyncLock.olderLockExpiresAt(taken.since))}; remove it if no ` +
              "sync of that version runs."
            : ""
        yield* Effect.sync(() =>
          process.stderr.write(
            `Waiting for another sync to finish${holderText(taken)}, at most ${LOCK_WAIT_MS / 60_000} minutes.${older}\n`
          )
        )
      }
      yield* Effect.sleep("250 millis")
    }
  })

/**
 * Checks the sessions the agent deletes soon and queues those the server lacks; logs a warning about them (the
 * background sync a hook starts is how a user hears of it between two `status`es).
 */
const saveFromCleanup = (options: MappingOptions) =>
  Effect.gen(function* () {
    const { agent, log } = yield* LocalState
    const checked = yield* Effect.either(Retention.check(options, true))
    if (Either.isLeft(checked)) {
      yield* log(`sync: cannot check the sessions ${agent.source.label} deletes soon: ${checked.left.message}`)
      return 0
    }
    const report = checked.right
    if (report !== undefined && (report.missing.length > 0 || report.error !== null) && report.atRisk > 0) {
      yield* log(`sync: ${Retention.describe(agent.source.label, agent.source.cli, report)}; queued ${report.queued}`)
    }
    return report?.queued ?? 0
  })

/** A round's report; `busy` when another sync held the lock, so this round did nothing. */
type RoundReport = SyncReport & { readonly busy?: true }

/** One round under the lock: process the inbox (and `extra`), then (when `send`) send the outbox to the server. */
const round = <E, R>(send: boolean, options: RunOptions<E, R>, first: boolean) =>
  Effect.scoped(
    Effect.gen(function* () {
      const { agent, paths, log } = yield* LocalState
      const busy = yield* takeLock(first ? (options.waitForLock ?? false) : false)
      if (busy !== undefined) {
        const error = `Another sync is running${busy}; it will send what is queued.`
        const report: SyncReport = {
          ...nothingProcessed,
          delivered: 0,
          rejected: 0,
          deleted: 0,
          pending: yield* pendingCount,
          error
        }
        return { ...report, busy: true } satisfies RoundReport
      }
      // (the file the hooks record what they could not store in, written while there is room: a sync that cannot
      // write it still processes and sends, and says so)
      const preallocated = yield* Effect.either(
        Effect.try({
          try: () => Failures.preallocate(paths),
          catch: (cause) => (cause instanceof Error ? cause.message : String(cause))
        })
      )
      const failuresProblem = Either.isLeft(preallocated)
        ? `Could not write ${Failures.failuresFile(paths)}, where the hooks record what they could not store: ${preallocated.left}`
        : null
      if (failuresProblem !== null) yield* log(`sync: ${failuresProblem}`)
      // (dated a millisecond back, as a failure recorded before this round's re-read: that re-read clears it)
      const stopped = OpenTurns.recover(paths, `${agent.source.label} stopped during a turn`, Date.now() - 1)
      if (stopped.length > 0) {
        yield* log(`sync: ${agent.source.label} stopped during a turn of ${stopped.join(", ")}: re-reading them`)
      }
      const left = Inbox.recoverLeft(paths, agent.inboxSuffix, Date.now())
      if (left > 0) yield* log(`sync: moved ${left} hook item(s) a killed hook left in tmp/ into the inbox`)
      const pruned = Inbox.prune(paths, Date.now())
      if (pruned.bad > 0) yield* log(`sync: removed ${pruned.bad} item(s) kept in inbox-bad/ past their time`)
      const config = yield* (yield* ConfigStore.ConfigStore).load
      const mapping = optionsOf(config)
      // A queue that cannot be written (a read-only folder, a file where one should be) stops the processing, not
      // the sending of what was queued before; what stays in the inbox waits for the next sync, nothing is lost
      const inbox = yield* Effect.either(processInbox(mapping, destinationOf(config)))
      const blocked = Either.isLeft(inbox) ? inbox.left : undefined
      if (blocked !== undefined) yield* log(`sync: could not process the inbox: ${blocked.message}`)
      const processed = {
        ...(Either.isRight(inbox) ? inbox.right : nothingProcessed),
        recovered: blocked === undefined ? yield* recoverFailures(mapping) : 0
      }
      const extra = first && options.extra !== undefined && blocked === undefined ? yield* options.extra : undefined
      const before: Sent = extra ?? { delivered: 0, rejected: 0, deleted: 0 }
      const retention = options.retention ?? "hourly"
      const checkRetention =
        first && send && (retention === "always" || (retention === "hourly" && (yield* Retention.due)))
      const saved: number = checkRetention ? yield* saveFromCleanup(mapping) : 0
      const done = { ...processed, saved }
      const { delivered, rejected, deleted } = before
      const localError =
        blocked === undefined ? failuresProblem : `Could not process what the hooks stored: ${blocked.message}`
      // An error met here, outside sending (the inbox not processed, failures.json not written), recorded last, after
      // any send: a send that succeeds clears the errors recorded before it, and this one stays
      const recordLocal = localError === null ? Effect.void : (yield* Outbox.Outbox).recordError(localError)
      if (!send) {
        yield* recordLocal
        return { ...done, delivered, rejected, deleted, pending: yield* pendingCount, error: localError }
      }
      if (config.serverUrl === undefined || config.apiKey === undefined) {
        yield* recordLocal
        const error = `Not configured: run \`${agent.source.cli} login\`. Events stay queued until then.`
        return { ...done, delivered, rejected, deleted, pending: yield* pendingCount, error } as SyncReport
      }
      const transport = yield* SyncClient.SyncClient
      // Every append happens under the lock, so a claim left in the outbox's sending/ (or a spool file in its tmp/)
      // belongs to a sync that died: taken back at once.
      const drained = yield* (yield* Outbox.Outbox).drain(
        transport.sendEvents,
        before.unreachable === true ? { claimTimeout: 0, retry: Schedule.stop } : { claimTimeout: 0 },
        transport.sendEncoded
      )
      if (drained.corrupt.length > 0) yield* lostInOutbox(drained.corrupt)
      yield* recordLocal
      return {
        ...done,
        delivered: delivered + drained.delivered,
        rejected: rejected + drained.rejected,
        deleted: deleted + drained.deleted,
        pending: yield* pendingCount,
        error: drained.failure?.message ?? localError
      } satisfies SyncReport
    })
  )

/**
 * Processes the inbox (and `extra`) and sends everything queued; goes round again while items arrive. A hook that
 * finds the lock freshly taken starts no sync of its own, so this one stops only when the inbox is empty after it let
 * go of the lock (a later item's hook then finds no lock and starts one), or when a round took nothing from it (another
 * sync holds the lock and will look again itself).
 */
export const runWith = <E = never, R = never>(options: RunOptions<E, R>) =>
  Effect.gen(function* () {
    const { agent, paths } = yield* LocalState
    const { busy: firstBusy, ...first }: RoundReport = yield* round(true, options, true)
    let report: SyncReport = first
    // Sending failed: later rounds only move new items into the outbox, no point in retrying the server now. A first
    // round that found the lock taken sent nothing and failed nothing: the holder may have looked at the inbox for
    // the last time, so a later round that takes the lock sends what it moves.
    let send = report.error === null || firstBusy === true
    // Whether the report's error is only that the lock was taken: a later round that did the work says what it found.
    let onlyBusy = firstBusy === true
    for (let progressed = true; progressed && !Inbox.isEmpty(paths, agent.inboxSuffix); ) {
      const { busy, ...next }: RoundReport = yield* round(send, options, false)
      if (busy !== true && next.error !== null) send = false
      const error = onlyBusy && busy !== true ? next.error : (report.error ?? next.error)
      if (busy !== true) onlyBusy = false
      progressed = next.inboxItems + next.unreadable > 0
      report = {
        recovered: report.recovered + next.recovered,
        saved: report.saved + next.saved,
        inboxItems: report.inboxItems + next.inboxItems,
        unreadable: report.unreadable + next.unreadable,
        followUps: report.followUps + next.followUps,
        eventsQueued: report.eventsQueued + next.eventsQueued,
        delivered: report.delivered + next.delivered,
        rejected: report.rejected + next.rejected,
        deleted: report.deleted + next.deleted,
        pending: next.pending,
        error
      }
    }
    return report
  })

/** What the agent's hot path starts after a turn: the inbox, then the outbox; the retention check at most hourly. */
export const run = runWith({})
