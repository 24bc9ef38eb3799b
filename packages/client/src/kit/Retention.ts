/**
 * History that outlives the agent's cleanup: agents that delete their history after a while (Claude Code's
 * `cleanupPeriodDays`) say so through `SessionSource.retention`; the kit finds the sessions the agent deletes within
 * `WARN_DAYS` that the server does not have, warns about them (`status`, the log) and sends them (`sync`, `import`).
 */
import { statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ApiClient from "../ApiClient.js"
import * as ConfigStore from "../ConfigStore.js"
import * as History from "./History.js"
import { LocalState } from "./LocalState.js"
import { type HistoryItem, type MappingOptions, type Retention, SessionSource } from "./SessionSource.js"

/** How far ahead of the agent's cleanup a session not on the server is warned about and sent. */
export const WARN_DAYS = 7
const DAY = 86_400_000

/** A session the agent deletes soon. */
export interface AtRisk {
  readonly sessionId: string
  readonly deletesAt: number
}

/** What a check found: sessions deleted within `WARN_DAYS`, those the server lacks, and what was sent. */
export interface Report {
  readonly retention: Retention
  readonly atRisk: number
  readonly missing: ReadonlyArray<AtRisk>
  /** Sessions queued for sending by this check. */
  readonly queued: number
  /** Why the server could not be asked (not configured, unreachable), else null. */
  readonly error: string | null
}

/** Sessions whose history the agent deletes within `WARN_DAYS`, soonest first: the oldest item of a session decides. */
export const atRisk = (items: ReadonlyArray<HistoryItem<unknown>>, retention: Retention, now: number) => {
  const oldest = new Map<string, number>()
  for (const item of items) {
    if (item.changedAt === undefined) continue
    oldest.set(item.sessionId, Math.min(oldest.get(item.sessionId) ?? item.changedAt, item.changedAt))
  }
  const soon: Array<AtRisk> = []
  for (const [sessionId, changedAt] of oldest) {
    const deletesAt = changedAt + retention.days * DAY
    if (deletesAt - now <= WARN_DAYS * DAY) soon.push({ sessionId, deletesAt })
  }
  return soon.sort((a, b) => a.deletesAt - b.deletesAt)
}

/**
 * Checks the sessions the agent deletes soon against the server and, when `send`, queues those it lacks (the caller
 * drains the outbox). Undefined for agents that keep their history.
 */
export const check = (options: MappingOptions, send: boolean) =>
  Effect.gen(function* () {
    const source = yield* SessionSource
    if (source.retention === undefined) return undefined
    const retention = yield* source.retention
    if (retention === undefined) return undefined
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const history = yield* source.history(options)
        const soon = atRisk(history.items, retention, Date.now())
        if (soon.length === 0) return { retention, atRisk: 0, missing: [], queued: 0, error: null } satisfies Report
        const config = yield* (yield* ConfigStore.ConfigStore).load
        const known =
          config.serverUrl === undefined || config.apiKey === undefined
            ? Either.left("not configured")
            : yield* Effect.either(sessionIds({ baseUrl: config.serverUrl, apiKey: config.apiKey }))
        const missing = Either.isRight(known) ? soon.filter((session) => !known.right.has(session.sessionId)) : soon
        const wanted = new Set(missing.map((session) => session.sessionId))
        const queued = send
          ? (yield* History.importItems(history.items.filter((item) => wanted.has(item.sessionId)))).sessions
          : 0
        return {
          retention,
          atRisk: soon.length,
          missing,
          queued,
          error: Either.isLeft(known) ? known.left : null
        } satisfies Report
      })
    )
  })

/** The ids of every session the server has for this key (the legacy protocol's list, which every backend serves). */
const sessionIds = (connection: ApiClient.Connection): Effect.Effect<ReadonlySet<string>, string> =>
  ApiClient.makeFetch(connection).pipe(
    Effect.flatMap((client) => client.legacy.list()),
    Effect.timeout("30 seconds"),
    Effect.map((answer): ReadonlySet<string> => new Set(answer.sessionIds)),
    Effect.mapError((error) => `cannot list the sessions on ${connection.baseUrl}: ${error.message}`)
  )

/** How often a background sync checks (an explicit `sync` always does). */
const EVERY_MS = 60 * 60_000

/** Whether the hourly check is due, marking it done when it is. */
export const due = Effect.map(LocalState, ({ paths }) => {
  const marker = join(paths.stateDir, "retention-check")
  try {
    if (Date.now() - statSync(marker).mtimeMs < EVERY_MS) return false
  } catch {
    // never checked
  }
  try {
    writeFileSync(marker, "")
  } catch {
    // a full disk: check anyway
  }
  return true
})

/** One line: how many sessions the agent deletes within a week that the server lacks. */
export const describe = (agentLabel: string, cli: string, report: Report): string => {
  const setting = `${report.retention.setting}: ${report.retention.days} days`
  if (report.atRisk === 0) return `nothing ${agentLabel} deletes within ${WARN_DAYS} days (${setting})`
  if (report.error !== null) {
    return (
      `${report.atRisk} session(s) ${agentLabel} deletes within ${WARN_DAYS} days (${setting}); ` +
      `cannot check which the server has (${report.error})`
    )
  }
  if (report.missing.length === 0) {
    return `the ${report.atRisk} session(s) ${agentLabel} deletes within ${WARN_DAYS} days are on the server (${setting})`
  }
  const first = new Date(report.missing[0]?.deletesAt ?? 0).toISOString().slice(0, 10)
  return (
    `${report.missing.length} session(s) not on the server will be deleted by ${agentLabel} within ${WARN_DAYS} days ` +
    `(the first on ${first}; ${setting}): \`${cli} sync\` sends them`
  )
}
