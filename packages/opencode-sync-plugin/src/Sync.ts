import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs"
import { join } from "node:path"
import { ConfigStore, Outbox, Redactor, SyncClient, SyncLock } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Mapping from "./Mapping.js"
import * as Paths from "./Paths.js"
import * as Spool from "./Spool.js"
import type { SessionSnapshot } from "./Tracker.js"

/*
 * The background sync (`opencode-sync sync`): session snapshots spooled by the plugin become redacted events in the
 * outbox, then everything queued is sent. One process at a time holds the lock; a run that finds new snapshots after
 * releasing it goes round again, so snapshots spooled during a sync are never left behind.
 */

/** What one sync did. */
export interface SyncReport {
  readonly snapshots: number
  readonly malformedSnapshots: number
  readonly eventsQueued: number
  readonly delivered: number
  readonly rejected: number
  readonly pending: number
  readonly error: string | null
}

/** Takes the sync lock; a lock older than 5 minutes belongs to a dead process. */
const acquireLock = Effect.suspend(() => SyncLock.acquire(Paths.syncLockFile()))

const inboxFiles = (): ReadonlyArray<string> => {
  try {
    return readdirSync(Paths.inboxDir())
      .filter((name) => name.endsWith(".json"))
      .sort()
      .map((name) => join(Paths.inboxDir(), name))
  } catch {
    return []
  }
}

const quarantine = (file: string) => {
  const dir = join(Paths.stateDir(), "inbox-bad")
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  renameSync(file, join(dir, file.split("/").pop() ?? "snapshot.json"))
}

/** Reads a spooled snapshot; a reason when it cannot be used. */
export const readSnapshot = (file: string): SessionSnapshot | string => {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"))
  } catch (cause) {
    return `not JSON: ${(cause as Error).message}`
  }
  const snapshot = (parsed as { snapshot?: SessionSnapshot })?.snapshot
  if (
    typeof snapshot !== "object" ||
    snapshot === null ||
    typeof snapshot.sessionId !== "string" ||
    !Array.isArray(snapshot.messages)
  ) {
    return "not a session snapshot"
  }
  return snapshot
}

/** Turns the spooled snapshots into redacted events in the outbox; each file is removed once its events are queued. */
export const processInbox = (config: ConfigStore.ResolvedConfig) =>
  Effect.gen(function* () {
    const outbox = yield* Outbox.Outbox
    const options = { syncToolCalls: config.syncToolCalls, syncThinking: config.syncThinking }
    let snapshots = 0
    let malformed = 0
    let queued = 0
    for (const file of inboxFiles()) {
      const snapshot = readSnapshot(file)
      if (typeof snapshot === "string") {
        Spool.log(`sync: ${file}: ${snapshot} (moved to inbox-bad/)`)
        quarantine(file)
        malformed++
        continue
      }
      const events = Mapping.toEvents(snapshot, options)
      if (events.length > 0) yield* outbox.append(yield* Redactor.redactEvents(events))
      rmSync(file, { force: true })
      queued += events.length
      snapshots++
    }
    return { snapshots, malformedSnapshots: malformed, eventsQueued: queued }
  })

const notSent = { delivered: 0, rejected: 0 }

/** One round under the lock: process the inbox, then send the outbox (when `send` and a server are configured). */
const round = (send: boolean) =>
  Effect.scoped(
    Effect.gen(function* () {
      const outbox = yield* Outbox.Outbox
      const held = yield* acquireLock
      if (!held) {
        const pending = (yield* outbox.stats()).pending
        const error = "Another sync is running; it will send what is queued."
        return { snapshots: 0, malformedSnapshots: 0, eventsQueued: 0, ...notSent, pending, error } as SyncReport
      }
      const config = yield* (yield* ConfigStore.ConfigStore).load
      const processed = yield* processInbox(config)
      if (!send)
        return { ...processed, ...notSent, pending: (yield* outbox.stats()).pending, error: null } as SyncReport
      if (config.serverUrl === undefined || config.apiKey === undefined) {
        const error = "Not configured: run `opencode-sync login`. Events stay queued until then."
        return { ...processed, ...notSent, pending: (yield* outbox.stats()).pending, error } as SyncReport
      }
      const client = yield* SyncClient.makeFetch({ baseUrl: config.serverUrl, apiKey: config.apiKey })
      const drained = yield* outbox.drain(client.sendEvents)
      return {
        ...processed,
        delivered: drained.delivered,
        rejected: drained.rejected,
        pending: (yield* outbox.stats()).pending,
        error: drained.failure?.message ?? null
      } as SyncReport
    })
  )

/** Processes the inbox and sends everything queued; goes round again (a few times at most) while snapshots arrive. */
export const run = Effect.gen(function* () {
  let report = yield* round(true)
  for (let rounds = 1; rounds < 5 && inboxFiles().length > 0; rounds++) {
    const next = yield* round(report.error === null)
    report = {
      snapshots: report.snapshots + next.snapshots,
      malformedSnapshots: report.malformedSnapshots + next.malformedSnapshots,
      eventsQueued: report.eventsQueued + next.eventsQueued,
      delivered: report.delivered + next.delivered,
      rejected: report.rejected + next.rejected,
      pending: next.pending,
      error: report.error ?? next.error
    }
  }
  return report
})
