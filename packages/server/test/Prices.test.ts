import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Event, Pricing } from "@opensync/domain"
import { binPath, type RunningServer, runCli, type StoredDetail, startServer } from "@opensync/testkit/Server"

const t0 = Date.UTC(2026, 10, 20, 9, 0, 0)
const sessionId = "prices-session"
const usage = { input: 1_000_000, output: 100_000, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 }

const message = (id: string, minute: number) =>
  Event.make({
    kind: "message",
    source: "opencode",
    sessionId,
    at: t0 + minute * 60_000,
    messageId: id,
    role: "assistant",
    text: `answer ${id}`,
    thinking: null,
    parts: [],
    model: "fake-model",
    provider: "fake",
    createdAt: t0 + minute * 60_000,
    usage,
    countUsage: true
  })

let server: RunningServer

const post = async (events: ReadonlyArray<unknown>) => {
  const response = await fetch(`${server.url}/sync/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.key}`, "content-type": "application/json" },
    body: JSON.stringify({ events })
  })
  expect(response.status).toBe(200)
}

const costs = async () => {
  const response = await fetch(`${server.url}/api/sessions/${sessionId}`, {
    headers: { authorization: `Bearer ${server.key}` }
  })
  const detail = (await response.json()) as StoredDetail
  return {
    messages: detail.messages.map((m) => [m.id, m.costUsd, m.costBasis, m.priceVersion]),
    session: [detail.session.costUsd, detail.session.unpricedMessages]
  }
}

beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.stop()
})

describe("opensync prices (real server and CLI)", () => {
  it("`prices set` that cannot write (a full disk, a size limit) says so and leaves no temp file behind", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "opensync-prices-full-"))
    try {
      const args = ["prices", "set", "fake-model", "--provider", "fake", "--input", "3", "--output", "15"]
      const ran = spawnSync(
        "bash",
        ["-c", 'ulimit -S -f 0 && exec "$@"', "bash", process.execPath, binPath, ...args, "--data-dir", dataDir],
        { encoding: "utf8" }
      )
      expect(ran.status).toBe(1)
      expect(ran.stderr).toMatch(/^opensync: .*(EFBIG|too large)/i)
      expect(readdirSync(dataDir).filter((name) => name.endsWith(".tmp"))).toEqual([])
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it("prices events ingested after `prices set`, keeps earlier ones, and `unset` makes the model unpriced again", async () => {
    await post([message("before", 0)])
    expect(await server.cli(["prices", "list", "fake-model", "--provider", "fake"])).toContain("counted as unpriced")

    const set = await server.cli([
      "prices",
      "set",
      "fake-model",
      "--provider",
      "fake",
      "--input",
      "3",
      "--output",
      "15"
    ])
    expect(set).toContain("stored messages keep their prices")
    expect(JSON.parse(readFileSync(join(server.dataDir, "prices.json"), "utf8"))).toEqual({
      overrides: [{ model: "fake-model", provider: "fake", input: 3, output: 15 }]
    })
    await post([message("after", 1)])
    expect(await server.cli(["prices", "list", "fake-model", "--provider", "fake"])).toContain(
      "fake-model today: local price (override:fake/fake-model)"
    )

    // A hand-edited file that no longer decodes: the running server keeps the last valid overrides.
    writeFileSync(join(server.dataDir, "prices.json"), '{"overrides": [{"model": "fake-model"}]}')
    await post([message("broken-file", 2)])

    const refused = await runCli([
      "prices",
      "set",
      "fake-model",
      "--input",
      "1",
      "--output",
      "5",
      "--data-dir",
      server.dataDir
    ])
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining("(overrides.0.input: is missing)")])
    rmSync(join(server.dataDir, "prices.json"))
    await server.cli(["prices", "set", "fake-model", "--provider", "fake", "--input", "1", "--output", "5"])
    await post([message("cheaper", 3)])
    expect(await server.cli(["prices", "unset", "fake-model"])).toContain("Removed fake-model")
    await post([message("unset", 4)])

    const priced = 3 * 1 + 15 * 0.1
    expect(await costs()).toEqual({
      messages: [
        ["before", 0, "unpriced", null],
        ["after", priced, "computed", "override:fake/fake-model"],
        ["broken-file", priced, "computed", "override:fake/fake-model"],
        ["cheaper", 1 + 0.5, "computed", "override:fake/fake-model"],
        ["unset", 0, "unpriced", null]
      ],
      session: [priced * 2 + 1.5, 2]
    })
  })

  it("rejects invalid prices with what to fix, and reports the bundled data's price for a known model", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "opensync-prices-"))
    const bad = await runCli(["prices", "set", "m", "--input", "-1", "--output", "2", "--data-dir", dataDir])
    expect([bad.code, bad.stderr.trim()]).toEqual([
      1,
      "opensync: Invalid price: input: a price must not be negative. See `opensync prices set --help`."
    ])
    const date = await runCli([
      "prices",
      "set",
      "m",
      "--input",
      "1",
      "--output",
      "2",
      "--from",
      "2026-02-30",
      "--data-dir",
      dataDir
    ])
    expect(date.stderr).toContain("effectiveFrom: not a calendar date")
    const missing = await runCli(["prices", "unset", "m", "--data-dir", dataDir])
    expect([missing.code, missing.stderr.trim()]).toEqual([
      1,
      "opensync: No local price for m. See `opensync prices list`."
    ])
    const known = await runCli(["prices", "list", "claude-sonnet-4-5-20250929", "--data-dir", dataDir])
    expect(known.stdout).toContain(`today: ${Pricing.dataVersion}, Anthropic claude-sonnet-4-5`)
    expect(known.stdout).toContain(
      "input $3, output $15, cache read $0.3, cache write 5m $3.75, 1h $6 per million tokens"
    )
    expect(known.stdout).toContain("above 200,000 prompt tokens, whole request: input $6, output $22.5")
    rmSync(dataDir, { recursive: true, force: true })
  })

  it("refuses to start on an invalid prices.json, saying which file and what is wrong", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "opensync-prices-"))
    writeFileSync(join(dataDir, "prices.json"), '{"overrides": [{"model": "m", "input": 1, "output": "2"}]}')
    const started = startServer({ dataDir })
    await expect(started).rejects.toThrow(
      /prices\.json is not a valid price overrides file \(overrides\.0\.output: Expected number/
    )
    rmSync(dataDir, { recursive: true, force: true })
  })
})
