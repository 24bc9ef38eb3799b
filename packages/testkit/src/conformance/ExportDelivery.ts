import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Api } from "@opensync/domain"
import { as, day, type Harness, jsonLines, mediaType, type Reply, type SessionDetail, t0 } from "./Harness.js"

/**
 * GET /api/export of exports too large for one response. A backend may answer them as files (`Api.ExportFiles`, e.g.
 * Convex past its 20 MiB response cap; its conformance run lowers that threshold to a few KiB): whatever it answers,
 * what a client downloads by following the contract is byte for byte the export.
 */
export const section = (h: Harness): void => {
  const { sid, get, download, query, store, detail, sessionEv, messageEv } = h
  describe("GET /api/export (large exports)", () => {
    const project = sid("export-large")
    const ids = Array.from({ length: 12 }, (_, i) => sid(`export-large-${String(i).padStart(2, "0")}`))
    // several KiB per session, with characters of 2 to 4 bytes, so part boundaries may cut through a character
    const textOf = (i: number) => `Session ${i}: ${"naïve café, 東京, 🙂 — ".repeat(200)}end ${i}`
    const long = sid("export-long")
    const longTexts = Array.from({ length: 30 }, (_, i) => `Long reply ${i}: ${"π≈3.14159 ✓ ".repeat(150)}end`)
    let expected: Array<SessionDetail> = []

    const exportOf = async (params: Record<string, string | number | undefined>) => {
      const reply = await get(`/api/export${query(params)}`)
      checkAnswer(reply, params.format === undefined ? "json" : String(params.format))
      return download(reply)
    }

    /** An `ExportFiles` answer holds to the contract: its parts add up, and it names the export's media type. */
    const checkAnswer = (reply: Reply, format: string) => {
      expect(reply.status).toEqual(200)
      if (mediaType(reply) !== Api.exportFilesType) return
      const files = as<Api.ExportFiles>(reply)
      expect(files.format).toEqual(format)
      expect(files.parts.reduce((n, part) => n + part.bytes, 0)).toEqual(files.bytes)
      expect(files.parts.every((part) => part.bytes > 0)).toEqual(true)
      expect(files.expiresAt > Date.now()).toEqual(true)
      expect(files.filename.endsWith(format === "markdown" ? ".md" : `.${format}`)).toEqual(true)
    }

    beforeAll(async () => {
      await store(
        ids.flatMap((id, i) => [
          sessionEv(id, t0 + i * day, { projectName: project, startedAt: t0 + i * day, title: `Large ${i}` }),
          messageEv(id, "u0", "user", t0 + i * day + 10, { text: textOf(i) })
        ])
      )
      await store([
        sessionEv(long, t0, { projectName: sid("export-long-project"), startedAt: t0, title: "One long session" }),
        ...longTexts.map((text, i) => messageEv(long, `m${i}`, i % 2 === 0 ? "user" : "assistant", t0 + i, { text }))
      ])
      expected = await Promise.all(ids.map((id) => detail(id)))
    })

    it("rebuilds a large export in every format from what the backend answers", async () => {
      const json = await exportOf({ project })
      expect([json.status, mediaType(json)]).toEqual([200, "application/json"])
      expect(json.body).toEqual({ sessions: expected })
      const jsonl = await exportOf({ project, format: "jsonl" })
      expect(jsonLines(jsonl.text)).toEqual(expected)
      const markdown = await exportOf({ project, format: "markdown" })
      expect(ids.map((_, i) => markdown.text.includes(textOf(i)))).toEqual(ids.map(() => true))
      const csv = await exportOf({ project, format: "csv" })
      expect(
        csv.text
          .split("\r\n")
          .slice(1, -1)
          .map((row) => row.split(",")[0])
      ).toEqual(ids)
    })

    it("rebuilds a large export of one session", async () => {
      const whole = await detail(long)
      const json = await exportOf({ id: long })
      expect(json.body).toEqual(whole)
      const markdown = await exportOf({ id: long, format: "markdown" })
      expect(longTexts.filter((text) => !markdown.text.includes(text))).toEqual([])
    })
  })
}
