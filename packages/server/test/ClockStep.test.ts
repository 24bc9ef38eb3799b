/**
 * The server's clock stepped back (NTP correcting a clock that ran fast) while it runs: the legacy protocol carries no
 * time of its own, so the server's orders its updates. Every update after the step was answered ok and dropped, the
 * stored row being "newer" (Ingest's stale rule).
 */
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { monotonicClock } from "@opensync/backend/handlers/sync"
import { type RunningServer, startServer } from "@opensync/testkit/Server"

let server: RunningServer | undefined
afterAll(async () => {
  await server?.stop()
})

const legacy = async (running: RunningServer, path: string, body: unknown) => {
  const response = await fetch(`${running.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${running.key}`, "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  return [response.status, await response.json()] as const
}

describe("a server clock stepped back", () => {
  it("a clock that never goes back: the step is absorbed", () => {
    const times = [1_000, 2_000, 500, 500, 2_500]
    const clock = monotonicClock(() => times.shift() ?? 0)
    expect([clock(), clock(), clock(), clock(), clock()]).toEqual([1_000, 2_000, 2_001, 2_002, 2_500])
  })

  it("legacy updates sent after the step are stored, not dropped as older than what they replace", async () => {
    server = await startServer({
      env: { NODE_OPTIONS: `--require ${join(__dirname, "support", "clock-step.cjs")}` }
    })
    const running = server
    const message = (text: string, completionTokens: number) => ({
      sessionExternalId: "legacy-clock",
      externalId: "m1",
      role: "assistant",
      textContent: text,
      promptTokens: 10,
      completionTokens
    })
    expect(await legacy(running, "/sync/session", { externalId: "legacy-clock", title: "Before" })).toMatchObject([
      200,
      {}
    ])
    expect(await legacy(running, "/sync/message", message("partial answer", 5))).toMatchObject([200, {}])
    running.process.kill("SIGUSR2")
    // (the signal is handled before the next request is read)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await legacy(running, "/sync/message", message("the complete final answer", 500))).toMatchObject([200, {}])
    expect(await legacy(running, "/sync/session", { externalId: "legacy-clock", title: "After" })).toMatchObject([
      200,
      {}
    ])
    const detail = (await (
      await fetch(`${running.url}/api/sessions/legacy-clock`, { headers: { authorization: `Bearer ${running.key}` } })
    ).json()) as { session: { title: string }; messages: Array<{ text: string; usage: { output: number } }> }
    expect([detail.session.title, detail.messages[0]?.text, detail.messages[0]?.usage.output]).toEqual([
      "After",
      "the complete final answer",
      500
    ])
  })
})
