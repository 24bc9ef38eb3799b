import { gzipSync } from "node:zlib"
import { describe, expect, it } from "@effect/vitest"
import { as, expectError, type Harness, type Reply, type SessionPage, t0 } from "./Harness.js"

/** Deepest nesting that is fine for a real body, and one level of `[` per character: what an attacker sends. */
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`

/**
 * Input meant to break the server: no answer to a client's input is a 5xx, what is accepted stays readable, and
 * one bad item never fails the rest of its request.
 */
export const section = (h: Harness): void => {
  const { sid, request, get, post, del, sync, detail, list, sessionEv, messageEv, toolEv } = h
  describe("hostile input", () => {
    it("refuses out-of-range numbers in query parameters with 400", async () => {
      for (const query of [
        "to=8640000000000001",
        "from=-1",
        "to=1e400",
        "from=NaN",
        "from=12.5",
        "to=99999999999999999999999"
      ]) {
        expectError(await get(`/api/stats?${query}`), 400, "BadRequest")
        expectError(await get(`/api/sessions?${query}`), 400, "BadRequest")
      }
      expectError(await get("/api/stats?to=8640000000000000"), 400, "BadRequest")
      expect((await get("/api/stats?to=253402300799999&from=253402300799998")).status).toEqual(200)
    })

    it("reads and deletes by id a session whose id is as long as ids may be (256 characters, also non-ASCII)", async () => {
      const long = (label: string, filler: string) => {
        let id = `${sid(label)}-`
        while (id.length + filler.length <= 256) id += filler
        return id
      }
      // Percent-encoded in the path: 256, ~1,500 and ~1,400 characters
      for (const id of [long("long", "x"), long("long-e", "é"), long("long-emoji", "🙂")]) {
        expect(id.length).toBeGreaterThan(250)
        const result = await sync([sessionEv(id, t0)])
        expect(result.rejected).toEqual([])
        expect((await detail(id)).session.id).toEqual(id)
        expect((await del(`/api/sessions/${encodeURIComponent(id)}`)).status).toEqual(200)
        expectError(await get(`/api/sessions/${encodeURIComponent(id)}`), 404, "NotFound")
      }
    })

    it("names every value an option may take when it gets another", async () => {
      expect(expectError(await get("/api/stats?bucket=year"), 400, "BadRequest")).toBe(
        'Invalid bucket: Expected "day", "week" or "month", actual "year"'
      )
      expect(expectError(await get("/api/sessions?order=up"), 400, "BadRequest")).toBe(
        'Invalid order: Expected "asc" or "desc", actual "up"'
      )
    })

    it("refuses JSON nested thousands of levels deep with 400, before parsing it, even unauthenticated", async () => {
      const deep = nested(5_000)
      expectError(await request("POST", "/auth/session", { key: null, raw: `{"apiKey":${deep}}` }), 400, "BadRequest")
      expectError(await request("POST", "/sync/events", { raw: `{"events":${deep}}` }), 400, "BadRequest")
      expectError(await request("POST", "/sync/batch", { raw: `{"sessions":${deep}}` }), 400, "BadRequest")
      // an unauthenticated body is never read: 401 whatever it holds
      expectError(await request("POST", "/sync/events", { key: null, raw: deep }), 401, "Unauthorized")
      expect((await get("/health", null)).status).toEqual(200)
    })

    it("refuses a body of millions of tiny objects with 413, before parsing it (8 MiB of {} is 2.8 million)", async () => {
      const flood = Array.from({ length: 600_000 }, () => "{}").join(",")
      for (const [path, raw] of [
        ["/sync/events", `{"events":[${flood}]}`],
        ["/sync/batch", `{"sessions":[${flood}]}`]
      ] as const) {
        expect(expectError(await request("POST", path, { raw }), 413, "PayloadTooLarge")).toMatch(/arrays and objects/)
      }
      expect((await get("/health", null)).status).toEqual(200)
    })

    it("refuses a large body to the sign-in route unread", async () => {
      const reply = await request("POST", "/auth/session", { key: null, raw: "[".repeat(1024 * 1024) })
      expect([413, 400]).toContain(reply.status)
      expect(reply.status < 500).toEqual(true)
    })

    it("refuses form and multipart bodies unread: a page cannot lock clients out, nor leave requests waiting", async () => {
      // What any web page may post to a local server without asking (no CORS preflight): more wrong keys than the
      // failed attempts a client may make in a minute. None counts as one: the keys are not even looked at.
      const form = { "content-type": "application/x-www-form-urlencoded;charset=UTF-8", origin: "https://evil.example" }
      for (let i = 0; i < 130; i++) {
        const reply = await request("POST", "/auth/session", {
          key: null,
          raw: `apiKey=osk_${String(i).padStart(32, "0")}`,
          headers: form
        })
        expect(reply.status).toEqual(400)
      }
      const multipart = { "content-type": "multipart/form-data; boundary=x" }
      const parts = '--x\r\nContent-Disposition: form-data; name="apiKey"\r\n\r\nosk_abc\r\n--x--\r\n'
      for (const path of ["/auth/session", "/sync/events"]) {
        const reply = await request("POST", path, { raw: parts, headers: multipart })
        expect(reply.status).toEqual(400)
        expect(JSON.stringify(reply.body)).toContain("application/json")
      }
      // Types the platform would not read as JSON either: refused at once, where they left the request unanswered
      // (`…+json`, read as raw bytes after the guard had read them) or failed it (a multipart type without a boundary)
      const answered = (reply: Promise<Reply>) =>
        Promise.race([
          reply,
          new Promise<never>((_, fail) => setTimeout(() => fail(new Error("no answer within 15 s")), 15_000).unref())
        ])
      const session = JSON.stringify({ events: [sessionEv(sid("typed"), t0)] })
      for (const type of [
        "application/ld+json",
        "application/vnd.api+json",
        "multipart/form-data+json",
        "; charset=utf-8"
      ]) {
        for (const [path, key] of [
          ["/sync/events", undefined],
          ["/auth/session", null]
        ] as const) {
          const reply = await answered(request("POST", path, { key, raw: session, headers: { "content-type": type } }))
          expect([type, path, reply.status]).toEqual([type, path, 400])
          expect(JSON.stringify(reply.body)).toContain("application/json")
        }
      }
      // A compressed body is refused as such, not as JSON it cannot be
      const gzipped = await request("POST", "/sync/events", {
        raw: gzipSync(Buffer.from(session)),
        headers: { "content-type": "application/json", "content-encoding": "gzip" }
      })
      expect(expectError(gzipped, 400, "BadRequest")).toContain("Content-Encoding")
      // JSON with parameters, in any case, and a body without a type are read
      for (const type of ["application/json; charset=utf-8", "Application/JSON"]) {
        const reply = await request("POST", "/sync/events", { raw: session, headers: { "content-type": type } })
        expect([type, reply.status]).toEqual([type, 200])
      }
      // The clients' keys still work.
      expect((await post("/sync/events", { events: [sessionEv(sid("after-forms"), t0)] })).status).toEqual(200)
    })

    it("rejects, one by one, events with NUL or control characters in ids, lone surrogates and absurd numbers", async () => {
      const id = sid("hostile")
      const good = sessionEv(id, t0, { title: "Fine, with an emoji 🎉 and a NUL \u0000 in text" })
      const bad = [
        sessionEv(`${id}\u0000x`, t0),
        messageEv(id, "m\u0000", "user", t0 + 1, { text: "nul in message id" }),
        messageEv(id, "m-surrogate", "user", t0 + 2, { text: "broken \ud83d emoji" }),
        messageEv(id, "m-cost", "assistant", t0 + 3, { text: "x", reportedCostUsd: 1e300 }),
        messageEv(id, "m-tokens", "assistant", t0 + 4, { text: "x", usage: { input: 1e300 } }),
        messageEv(id, "m-neg", "assistant", t0 + 5, { text: "x", usage: { output: -1 } }),
        toolEv(id, "c-inf", "Bash", "completed", t0 + 6, { durationMs: 1e300 }),
        sessionEv(id, t0 + 7, { startedAt: 253_402_300_800_000 }),
        toolEv(id, "c-exit", "Bash", "completed", t0 + 8, { output: { exitCode: 1.5 } }),
        sessionEv(id, t0 + 9, { title: "\udc00 lone low surrogate" })
      ]
      const also = messageEv(id, "m-ok", "user", t0 + 10, { text: "still stored" })
      const events = [good, ...bad, also]
      const result = await sync(events)
      expect(result.stored).toEqual([good.id, also.id])
      expect(result.rejected.map((r) => r.index)).toEqual(bad.map((_, i) => i + 1))
      for (const r of result.rejected) expect(r.error).toMatch(/\S/)
      const stored = await detail(id)
      expect(stored.session.title).toEqual(good.title)
      expect(stored.messages.map((m) => m.text)).toEqual(["still stored"])
    })

    it("rounds fractional durations, so what is accepted stays readable in every list", async () => {
      const id = sid("fractional")
      const events = [
        sessionEv(id, t0, { title: "fractional", projectName: id }),
        toolEv(id, "c1", "Bash", "completed", t0 + 13, { durationMs: 12.5 }),
        sessionEv(id, t0 + 100, { reported: { durationMs: 1234.56 } })
      ]
      expect((await sync(events)).stored).toEqual(events.map((e) => e.id))
      expect((await detail(id)).toolCalls[0]?.durationMs).toEqual(13)
      for (const sort of ["updatedAt", "startedAt", "durationMs", "costUsd"]) {
        const page = await list({ project: id, sort })
        expect(page.sessions.map((s) => s.id)).toEqual([id])
      }
      expect((await get(`/api/export?project=${encodeURIComponent(id)}&format=jsonl`)).status).toEqual(200)
      expect((await get("/api/stats?bucket=week")).status).toEqual(200)
    })

    it("keeps derived timestamps in range: a tool call ending after the year 9999 still lists", async () => {
      const id = sid("far-future")
      const last = 253_402_300_799_999
      const events = [
        sessionEv(id, last - 5, { projectName: id, startedAt: last - 5 }),
        toolEv(id, "c1", "Bash", "completed", last, { startedAt: last - 1, durationMs: 60_000 })
      ]
      expect((await sync(events)).stored).toEqual(events.map((e) => e.id))
      const page = await list({ project: id, sort: "startedAt" })
      expect(page.sessions.map((s) => [s.id, s.updatedAt <= last, s.lastActivityAt <= last])).toEqual([
        [id, true, true]
      ])
    })

    it("keeps the rest of a legacy batch when one item is bad", async () => {
      const reply = await post("/sync/batch", {
        sessions: [
          { externalId: sid("legacy-ok"), title: "ok" },
          { externalId: sid("legacy-bad"), cost: 1e300 },
          { externalId: `${sid("legacy-nul")}\u0000` },
          null,
          7
        ],
        messages: [
          { sessionExternalId: sid("legacy-ok"), externalId: "m1", role: "user", textContent: "fine" },
          { sessionExternalId: sid("legacy-ok"), externalId: "m2", role: "user", textContent: "bad \ud800" },
          { sessionExternalId: sid("legacy-ok"), externalId: "m3", role: "wizard" }
        ]
      })
      expect(reply.status).toEqual(200)
      const body = as<{ ok: boolean; sessions: number; messages: number; errors: ReadonlyArray<string> }>(reply)
      expect([body.sessions, body.messages, body.errors.length]).toEqual([1, 1, 6])
      expect((await detail(sid("legacy-ok"))).messages.map((m) => m.text)).toEqual(["fine"])
      expectError(await post("/sync/session", { externalId: sid("legacy-c"), cost: 1e300 }), 400, "BadRequest")
      expectError(await post("/sync/session", { externalId: "a\u0000b" }), 400, "BadRequest")
    })

    it("answers a list whatever garbage the cursor holds", async () => {
      for (const cursor of ["", "%%%", "W10", "WzEsMl0", "eyJ4Ijox", "a".repeat(4000)]) {
        const reply = await get(`/api/sessions?cursor=${encodeURIComponent(cursor)}`)
        expect(reply.status === 400 || reply.status === 200).toEqual(true)
        if (reply.status === 200) expect(Array.isArray(as<SessionPage>(reply).sessions)).toEqual(true)
      }
    })
  })
}
