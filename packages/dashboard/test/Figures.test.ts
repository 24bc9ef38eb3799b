import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { hasBrowser, launch, screenshotDir } from "@opensync/testkit/Browser"
import { logsBody } from "@opensync/testkit/conformance/Otlp"
import { type RunningServer, startServer } from "@opensync/testkit/Server"
import type { Browser, Page } from "playwright-core"

/**
 * The session page's "Where these figures come from" card in a real browser, for a session whose telemetry reached
 * the server through the OTLP receiver and whose transcript had only some of its requests.
 */

let server: RunningServer
let browser: Browser
let page: Page
const pageErrors: Array<string> = []
const sessionId = "telemetry-session"
const at = Date.UTC(2026, 10, 20, 10, 0, 0)

const post = async (path: string, body: unknown) => {
  const response = await fetch(server.url + path, {
    method: "POST",
    headers: { authorization: `Bearer ${server.key}`, "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  expect(response.status).toBe(200)
  return response.json()
}

const request = (requestId: string, offset: number, attrs: Record<string, string | number>) => ({
  name: "api_request",
  at: at + offset,
  attrs: {
    "session.id": sessionId,
    model: "claude-sonnet-4-5",
    request_id: requestId,
    input_tokens: 3,
    output_tokens: 45,
    cache_read_tokens: 0,
    cache_creation_tokens: 13_412,
    cost_usd: 0.050979,
    query_source: "sdk",
    ...attrs
  }
})

beforeAll(async () => {
  if (!hasBrowser) return
  mkdirSync(screenshotDir, { recursive: true })
  server = await startServer()
  await post("/sync/events", {
    events: [
      {
        kind: "session",
        id: "evt_fig_s",
        source: "claude-code",
        sessionId,
        at,
        title: "Compacted session",
        startedAt: at
      },
      {
        kind: "message",
        id: "evt_fig_m",
        source: "claude-code",
        sessionId,
        at: at + 10,
        messageId: "msg_1",
        role: "assistant",
        text: "Done.",
        model: "claude-sonnet-4-5",
        createdAt: at + 5,
        requestId: "req_main",
        usage: { input: 3, output: 2, cacheWrite5m: 13_412 }
      }
    ]
  })
  await post(
    "/v1/logs",
    logsBody([
      request("req_main", 0, {}),
      // the /compact summary: only telemetry sees it; Claude Code's cost is off (a stale price on one side)
      request("req_compact", 60_000, {
        query_source: "compact",
        input_tokens: 50,
        output_tokens: 40,
        cache_read_tokens: 6_000,
        cache_creation_tokens: 0,
        cost_usd: 0.5
      })
    ])
  )
  ;({ browser, page } = await launch(pageErrors))
  await page.goto(`${server.url}/#key=${server.key}`)
  await page.getByRole("heading", { name: "Overview" }).waitFor()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe.skipIf(!hasBrowser)("session figures in Chromium", () => {
  it("says the figures are verified against telemetry, lists the compaction, shows both costs", async () => {
    await page.goto(`${server.url}/sessions/${sessionId}`)
    await page.getByRole("heading", { name: "Compacted session" }).waitFor()
    const provenance = page.getByTestId("provenance")
    expect(await provenance.textContent()).toBe(
      "Verified against Claude Code's telemetry: all 2 API requests (1 also in the transcript)."
    )
    expect(await page.getByTestId("background").allTextContents()).toEqual([
      expect.stringMatching(
        /^Background: \/compact summary, 1 request, 6,090 tokens, \$0\.002[56] \(Claude Code: \$0\.50\)$/
      )
    ])
    expect(await page.getByTestId("cost-difference").textContent()).toMatch(
      /^Cost differs: Claude Code reports \$0\.55 for its telemetry requests; OpenSync's prices give \$0\.05/
    )
    await page.screenshot({ path: join(screenshotDir, "session-figures.png"), fullPage: true })
    expect(pageErrors).toEqual([])
  })
})
