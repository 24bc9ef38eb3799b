import * as path from "node:path"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Drain from "./outboxDrain.js"
import * as Files from "./outboxFiles.js"
import * as Fs from "./outboxFs.js"
import { accepted, type Failure, makeWork, type Progress, sendWork, type Work } from "./outboxSend.js"

/** One drain's settings, resolved from the caller's options. */
export interface RunSettings<F> {
  readonly ctx: Drain.DrainContext
  readonly maxProbes: number
  readonly retry: Schedule.Schedule<unknown, F>
  /** Builds the caller's failure type (the Outbox's `SendFailed`). */
  readonly failure: (fields: { readonly kind: "failed"; readonly status: number | null; readonly message: string }) => F
  /** Applies a change to `state.json`; never fails (the state only feeds `stats`). */
  readonly updateState: (update: (state: Files.State) => Files.State) => Effect.Effect<void>
}

/** What `lastError` says about the last event the server failed on in a drain. */
const describeFailed = (failed: Drain.FailedEvent | undefined, maxAttempts: number): string | undefined => {
  if (failed === undefined) return undefined
  const id = failed.id ?? "(no id)"
  return failed.retryAt === null
    ? `Event ${id} was set aside in rejected/ after ${failed.attempts} failed tries: ${failed.reason} ` +
        "`sync --retry-rejected` sends it again."
    : `Event ${id} failed on the server (try ${failed.attempts} of ${maxAttempts}): ${failed.reason} ` +
        `Next try after ${new Date(failed.retryAt).toISOString()}; the other events were sent.`
}

/**
 * One drain: claims, sends (isolating the events the server fails on), settles, and records the outcome in
 * `state.json`. Whatever it still holds goes back to `pending/` when it ends or is interrupted.
 */
export const runDrain = <F extends Failure, R>(
  send: (events: ReadonlyArray<unknown>) => Effect.Effect<Files.Answer, F, R>,
  settings: RunSettings<F>,
  startedAt: number,
  /** Sends a request body made of spool files' bytes (`Drain.RawClaim`); without it every claim is parsed. */
  sendEncoded?: (body: Uint8Array, count: number) => Effect.Effect<Files.Answer, F, R>
) =>
  Effect.gen(function* () {
    const { ctx, maxProbes } = settings
    const steps = Drain.makeDrainSteps(ctx)
    const totals = Drain.emptyTotals()
    const progress: Progress<F> = { evidence: false, lastFailure: null, requests: 0, failedProbes: 0 }
    const held: Array<Work> = []

    /** Settles `works`; their `Failed` events count only if the server accepted some request in this drain. */
    const settle = (works: ReadonlyArray<Work>) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        for (const work of works) yield* steps.settle(work.claim, work.outcomes, progress.evidence, now, totals)
        if (progress.evidence && works.length > 0) yield* settings.updateState(Files.recordSuccess(now))
      })
    const takeComplete = () => {
      const complete = held.filter((work) => work.queue.length === 0)
      held.splice(0, held.length, ...held.filter((work) => work.queue.length > 0))
      return complete
    }
    const serverFailedAll = (last: F) =>
      settings.failure({
        kind: "failed",
        status: last.status ?? null,
        message: `${last.message} The server accepted no request, so this is not charged to the events; they stay queued.`
      })

    const claimNow = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      steps.claim(now, totals, sendEncoded !== undefined)
    )
    /** The claim made ahead while a request was in flight, if any. */
    let upcoming: Fiber.RuntimeFiber<Drain.Claim | Drain.RawClaim | undefined, Fs.FsError> | undefined
    // Nothing to claim ahead is no answer: the files sent back to pending/ since, or appended, are claimed now.
    const nextClaim = Effect.suspend(() => {
      const made = upcoming
      upcoming = undefined
      return made === undefined
        ? claimNow
        : Effect.flatMap(Fiber.join(made), (claim) => (claim === undefined ? claimNow : Effect.succeed(claim)))
    })
    /** Once the server accepts requests, the next claim is made while a request is in flight (at most one ahead). */
    const claimAhead = Effect.suspend(() =>
      progress.evidence && upcoming === undefined
        ? Effect.map(Effect.fork(claimNow), (fiber) => {
            upcoming = fiber
          })
        : Effect.void
    )
    /** Waits for the claim made ahead, if any, and holds it unsent (settled, its files go back to pending/). */
    const dropUpcoming = Effect.suspend(() => {
      const made = upcoming
      upcoming = undefined
      return made === undefined
        ? Effect.void
        : Effect.flatMap(Fiber.await(made), (exit) => {
            if (exit._tag !== "Success" || exit.value === undefined) return Effect.void
            const claim = exit.value
            if (!Drain.isRaw(claim)) return Effect.sync(() => held.push(makeWork(claim)))
            return Effect.forEach(claim.files, (file) => Fs.move(file.path, path.join(ctx.dirs.pending, file.name)), {
              discard: true
            })
          })
    })

    /**
     * Sends a claim as bytes. Every event delivered: its files are settled at once, never parsed. Otherwise the claim
     * is parsed and returned as work, with what its request gave when that still applies to the parsed events.
     */
    const sendRaw = (
      claim: Drain.RawClaim,
      beforeRequest: Effect.Effect<void, Fs.FsError>,
      onSuccess: Effect.Effect<void>
    ) =>
      Effect.gen(function* () {
        const encoded = sendEncoded as NonNullable<typeof sendEncoded>
        yield* beforeRequest
        const sent = yield* Effect.either(encoded(claim.body, claim.count))
        if (sent._tag === "Right" && Files.answerProblem(sent.right, claim.count) === undefined) {
          const answer = sent.right
          if (answer.rejected.length === 0 && (answer.deleted ?? []).length === 0) {
            yield* accepted(progress, onSuccess)
            for (const file of claim.files) yield* Fs.remove(file.path)
            totals.delivered += claim.count
            yield* settings.updateState(Files.recordSuccess(yield* Clock.currentTimeMillis))
            return undefined
          }
        }
        const decoded = yield* claim.decode
        if (decoded === undefined) return undefined
        // The parsed events are what was sent unless a file could not be parsed: then they are sent again.
        const same = decoded.sendable.length === claim.count && decoded.requests.length === 1
        return { work: makeWork(decoded), first: same ? sent : undefined }
      })

    const loop = Effect.gen(function* () {
      yield* steps.recover(startedAt, totals)
      yield* Fs.mkdir(ctx.ownDir)
      const driver = yield* Schedule.driver(settings.retry)
      const sendOptions = {
        maxProbes,
        malformed: (problem: string) =>
          settings.failure({
            kind: "failed",
            status: null,
            message: `The server's answer does not add up: ${problem}.`
          }),
        beforeRequest: Effect.flatMap(Clock.currentTimeMillis, (now) => Fs.touch(ctx.ownDir, now)),
        onSuccess: driver.reset
      }
      while (true) {
        if (progress.evidence) yield* settle(takeComplete())
        const resumable = progress.evidence ? held.findIndex((work) => work.queue.length > 0) : -1
        let work = resumable < 0 ? undefined : held.splice(resumable, 1)[0]
        let first: Either.Either<Files.Answer, F> | undefined
        if (work === undefined) {
          const claim = yield* nextClaim
          if (claim === undefined) return null
          // The next claim (its files read, and parsed unless sent as bytes) is made while this one is sent: the server
          // does not wait for it after each answer.
          yield* claimAhead
          if (Drain.isRaw(claim)) {
            const rest = yield* sendRaw(claim, sendOptions.beforeRequest, sendOptions.onSuccess)
            if (rest === undefined) continue
            work = rest.work
            first = rest.first
          } else {
            work = makeWork(claim)
          }
        }
        yield* claimAhead
        const step = yield* sendWork(work, send, sendOptions, progress, first)
        if (step._tag === "Done" && progress.evidence) {
          yield* settle([work])
          continue
        }
        held.push(work)
        if (step._tag !== "Stopped") {
          if (progress.evidence || progress.failedProbes < 2 * maxProbes) continue
          return progress.lastFailure === null ? null : serverFailedAll(progress.lastFailure)
        }
        // What was claimed ahead goes back to pending/ with the rest: the next claim takes the oldest first again.
        yield* dropUpcoming
        yield* settle(held.splice(0))
        if (step.error.kind === "unavailable" && (yield* Effect.isSuccess(driver.next(step.error)))) continue
        return step.error
      }
    })

    const finish = Effect.gen(function* () {
      const stopped = yield* Effect.ensuring(loop, Effect.ignore(dropUpcoming))
      yield* settle(held.splice(0))
      // A drain whose every request failed reports it, however few events it held: a backlog too small to isolate any
      // event within its probes (36 events behind a proxy answering 502) ended as "Sent 0" with no error at all
      const failure =
        stopped ??
        ((totals.uncharged > 0 || (!progress.evidence && totals.failed.length === 0)) && progress.lastFailure !== null
          ? serverFailedAll(progress.lastFailure)
          : null)
      const end = yield* Clock.currentTimeMillis
      const lastFailed = totals.failed.at(-1)
      const problem = failure?.message ?? describeFailed(lastFailed, ctx.maxAttempts)
      yield* settings.updateState((state) => {
        let next = Files.recordDeleted(totals.deleted)(state)
        if (lastFailed !== undefined) next = Files.recordFailed({ at: end, ...lastFailed })(next)
        if (totals.lastRejected !== null) next = Files.recordRejected(totals.lastRejected)(next)
        return problem === undefined ? next : Files.recordError(end, problem)(next)
      })
      return failure
    })
    const failure = yield* finish.pipe(Effect.ensuring(Effect.ignore(steps.releaseAll(true))))
    const { lastRejected: _, uncharged: __, ...counts } = totals
    return { ...counts, requests: progress.requests, failure }
  })
