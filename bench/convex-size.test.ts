// @vitest-environment edge-runtime
import { mkdirSync, writeFileSync } from "node:fs"
import { it, vi } from "@effect/vitest"
import { Ingest } from "@opensync/domain"
import { sessionRow } from "../convex/lib/docs.js"
import { client, createUser, drain, fetchVia, makeBackend, origin, userIdOf } from "../convex/tests/backend.harness.js"
import { recordTransactions } from "../convex/tests/deployment.harness.js"

/**
 * What each route costs on Convex as one user's data grows: the sessions are written straight into the tables (as
 * ingestion stores them, with their rollups and id rows), then each route is called once through the HTTP router while
 * every query and mutation it runs is recorded (`deployment.harness.ts`).
 */

const sizes = (globalThis.process?.env?.OPENSYNC_BENCH_SESSIONS ?? "1000")
  .split(",")
  .map((n) => Number(n))
  .filter((n) => n > 0)
const t0 = Date.UTC(2025, 0, 1)
const day = 86_400_000
const models = ["claude-sonnet-4-5", "claude-opus-4-1"]
const projects = ["api", "web", "infra"]

const seed = async (t: ReturnType<typeof makeBackend>, userId: ReturnType<typeof userIdOf>, sessions: number) => {
  for (let from = 0; from < sessions; from += 500) {
    await t.run(async (ctx) => {
      for (let i = from; i < Math.min(sessions, from + 500); i++) {
        const startedAt = t0 + Math.floor((i * 365) / sessions) * day + (i % 1_000)
        const session = {
          ...Ingest.emptySession(
            `s-${String(i).padStart(6, "0")}`,
            i % 10 === 0 ? "opencode" : "claude-code",
            startedAt
          ),
          title: `Session ${i} about the ${projects[i % 3]} service`,
          projectName: projects[i % 3] ?? "api",
          projectPath: `/home/dev/${projects[i % 3]}`,
          model: models[i % 2] ?? null,
          messageCount: 40,
          updatedAt: startedAt + 3_600_000,
          durationMs: 3_600_000
        }
        await ctx.db.insert("sessions", sessionRow(session, userId))
        await ctx.db.insert("sessionIds", { userId, id: session.id })
      }
    })
  }
  // the compacted daily rollups of that activity: one row per day, source, model and project
  await t.run(async (ctx) => {
    const zero = { messages: 0, durationMs: 0, input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 }
    for (let d = 0; d < 365; d++) {
      const dayText = new Date(t0 + d * day).toISOString().slice(0, 10)
      for (const source of ["claude-code", "opencode"]) {
        for (const model of models) {
          for (const project of projects) {
            const row = {
              ...zero,
              day: dayText,
              source,
              model,
              project,
              sessions: 1,
              reasoning: 0,
              costUsd: 1,
              unpriced: 0
            }
            await ctx.db.insert("usageRollup", { userId, ...row })
          }
          await ctx.db.insert("usageByModel", {
            userId,
            ...zero,
            day: dayText,
            source,
            model,
            project: "*",
            sessions: 3,
            reasoning: 0,
            costUsd: 3,
            unpriced: 0
          })
        }
        for (const project of projects) {
          await ctx.db.insert("usageByProject", {
            userId,
            ...zero,
            day: dayText,
            source,
            model: "*",
            project,
            sessions: 2,
            reasoning: 0,
            costUsd: 2,
            unpriced: 0
          })
          const bash = { userId, day: dayText, source, tool: "Bash", calls: 5, errors: 0, durationMs: 50, timed: 5 }
          await ctx.db.insert("toolRollup", { ...bash, project })
        }
        const n = projects.length
        await ctx.db.insert("toolByDay", {
          userId,
          day: dayText,
          source,
          project: "*",
          tool: "Bash",
          calls: 5 * n,
          errors: 0,
          durationMs: 50 * n,
          timed: 5 * n
        })
      }
    }
    await ctx.db.patch(userId, { sessionCount: sessions })
  })
}

const MB = (n: number) => (n / 1_048_576).toFixed(2)

const tableOf = (lines: ReadonlyArray<string>) =>
  [
    "| sessions | route | function calls | documents read | MiB read | most documents one call read | most MiB one call read | documents written | MiB written |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ...lines
  ].join("\n")

it("measures each route's reads and writes at each data size", async () => {
  vi.useFakeTimers({ now: t0 + 400 * day, toFake: ["setTimeout", "clearTimeout", "Date"] })
  const lines: Array<string> = []
  for (const sessions of sizes) {
    const t = makeBackend()
    const alice = await createUser(t, "Alice")
    const userId = userIdOf(alice)
    const http = client(t, alice.key)
    await seed(t, userId, sessions)
    const chat = Array.from({ length: 50 }, (_, i) => ({
      id: `evt-chat-${i}`,
      source: "claude-code",
      kind: "message",
      sessionId: "s-000001",
      at: t0 + day + i,
      messageId: `m${i}`,
      role: i % 2 === 0 ? "user" : "assistant",
      createdAt: t0 + day + i,
      text: `message ${i} about the parser and the needle`
    }))
    await http("POST", "/sync/events", { events: chat })
    await drain(t)
    const routes: ReadonlyArray<readonly [string, string?, string?, unknown?]> = [
      [
        "POST /sync/events (1 message)",
        "POST",
        "/sync/events",
        { events: [{ ...chat[0], id: "evt-new", messageId: "new" }] }
      ],
      ["GET /api/sessions", "GET", "/api/sessions"],
      ["GET /api/sessions?source=opencode&project=web", "GET", "/api/sessions?source=opencode&project=web"],
      ["GET /api/sessions?from=(last 7 days)", "GET", `/api/sessions?from=${t0 + 358 * day}`],
      ["GET /api/sessions?from=(last 7 days)&sort=costUsd", "GET", `/api/sessions?from=${t0 + 358 * day}&sort=costUsd`],
      [
        "GET /api/sessions?project=web&model=…&sort=durationMs",
        "GET",
        `/api/sessions?project=web&model=${models[1]}&sort=durationMs`
      ],
      ["GET /api/sessions?to=(first 7 days)", "GET", `/api/sessions?to=${t0 + 7 * day}`],
      ["GET /api/sessions?q=needle", "GET", "/api/sessions?q=needle"],
      ["GET /api/sessions/{id} (50 messages)", "GET", "/api/sessions/s-000001"],
      ["GET /api/stats (30 days)", "GET", `/api/stats?from=${t0 + 335 * day}&to=${t0 + 365 * day}`],
      ["GET /api/stats (365 days, project)", "GET", `/api/stats?from=${t0}&to=${t0 + 365 * day}&project=web`],
      ["GET /sync/sessions/list", "GET", "/sync/sessions/list"],
      ["GET /api/export?format=csv&project=web", "GET", "/api/export?format=csv&project=web"],
      ["GET /api/export?format=csv (every session)", "GET", "/api/export?format=csv"],
      ["DELETE /api/sessions/{id} (50 messages)", "DELETE", "/api/sessions/s-000001"],
      ["DELETE /api/sessions/{id} (scheduled cleanup)"],
      ["GET /api/data", "GET", "/api/data"],
      ["DELETE /api/data (answer)", "DELETE", "/api/data"],
      ["DELETE /api/data (scheduled steps)"]
    ]
    for (const [name, method, path, body] of routes) {
      // a route without a method: the scheduled functions the previous one left, run to the end
      const txs = await recordTransactions(async () => {
        if (method === undefined || path === undefined) {
          await drain(t)
          return
        }
        const reply = await fetchVia(t)(`${origin}${path}`, {
          method,
          headers: { authorization: `Bearer ${alice.key}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) })
        })
        const text = await reply.text()
        if (reply.status >= 300) throw new Error(`${name}: ${reply.status} ${text.slice(0, 200)}`)
      })
      const sum = (f: (c: (typeof txs)[number]["counts"]) => number) => txs.reduce((n, tx) => n + f(tx.counts), 0)
      const max = (f: (c: (typeof txs)[number]["counts"]) => number) => Math.max(0, ...txs.map((tx) => f(tx.counts)))
      lines.push(
        `| ${sessions.toLocaleString("en-US")} | ${name} | ${txs.length} | ${sum((c) => c.documentsRead)} | ${MB(sum((c) => c.bytesRead))} | ${max((c) => c.documentsRead)} | ${MB(max((c) => c.bytesRead))} | ${sum((c) => c.documentsWritten)} | ${MB(sum((c) => c.bytesWritten))} |`
      )
    }
    // written after each size: the largest takes long, and what is measured is kept
    mkdirSync("test-output", { recursive: true })
    writeFileSync("test-output/convex-size.md", `${tableOf(lines)}\n`)
  }
  vi.useRealTimers()
  console.log(tableOf(lines))
})
