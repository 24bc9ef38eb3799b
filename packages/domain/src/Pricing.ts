import * as Usage from "./Usage.js"

/** USD per million tokens for one model. Cache writes and reads are explicit, never derived at lookup time. */
export interface Rates {
  readonly input: number
  readonly output: number
  readonly cacheWrite5m: number
  readonly cacheWrite1h: number
  readonly cacheRead: number
}

export interface ModelPrice {
  readonly rates: Rates
  /** Rates for the whole request when its prompt exceeds `threshold` tokens (Anthropic prices the request, not a tier). */
  readonly longContext?: { readonly threshold: number; readonly rates: Rates }
}

/** A priced amount, with the table version that priced it so history can be re-priced. */
export interface Priced {
  readonly usd: number
  readonly priceVersion: string
  readonly model: string
}

const claude = (input: number, output: number): Rates => ({
  input,
  output,
  cacheWrite5m: input * 1.25,
  cacheWrite1h: input * 2,
  cacheRead: input * 0.1
})

/** The offline price table. Bump `version` whenever a rate changes; rows priced earlier keep their old version. */
export const table: { readonly version: string; readonly models: Readonly<Record<string, ModelPrice>> } = {
  version: "2026-11-01",
  models: {
    "claude-opus-4-5": { rates: claude(5, 25) },
    "claude-opus-4-1": { rates: claude(15, 75) },
    "claude-opus-4": { rates: claude(15, 75) },
    "claude-sonnet-4-5": { rates: claude(3, 15), longContext: { threshold: 200_000, rates: claude(6, 22.5) } },
    "claude-sonnet-4": { rates: claude(3, 15), longContext: { threshold: 200_000, rates: claude(6, 22.5) } },
    "claude-3-7-sonnet": { rates: claude(3, 15) },
    "claude-3-5-sonnet": { rates: claude(3, 15) },
    "claude-haiku-4-5": { rates: claude(1, 5) },
    "claude-3-5-haiku": { rates: claude(0.8, 4) },
    "claude-3-opus": { rates: claude(15, 75) },
    "claude-3-haiku": { rates: { input: 0.25, output: 1.25, cacheWrite5m: 0.3, cacheWrite1h: 0.5, cacheRead: 0.03 } }
  }
}

/**
 * The table key for a raw model name: lower-cased, provider prefixes (`anthropic/`, Bedrock `us.anthropic.`),
 * version suffixes (`-20250929`, `@20250929`, `-v1:0`, `-latest`) and context tags (`[1m]`) removed.
 */
export const normalizeModel = (raw: string): string =>
  raw
    .trim()
    .toLowerCase()
    .replace(/\[[^\]]*\]$/, "")
    .replace(/^(?:[a-z0-9-]+\/)+/, "")
    .replace(/^(?:[a-z]{2,4}\.)?anthropic\./, "")
    .replace(/-v\d+(?::\d+)?$/, "")
    .replace(/[-@]\d{8}$/, "")
    .replace(/-latest$/, "")

/** The price entry of a model, or undefined when the table does not know it (such usage is reported as unpriced). */
export const lookup = (model: string): ModelPrice | undefined => {
  const key = normalizeModel(model)
  return Object.hasOwn(table.models, key) ? table.models[key] : undefined
}

/** The cost of one request (one assistant message), or undefined for an unknown model. */
export const price = (model: string | null | undefined, usage: Usage.UsageFields): Priced | undefined => {
  if (!model) return undefined
  const entry = lookup(model)
  if (entry === undefined) return undefined
  const rates =
    entry.longContext !== undefined && Usage.promptTokens(usage) > entry.longContext.threshold
      ? entry.longContext.rates
      : entry.rates
  const micro =
    usage.input * rates.input +
    (usage.output + usage.reasoning) * rates.output +
    usage.cacheRead * rates.cacheRead +
    usage.cacheWrite5m * rates.cacheWrite5m +
    usage.cacheWrite1h * rates.cacheWrite1h
  return { usd: roundUsd(micro / 1_000_000), priceVersion: table.version, model: normalizeModel(model) }
}

/** Rounds to 1e-9 USD so sums of many requests do not accumulate float noise in stored values. */
export const roundUsd = (usd: number): number => Math.round(usd * 1e9) / 1e9
