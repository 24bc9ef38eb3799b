/**
 * The sync every agent's plugin runs (`<cli> sync`, and detached after a turn): under the lock, the inbox items become
 * redacted events in the outbox (and the files they ask to re-read are read), then everything queued is sent. A hook
 * that fires while a sync holds the lock does not start another one, so after releasing it the inbox is checked again
 * and, if items arrived meanwhile, another round runs (a few at most; the next hook or `sync` picks up the rest).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ConfigStore from "../ConfigStore.js"
import * as Outbox from "../Outbox.js"
import * as Redactor from "../Redactor.js"
import * as SyncLock from "../SyncLock.js"
import * as Inbox from "./Inbox.js"
import { LocalState } from "./LocalState.js"
import { type FollowUp, type MappingOptions, SessionSource } from "./SessionSource.js"
import { Transport } from "./Transport.js"

/** What one sync did. */
export interface SyncReport {
  readonly inboxItems: number
  readonly unreadable: number
  readonly followUps: number
  readonly eventsQueued: number
  readonly delivered: number
  readonly rejected: number
  readonly pending: number
  readonly error: string | null
}

/** What processing the inbox did. */
export interface Processed {
  readonly inboxItems: number
  readonly unreadable: number
  readonly followUps: number
  readonly eventsQueued: number
}

const nothingProcessed: Processed = { inboxItems: 0, unreadable: 0, followUps: 0, eventsQueued: 0 }

export const optionsOf = (config: ConfigStore.ResolvedConfig): MappingOptions => ({
  syncToolCalls: config.syncToolCalls,
  syncThinking: config.syncThinking
})

/** Turns the stored inbox items into redacted events in the outbox, then reads the files they asked to re-read. */
export const processInbox = (options: MappingOptions) =>
  Effect.gen(function* () {
    const { agent, paths, log } = yield* LocalState
    const source = yield* SessionSource
    const outbox = yield* Outbox.Outbox
    let inboxItems = 0
    let unreadable = 0
    let followUpsRead = 0
    let queued = 0
    const followUps = new Map<string, FollowUp>()
    for (const name of Inbox.list(paths, agent.inboxSuffix)) {
      const item = Inbox.read(paths, name)
      const decoded =
        "problem" in item ? { _tag: "Unreadable" as const, reason: item.problem } : source.decode(item, options)
      if (decoded._tag === "Unreadable") {
        yield* log(`sync: ${name}: ${decoded.reason} (moved to inbox-bad/)`)
        Inbox.setAside(paths, name)
        unreadable++
        continue
      }
      if (decoded.events.length > 0) yield* outbox.append(yield* Redactor.redactEvents(decoded.events))
      queued += decoded.events.length
      for (const followUp of decoded.followUps) followUps.set(followUp.path, followUp)
      Inbox.remove(paths, name)
      inboxItems++
    }
    for (const followUp of followUps.values()) {
      const read = yield* Effect.either(source.followUp(followUp, options))
      if (Either.isLeft(read)) {
        yield* log(`sync: ${read.left.message}`)
        continue
      }
      if (read.right.length > 0) yield* outbox.append(yield* Redactor.redactEvents(read.right))
      queued += read.right.length
      followUpsRead++
    }
    return { inboxItems, unreadable, followUps: followUpsRead, eventsQueued: queued } satisfies Processed
  })

/** Takes the sync lock of the agent's state directory for the scope; false when another live sync holds it. */
export const lock = Effect.flatMap(LocalState, ({ paths }) => SyncLock.acquire(paths.lock))

const pendingCount = Effect.flatMap(Outbox.Outbox, (outbox) => Effect.map(outbox.stats(), (stats) => stats.pending))

/** One round under the lock: process the inbox, then (when `send`) send the outbox to the configured server. */
const round = (send: boolean) =>
  Effect.scoped(
    Effect.gen(function* () {
      const { agent } = yield* LocalState
      const held = yield* lock
      if (!held) {
        const error = "Another sync is running; it will send what is queued."
        return { ...nothingProcessed, delivered: 0, rejected: 0, pending: yield* pendingCount, error } as SyncReport
      }
      const config = yield* (yield* ConfigStore.ConfigStore).load
      const processed = yield* processInbox(optionsOf(config))
      if (!send) return { ...processed, delivered: 0, rejected: 0, pending: yield* pendingCount, error: null }
      const connection = yield* (yield* Transport).connect
      if (connection === undefined) {
        const error = `Not configured: run \`${agent.source.cli} login\`. Events stay queued until then.`
        return { ...processed, delivered: 0, rejected: 0, pending: yield* pendingCount, error } as SyncReport
      }
      const drained = yield* (yield* Outbox.Outbox).drain(connection.send)
      return {
        ...processed,
        delivered: drained.delivered,
        rejected: drained.rejected,
        pending: yield* pendingCount,
        error: drained.failure?.message ?? null
      } satisfies SyncReport
    })
  )

/** Processes the inbox and sends everything queued; goes round again (a few times at most) while items arrive. */
export const run = Effect.gen(function* () {
  const { agent, paths } = yield* LocalState
  let report = yield* round(true)
  for (let rounds = 1; rounds < 5 && !Inbox.isEmpty(paths, agent.inboxSuffix); rounds++) {
    // When sending failed, later rounds only move new items into the outbox: no point in retrying the server now.
    const next = yield* round(report.error === null)
    report = {
      inboxItems: report.inboxItems + next.inboxItems,
      unreadable: report.unreadable + next.unreadable,
      followUps: report.followUps + next.followUps,
      eventsQueued: report.eventsQueued + next.eventsQueued,
      delivered: report.delivered + next.delivered,
      rejected: report.rejected + next.rejected,
      pending: next.pending,
      error: report.error ?? next.error
    }
  }
  return report
})
