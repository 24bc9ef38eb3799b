import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type { Claim, Outcome } from "./outboxDrain.js"
import * as Files from "./outboxFiles.js"

/** A failed request, as far as isolation needs it (the Outbox's `SendFailed`). */
export interface Failure {
  readonly kind: "unavailable" | "refused" | "failed"
  readonly message: string
  readonly status?: number | null | undefined
}

/**
 * One claim being sent: the ranges of its events still to send, first in first out (a failed range's halves go to the
 * back, so the server is probed across the whole claim before any one part is split further), and what became of
 * each event.
 */
export interface Work {
  readonly claim: Claim
  readonly queue: Array<readonly [number, number]>
  readonly outcomes: Array<Outcome | undefined>
  /** Failed requests made before the server accepted any request in this drain. */
  failedProbes: number
}

/** What every request the server accepted records, however it was sent (events, or a claim's bytes). */
export const accepted = <F extends Failure>(progress: Progress<F>, onSuccess: Effect.Effect<void>) =>
  Effect.suspend(() => {
    progress.evidence = true
    progress.requests += 1
    return onSuccess
  })

export const makeWork = (claim: Claim): Work => ({
  claim,
  queue: [...claim.requests],
  outcomes: claim.sendable.map(() => undefined),
  failedProbes: 0
})

/** What a drain has learnt about the server so far. */
export interface Progress<F extends Failure> {
  /** The server accepted at least one request: a request that fails is then the fault of its events. */
  evidence: boolean
  /** The last answer that failed a batch. */
  lastFailure: F | null
  requests: number
  /** Failed requests before the server accepted any. */
  failedProbes: number
}

/**
 * Done: every event has an outcome. Stuck: `maxProbes` requests failed before the server accepted any, so the rest is
 * kept for later in this drain. Stopped: the server cannot be used now (unavailable, or the request was refused as a
 * whole); the range in flight is back at the front of the queue.
 */
export type Step<F> =
  | { readonly _tag: "Done" }
  | { readonly _tag: "Stuck" }
  | { readonly _tag: "Stopped"; readonly error: F }

const record = (work: Work, start: number, end: number, answer: Files.Answer) => {
  const refused = new Map(answer.rejected.map((r) => [r.index, r.error]))
  const deleted = new Set(answer.deleted ?? [])
  for (let i = start; i < end; i++) {
    const reason = refused.get(i - start)
    const id = Files.idOf(work.claim.sendable[i].event)
    work.outcomes[i] =
      reason !== undefined
        ? { _tag: "Refused", reason }
        : id !== null && deleted.has(id)
          ? { _tag: "Deleted" }
          : { _tag: "Delivered" }
  }
}

/**
 * Sends the queued ranges of `work`. A range the server fails on (5xx, 400, 413, an answer that does not add up) is
 * split in halves until the failing events are alone, so every other event goes out in the same drain; an event that
 * fails alone gets a `Failed` outcome. Failures that are not the events' fault stop at once.
 */
export const sendWork = <F extends Failure, R, E>(
  work: Work,
  send: (events: ReadonlyArray<unknown>) => Effect.Effect<Files.Answer, F, R>,
  options: {
    readonly maxProbes: number
    readonly malformed: (message: string) => F
    readonly beforeRequest: Effect.Effect<void, E>
    readonly onSuccess: Effect.Effect<void>
  },
  progress: Progress<F>,
  /** What the first queued range's request gave, when it was made already (the claim sent as bytes). */
  first?: Either.Either<Files.Answer, F>
): Effect.Effect<Step<F>, E, R> =>
  Effect.gen(function* () {
    let made = first
    while (work.queue.length > 0) {
      const [start, end] = work.queue.shift() as readonly [number, number]
      const batch = work.claim.sendable.slice(start, end).map((item) => item.event)
      let sent: Either.Either<Files.Answer, F>
      if (made !== undefined) {
        sent = made
        made = undefined
      } else {
        yield* options.beforeRequest
        sent = yield* Effect.either(send(batch))
      }
      const problem = sent._tag === "Right" ? Files.answerProblem(sent.right, batch.length) : undefined
      if (sent._tag === "Right" && problem === undefined) {
        record(work, start, end, sent.right)
        yield* accepted(progress, options.onSuccess)
        continue
      }
      const error = sent._tag === "Left" ? sent.left : options.malformed(problem ?? "")
      if (error.kind !== "failed") {
        work.queue.unshift([start, end])
        return { _tag: "Stopped", error } as const
      }
      progress.lastFailure = error
      if (end - start === 1) {
        work.outcomes[start] = { _tag: "Failed", reason: error.message, status: error.status ?? null }
      } else {
        const middle = start + Math.floor((end - start) / 2)
        work.queue.push([start, middle], [middle, end])
      }
      if (!progress.evidence) {
        work.failedProbes += 1
        progress.failedProbes += 1
        if (work.failedProbes >= options.maxProbes && work.queue.length > 0) return { _tag: "Stuck" } as const
      }
    }
    return { _tag: "Done" } as const
  })
