import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * Rate limit of failed authentication per client: after `limit` failures in a window, the client's further failed
 * attempts are answered 429 until the window ends, uncounted; a key or token that works is still let in (`Auth.ts`:
 * all local clients share one address). Keys and tokens are far too long to guess, so this slows a client that
 * keeps sending wrong ones, not a brute force.
 */
export class AuthThrottle extends Context.Tag("@opensync/backend/AuthThrottle")<
  AuthThrottle,
  {
    /**
     * Seconds until the client may try again, or 0 when it may try now; `scale` multiplies the limit (a budget several
     * clients share).
     */
    readonly retryAfter: (client: string, now: number, scale?: number) => Effect.Effect<number>
    readonly recordFailure: (client: string, now: number) => Effect.Effect<void>
  }
>() {}

export interface ThrottleOptions {
  readonly limit: number
  readonly windowMs: number
  /** Most clients remembered; the oldest windows are forgotten first. */
  readonly maxClients: number
}

export const defaults: ThrottleOptions = { limit: 120, windowMs: 60_000, maxClients: 10_000 }

/** The limit per minute from `OPENSYNC_AUTH_FAILURES_PER_MINUTE` (a deployment's environment), else the default. */
const limitFromConfig = Config.integer("OPENSYNC_AUTH_FAILURES_PER_MINUTE").pipe(
  Config.validate({ message: "must be at least 1", validation: (n) => n >= 1 }),
  Config.withDefault(defaults.limit),
  Effect.orElseSucceed(() => defaults.limit)
)

/** Fixed windows kept in memory (the local server; a Convex isolate keeps its own). */
export const memory = (overrides: Partial<ThrottleOptions> = {}) =>
  Layer.effect(
    AuthThrottle,
    Effect.map(limitFromConfig, (limit) => make({ ...defaults, limit, ...overrides }))
  )

const make = (options: ThrottleOptions) => {
  const windows = new Map<string, { start: number; failures: number }>()
  const current = (client: string, now: number) => {
    const window = windows.get(client)
    if (window === undefined || now - window.start >= options.windowMs) return undefined
    return window
  }
  return AuthThrottle.of({
    retryAfter: (client, now, scale = 1) =>
      Effect.sync(() => {
        const window = current(client, now)
        if (window === undefined || window.failures < options.limit * scale) return 0
        return Math.max(1, Math.ceil((window.start + options.windowMs - now) / 1000))
      }),
    recordFailure: (client, now) =>
      Effect.sync(() => {
        const window = current(client, now)
        if (window !== undefined) {
          window.failures++
          return
        }
        windows.delete(client)
        windows.set(client, { start: now, failures: 1 })
        if (windows.size > options.maxClients) {
          const oldest = windows.keys().next().value
          if (oldest !== undefined) windows.delete(oldest)
        }
      })
  })
}
