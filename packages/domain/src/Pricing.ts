import * as Schema from "effect/Schema"
import { cardOf, findOverride, normalizeModel, overrideVersion } from "./internal/overrides.js"
import { periodAt, type Rate, type RateCard, resolve, table } from "./internal/priceTable.js"
import * as Usage from "./Usage.js"

/**
 * Prices come from `@pydantic/genai-prices` (pinned; compacted into `internal/prices.json` by
 * `scripts/generate-prices.mjs`) with local overrides on top. Each request is priced at the rate in force on its date;
 * a long-context tier applies to the whole request once its prompt (input + cache reads + cache writes) passes the
 * threshold; a model nobody prices is unpriced (`undefined`), never $0. See docs/pricing.md.
 */

export { normalizeModel }

/** The price data OpenSync bundles, as `package@version`; it is the `priceVersion` of what it priced. */
export const dataVersion: string = table.source

/** USD per million tokens, as they apply to one request. */
export interface Rates {
  readonly input: number
  readonly output: number
  readonly cacheWrite5m: number
  readonly cacheWrite1h: number
  readonly cacheRead: number
  readonly reasoning: number
}

/** A priced amount, with the data version (or override) that priced it so history can be re-priced. */
export interface Priced {
  readonly usd: number
  readonly priceVersion: string
  readonly model: string
}

const PerMillion = Schema.Number.pipe(
  Schema.finite({ message: () => "a price must be a finite number" }),
  Schema.nonNegative({ message: () => "a price must not be negative" })
)

/** A calendar day, `YYYY-MM-DD` (UTC). */
export const Day = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}$/, { message: () => "expected a date as YYYY-MM-DD" }),
  Schema.filter(
    (s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    {
      message: () => "not a calendar date"
    }
  )
)

/** The rates a local price gives, USD per million tokens; input and output are required, the others default. */
const rateFields = {
  input: PerMillion,
  output: PerMillion,
  cacheRead: Schema.optional(PerMillion),
  cacheWrite5m: Schema.optional(PerMillion),
  cacheWrite1h: Schema.optional(PerMillion),
  reasoning: Schema.optional(PerMillion)
}

const TierRates = Schema.Struct({
  above: Schema.Number.pipe(Schema.int(), Schema.positive()),
  ...rateFields
})

/**
 * A local price, USD per million tokens, for what the data lacks or a negotiated rate. `model` is an exact model id
 * (compared without dates and vendor prefixes) or a pattern with `*`. Omitted cache rates are charged at the input
 * rate, an omitted 1h write at the 5m write rate, reasoning at the output rate. `longContext`: rates for the whole
 * request once its prompt exceeds `above` tokens.
 */
export const Override = Schema.Struct({
  model: Schema.Trimmed.pipe(Schema.minLength(1, { message: () => "model must not be empty" })),
  provider: Schema.optional(Schema.Trimmed.pipe(Schema.minLength(1))),
  effectiveFrom: Schema.optional(Day),
  ...rateFields,
  longContext: Schema.optional(TierRates)
}).annotations({ identifier: "PriceOverride" })
export type Override = typeof Override.Type

/** The local overrides file (`prices.json` in the server's data dir). */
export const OverridesFile = Schema.Struct({ overrides: Schema.Array(Override) }).annotations({
  identifier: "PriceOverrides"
})
export type OverridesFile = typeof OverridesFile.Type

export interface PriceOptions {
  /** When the request was made (epoch ms); defaults to now. */
  readonly at?: number
  /** The agent's provider id (OpenCode's `providerID`), to tell e.g. Vertex from Anthropic. */
  readonly provider?: string | null
  readonly overrides?: ReadonlyArray<Override>
}

/** What prices a model at a date: the rates below any tier and, per threshold, the whole-request rates above it. */
export interface Quote {
  readonly source: "data" | "override"
  readonly priceVersion: string
  readonly model: string
  readonly provider: string | null
  /** The day these rates took effect, when the source says. */
  readonly from: string | null
  readonly rates: Rates
  readonly tiers: ReadonlyArray<{ readonly above: number; readonly rates: Rates }>
  readonly card: RateCard
}

const rateAt = (rate: Rate | undefined, prompt: number): number | undefined => {
  if (rate === undefined || typeof rate === "number") return rate
  let price = rate.base
  let start = -1
  for (const tier of rate.tiers) {
    if (prompt > tier.start && tier.start > start) {
      price = tier.price
      start = tier.start
    }
  }
  return price
}

/** The rates of a card for a request with `prompt` prompt tokens, parents filling what a card leaves out. */
export const ratesFor = (card: RateCard, prompt: number): Rates => {
  const input = rateAt(card.input, prompt) ?? 0
  const output = rateAt(card.output, prompt) ?? 0
  const cacheWrite = rateAt(card.cacheWrite, prompt) ?? input
  return {
    input,
    output,
    cacheRead: rateAt(card.cacheRead, prompt) ?? input,
    cacheWrite5m: rateAt(card.cacheWrite5m, prompt) ?? cacheWrite,
    cacheWrite1h: rateAt(card.cacheWrite1h, prompt) ?? cacheWrite,
    reasoning: rateAt(card.reasoning, prompt) ?? output
  }
}

const tiersOf = (card: RateCard) => {
  const starts = new Set<number>()
  for (const rate of Object.values(card) as Array<Rate | undefined>) {
    if (rate !== undefined && typeof rate !== "number") for (const t of rate.tiers) starts.add(t.start)
  }
  return [...starts].sort((a, b) => a - b).map((above) => ({ above, rates: ratesFor(card, above + 1) }))
}

interface Source {
  readonly source: Quote["source"]
  readonly priceVersion: string
  readonly model: string
  readonly provider: string | null
  readonly from: string | null
  readonly card: RateCard
}

const sourceOf = (model: string, options: PriceOptions): Source | undefined => {
  const at = options.at ?? Date.now()
  const found = resolve(model, options.provider ?? null)
  const providers = [options.provider?.toLowerCase(), found?.provider.id].filter((p): p is string => !!p)
  const override = findOverride(options.overrides ?? [], model, at, providers)
  if (override !== undefined) {
    return {
      source: "override",
      priceVersion: overrideVersion(override),
      model: override.model,
      provider: override.provider ?? null,
      from: override.effectiveFrom ?? null,
      card: cardOf(override)
    }
  }
  if (found === undefined) return undefined
  const period = periodAt(found.model, at)
  if (period.rates === null) return undefined
  return {
    source: "data",
    priceVersion: dataVersion,
    model: found.model.id,
    provider: found.provider.name,
    from: period.from ?? null,
    card: period.rates
  }
}

/** What prices `model` at `options.at`: an override in force, else the price data; undefined when neither knows it. */
export const quote = (model: string | null | undefined, options: PriceOptions = {}): Quote | undefined => {
  const source = model ? sourceOf(model, options) : undefined
  return source === undefined ? undefined : { ...source, rates: ratesFor(source.card, 0), tiers: tiersOf(source.card) }
}

/** The cost of usage at given rates, in USD (not rounded). */
export const cost = (usage: Usage.UsageFields, rates: Rates): number =>
  (usage.input * rates.input +
    usage.output * rates.output +
    usage.reasoning * rates.reasoning +
    usage.cacheRead * rates.cacheRead +
    usage.cacheWrite5m * rates.cacheWrite5m +
    usage.cacheWrite1h * rates.cacheWrite1h) /
  1_000_000

/** The cost of one request (one assistant message) at the rates in force at its date, or undefined when unpriced. */
export const price = (
  model: string | null | undefined,
  usage: Usage.UsageFields,
  options: PriceOptions = {}
): Priced | undefined => {
  const source = model ? sourceOf(model, options) : undefined
  if (source === undefined) return undefined
  return {
    usd: roundUsd(cost(usage, ratesFor(source.card, Usage.promptTokens(usage)))),
    priceVersion: source.priceVersion,
    model: source.model
  }
}

/** Rounds to 1e-9 USD so sums of many requests do not accumulate float noise in stored values. */
export const roundUsd = (usd: number): number => Math.round(usd * 1e9) / 1e9
