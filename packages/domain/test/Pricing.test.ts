import { describe, expect, it } from "@effect/vitest"
import { Pricing, Usage } from "@opensync/domain"

describe("Pricing", () => {
  it("prices the captured Claude Code session exactly as Claude Code does ($0.1243209)", () => {
    // main thread (5 responses, deduped) + subagent file, from shared/fixtures/real-clients/README.md
    const main = { ...Usage.zero, input: 25, cacheWrite5m: 14_270, cacheRead: 54_548, output: 252 }
    const subagent = { ...Usage.zero, input: 3, cacheWrite5m: 13_412, output: 19 }
    const total =
      Pricing.price("claude-sonnet-4-5", main)!.usd + Pricing.price("claude-sonnet-4-5-20250929", subagent)!.usd
    expect(Pricing.roundUsd(total)).toBe(0.1243209)
  })

  it("charges 1h cache writes at twice the input rate and 5m writes at 1.25x", () => {
    const oneHour = Pricing.price("claude-sonnet-4-5", { ...Usage.zero, cacheWrite1h: 100_000 })!
    const fiveMinutes = Pricing.price("claude-sonnet-4-5", { ...Usage.zero, cacheWrite5m: 100_000 })!
    expect(oneHour.usd).toBe(0.6)
    expect(fiveMinutes.usd).toBe(0.375)
    expect(oneHour.priceVersion).toBe(Pricing.table.version)
  })

  it("prices a long-context request at the long-context rates for the whole request", () => {
    const small = Pricing.price("claude-sonnet-4", { ...Usage.zero, input: 200_000, output: 1_000 })!
    const large = Pricing.price("claude-sonnet-4", { ...Usage.zero, input: 200_001, output: 1_000 })!
    expect(small.usd).toBe(0.615)
    expect(large.usd).toBe(Pricing.roundUsd(200_001 * 6e-6 + 1_000 * 22.5e-6))
  })

  it("normalizes provider prefixes, dates and version suffixes", () => {
    expect(Pricing.normalizeModel("claude-sonnet-4-5-20250929")).toBe("claude-sonnet-4-5")
    expect(Pricing.normalizeModel("anthropic/claude-opus-4-1")).toBe("claude-opus-4-1")
    expect(Pricing.normalizeModel("us.anthropic.claude-3-5-haiku-20241022-v1:0")).toBe("claude-3-5-haiku")
    expect(Pricing.normalizeModel("claude-opus-4-5@20251101")).toBe("claude-opus-4-5")
    expect(Pricing.normalizeModel("Claude-Sonnet-4-5[1m]")).toBe("claude-sonnet-4-5")
    expect(Pricing.normalizeModel("claude-3-5-sonnet-latest")).toBe("claude-3-5-sonnet")
  })

  it("returns nothing for models it does not know, so they are reported as unpriced rather than $0", () => {
    expect(Pricing.price("fake/fake-model", { ...Usage.zero, input: 10 })).toBeUndefined()
    expect(Pricing.price(null, { ...Usage.zero, input: 10 })).toBeUndefined()
  })
})
