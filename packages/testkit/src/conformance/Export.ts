import { beforeAll, describe, expect, it } from "@effect/vitest"
import { day, expectError, type Harness, jsonLines, makeSpec, mediaType, type SessionDetail, t0 } from "./Harness.js"

/** GET /api/export */
export const section = (h: Harness): void => {
  const { specEvents, sid, get, download, query, store, detail, list, sessionEv } = h
  describe("GET /api/export", () => {
    const project = sid("export")
    // Claude Code sessions with Sonnet (the `makeSpec` defaults), as the CSV rows below say
    const first = makeSpec({
      id: sid("export-1"),
      project,
      title: "=1+2 danger",
      duration: 60_000,
      userTexts: ["Export me please"],
      usage: { input: 1_000, output: 1_000 },
      tools: [{ name: "Read", status: "completed", durationMs: 100 }]
    })
    const second = makeSpec({
      id: sid("export-2"),
      project,
      title: "@cmd, with comma",
      start: t0 + day,
      usage: { input: 10, output: 10 }
    })
    const header =
      "id,source,title,projectName,projectPath,gitBranch,model,startedAt,updatedAt,durationMs,messageCount," +
      "toolCallCount,input,output,cacheRead,cacheWrite5m,cacheWrite1h,reasoning,totalTokens,costUsd\r\n"
    const row1 =
      `${first.id},claude-code,'=1+2 danger,${project},/work/${project},,claude-sonnet-4-5,` +
      "2025-03-03T10:00:00.000Z,2025-03-03T10:01:00.000Z,60000,2,1,1000,1000,0,0,0,0,2000,0.018\r\n"
    const row2 =
      `${second.id},claude-code,"'@cmd, with comma",${project},/work/${project},,claude-sonnet-4-5,` +
      "2025-03-04T10:00:00.000Z,2025-03-04T10:00:01.000Z,1000,1,0,10,10,0,0,0,0,20,0.00018\r\n"
    const exportOf = async (params: Record<string, string | number | undefined>) =>
      download(await get(`/api/export${query(params)}`))

    beforeAll(async () => {
      await store([...specEvents(first), ...specEvents(second)])
    })

    it("exports one session as JSON (the session detail) by default, as an attachment", async () => {
      const expected = await detail(first.id)
      for (const params of [{ id: first.id }, { id: first.id, format: "json" }]) {
        const reply = await exportOf(params)
        expect([reply.status, mediaType(reply)]).toEqual([200, "application/json"])
        expect(reply.body).toEqual(expected)
        expect(reply.headers.get("content-disposition")?.startsWith("attachment")).toEqual(true)
      }
    })

    it("names the file of a session whatever its id holds: quotes add no header parameter, any script downloads", async () => {
      for (const id of [sid("export-日本"), sid('export-q"; filename=evil.exe; x="'), sid("export-../../etc/passwd")]) {
        await store(
          specEvents(makeSpec({ id, project: sid("export-named"), title: "named", usage: { input: 1, output: 1 } }))
        )
        const reply = await exportOf({ id })
        expect([reply.status, mediaType(reply)]).toEqual([200, "application/json"])
        const disposition = reply.headers.get("content-disposition") ?? ""
        expect(disposition).toMatch(
          /^attachment; filename="[\x20-\x21\x23-\x2e\x30-\x5b\x5d-\x7e]*"; filename\*=UTF-8''\S+$/
        )
        const named = /filename\*=UTF-8''(\S+)$/.exec(disposition)?.[1] ?? ""
        expect(decodeURIComponent(named)).toEqual(`opensync-${id}.json`)
      }
    })

    it("exports one session as JSONL, CSV and Markdown", async () => {
      const expected = await detail(first.id)
      const jsonl = await exportOf({ id: first.id, format: "jsonl" })
      expect([jsonl.status, mediaType(jsonl)]).toEqual([200, "application/x-ndjson"])
      expect(jsonl.text.endsWith("\n")).toEqual(true)
      expect(jsonLines(jsonl.text)).toEqual([expected])

      const csv = await exportOf({ id: first.id, format: "csv" })
      expect([csv.status, mediaType(csv)]).toEqual([200, "text/csv"])
      expect(csv.text).toEqual(header + row1)

      const markdown = await exportOf({ id: first.id, format: "markdown" })
      expect([markdown.status, mediaType(markdown)]).toEqual([200, "text/markdown"])
      expect(markdown.text.split("\n")[0]).toEqual("# =1+2 danger")
      expect(
        ["Export me please", "## user · 2025-03-03T10:00:00.010Z", "- Tool `Read` (completed, 100 ms)"].filter(
          (line) => !markdown.text.includes(line)
        )
      ).toEqual([])
    })

    it("exports every matching session in each format", async () => {
      const expected = [await detail(first.id), await detail(second.id)]
      const json = await exportOf({ project })
      expect([json.status, json.body]).toEqual([200, { sessions: expected }])
      const jsonl = await exportOf({ project, format: "jsonl" })
      expect(jsonLines(jsonl.text)).toEqual(expected)
      const csv = await exportOf({ project, format: "csv" })
      expect(csv.text).toEqual(header + row1 + row2)
      const markdown = await exportOf({ project, format: "markdown" })
      expect(markdown.status).toEqual(200)
      expect(markdown.text.split("\n").filter((line) => line.startsWith("# "))).toEqual([
        "# =1+2 danger",
        "# @cmd, with comma"
      ])
      const none = await exportOf({ project: sid("export-nothing") })
      expect([none.status, none.body]).toEqual([200, { sessions: [] }])
      expect((await exportOf({ project: sid("export-nothing"), format: "csv" })).text).toEqual(header)
    })

    it("filters the export like the list (source, q)", async () => {
      const byText = await exportOf({ project, q: "Export me", format: "csv" })
      expect(byText.text).toEqual(header + row1)
      const bySource = await exportOf({ project, source: "opencode", format: "csv" })
      expect(bySource.text).toEqual(header)
    })

    it("streams exports longer than one page without losing or repeating sessions", async () => {
      const many = sid("export-many")
      const ids = Array.from({ length: 205 }, (_, i) => sid(`export-many-${String(i).padStart(3, "0")}`))
      // the same startedAt everywhere: ties across page boundaries
      await store(ids.map((id) => sessionEv(id, t0, { projectName: many, startedAt: t0 })))
      const csv = await exportOf({ project: many, format: "csv" })
      const rows = csv.text
        .split("\r\n")
        .filter((line) => line.length > 0)
        .slice(1)
      expect(rows.map((row) => row.split(",")[0]).sort()).toEqual(ids)
      const jsonl = await exportOf({ project: many, format: "jsonl" })
      const details = (jsonLines(jsonl.text) as Array<SessionDetail>).map((d) => d.session.id)
      expect(details.sort()).toEqual(ids)
      const first = await list({ project: many, limit: 200 })
      const rest = await list({ project: many, limit: 200, cursor: first.nextCursor ?? undefined })
      expect([first.sessions.length, rest.sessions.length, rest.nextCursor]).toEqual([200, 5, null])
      expect([...first.sessions, ...rest.sessions].map((x) => x.id).sort()).toEqual(ids)
    })

    it("answers an unknown id with a JSON 404 and a bad format with a JSON 400", async () => {
      for (const format of ["json", "jsonl", "csv", "markdown"]) {
        expectError(await exportOf({ id: sid("no-such-session"), format }), 404, "NotFound")
      }
      expectError(await exportOf({ id: first.id, format: "xml" }), 400, "BadRequest")
      expectError(await exportOf({ project, from: "x" }), 400, "BadRequest")
    })
  })
}
