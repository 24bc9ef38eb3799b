import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import { ConfigStore, Outbox, Redactor, SyncClient, SyncLock } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Hooks from "./Hooks.js"
import * as Paths from "./Paths.js"
import * as Transcript from "./transcript/index.js"

/** What one sync did. */
export interface SyncReport {
  readonly hookPayloads: number
  readonly malformedPayloads: number
  readonly transcriptsRead: number
  readonly eventsQueued: number
  readonly delivered: number
  readonly rejected: number
  readonly pending: number
  readonly error: string | null
}

/** Appends one line to the local log; hooks and the background sync never print to the terminal. */
export const log = (message: string) => {
  try {
    mkdirSync(Paths.stateDir(), { recursive: true, mode: 0o700 })
    appendFileSync(Paths.logFile(), `${new Date().toISOString()} ${message}\n`)
  } catch {
    // nowhere left to report
  }
}

/** Takes the sync lock; a lock older than 5 minutes belongs to a dead process. */
const acquireLock = Effect.suspend(() => SyncLock.acquire(Paths.syncLockFile()))

interface InboxEntry {
  readonly file: string
  readonly hook: string
  readonly receivedAt: number
  readonly stdin: string
}

const readInbox = (): Array<InboxEntry | { readonly file: string; readonly problem: string }> => {
  const dir = Paths.inboxDir()
  let names: Array<string>
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".hook"))
  } catch {
    return []
  }
  return names.sort().map((name) => {
    const file = join(dir, name)
    try {
      const text = readFileSync(file, "utf8")
      const newline = text.indexOf("\n")
      const header = JSON.parse(newline < 0 ? text : text.slice(0, newline)) as { hook?: string; receivedAt?: number }
      return {
        file,
        hook: header.hook ?? "unknown",
        receivedAt: typeof header.receivedAt === "number" ? header.receivedAt : statSync(file).mtimeMs,
        stdin: newline < 0 ? "" : text.slice(newline + 1)
      }
    } catch (cause) {
      return { file, problem: String((cause as Error).message ?? cause) }
    }
  })
}

const quarantine = (file: string) => {
  const dir = join(Paths.stateDir(), "inbox-bad")
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  renameSync(file, join(dir, file.split("/").pop() ?? "payload.hook"))
}

/** Turns stored hook payloads into redacted events in the outbox, re-reading transcripts where a turn ended. */
export const processInbox = Effect.flatMap(
  Effect.flatMap(ConfigStore.ConfigStore, (store) => store.load),
  (config) => processInboxWith(config)
)

const processInboxWith = (config: ConfigStore.ResolvedConfig) =>
  Effect.gen(function* () {
    const outbox = yield* Outbox.Outbox
    let hookPayloads = 0
    let malformed = 0
    let transcriptsRead = 0
    let queued = 0
    const transcripts = new Map<
      string,
      { readonly path: string; readonly agentId?: string; readonly sessionId: string }
    >()
    for (const entry of readInbox()) {
      if ("problem" in entry) {
        log(`unreadable hook payload ${entry.file}: ${entry.problem}`)
        quarantine(entry.file)
        malformed++
        continue
      }
      const input = Hooks.decodeHookInput(entry.stdin)
      if (Either.isLeft(input)) {
        log(`${entry.hook}: ${input.left.message} (kept in inbox-bad/)`)
        quarantine(entry.file)
        malformed++
        continue
      }
      const events = Hooks.eventsFromHook(input.right, { now: entry.receivedAt, syncToolCalls: config.syncToolCalls })
      if (events.length > 0) yield* outbox.append(yield* Redactor.redactEvents(events))
      queued += events.length
      const transcript = Hooks.transcriptToRead(input.right)
      if (transcript !== undefined) {
        transcripts.set(transcript.path, { ...transcript, sessionId: input.right.session_id })
      }
      rmSync(entry.file, { force: true })
      hookPayloads++
    }
    for (const transcript of transcripts.values()) {
      const parsed = yield* Effect.either(Transcript.readTranscriptFile(transcript.path))
      if (Either.isLeft(parsed)) {
        log(`cannot read transcript ${transcript.path}: ${parsed.left.message}`)
        continue
      }
      const session = Transcript.readSession(parsed.right.lines, {
        syncThinking: config.syncThinking,
        ...(transcript.agentId === undefined ? {} : { source: "subagent" as const, agentId: transcript.agentId })
      })
      const events = Transcript.toEvents(session, {
        sessionId: transcript.sessionId,
        source: "claude-code",
        syncToolCalls: config.syncToolCalls,
        ...(transcript.agentId === undefined ? {} : { agentId: transcript.agentId })
      })
      if (events.length > 0) yield* outbox.append(yield* Redactor.redactEvents(events))
      queued += events.length
      transcriptsRead++
    }
    return { hookPayloads, malformedPayloads: malformed, transcriptsRead, eventsQueued: queued }
  })

/** Processes the inbox and sends everything queued, if a server and key are configured. Holds the sync lock. */
/** One round under the sync lock: process the inbox, then send the outbox. */
const round = Effect.scoped(
  Effect.gen(function* () {
    const held = yield* acquireLock
    if (!held) {
      return {
        hookPayloads: 0,
        malformedPayloads: 0,
        transcriptsRead: 0,
        eventsQueued: 0,
        delivered: 0,
        rejected: 0,
        pending: (yield* (yield* Outbox.Outbox).stats()).pending,
        error: "Another sync is running; it will send what is queued."
      } satisfies SyncReport
    }
    const config = yield* (yield* ConfigStore.ConfigStore).load
    const processed = yield* processInboxWith(config)
    const outbox = yield* Outbox.Outbox
    if (config.serverUrl === undefined || config.apiKey === undefined) {
      return {
        ...processed,
        delivered: 0,
        rejected: 0,
        pending: (yield* outbox.stats()).pending,
        error: "Not configured: run `claude-code-sync login`. Events stay queued until then."
      } satisfies SyncReport
    }
    const client = yield* SyncClient.makeFetch({ baseUrl: config.serverUrl, apiKey: config.apiKey })
    const drained = yield* outbox.drain(client.sendEvents)
    return {
      ...processed,
      delivered: drained.delivered,
      rejected: drained.rejected,
      pending: (yield* outbox.stats()).pending,
      error: drained.failure?.message ?? null
    } satisfies SyncReport
  })
)

/** Moves stored payloads into the outbox under the lock, without sending. */
const processOnly = Effect.scoped(
  Effect.gen(function* () {
    const held = yield* acquireLock
    const processed = held
      ? yield* processInbox
      : { hookPayloads: 0, malformedPayloads: 0, transcriptsRead: 0, eventsQueued: 0 }
    return {
      ...processed,
      delivered: 0,
      rejected: 0,
      pending: (yield* (yield* Outbox.Outbox).stats()).pending,
      error: null
    } satisfies SyncReport
  })
)

const inboxIsEmpty = () => {
  try {
    return !readdirSync(Paths.inboxDir()).some((name) => name.endsWith(".hook"))
  } catch {
    return true
  }
}

/**
 * Processes the inbox and sends everything queued, if a server and key are configured. A hook that fires while a sync
 * holds the lock does not start another one, so after releasing the lock the inbox is checked again and, if payloads
 * arrived meanwhile, another round runs (a few at most; the next hook or `sync` picks up the rest).
 */
export const run = Effect.gen(function* () {
  let report = yield* round
  for (let rounds = 1; rounds < 5 && !inboxIsEmpty(); rounds++) {
    // When sending failed, later rounds only move new payloads into the outbox: no point in retrying the server now.
    const next = report.error === null ? yield* round : yield* processOnly
    report = {
      hookPayloads: report.hookPayloads + next.hookPayloads,
      malformedPayloads: report.malformedPayloads + next.malformedPayloads,
      transcriptsRead: report.transcriptsRead + next.transcriptsRead,
      eventsQueued: report.eventsQueued + next.eventsQueued,
      delivered: report.delivered + next.delivered,
      rejected: report.rejected + next.rejected,
      pending: next.pending,
      error: report.error ?? next.error
    }
  }
  return report
})
