import type { Override } from "../Pricing.js"
import type { Rate, RateCard } from "./priceTable.js"

/**
 * A model name for comparing overrides: lower-cased, provider prefixes (`anthropic/`, Bedrock `us.anthropic.`),
 * version suffixes (`-20250929`, `@20250929`, `-v1:0`, `-latest`) and context tags (`[1m]`) removed.
 */
export const normalizeModel = (raw: string): string =>
  raw
    .trim()
    .toLowerCase()
    .replace(/\[[^\]]*\]$/, "")
    .replace(/^(?:[a-z0-9._-]+\/)+/, "")
    .replace(/^(?:[a-z]{2,4}\.)?anthropic\./, "")
    .replace(/-v\d+:\d+$/, "")
    .replace(/[-@](?:\d{8}|\d{4}-\d{2}-\d{2})$/, "")
    .replace(/-latest$/, "")

const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`)

const globs = new Map<string, RegExp>()
const glob = (pattern: string): RegExp => {
  let regex = globs.get(pattern)
  if (regex === undefined) {
    const body = pattern
      .toLowerCase()
      .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
    regex = new RegExp(`^${body}$`)
    globs.set(pattern, regex)
  }
  return regex
}

/** The override in force for a model at a date: exact before pattern, provider-specific before any, latest date. */
export const findOverride = (
  overrides: ReadonlyArray<Override>,
  model: string,
  at: number,
  providers: ReadonlyArray<string>
): Override | undefined => {
  if (overrides.length === 0) return undefined
  const name = normalizeModel(model)
  const raw = model.trim().toLowerCase()
  let best: Override | undefined
  let bestRank: ReadonlyArray<number> = []
  overrides.forEach((o, index) => {
    const from = o.effectiveFrom === undefined ? 0 : dayStart(o.effectiveFrom)
    if (at < from) return
    if (o.provider !== undefined && !providers.includes(o.provider.toLowerCase())) return
    const pattern = o.model.includes("*")
    const exact = !pattern && (normalizeModel(o.model) === name || o.model.toLowerCase() === raw)
    if (!exact && !(pattern && (glob(o.model).test(name) || glob(o.model).test(raw)))) return
    const rank = [exact ? 1 : 0, o.provider === undefined ? 0 : 1, from, index]
    const i = rank.findIndex((value, k) => value !== bestRank[k])
    if (best === undefined || rank[i] > bestRank[i]) {
      best = o
      bestRank = rank
    }
  })
  return best
}

/** What an override prices as, in the data's terms (its 5m write rate is the generic write rate 1h falls back to). */
export const cardOf = (o: Override): RateCard => {
  const card: { -readonly [K in keyof RateCard]: Rate } = {}
  const set = (key: keyof RateCard, base: number | undefined, top: number | undefined) => {
    if (base === undefined) return
    card[key] =
      o.longContext === undefined || top === undefined
        ? base
        : { base, tiers: [{ start: o.longContext.above, price: top }] }
  }
  set("input", o.input, o.longContext?.input)
  set("output", o.output, o.longContext?.output)
  set("cacheRead", o.cacheRead, o.longContext?.cacheRead)
  set("cacheWrite", o.cacheWrite5m, o.longContext?.cacheWrite5m)
  set("cacheWrite1h", o.cacheWrite1h, o.longContext?.cacheWrite1h)
  set("reasoning", o.reasoning, o.longContext?.reasoning)
  return card
}

/** The `priceVersion` of what an override priced: `override:[provider/]model[@from]`. */
export const overrideVersion = (o: Override): string =>
  `override:${o.provider === undefined ? "" : `${o.provider}/`}${o.model}${o.effectiveFrom === undefined ? "" : `@${o.effectiveFrom}`}`
