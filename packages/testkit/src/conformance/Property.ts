import { describe, expect, it } from "@effect/vitest"
import { type Api, Event } from "@opensync/domain"
import * as Arbitrary from "effect/Arbitrary"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import { as, type Harness, type Json, type SessionPage, type Stats } from "./Harness.js"

/** Events of a round: valid events (ids drawn from small pools, so they meet and replace each other) and garbage. */
const validEvents = Arbitrary.make(Event.Event)
const encode = Schema.encodeSync(Event.Event)

/** JSON of every shape, to throw at every write route. */
const garbage = FastCheck.oneof(
  FastCheck.jsonValue({ maxDepth: 4 }),
  FastCheck.record({ kind: FastCheck.constantFrom("session", "message", "tool_call", "nope"), id: FastCheck.string() }),
  FastCheck.anything({ maxDepth: 3, withNullPrototype: false, withBigInt: false })
    .map((value) => JSON.parse(JSON.stringify(value) ?? "null") as unknown)
    .filter((value) => value !== undefined)
)

const legacySession = FastCheck.record(
  {
    externalId: FastCheck.oneof(FastCheck.string(), FastCheck.constantFrom("", "x\u0000y")),
    title: FastCheck.oneof(FastCheck.string(), FastCheck.constant(null)),
    promptTokens: FastCheck.oneof(FastCheck.integer(), FastCheck.double()),
    cost: FastCheck.double(),
    durationMs: FastCheck.double(),
    createdAt: FastCheck.oneof(FastCheck.integer(), FastCheck.double())
  },
  { requiredKeys: [] }
)

const legacyMessage = FastCheck.record(
  {
    sessionExternalId: FastCheck.string(),
    externalId: FastCheck.string(),
    role: FastCheck.constantFrom("user", "assistant", "system", "tool", "unknown", "wizard"),
    textContent: FastCheck.oneof(FastCheck.string(), FastCheck.constant(null)),
    promptTokens: FastCheck.double(),
    parts: FastCheck.array(FastCheck.record({ type: FastCheck.string(), content: FastCheck.jsonValue() }), {
      maxLength: 3
    })
  },
  { requiredKeys: [] }
)

const rounds = 4
const eventsPerRound = 40
const garbagePerRound = 12

/**
 * A property test: seeded rounds of random valid events and random garbage through every write route. After each
 * round: no answer was a 5xx, every read route answers 200, and the rollups equal the sum of the sessions.
 */
export const section = (h: Harness): void => {
  const { run, request, get, post } = h
  describe("random events and garbage (property, seeded)", () => {
    const writes: Array<{ route: string; status: number; body: string }> = []
    const write = async (route: string, body: unknown, raw?: string) => {
      const reply = await request("POST", route, raw === undefined ? { json: body } : { raw })
      writes.push({ route, status: reply.status, body: reply.text.slice(0, 300) })
      return reply
    }

    const pageAll = async () => {
      const sessions: Array<SessionPage["sessions"][number]> = []
      let cursor: string | null = null
      for (let i = 0; i < 100; i++) {
        const reply = await get(
          `/api/sessions?limit=200&sort=startedAt&order=asc${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`
        )
        expect(`${reply.status} ${reply.status === 200 ? "" : reply.text}`).toEqual("200 ")
        const page = as<SessionPage>(reply)
        sessions.push(...page.sessions)
        cursor = page.nextCursor
        if (cursor === null) break
      }
      return sessions
    }

    it(`keeps every answer below 500 and every read consistent over ${rounds} rounds`, async () => {
      for (let round = 0; round < rounds; round++) {
        const seed = 20_261_204 + round
        const pool = (kind: string, n: number) => (value: string) =>
          `${run}-p${round % 2}-${kind}${Math.abs([...value].reduce((a, c) => a * 31 + c.charCodeAt(0), 7)) % n}`
        const sessionOf = pool("s", 6)
        const childOf = pool("m", 5)
        const events = FastCheck.sample(validEvents, { seed, numRuns: eventsPerRound }).map((event) => {
          const encoded = encode(event) as Json
          const sessionId = sessionOf(String(encoded.sessionId))
          const extra: Json =
            encoded.kind === "message"
              ? { messageId: childOf(String(encoded.messageId)) }
              : encoded.kind === "tool_call"
                ? { callId: childOf(String(encoded.callId)), messageId: null }
                : { parentSessionId: null }
          return { ...encoded, ...extra, sessionId, id: `${run}-${round}-${String(encoded.id)}` }
        })
        const junk = FastCheck.sample(garbage, { seed: seed + 1, numRuns: garbagePerRound })
        const mixed = [...events, ...junk].sort(
          (a, b) => (JSON.stringify(a).length % 7) - (JSON.stringify(b).length % 7)
        )
        for (let i = 0; i < mixed.length; i += 25) {
          const reply = await write("/sync/events", { events: mixed.slice(i, i + 25) })
          expect(reply.status).toEqual(200)
        }
        for (const body of FastCheck.sample(legacySession, { seed: seed + 2, numRuns: 6 })) {
          await write("/sync/session", body)
        }
        for (const body of FastCheck.sample(legacyMessage, { seed: seed + 3, numRuns: 6 })) {
          await write("/sync/message", body)
        }
        await write("/sync/batch", {
          sessions: FastCheck.sample(legacySession, { seed: seed + 4, numRuns: 4 }),
          messages: [...FastCheck.sample(legacyMessage, { seed: seed + 5, numRuns: 4 }), ...junk.slice(0, 3)]
        })
        for (const [i, body] of FastCheck.sample(garbage, { seed: seed + 6, numRuns: 5 }).entries()) {
          for (const route of ["/sync/events", "/sync/session", "/sync/message", "/sync/batch", "/api/keys"]) {
            await write(route, body, i === 0 ? JSON.stringify(body).slice(0, 7) : undefined)
          }
        }

        const failures = writes.filter((w) => w.status >= 500)
        expect(failures).toEqual([])

        const sessions = await pageAll()
        for (const path of [
          "/api/sessions?sort=costUsd",
          "/api/sessions?sort=durationMs&order=asc",
          "/api/sessions?sort=totalTokens",
          "/api/sessions?sort=messageCount&q=a",
          "/api/stats?bucket=week",
          "/api/stats?bucket=month&from=0&to=253402300799999",
          "/api/export?format=csv",
          "/sync/sessions/list"
        ]) {
          expect(`${path} ${(await get(path)).status}`).toEqual(`${path} 200`)
        }
        for (const session of sessions.filter((s) => s.id.startsWith(run)).slice(0, 8)) {
          const reply = await get(`/api/sessions/${encodeURIComponent(session.id)}`)
          expect(`${session.id} ${reply.status}`).toEqual(`${session.id} 200`)
          const exported = await get(`/api/export?format=markdown&id=${encodeURIComponent(session.id)}`)
          expect(exported.status).toEqual(200)
        }

        const all = as<Stats>(await get("/api/stats?bucket=month&from=0&to=253402300799999"))
        const sum = sessions.reduce(
          (acc, s) => ({
            sessions: acc.sessions + 1,
            messages: acc.messages + s.messageCount,
            totalTokens: acc.totalTokens + s.totalTokens,
            costUsd: acc.costUsd + s.costUsd
          }),
          { sessions: 0, messages: 0, totalTokens: 0, costUsd: 0 }
        )
        expect({
          sessions: all.totals.sessions,
          messages: all.totals.messages,
          totalTokens: all.totals.totalTokens
        }).toEqual({ sessions: sum.sessions, messages: sum.messages, totalTokens: sum.totalTokens })
        expect(Math.abs(all.totals.costUsd - sum.costUsd)).toBeLessThanOrEqual(1e-6 * Math.max(1, sum.costUsd))

        // The filter values are those of the all-time stats, and count the sessions the list holds.
        const facets = as<Api.Facets>(await get("/api/facets"))
        const byCount = (a: Api.Facet, b: Api.Facet) =>
          b.sessions - a.sessions || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)
        const listed = <K extends string>(rows: ReadonlyArray<Record<K, string> & { sessions: number }>, key: K) =>
          rows.map((row) => ({ value: row[key], sessions: row.sessions })).sort(byCount)
        expect(facets).toEqual({
          sources: listed(all.bySource, "source"),
          projects: listed(all.byProject, "project"),
          models: listed(all.byModel, "model"),
          truncated: false
        })
        const perSource = new Map<string, number>()
        for (const s of sessions) perSource.set(s.source, (perSource.get(s.source) ?? 0) + 1)
        expect(facets.sources.filter((f) => f.sessions > 0).map((f) => [f.value, f.sessions])).toEqual(
          [...perSource].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        )
      }
      expect((await post("/sync/events", { events: [] })).status).toEqual(200)
    }, 300_000)
  })
}
