// @vitest-environment edge-runtime
import { describe, expect, it, vi } from "@effect/vitest"
import { Api, Ingest } from "@opensync/domain"
import { fetchBlob } from "../../packages/dashboard/src/api.js"
import { internal } from "../_generated/api.js"
import type { Id } from "../_generated/dataModel.js"
import { sessionRow } from "../lib/docs.js"
import {
  type Backend,
  client,
  createUser,
  drain,
  fetchVia,
  makeBackend,
  origin,
  tuning,
  userIdOf
} from "./backend.harness.js"
import { failStorageWrite, productionLimits } from "./deployment.harness.js"
import { fakeClockEachTest } from "./fixtures.harness.js"

/**
 * Exports past Convex's 20 MiB HTTP response cap (which the harness's fetch enforces), with production tuning: written
 * to file storage in parts of 8 MiB while built, answered with `Api.ExportFiles`, followed by the dashboard.
 */

const MiB = 1024 * 1024
const t0 = Date.UTC(2025, 2, 3, 10)
const day = 86_400_000
const sessions = 130
const textOf = (i: number) => `${String(i).padStart(4, "0")} ${"lorem ipsum dolor sit amet ".repeat(7_000)}`

/**
 * `sessions` sessions of one 190 KB message each (about 23.6 MiB as JSONL), written straight into the tables; the
 * message documents are copies of one that ingestion stored (then deleted with its session).
 */
const seed = async (t: Backend, key: string, userId: Id<"users">) => {
  const http = client(t, key)
  const template = { id: "evt-template", source: "claude-code", kind: "message", sessionId: "template", at: t0 }
  await http("POST", "/sync/events", {
    events: [{ ...template, messageId: "m", role: "user", createdAt: t0, text: "template" }]
  })
  const stored = await t.run(async (ctx) => ctx.db.query("messages").first())
  if (stored === null) throw new Error("the template message was not stored")
  const { _id, _creationTime, ...message } = stored
  expect((await http("DELETE", "/api/sessions/template")).status).toEqual(200)
  await drain(t)
  for (let from = 0; from < sessions; from += 10) {
    await t.run(async (ctx) => {
      for (let i = from; i < Math.min(sessions, from + 10); i++) {
        const at = t0 + i * 60_000
        const id = `big-${String(i).padStart(4, "0")}`
        const session = { ...Ingest.emptySession(id, "claude-code", at), title: `Big ${i}`, messageCount: 1 }
        const sessionDoc = await ctx.db.insert("sessions", sessionRow(session, userId))
        await ctx.db.insert("sessionIds", { userId, id })
        await ctx.db.insert("messages", {
          ...message,
          id: `m-${i}`,
          sessionId: id,
          createdAt: at + 1,
          text: textOf(i),
          sessionDoc
        })
      }
    })
  }
}

const jsonl = (body: string) =>
  body
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Api.SessionDetail)

describe("exports past Convex's 20 MiB response cap", () => {
  fakeClockEachTest({ now: t0 + 30 * day, toFake: ["setTimeout", "clearTimeout", "Date"] })

  it("answers files of at most 8 MiB that rebuild the export, which the dashboard follows; answered inline, it breaks the cap", async () => {
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    const userId = userIdOf(alice)
    await seed(t, alice.key, userId)
    const doFetch = fetchVia(t)
    const path = "/api/export?format=jsonl"
    const reply = await doFetch(`${origin}${path}`, { headers: { authorization: `Bearer ${alice.key}` } })
    expect([reply.status, reply.headers.get("content-type")]).toEqual([200, Api.exportFilesType])
    const files = (await reply.json()) as Api.ExportFiles
    expect(files.bytes > productionLimits.httpResponseBytes).toEqual(true)
    expect(files.parts.map((part) => part.bytes)).toEqual([8 * MiB, 8 * MiB, files.bytes - 16 * MiB])
    expect([files.format, files.contentType, files.filename]).toEqual([
      "jsonl",
      "application/x-ndjson; charset=utf-8",
      "opensync-sessions.jsonl"
    ])
    expect(files.expiresAt).toEqual(Date.now() + tuning.exportFileTtlMs)
    const stored = await t.run(async (ctx) => (await ctx.db.system.query("_storage").collect()).map((f) => f.size))
    expect(stored.sort()).toEqual(files.parts.map((part) => part.bytes).sort())

    // what the dashboard's Export button downloads: every part, joined
    const blob = await fetchBlob({ baseUrl: origin, token: alice.key }, path, doFetch)
    expect([blob.size, blob.type]).toEqual([files.bytes, files.contentType])
    const details = jsonl(await blob.text())
    expect(details.map((d) => [d.session.id, d.messages[0]?.text])).toEqual(
      Array.from({ length: sessions }, (_, i) => [`big-${String(i).padStart(4, "0")}`, textOf(i)])
    )

    // the same export answered in one response is over the cap
    Object.assign(tuning, { exportInlineBytes: Number.POSITIVE_INFINITY })
    await expect(doFetch(`${origin}${path}`, { headers: { authorization: `Bearer ${alice.key}` } })).rejects.toThrow(
      /over Convex's 20 MiB limit/
    )
  }, 240_000)

  /** A seeded backend whose exports are stored in parts of 4 KiB (any export over 1 KiB). */
  const exportingInSmallParts = async () => {
    Object.assign(tuning, { exportInlineBytes: 1024, exportPartBytes: 4096 })
    const t = makeBackend(true)
    const alice = await createUser(t, "Alice")
    await seed(t, alice.key, userIdOf(alice))
    return { t, alice, http: client(t, alice.key) }
  }

  it("deletes the files once expired, and the dashboard says a part is gone", async () => {
    const { t, alice, http } = await exportingInSmallParts()
    const answer = (await http("GET", "/api/export?format=csv")).body as Api.ExportFiles
    expect(answer.parts.length > 1).toEqual(true)
    const files = () => t.run(async (ctx) => (await ctx.db.system.query("_storage").collect()).length)
    expect(await files()).toEqual(answer.parts.length)
    expect(await t.mutation(internal.exports.sweep, {})).toEqual(0)
    vi.setSystemTime(answer.expiresAt + 1)
    expect(await t.mutation(internal.exports.sweep, {})).toEqual(answer.parts.length)
    expect(await files()).toEqual(0)
    const gone = await fetchVia(t)(answer.parts[0]!.url)
    expect(gone.status).toEqual(404)

    // a manifest whose parts are gone: the dashboard fails with a message, never a truncated file
    const stale = new Response(JSON.stringify(answer), { headers: { "content-type": Api.exportFilesType } })
    const fetchStale: typeof fetch = (input, init) =>
      String(input).startsWith(origin) ? Promise.resolve(stale.clone()) : fetchVia(t)(input, init)
    await expect(
      fetchBlob({ baseUrl: origin, token: alice.key }, "/api/export?format=csv", fetchStale)
    ).rejects.toThrow(
      `Part 1 of ${answer.parts.length} of the export could not be downloaded (status 404). Export again.`
    )
  })

  it("answers 500 when file storage fails mid-export, and the parts already stored are deleted with the user's data", async () => {
    const { t, alice, http } = await exportingInSmallParts()
    failStorageWrite(2, new Error("injected: file storage unavailable"))
    const reply = await http("GET", "/api/export?format=csv")
    expect([reply.status, reply.body._tag]).toEqual([500, "InternalError"])
    const recorded = () => t.run(async (ctx) => (await ctx.db.query("exportFiles").collect()).length)
    expect(await recorded()).toEqual(2)
    expect((await http("DELETE", "/api/data")).status).toEqual(200)
    await drain(t)
    expect(await recorded()).toEqual(0)
    expect(await t.run(async (ctx) => (await ctx.db.system.query("_storage").collect()).length)).toEqual(0)
    const again = await fetchVia(t)(`${origin}/api/export?format=csv`, {
      headers: { authorization: `Bearer ${alice.key}` }
    })
    expect([again.status, (await again.text()).split("\r\n").length]).toEqual([200, 2])
  })
})
