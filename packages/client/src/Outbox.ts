import * as path from "node:path"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Drain from "./internal/outboxDrain.js"
import * as Files from "./internal/outboxFiles.js"
import * as Fs from "./internal/outboxFs.js"
import * as Run from "./internal/outboxRun.js"

/**
 * The outbox could not create or move one of its files (on `append`: nothing was queued), or, with `what`, another
 * file of the sync's queue (the follow-ups) could not be written.
 */
export class OutboxWriteFailed extends Data.TaggedError("OutboxWriteFailed")<{
  readonly path: string
  readonly reason: string
  readonly what?: string
}> {
  override get message() {
    return `Could not write ${this.what ?? "the outbox file"} ${this.path}: ${this.reason}`
  }
}

/** The outbox directory could not be read. */
export class OutboxReadFailed extends Data.TaggedError("OutboxReadFailed")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Could not read the outbox at ${this.path}: ${this.reason}. Check the directory's permissions.`
  }
}

/**
 * A batch could not be sent; `kind` says whose fault it is. `unavailable`: no answer, a timeout, 503, 429 (never the
 * events' fault: retried while `retry` allows, then later). `refused`: the request as a whole (bad key, wrong URL, not
 * configured): the drain stops until the user fixes it. `failed`: the server failed on this batch (5xx, 400, 413, an
 * answer that does not add up): the batch is split until the failing events are alone.
 */
export class SendFailed extends Data.TaggedError("SendFailed")<{
  readonly kind: "unavailable" | "refused" | "failed"
  readonly message: string
  /** The HTTP status when the server answered, else null (network error, timeout). */
  readonly status?: number | null
}> {}

/** The server's per-event answer to a batch (the shape of `POST /sync/events`). */
export interface SendResult extends Files.Answer {}

/** Sends one batch (at most `maxEvents` events, `maxBytes` bytes of JSON) and returns the per-event answer. */
export type Send<R = never> = (events: ReadonlyArray<unknown>) => Effect.Effect<SendResult, SendFailed, R>

/**
 * Sends one batch given as its request body, `{"events":[…]}` of `count` events (within `maxEvents` and `maxBytes`),
 * and returns the per-event answer, as `Send` would for those events.
 */
export type SendEncoded<R = never> = (body: Uint8Array, count: number) => Effect.Effect<SendResult, SendFailed, R>

/** Where the outbox lives; `durable` adds an fsync per append (survives power loss, costs a few ms on slow disks). */
export class OutboxConfig extends Context.Tag("@opensync/client/OutboxConfig")<
  OutboxConfig,
  { readonly directory: string; readonly durable?: boolean }
>() {}

/** Tuning of one drain. */
export interface DrainOptions {
  /** Most events per request (default 1000, the server's limit). */
  readonly maxEvents?: number
  /** Most bytes of event JSON per request (default 4 MiB); a larger single event is rejected locally. */
  readonly maxBytes?: number
  /** Delays between attempts while the server is unavailable (default `retrySchedule()`); reset after each success. */
  readonly retry?: Schedule.Schedule<unknown, SendFailed>
  /** A claim untouched for this long belongs to a dead drainer and is taken back (default 60 s). */
  readonly claimTimeout?: Duration.DurationInput
  /** Requests that may fail on an event (alone) before it is set aside in `rejected/` (default 5). */
  readonly maxAttempts?: number
  /** Wait before the next try of an event that failed: `base * factor^(tries - 1)`, at most `max` (1 min, 4, 6 h). */
  readonly backoff?: {
    readonly base?: Duration.DurationInput
    readonly factor?: number
    readonly max?: Duration.DurationInput
  }
  /**
   * Failed requests a claim may cost before the server has accepted any request in this drain (default 16). Past it
   * the drain tries one more claim, then stops: a server that fails everything charges and sets aside nothing.
   */
  readonly maxProbes?: number
}

/** A spool file moved to `corrupt/`, why, and the sessions it names (what it held of them may be lost). */
export interface CorruptFile {
  readonly file: string
  readonly reason: string
  readonly sessions: ReadonlyArray<string>
}

/** An event the server failed on during a drain: its answer, tries so far, and its next try (null: set aside). */
export type FailedEvent = Drain.FailedEvent

/** What one drain did. `failure` is why it stopped early (everything unsent is still pending), or null. */
export interface DrainResult {
  /** Events the server acknowledged (stored, duplicate or stale). */
  readonly delivered: number
  /** Events the server answered as `deleted` (their session was deleted there): final, dropped. */
  readonly deleted: number
  /** Events moved to `rejected/` (refused by the server, too large to send, or failed `maxAttempts` times). */
  readonly rejected: number
  /** Events the server failed on, back in `pending/` until their backoff ends. */
  readonly retrying: number
  /** Successful requests. */
  readonly requests: number
  /** Files taken back from dead drainers. */
  readonly reclaimed: number
  readonly corrupt: ReadonlyArray<CorruptFile>
  /** Each event the server failed on alone in this drain. */
  readonly failed: ReadonlyArray<FailedEvent>
  readonly failure: SendFailed | null
}

/**
 * The outbox at a glance, for `status` (computed from file names and `state.json`; no spool file is read).
 * `pending` counts events not yet acknowledged, in flight and waiting for a retry too.
 */
export interface Stats {
  readonly pending: number
  readonly pendingFiles: number
  readonly oldestPendingAt: number | null
  /** Of `pending`: events the server failed on, waiting for their next try (at `nextRetryAt` the earliest). */
  readonly retrying: number
  readonly nextRetryAt: number | null
  /** The newest event the server failed on: when, which, its answer, its tries, its next try (null: set aside). */
  readonly lastFailed: {
    readonly at: number
    readonly id: string | null
    readonly reason: string
    readonly status: number | null
    readonly attempts: number
    readonly retryAt: number | null
  } | null
  /** Events set aside in `rejected/`; `retryRejected()` queues them again. */
  readonly rejected: number
  /** The newest event set aside: when, its id, and the server's answer. */
  readonly lastRejected: { readonly at: number; readonly id: string | null; readonly reason: string } | null
  /** Events dropped because their session was deleted on the server (all drains). */
  readonly deleted: number
  /** Spool files that could not be read, kept in `corrupt/` (their readable events were queued again). */
  readonly corrupt: number
  readonly corruptFiles: ReadonlyArray<string>
  readonly lastSuccessAt: number | null
  /** Why the last drain stopped or what failed in it (the server's answer), and when; cleared by a clean drain. */
  readonly lastError: string | null
  readonly lastErrorAt: number | null
}

/** What `retryRejected` did: events queued again, and records in `rejected/` it could not read (left in place). */
export interface RetryRejectedResult {
  readonly requeued: number
  readonly unreadable: ReadonlyArray<string>
}

/** Exponential backoff with ±20% jitter: 250 ms, 500 ms, 1 s, 2 s by default (4 retries). */
export const retrySchedule = (
  options: {
    readonly base?: Duration.DurationInput
    readonly factor?: number
    readonly retries?: number
    readonly jitter?: boolean
  } = {}
): Schedule.Schedule<unknown> => {
  const backoff = Schedule.exponential(options.base ?? "250 millis", options.factor ?? 2)
  return (options.jitter === false ? backoff : Schedule.jittered(backoff)).pipe(
    Schedule.intersect(Schedule.recurs(options.retries ?? 4))
  )
}

const writeFailed = (error: Fs.FsError) =>
  new OutboxWriteFailed({
    path: error.path,
    reason: `${error.reason}. Check that the directory is writable and the disk is not full.`
  })
const readFailed = (error: Fs.FsError) => new OutboxReadFailed({ path: error.path, reason: error.reason })
const ioFailed = (error: Fs.FsError) =>
  error.op === "read" || error.op === "readdir" || error.op === "stat" ? readFailed(error) : writeFailed(error)

const make = Effect.gen(function* () {
  const config = yield* OutboxConfig
  const dirs = Files.layout(path.resolve(config.directory))
  const durable = config.durable ?? false
  const pid = process.pid
  const nextName = Files.makeNamer(pid)
  yield* Fs.makeDirectories(Files.directories(dirs)).pipe(Effect.mapError(writeFailed))

  /** Writes the events to `pending/` as one file; when this succeeds they survive a crash of this process. */
  const append = Effect.fn("Outbox.append")(function* (events: ReadonlyArray<unknown>) {
    if (events.length === 0) return
    const name = nextName(yield* Clock.currentTimeMillis, events.length)
    const target = path.join(dirs.pending, name)
    const body = yield* Effect.try({
      try: () => Files.encodeSpool(events),
      catch: (error) =>
        new OutboxWriteFailed({
          path: target,
          reason: `the events are not JSON (${Fs.describe(error)}); nothing queued`
        })
    })
    yield* Effect.try({
      try: () => Fs.writeAtomicSync(path.join(dirs.tmp, name), target, body, durable),
      catch: (error) =>
        new OutboxWriteFailed({
          path: target,
          reason: `${Fs.describe(error)}. Check that the directory is writable and the disk is not full.`
        })
    })
  })

  const readState = Fs.readText(dirs.state).pipe(
    Effect.map((text) => (text === undefined ? Files.emptyState : Files.decodeState(text)))
  )
  /** Last writer wins between concurrent drainers; only the stats can lag, never the queue. */
  const updateState = (update: (state: Files.State) => Files.State) =>
    Effect.flatMap(readState, (state) =>
      Fs.writeAtomic(path.join(dirs.tmp, Files.scratchName(pid)), dirs.state, JSON.stringify(update(state)))
    ).pipe(Effect.catchAll((error) => Effect.logDebug(`Outbox: could not update ${dirs.state}: ${error.reason}`)))

  /** Counts events from file names alone (pending, in flight, waiting for a retry), plus rejected and corrupt files. */
  const stats = Effect.fn("Outbox.stats")(function* () {
    const owners = yield* Fs.list(dirs.sending)
    const claimed = yield* Effect.forEach(owners, (owner) => Fs.list(path.join(dirs.sending, owner)))
    const names = [...(yield* Fs.list(dirs.pending)), ...claimed.flat()]
    const counts = Files.countPending(names, yield* Clock.currentTimeMillis)
    const state = yield* readState
    const corruptFiles = yield* Fs.list(dirs.corrupt)
    const stats: Stats = {
      ...counts,
      rejected: (yield* Fs.list(dirs.rejected)).filter((name) => name.endsWith(".json")).length,
      lastFailed: state.lastFailed,
      lastRejected: state.lastRejected,
      deleted: state.deleted,
      corrupt: corruptFiles.length,
      corruptFiles,
      lastSuccessAt: state.lastSuccessAt,
      lastError: state.lastError,
      lastErrorAt: state.lastErrorAt
    }
    return stats
  }, Effect.mapError(readFailed))

  /**
   * Queues every event set aside in `rejected/` again (`sync --retry-rejected`): each goes back to `pending/` at its
   * original place in the order, with its tries reset, and its record is removed.
   */
  const retryRejected = Effect.fn("Outbox.retryRejected")(function* () {
    let requeued = 0
    const unreadable: Array<string> = []
    const now = yield* Clock.currentTimeMillis
    for (const name of yield* Fs.list(dirs.rejected)) {
      const file = path.join(dirs.rejected, name)
      const text = yield* Fs.readText(file)
      if (text === undefined) continue
      const record = Files.decodeRejected(text)
      if (record._tag === "None") {
        unreadable.push(name)
        continue
      }
      const source = Files.parseName(record.value.source)
      const stem = source?.stem ?? nextName(now, 1).replace(/\.1\.json$/, "")
      const target = Files.retryName(stem, { index: record.value.index, attempts: 0, notBefore: 0 })
      yield* Fs.writeAtomic(
        path.join(dirs.tmp, Files.scratchName(pid)),
        path.join(dirs.pending, target),
        Files.encodeSpool([record.value.event])
      )
      yield* Fs.remove(file)
      requeued += 1
    }
    const result: RetryRejectedResult = { requeued, unreadable }
    return result
  }, Effect.mapError(ioFailed))

  /**
   * Sends everything pending, oldest first, in batches. A batch the server fails on is split until the failing events
   * are alone; each of those is retried after a backoff (persisted in its file name), then set aside. Stops when
   * nothing is left, when a request is refused as a whole, when `retry` gives up on an unavailable server, or when the
   * server fails every request. Claimed files are released if the drain is interrupted. With `sendEncoded`, a claim
   * of files as the outbox wrote them goes out as their bytes, parsed only when its answer needs the events.
   */
  const drain = <R>(
    send: Send<R>,
    options: DrainOptions = {},
    sendEncoded?: SendEncoded<R>
  ): Effect.Effect<DrainResult, OutboxWriteFailed | OutboxReadFailed, R> =>
    Effect.gen(function* () {
      const startedAt = yield* Clock.currentTimeMillis
      const owner = Files.ownerName(startedAt, pid)
      const base = Duration.toMillis(options.backoff?.base ?? "1 minute")
      const factor = options.backoff?.factor ?? 4
      const max = Duration.toMillis(options.backoff?.max ?? "6 hours")
      const ctx: Drain.DrainContext = {
        dirs,
        pid,
        owner,
        ownDir: path.join(dirs.sending, owner),
        maxEvents: Math.max(1, options.maxEvents ?? 1000),
        maxBytes: Math.max(Files.ENVELOPE_BYTES + 2, options.maxBytes ?? 4 * 1024 * 1024),
        claimTimeout: Duration.toMillis(options.claimTimeout ?? "60 seconds"),
        maxAttempts: Math.max(1, options.maxAttempts ?? 5),
        backoff: (attempt) => Math.min(max, base * factor ** (attempt - 1))
      }
      const result: DrainResult = yield* Run.runDrain(
        send,
        {
          ctx,
          maxProbes: Math.max(1, options.maxProbes ?? 16),
          retry: options.retry ?? retrySchedule(),
          failure: (fields) => new SendFailed(fields),
          updateState
        },
        startedAt,
        sendEncoded
      )
      return result
    }).pipe(Effect.mapError(ioFailed), Effect.withSpan("Outbox.drain"))

  /**
   * Records an error of the sync outside sending (its queue could not be written, say) as the last error, so `status`
   * tells it until a later send succeeds.
   */
  const recordError = (message: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => updateState(Files.recordError(now, message)))

  return { directory: dirs.root, append, drain, stats, retryRejected, recordError } as const
})

/** The durable local queue of events: append before any network attempt, drain to the server when it can. */
export class Outbox extends Effect.Service<Outbox>()("@opensync/client/Outbox", { effect: make }) {}

/** The Outbox keeping its files under `directory`. */
export const layer = (directory: string, options: { readonly durable?: boolean } = {}) =>
  Outbox.Default.pipe(Layer.provide(Layer.succeed(OutboxConfig, { directory, ...options })))
