// @vitest-environment edge-runtime
import { afterAll, beforeAll, describe, expect, it, vi } from "@effect/vitest"
import { type Api, Ingest, type Session } from "@opensync/domain"
import type { Id } from "../_generated/dataModel.js"
import { sessionRow } from "../lib/docs.js"
import { type Backend, client, createUser, makeBackend, tuning, userIdOf } from "./backend.harness.js"
import { recordTransactions } from "./deployment.harness.js"

/**
 * Session lists with selective filters on a user with more sessions than one list call may read: every call stays
 * inside its read budget (enforced by the backend's transaction limit, and measured per call), the pages together
 * hold exactly the matching sessions in order, and a filter that an index matches (one or two of source, project and
 * model; `from`; `to`) answers full pages, never an empty page with a cursor.
 */

const t0 = Date.UTC(2025, 0, 1)
const day = 86_400_000
const total = 1_500
/** The scan budget of one list call in this test (production: 2,000 documents, 8 MiB). */
const budget = 100
/** What a list call reads besides its scan: the document past the budget, the probe's first document past its share. */
const slack = 2

/** A deterministic spread of values (no randomness: a failure reproduces). */
const mix = (i: number, salt: number) => ((i * 2_654_435_761 + salt * 40_503) >>> 0) % 1_000

const sessionOf = (i: number, prefix = "s"): Session.Session => {
  const startedAt = t0 + Math.floor((i * 365 * day) / total) + (mix(i, 1) % 600) * 1_000
  const updatedAt = startedAt + (mix(i, 2) % 48) * 3_600_000
  const source = i % 50 === 0 ? "pi" : i % 10 === 0 ? "opencode" : "claude-code"
  const project = i % 97 === 0 ? "tiny" : i % 31 === 0 ? null : (["api", "web", "infra", "docs"][mix(i, 3) % 4] ?? null)
  const model = i % 89 === 0 ? "rare-model" : i % 37 === 0 ? null : mix(i, 4) % 3 === 0 ? "opus" : "sonnet"
  return {
    ...Ingest.emptySession(`${prefix}-${String(i).padStart(5, "0")}`, source, startedAt),
    title: `Session ${i}`,
    projectName: project,
    model,
    updatedAt,
    lastActivityAt: updatedAt,
    durationMs: updatedAt - startedAt,
    // few distinct values: many ties, which pages must cut through by id
    costUsd: (mix(i, 5) % 12) / 4,
    totalTokens: mix(i, 6) * 10,
    messageCount: mix(i, 7) % 40
  }
}

const seed = async (t: Backend, userId: Id<"users">, count: number, prefix: string) => {
  for (let from = 0; from < count; from += 250) {
    await t.run(async (ctx) => {
      for (let i = from; i < Math.min(count, from + 250); i++) {
        await ctx.db.insert("sessions", sessionRow(sessionOf(i, prefix), userId))
      }
    })
  }
}

interface Query {
  readonly source?: string
  readonly project?: string
  readonly model?: string
  readonly from?: number
  readonly to?: number
  readonly sort: Api.SortField
  readonly order: "asc" | "desc"
}

/** The local server's semantics, in memory: the sessions a list must answer, in order. */
const expected = (sessions: ReadonlyArray<Session.Session>, q: Query) => {
  const sign = q.order === "desc" ? -1 : 1
  return sessions
    .filter(
      (s) =>
        (q.source === undefined || s.source === q.source) &&
        (q.project === undefined || s.projectName === q.project) &&
        (q.model === undefined || s.model === q.model) &&
        (q.from === undefined || s.updatedAt >= q.from) &&
        (q.to === undefined || s.startedAt <= q.to)
    )
    .sort((a, b) => sign * (a[q.sort] !== b[q.sort] ? a[q.sort] - b[q.sort] : a.id < b.id ? -1 : 1))
    .map((s) => s.id)
}

const lastWeek = t0 + 358 * day
const firstWeek = t0 + 7 * day

/**
 * Filters an index matches: an exact page per call. Two filters sorted by another field than `updatedAt` (whose pair
 * index is by `updatedAt` only) count when their range fits the probe's half of the budget.
 */
const indexed: ReadonlyArray<Omit<Query, "sort" | "order">> = [
  { source: "pi" },
  { project: "tiny" },
  { model: "rare-model" },
  { source: "pi", project: "web" },
  { source: "pi", model: "opus" },
  { project: "tiny", model: "sonnet" },
  { from: lastWeek },
  { to: firstWeek },
  { project: "api", from: lastWeek },
  { source: "opencode", to: firstWeek + 20 * day }
]

/**
 * Filters no index bounds (three facets; `to` inside a `from` range; two filters over more sessions than the probe
 * reads, sorted by another field): short pages, a cursor where the budget ran out.
 */
const residual: ReadonlyArray<Omit<Query, "sort" | "order">> = [
  { source: "opencode", project: "web" },
  { source: "opencode", project: "web", model: "opus" },
  { from: t0 + 100 * day, to: t0 + 103 * day },
  { project: "api", from: t0 + 200 * day, to: t0 + 204 * day }
]

const orders: ReadonlyArray<Pick<Query, "sort" | "order">> = [
  { sort: "updatedAt", order: "desc" },
  { sort: "costUsd", order: "asc" },
  { sort: "startedAt", order: "desc" }
]

const limit = 7

describe("lists with selective filters on more sessions than one call may read", () => {
  let t: Backend
  let http: ReturnType<typeof client>
  const saved = { ...tuning }
  const sessions = Array.from({ length: total }, (_, i) => sessionOf(i))

  beforeAll(async () => {
    vi.useFakeTimers({ now: t0 + 400 * day, toFake: ["Date"] })
    Object.assign(tuning, { listScanDocuments: budget, listProbeDocuments: budget / 2 })
    // every transaction may read the budget and its slack, and a few documents more (the key, the user)
    t = makeBackend({ documentsRead: budget + slack + 8 })
    const alice = await createUser(t, "Alice")
    const bob = await createUser(t, "Bob")
    await seed(t, userIdOf(alice), total, "s")
    // another user with the same filter values, whose sessions never show
    await seed(t, userIdOf(bob), 300, "bob")
    http = client(t, alice.key)
  }, 180_000)

  afterAll(() => {
    Object.assign(tuning, saved)
    vi.useRealTimers()
  })

  /** Follows `nextCursor` to the end; what each page held and what each list call read. */
  const follow = async (q: Query) => {
    const params = new URLSearchParams({ sort: q.sort, order: q.order, limit: String(limit) })
    for (const field of ["source", "project", "model", "from", "to"] as const) {
      if (q[field] !== undefined) params.set(field, String(q[field]))
    }
    const ids: Array<string> = []
    const sizes: Array<number> = []
    const reads: Array<number> = []
    let cursor: string | null = null
    do {
      const path: string = `/api/sessions?${params}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`
      let body: Api.SessionPage | undefined
      const txs = await recordTransactions(async () => {
        const reply = await http("GET", path)
        expect([path, reply.status]).toEqual([path, 200])
        body = reply.body as Api.SessionPage
      })
      if (body === undefined) throw new Error("no page")
      ids.push(...body.sessions.map((s) => s.id))
      sizes.push(body.sessions.length)
      reads.push(...txs.filter((tx) => tx.name === "sessions:list").map((tx) => tx.counts.documentsRead))
      cursor = body.nextCursor
    } while (cursor !== null && sizes.length <= total)
    return { ids, sizes, reads }
  }

  /**
   * Lists every filter in every order, and checks that the pages hold exactly the matches in order and that every call
   * stayed within its budget; `check` then looks at the pages of each list.
   */
  const listEach = async (
    filterSets: ReadonlyArray<Omit<Query, "sort" | "order">>,
    check: (label: string, want: ReadonlyArray<string>, got: Awaited<ReturnType<typeof follow>>) => void
  ) => {
    for (const filters of filterSets) {
      for (const order of orders) {
        const q = { ...filters, ...order }
        const want = expected(sessions, q)
        const got = await follow(q)
        const label = JSON.stringify(q)
        expect([label, got.ids]).toEqual([label, want])
        expect([label, Math.max(...got.reads) <= budget + slack]).toEqual([label, true])
        check(label, want, got)
      }
    }
  }

  it("answers every match in order with full pages when an index matches the filters, each call within its budget", async () => {
    await listEach(indexed, (label, want, got) => {
      // full pages but the last: never an empty page with a cursor
      const full = Array.from({ length: Math.max(1, Math.ceil(want.length / limit)) }, (_, i) =>
        Math.min(limit, want.length - i * limit)
      )
      expect([label, got.sizes]).toEqual([label, full])
    })
  }, 300_000)

  it("answers every match in order when no index bounds a filter: short pages and cursors, each call within its budget", async () => {
    let short = 0
    await listEach(residual, (label, want, got) => {
      // every call moves on by about its budget: no more calls than a scan of all the user's sessions needs
      expect([label, got.sizes.length <= Math.ceil(total / (budget / 2)) + Math.ceil(want.length / limit)]).toEqual([
        label,
        true
      ])
      short += got.sizes.slice(0, -1).filter((n) => n < limit).length
    })
    // the residual filters are selective enough that some calls ran out of budget before filling a page
    expect(short > 0).toEqual(true)
  }, 300_000)
})
