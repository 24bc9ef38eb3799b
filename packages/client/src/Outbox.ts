import * as path from "node:path"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { type Claim, type DrainContext, makeDrainSteps, type Totals } from "./internal/outboxDrain.js"
import * as Files from "./internal/outboxFiles.js"
import * as Fs from "./internal/outboxFs.js"

/** The outbox could not create or move one of its files (on `append`: nothing was queued). */
export class OutboxWriteFailed extends Data.TaggedError("OutboxWriteFailed")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Could not write the outbox file ${this.path}: ${this.reason}`
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

/** A batch could not be sent. `transient` (network, timeout, 5xx, 429): retried later; otherwise the drain stops. */
export class SendFailed extends Data.TaggedError("SendFailed")<{
  readonly transient: boolean
  readonly message: string
  /** The HTTP status when the server answered, else null (network error, timeout). */
  readonly status?: number | null
}> {}

/** The server's per-event answer to a batch (the shape of `POST /sync/events`). */
export interface SendResult extends Files.Answer {}

/** Sends one batch (at most `maxEvents` events, `maxBytes` bytes of JSON) and returns the per-event answer. */
export type Send<R = never> = (events: ReadonlyArray<unknown>) => Effect.Effect<SendResult, SendFailed, R>

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
  /** Delays between attempts after a transient failure (default `retrySchedule()`); reset after each success. */
  readonly retry?: Schedule.Schedule<unknown, SendFailed>
  /** A claim untouched for this long belongs to a dead drainer and is taken back (default 60 s). */
  readonly claimTimeout?: Duration.DurationInput
}

/** A spool file moved to `corrupt/`, and why. */
export interface CorruptFile {
  readonly file: string
  readonly reason: string
}

/** What one drain did. `failure` is why it stopped early (everything unsent is still pending), or null. */
export interface DrainResult {
  /** Events the server acknowledged (stored, duplicate or stale). */
  readonly delivered: number
  /** Events moved to `rejected/` (refused by the server, or too large to send). */
  readonly rejected: number
  /** Successful requests. */
  readonly requests: number
  /** Files taken back from dead drainers. */
  readonly reclaimed: number
  readonly corrupt: ReadonlyArray<CorruptFile>
  readonly failure: SendFailed | null
}

/** The outbox at a glance (`claude-code-sync status`); `pending` counts events not yet acknowledged, in flight too. */
export interface Stats {
  readonly pending: number
  readonly pendingFiles: number
  readonly oldestPendingAt: number | null
  readonly rejected: number
  readonly corrupt: number
  readonly lastSuccessAt: number | null
  readonly lastError: string | null
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
    ).pipe(Effect.catchAll((error) => Effect.logWarning(`Outbox: could not update ${dirs.state}: ${error.reason}`)))

  /** Counts pending (and in-flight) events from file names alone, plus rejected and corrupt files. */
  const stats = Effect.fn("Outbox.stats")(function* () {
    const owners = yield* Fs.list(dirs.sending)
    const claimed = yield* Effect.forEach(owners, (owner) => Fs.list(path.join(dirs.sending, owner)))
    const names = [...(yield* Fs.list(dirs.pending)), ...claimed.flat()]
    let pending = 0
    let oldestPendingAt: number | null = null
    for (const name of names) {
      const parsed = Files.parseName(name)
      if (parsed === undefined) continue
      pending += parsed.count
      oldestPendingAt = oldestPendingAt === null ? parsed.at : Math.min(oldestPendingAt, parsed.at)
    }
    const state = yield* readState
    const stats: Stats = {
      pending,
      pendingFiles: names.length,
      oldestPendingAt,
      rejected: (yield* Fs.list(dirs.rejected)).length,
      corrupt: (yield* Fs.list(dirs.corrupt)).length,
      lastSuccessAt: state.lastSuccessAt,
      lastError: state.lastError
    }
    return stats
  }, Effect.mapError(readFailed))

  /**
   * Sends everything pending, oldest first, in batches; stops when nothing is left, when a batch fails permanently,
   * or when `retry` gives up on a transient failure. Claimed files are released if the drain is interrupted.
   */
  const drain = <R>(
    send: Send<R>,
    options: DrainOptions = {}
  ): Effect.Effect<DrainResult, OutboxWriteFailed | OutboxReadFailed, R> =>
    Effect.gen(function* () {
      const startedAt = yield* Clock.currentTimeMillis
      const owner = Files.ownerName(startedAt, pid)
      const ctx: DrainContext = {
        dirs,
        pid,
        owner,
        ownDir: path.join(dirs.sending, owner),
        maxEvents: Math.max(1, options.maxEvents ?? 1000),
        maxBytes: Math.max(Files.ENVELOPE_BYTES + 2, options.maxBytes ?? 4 * 1024 * 1024),
        claimTimeout: Duration.toMillis(options.claimTimeout ?? "60 seconds")
      }
      const steps = makeDrainSteps(ctx)
      const totals: Totals = { delivered: 0, rejected: 0, requests: 0, reclaimed: 0, corrupt: [] }
      const sendClaim = (claim: Claim) =>
        Effect.gen(function* () {
          const answers: Array<SendResult> = []
          for (const [start, end] of claim.requests) {
            yield* Fs.touch(ctx.ownDir, yield* Clock.currentTimeMillis)
            const batch = claim.sendable.slice(start, end).map((item) => item.event)
            const answer = yield* send(batch)
            const problem = Files.answerProblem(answer, batch.length)
            if (problem !== undefined) return yield* new SendFailed({ transient: true, message: problem })
            answers.push(answer)
          }
          return answers
        })
      const loop = Effect.gen(function* () {
        yield* steps.recover(startedAt, totals)
        yield* Fs.mkdir(ctx.ownDir)
        const driver = yield* Schedule.driver(options.retry ?? retrySchedule())
        while (true) {
          const claim = yield* steps.claim(totals)
          if (claim === undefined) return null
          const sent = yield* sendClaim(claim).pipe(
            Effect.map((answers) => ({ ok: true as const, answers })),
            Effect.catchTag("SendFailed", (error) => Effect.as(steps.releaseAll(false), { ok: false as const, error }))
          )
          if (!sent.ok) {
            const retry = sent.error.transient && (yield* Effect.isSuccess(driver.next(sent.error)))
            if (retry) continue
            yield* updateState(Files.recordError(yield* Clock.currentTimeMillis, sent.error.message))
            return sent.error
          }
          const now = yield* Clock.currentTimeMillis
          yield* steps.settle(claim, sent.answers, now, totals)
          yield* updateState(Files.recordSuccess(now))
          yield* driver.reset
        }
      })
      const failure = yield* loop.pipe(Effect.ensuring(Effect.ignore(steps.releaseAll(true))))
      const result: DrainResult = { ...totals, failure }
      return result
    }).pipe(Effect.mapError(ioFailed), Effect.withSpan("Outbox.drain"))

  return { directory: dirs.root, append, drain, stats } as const
})

/** The durable local queue of events: append before any network attempt, drain to the server when it can. */
export class Outbox extends Effect.Service<Outbox>()("@opensync/client/Outbox", { effect: make }) {}

/** The Outbox keeping its files under `directory`. */
export const layer = (directory: string, options: { readonly durable?: boolean } = {}) =>
  Outbox.Default.pipe(Layer.provide(Layer.succeed(OutboxConfig, { directory, ...options })))
