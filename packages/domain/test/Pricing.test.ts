import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Batch, Event, Ids, Pricing, Usage } from "@opensync/domain"
import { type Match, matches, table } from "@opensync/domain/internal/priceTable"
import { calcPrice } from "@pydantic/genai-prices"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

const root = new URL("../../../", import.meta.url)
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`)
const at = Date.parse("2026-11-21T09:28:28Z")
const usd = (model: string, usage: Partial<Usage.UsageFields>, options: Pricing.PriceOptions = { at }) =>
  Pricing.price(model, Usage.of(usage), options)?.usd

describe("Pricing", () => {
  it("prices the captured Claude Code session exactly as Claude Code does ($0.1243209)", () => {
    // main thread (5 responses, deduped) + subagent file, from shared/fixtures/real-clients/README.md
    const main = Pricing.price(
      "claude-sonnet-4-5",
      { ...Usage.zero, input: 25, cacheWrite5m: 14_270, cacheRead: 54_548, output: 252 },
      { at }
    )!
    const subagent = Pricing.price(
      "claude-sonnet-4-5-20250929",
      { ...Usage.zero, input: 3, cacheWrite5m: 13_412, output: 19 },
      { at }
    )!
    expect(Pricing.roundUsd(main.usd + subagent.usd)).toBe(0.1243209)
    expect(main.priceVersion).toBe("@pydantic/genai-prices@0.1.8")
    expect(Pricing.dataVersion).toBe("@pydantic/genai-prices@0.1.8")
    expect(subagent.model).toBe("claude-sonnet-4-5")
  })

  it("prices each request at the rate in force on its date (o3's price cut of 2025-06-10)", () => {
    const usage = { input: 1_000_000, output: 1_000_000 }
    expect(usd("o3", usage, { at: day("2025-06-10") - 1 })).toBe(50)
    expect(usd("o3", usage, { at: day("2025-06-10") })).toBe(10)
    expect(usd("o3-2025-04-16", usage, { at: day("2025-06-11") })).toBe(10)
  })

  it("charges 1h cache writes at twice the input rate and 5m writes at 1.25x", () => {
    expect(usd("claude-sonnet-4-5", { cacheWrite1h: 100_000 })).toBe(0.6)
    expect(usd("claude-sonnet-4-5", { cacheWrite5m: 100_000 })).toBe(0.375)
    expect(usd("claude-haiku-4-5", { cacheWrite1h: 1_000_000, cacheWrite5m: 1_000_000 })).toBe(2 + 1.25)
  })

  it("prices the whole request at the long-context rates once input + cache reads + writes exceed 200K", () => {
    const small = { input: 1_000, cacheRead: 190_000, cacheWrite5m: 9_000, output: 1_000 }
    const large = { ...small, cacheWrite5m: 9_001 }
    expect(usd("claude-sonnet-4-5", small)).toBe(
      Pricing.roundUsd((1_000 * 3 + 190_000 * 0.3 + 9_000 * 3.75 + 1_000 * 15) / 1e6)
    )
    expect(usd("claude-sonnet-4-5", large)).toBe(
      Pricing.roundUsd((1_000 * 6 + 190_000 * 0.6 + 9_001 * 7.5 + 1_000 * 22.5) / 1e6)
    )
    // Opus 4.6 dropped its long-context premium on 2026-03-13: the same request before and after.
    const big = { input: 300_000, output: 1_000 }
    expect(usd("claude-opus-4-6", big, { at: day("2026-03-12") })).toBe(
      Pricing.roundUsd((300_000 * 10 + 1_000 * 37.5) / 1e6)
    )
    expect(usd("claude-opus-4-6", big, { at: day("2026-03-13") })).toBe(
      Pricing.roundUsd((300_000 * 5 + 1_000 * 25) / 1e6)
    )
  })

  it("prices OpenAI cached input at the cached rate once: cached tokens are part of the reported input", () => {
    // Codex reports input_tokens 10,000 of which cached 8,000, output 500 of which reasoning 200; OpenSync's usage
    // keeps them apart (input 2,000, cacheRead 8,000, output 300, reasoning 200).
    const usage = { input: 2_000, cacheRead: 8_000, output: 300, reasoning: 200 }
    expect(usd("gpt-5.1-codex", usage)).toBe(Pricing.roundUsd((2_000 * 1.25 + 8_000 * 0.125 + 500 * 10) / 1e6))
    expect(usd("gpt-4.1-2025-04-14", usage)).toBe(Pricing.roundUsd((2_000 * 2 + 8_000 * 0.5 + 500 * 8) / 1e6))
    expect(usd("o4-mini", usage)).toBe(Pricing.roundUsd((2_000 * 1.1 + 8_000 * 0.275 + 500 * 4.4) / 1e6))
    // GPT-5.4 doubles its rates for the whole request from 272K prompt tokens.
    expect(usd("gpt-5.4", { input: 1_999, cacheRead: 270_000, output: 100 })).toBe(
      Pricing.roundUsd((1_999 * 2.5 + 270_000 * 0.25 + 100 * 15) / 1e6)
    )
    expect(usd("gpt-5.4", { input: 2_000, cacheRead: 270_000, output: 100 })).toBe(
      Pricing.roundUsd((2_000 * 5 + 270_000 * 0.5 + 100 * 22.5) / 1e6)
    )
  })

  it("prices Gemini 2.5 Pro at its long-context tier above 200K prompt tokens", () => {
    const below = { input: 150_000, cacheRead: 50_000, output: 2_000, reasoning: 1_000 }
    const above = { ...below, input: 150_001 }
    expect(usd("gemini-2.5-pro", below, { at, provider: "google" })).toBe(
      Pricing.roundUsd((150_000 * 1.25 + 50_000 * 0.125 + 3_000 * 10) / 1e6)
    )
    expect(usd("gemini-2.5-pro", above, { at, provider: "google" })).toBe(
      Pricing.roundUsd((150_001 * 2.5 + 50_000 * 0.25 + 3_000 * 15) / 1e6)
    )
    expect(usd("gemini-3-pro-preview", above)).toBe(Pricing.roundUsd((150_001 * 4 + 50_000 * 0.4 + 3_000 * 18) / 1e6))
  })

  it("resolves the model ids agents send: dates, Bedrock and Vertex ids, vendor prefixes, context tags", () => {
    const ids = [
      "claude-sonnet-4-5",
      "claude-sonnet-4-5-20250929",
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "claude-sonnet-4-5@20250929",
      "Claude-Sonnet-4-5[1m]",
      "anthropic/claude-sonnet-4.5"
    ]
    for (const id of ids) expect([id, Pricing.quote(id, { at })?.model]).toEqual([id, "claude-sonnet-4-5"])
    expect(Pricing.quote("anthropic/claude-sonnet-4.5", { at, provider: "openrouter" })?.model).toBe(
      "claude-sonnet-4-5"
    )
    expect(Pricing.quote("claude-sonnet-4-5", { at, provider: "google-vertex" })?.provider).toBe("Google")
    expect(Pricing.quote("gpt-5.1-codex", { at, provider: "openai" })?.model).toBe("gpt-5.1")
    expect(Pricing.normalizeModel("us.anthropic.claude-3-5-haiku-20241022-v1:0")).toBe("claude-3-5-haiku")
    expect(Pricing.normalizeModel("claude-opus-4-5@20251101")).toBe("claude-opus-4-5")
  })

  it("leaves unknown models, and models priced only per audio hour, unpriced rather than $0", () => {
    expect(Pricing.price("fake/fake-model", { ...Usage.zero, input: 10 }, { at, provider: "fake" })).toBeUndefined()
    expect(Pricing.price("mystery-model", { ...Usage.zero, input: 10 }, { at })).toBeUndefined()
    expect(Pricing.price(null, { ...Usage.zero, input: 10 }, { at })).toBeUndefined()
    expect(Pricing.price("whisper-1", { ...Usage.zero, input: 10 }, { at })).toBeUndefined()
  })

  it("lets a local override win over the data, from its date on, exact names before patterns", () => {
    const overrides: Array<Pricing.Override> = [
      {
        model: "claude-sonnet-4-5",
        input: 2,
        output: 10,
        cacheRead: 0.2,
        cacheWrite5m: 2.5,
        effectiveFrom: "2026-12-01"
      },
      { model: "claude-*", input: 1, output: 1 },
      { model: "fake-model", provider: "fake", input: 3, output: 15, cacheRead: 0.3 }
    ]
    const usage = {
      input: 1_000_000,
      output: 1_000_000,
      cacheRead: 1_000_000,
      cacheWrite5m: 1_000_000,
      cacheWrite1h: 1_000_000
    }
    const before = Pricing.price("claude-sonnet-4-5-20250929", Usage.of(usage), { at: day("2026-11-30"), overrides })!
    expect(before).toEqual({ usd: 5, priceVersion: "override:claude-*", model: "claude-*" })
    const after = Pricing.price("claude-sonnet-4-5-20250929", Usage.of(usage), { at: day("2026-12-01"), overrides })!
    // an omitted 1h write rate is charged at the 5m rate
    expect(after).toEqual({
      usd: 2 + 10 + 0.2 + 2.5 + 2.5,
      priceVersion: "override:claude-sonnet-4-5@2026-12-01",
      model: "claude-sonnet-4-5"
    })
    expect(usd("fake-model", { input: 1_000_000, cacheRead: 1_000_000 }, { at, provider: "fake", overrides })).toBe(3.3)
    expect(usd("fake-model", { input: 1_000_000 }, { at, provider: "other", overrides })).toBeUndefined()
    expect(usd("gpt-4.1", { input: 1_000_000 }, { at, overrides })).toBe(2)
  })

  it("applies an override's long-context rates to the whole request above its threshold", () => {
    const overrides = [
      { model: "in-house", input: 1, output: 2, cacheRead: 0.1, longContext: { above: 100_000, input: 2, output: 4 } }
    ]
    expect(usd("in-house", { input: 50_000, cacheRead: 50_000, output: 1_000 }, { at, overrides })).toBe(
      Pricing.roundUsd((50_000 * 1 + 50_000 * 0.1 + 1_000 * 2) / 1e6)
    )
    expect(usd("in-house", { input: 50_001, cacheRead: 50_000, output: 1_000 }, { at, overrides })).toBe(
      Pricing.roundUsd((50_001 * 2 + 50_000 * 0.1 + 1_000 * 4) / 1e6)
    )
    expect(Pricing.quote("in-house", { at, overrides })?.tiers.map((t) => [t.above, t.rates.input])).toEqual([
      [100_000, 2]
    ])
  })

  it("validates overrides: prices are non-negative numbers, dates are calendar days", () => {
    const decode = Schema.decodeUnknownEither(Pricing.OverridesFile)
    expect(
      Either.isRight(decode({ overrides: [{ model: "m", input: 1, output: 2, effectiveFrom: "2026-02-28" }] }))
    ).toBe(true)
    expect(Either.isLeft(decode({ overrides: [{ model: "m", input: -1, output: 2 }] }))).toBe(true)
    expect(
      Either.isLeft(decode({ overrides: [{ model: "m", input: 1, output: 2, effectiveFrom: "2026-02-30" }] }))
    ).toBe(true)
    expect(Either.isLeft(decode({ overrides: [{ model: " ", input: 1, output: 2 }] }))).toBe(true)
    expect(Either.isLeft(decode({ overrides: [{ model: "m", input: 1 }] }))).toBe(true)
  })

  it("prices each stored message at its own createdAt, with the provider it names and the overrides given", () => {
    const oneMillion = { ...Usage.zero, input: 1_000_000 }
    const message = (
      id: string,
      createdAt: number,
      model: string,
      provider?: string,
      usage: Usage.UsageFields = oneMillion
    ): Event.MessageEvent => ({
      kind: "message",
      id: Ids.EventId.make(`evt_${id}`),
      source: "opencode",
      sessionId: Ids.SessionId.make("s1"),
      at: createdAt,
      messageId: Ids.MessageId.make(id),
      role: "assistant",
      text: "",
      thinking: null,
      parts: [],
      model,
      ...(provider === undefined ? {} : { provider }),
      createdAt,
      usage,
      countUsage: true
    })
    const events = [
      message("before", day("2025-06-09"), "o3"),
      message("after", day("2025-06-10"), "o3"),
      message("local", at, "fake-model", "fake"),
      // Vertex's entry has no 1h cache-write rate (charged at its write rate), Anthropic's has one
      message("vertex", at, "claude-opus-4-1", "google-vertex", { ...Usage.zero, cacheWrite1h: 1_000_000 }),
      message("anthropic", at, "claude-opus-4-1", undefined, { ...Usage.zero, cacheWrite1h: 1_000_000 })
    ]
    const stored = { sessions: new Map(), messages: new Map(), toolCalls: new Map() }
    const overrides = [{ model: "fake-model", provider: "fake", input: 0.5, output: 1 }]
    const withOverrides = Batch.apply(events, stored, {}, overrides)
    const rows = (result: ReturnType<typeof Batch.apply>) =>
      [...result.changedMessages.values()].map((m) => [m.id, m.costUsd, m.costBasis, m.priceVersion])
    expect(rows(withOverrides)).toEqual([
      ["before", 10, "computed", Pricing.dataVersion],
      ["after", 2, "computed", Pricing.dataVersion],
      ["local", 0.5, "computed", "override:fake/fake-model"],
      ["vertex", 18.75, "computed", Pricing.dataVersion],
      ["anthropic", 30, "computed", Pricing.dataVersion]
    ])
    expect(withOverrides.changedSessions[0].unpricedMessages).toBe(0)
    const without = Batch.apply(events, stored)
    expect(rows(without)[2]).toEqual(["local", 0, "unpriced", null])
    expect(without.changedSessions[0].unpricedMessages).toBe(1)
  })

  it("bundles exactly what scripts/generate-prices.mjs derives from the pinned package", () => {
    const generated = execFileSync(process.execPath, ["scripts/generate-prices.mjs", "--stdout"], {
      cwd: root,
      encoding: "utf8"
    })
    expect(generated).toBe(readFileSync(new URL("packages/domain/src/internal/prices.json", root), "utf8"))
  })

  it("prices every model of the bundled table as @pydantic/genai-prices does, at every date and tier", () => {
    const names = (match: Match): Array<string> => {
      if ("equals" in match) return [match.equals]
      if ("starts_with" in match) return [match.starts_with, `${match.starts_with}-2026-01-01`]
      if ("contains" in match) return [match.contains]
      if ("ends_with" in match) return [match.ends_with]
      if ("or" in match) return match.or.flatMap(names)
      if ("and" in match) return match.and.flatMap(names).filter((n) => matches(match, n.toLowerCase()))
      return []
    }
    const common: Array<Partial<Usage.UsageFields>> = [
      { input: 1_200, output: 300, cacheRead: 5_000, cacheWrite5m: 700, cacheWrite1h: 300, reasoning: 100 },
      {
        input: 150_000,
        output: 4_000,
        cacheRead: 400_000,
        cacheWrite5m: 20_000,
        cacheWrite1h: 10_000,
        reasoning: 2_000
      }
    ]
    const bundled = new Set(table.providers.map((p) => p.id))
    let compared = 0
    const mismatches: Array<string> = []
    for (const provider of table.providers) {
      for (const model of provider.models) {
        const instants = [day("2025-01-01"), at]
        const usages = [...common]
        for (const period of model.prices) {
          if (period.from !== undefined) instants.push(day(period.from) - 1, day(period.from))
          if (period.utc !== undefined) {
            const start = Date.parse(`2026-11-21T${period.utc[0]}`)
            instants.push(start, start - 1_000)
          }
          for (const rate of Object.values(period.rates ?? {})) {
            if (typeof rate === "number") continue
            for (const tier of rate.tiers) {
              usages.push({ input: tier.start - 10, cacheRead: 10, output: 5 }, { input: tier.start + 1, output: 5 })
            }
          }
        }
        for (const name of names(model.match)) {
          for (const instant of instants) {
            for (const usage of usages) {
              const u = Usage.of(usage)
              const packageUsage = {
                input_tokens: Usage.promptTokens(u),
                cache_read_tokens: u.cacheRead,
                cache_write_tokens: u.cacheWrite5m + u.cacheWrite1h,
                cache_write_5m_tokens: u.cacheWrite5m,
                cache_write_1h_tokens: u.cacheWrite1h,
                output_tokens: u.output + u.reasoning,
                output_reasoning_tokens: u.reasoning
              }
              // With the provider named, and without (the provider then follows from the model id, as for Claude Code).
              for (const providerId of [provider.id, undefined]) {
                const theirs = calcPrice(packageUsage, name, {
                  ...(providerId === undefined ? {} : { providerId }),
                  timestamp: new Date(instant)
                })
                if (providerId === undefined && (theirs === null || !bundled.has(theirs.provider.id))) continue
                const ours = Pricing.price(name, u, { at: instant, provider: providerId ?? null })
                compared++
                // Unpriced where the package has no price, or prices only what OpenSync does not measure ($0 for tokens).
                const same =
                  ours === undefined
                    ? theirs === null || theirs.total_price === 0
                    : theirs !== null &&
                      ours.model === theirs.model.id &&
                      Math.abs(ours.usd - theirs.total_price) <= 1e-9
                if (!same) {
                  mismatches.push(
                    `${providerId} ${name} @${new Date(instant).toISOString()} ${JSON.stringify(usage)}: ours ${ours?.model} ${ours?.usd}, theirs ${theirs?.model.id} ${theirs?.total_price}`
                  )
                }
              }
            }
          }
        }
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([])
    expect(compared).toBeGreaterThan(8_000)
  })
})
