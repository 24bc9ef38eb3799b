import data from "./prices.json" with { type: "json" }

/** How the price data names models: a small boolean language over the lower-cased model id. */
export type Match =
  | { readonly equals: string }
  | { readonly starts_with: string }
  | { readonly ends_with: string }
  | { readonly contains: string }
  | { readonly regex: string }
  | { readonly or: ReadonlyArray<Match> }
  | { readonly and: ReadonlyArray<Match> }

/** USD per million tokens, flat or by the request's prompt size (the whole request at the tier it reaches). */
export type Rate =
  | number
  | { readonly base: number; readonly tiers: ReadonlyArray<{ readonly start: number; readonly price: number }> }

/** The rates a model has; a missing rate falls back to its parent (5m/1h write → write → input, reasoning → output). */
export interface RateCard {
  readonly input?: Rate
  readonly output?: Rate
  readonly cacheRead?: Rate
  readonly cacheWrite?: Rate
  readonly cacheWrite5m?: Rate
  readonly cacheWrite1h?: Rate
  readonly reasoning?: Rate
}

/**
 * One price period: from a UTC date on, or within a UTC time-of-day window (off-peak prices), or always. `rates` is
 * null when the source prices the model only by what OpenSync does not measure (audio hours, pages): unpriced.
 */
export interface Period {
  readonly rates: RateCard | null
  readonly from?: string
  readonly utc?: ReadonlyArray<string>
}

export interface ModelData {
  readonly id: string
  readonly match: Match
  readonly prices: ReadonlyArray<Period>
}

export interface ProviderData {
  readonly id: string
  readonly name: string
  readonly providerMatch?: Match
  readonly modelMatch?: Match
  readonly fallback?: ReadonlyArray<string>
  readonly models: ReadonlyArray<ModelData>
}

/** The compact table `scripts/generate-prices.mjs` derives from the pinned `@pydantic/genai-prices`. */
export const table: { readonly source: string; readonly providers: ReadonlyArray<ProviderData> } = data as {
  readonly source: string
  readonly providers: ReadonlyArray<ProviderData>
}

const regexes = new Map<string, RegExp>()

export const matches = (match: Match, name: string): boolean => {
  if ("or" in match) return match.or.some((m) => matches(m, name))
  if ("and" in match) return match.and.every((m) => matches(m, name))
  if ("equals" in match) return name === match.equals.toLowerCase()
  if ("starts_with" in match) return name.startsWith(match.starts_with.toLowerCase())
  if ("ends_with" in match) return name.endsWith(match.ends_with.toLowerCase())
  if ("contains" in match) return name.includes(match.contains.toLowerCase())
  let regex = regexes.get(match.regex)
  if (regex === undefined) {
    regex = new RegExp(match.regex)
    regexes.set(match.regex, regex)
  }
  return regex.test(name)
}

/**
 * The names to look a raw model id up by, best first: lower-cased, without context tags (`[1m]`), Bedrock region and
 * vendor prefixes and `-v1:0` suffixes; then without `vendor/` prefixes; then with an 8-digit date as `YYYY-MM-DD`
 * (OpenAI's snapshot style); then without the date.
 */
export const candidates = (raw: string): ReadonlyArray<string> => {
  const base = raw
    .trim()
    .toLowerCase()
    .replace(/\[[^\]]*\]$/, "")
    .replace(/^(?:[a-z]{2,4}\.)?anthropic\./, "")
    .replace(/-v\d+:\d+$/, "")
  const bare = base.replace(/^(?:[a-z0-9._-]+\/)+/, "")
  const dashed = bare.replace(/-(20\d{2})(\d{2})(\d{2})(?=$|[-@:])/, "-$1-$2-$3")
  const undated = bare.replace(/[-@](?:20\d{6}|20\d{2}-\d{2}-\d{2})$/, "")
  return [...new Set([base, bare, dashed, undated])].filter((name) => name.length > 0)
}

const byId = new Map(table.providers.map((p) => [p.id, p]))

const findModel = (provider: ProviderData, names: ReadonlyArray<string>, fallback: boolean): ModelData | undefined => {
  for (const name of names) {
    const model = provider.models.find((m) => matches(m.match, name))
    if (model !== undefined) return model
  }
  if (!fallback) return undefined
  for (const id of provider.fallback ?? []) {
    const other = byId.get(id)
    const model = other === undefined ? undefined : findModel(other, names, false)
    if (model !== undefined) return model
  }
  return undefined
}

export interface Resolved {
  readonly provider: ProviderData
  readonly model: ModelData
}

const resolveUncached = (raw: string, providerHint: string | null): Resolved | undefined => {
  const names = candidates(raw)
  const hint = providerHint?.trim().toLowerCase()
  if (hint) {
    const provider =
      byId.get(hint) ?? table.providers.find((p) => p.providerMatch !== undefined && matches(p.providerMatch, hint))
    const model = provider === undefined ? undefined : findModel(provider, names, true)
    if (provider !== undefined && model !== undefined) return { provider, model }
  }
  for (const provider of table.providers) {
    if (provider.modelMatch === undefined || !names.some((name) => matches(provider.modelMatch!, name))) continue
    const model = findModel(provider, names, true)
    if (model !== undefined) return { provider, model }
  }
  return undefined
}

const resolved = new Map<string, Resolved | null>()

/** The provider and model entry a raw model id (and the agent's provider id, if any) resolves to. */
export const resolve = (raw: string, providerHint: string | null): Resolved | undefined => {
  const key = `${providerHint ?? ""}\u0000${raw}`
  const hit = resolved.get(key)
  if (hit !== undefined) return hit ?? undefined
  const found = resolveUncached(raw, providerHint)
  if (resolved.size >= 4096) resolved.clear()
  resolved.set(key, found ?? null)
  return found
}

const secondsOfDay = (time: string): number => {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(time)
  if (m === null) throw new Error(`invalid time of day in the price data: ${time}`)
  const offset =
    m[4] === "Z" ? 0 : (m[4].startsWith("-") ? -1 : 1) * (Number(m[4].slice(1, 3)) * 60 + Number(m[4].slice(4))) * 60
  return ((((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3]) - offset) % 86_400) + 86_400) % 86_400
}

/** The period in force at `at` (epoch ms): the last one whose condition holds, else the first. */
export const periodAt = (model: ModelData, at: number): Period => {
  for (let i = model.prices.length - 1; i >= 0; i--) {
    const period = model.prices[i]
    if (period.from !== undefined) {
      if (at >= Date.parse(`${period.from}T00:00:00Z`)) return period
    } else if (period.utc !== undefined) {
      const now = (((at / 1000) % 86_400) + 86_400) % 86_400
      const start = secondsOfDay(period.utc[0])
      const end = secondsOfDay(period.utc[1])
      if (end < start ? now >= start || now < end : now >= start && now < end) return period
    } else return period
  }
  return model.prices[0]
}
