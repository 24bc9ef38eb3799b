// Regenerates packages/domain/src/internal/prices.json, the compact price table OpenSync bundles, from the pinned
// @pydantic/genai-prices package (a devDependency): only the providers below, only the per-token prices OpenSync
// measures, no descriptions. `--stdout` prints the file instead of writing it (the domain tests compare the two).
// After bumping the package: `node scripts/generate-prices.mjs`, then `npx vitest run packages/domain/test/Pricing.test.ts`.
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { findProvider } from "@pydantic/genai-prices"

const require = createRequire(import.meta.url)
const pkg = JSON.parse(
  readFileSync(join(dirname(require.resolve("@pydantic/genai-prices")), "..", "package.json"), "utf8")
)

/**
 * Model vendors whose own APIs coding agents call (Claude Code, Codex, Gemini CLI, OpenCode's first-party providers).
 * Resellers and aggregators (OpenRouter, Bedrock, Azure, Together, ...) are left out: their model ids resolve to these
 * vendors' prices by name. Order matters: a model id without a known provider goes to the first vendor it matches.
 */
const providers = [
  "anthropic",
  "openai",
  "google",
  "deepseek",
  "x-ai",
  "mistral",
  "moonshotai",
  "zai",
  "zhipuai",
  "minimax"
]

/** The package's per-million-token price keys OpenSync's usage fields map to. */
const keys = {
  input_mtok: "input",
  output_mtok: "output",
  cache_read_mtok: "cacheRead",
  cache_write_mtok: "cacheWrite",
  cache_write_5m_mtok: "cacheWrite5m",
  cache_write_1h_mtok: "cacheWrite1h",
  output_reasoning_mtok: "reasoning"
}

/** Keys priced per unit OpenSync does not measure (audio, images, searches, pages, ...): they never apply. */
const unmeasured =
  /^(?:input|output|cache)_(?:audio|image|video|text|document|annotated_document|citation)|_(?:kcount|hours|kpages|gpixels|mchars)$|^(?:audio|input_audio)_hours$/

/** The per-token rates of a price record; null when it prices only what OpenSync does not measure (unpriced). */
const rates = (prices, where) => {
  const out = {}
  let priced = 0
  for (const [key, value] of Object.entries(prices)) {
    if (value === undefined) continue
    priced++
    if (Object.hasOwn(keys, key)) out[keys[key]] = value
    else if (!unmeasured.test(key))
      throw new Error(`${where}: unsupported price key ${key}; extend scripts/generate-prices.mjs`)
  }
  return priced > 0 && Object.keys(out).length === 0 ? null : out
}

const periods = (model, where) => {
  const list = Array.isArray(model.prices) ? model.prices : [{ prices: model.prices }]
  return list.map(({ constraint, prices }) => {
    const period = { rates: rates(prices, where) }
    if (constraint?.type === "start_date") period.from = constraint.start_date
    else if (constraint?.type === "time_of_date") period.utc = [constraint.start_time, constraint.end_time]
    else if (constraint !== undefined)
      throw new Error(`${where}: unsupported price constraint ${JSON.stringify(constraint)}`)
    return period
  })
}

export const generate = () => ({
  source: `${pkg.name}@${pkg.version}`,
  license: pkg.license,
  providers: providers.map((id) => {
    const provider = findProvider({ providerId: id })
    if (provider === undefined || provider.id !== id)
      throw new Error(`provider ${id} is not in ${pkg.name}@${pkg.version}`)
    // Every model stays, even one priced only per audio hour or page: its name must not fall through to another entry.
    const models = provider.models.map((model) => ({
      id: model.id,
      match: model.match,
      prices: periods(model, `${id}/${model.id}`)
    }))
    return {
      id,
      name: provider.name,
      ...(provider.provider_match === undefined ? {} : { providerMatch: provider.provider_match }),
      ...(provider.model_match === undefined ? {} : { modelMatch: provider.model_match }),
      ...(provider.fallback_model_providers === undefined
        ? {}
        : { fallback: provider.fallback_model_providers.filter((p) => providers.includes(p)) }),
      models
    }
  })
})

/** One model per line, so a data update shows as a readable diff. */
export const format = (data) => {
  const lines = ["{", `  "source": ${JSON.stringify(data.source)},`, `  "license": ${JSON.stringify(data.license)},`]
  lines.push(`  "providers": [`)
  data.providers.forEach((provider, i) => {
    const { models, ...head } = provider
    lines.push(`    ${JSON.stringify(head).slice(0, -1)}, "models": [`)
    models.forEach((model, j) => {
      lines.push(`      ${JSON.stringify(model)}${j < models.length - 1 ? "," : ""}`)
    })
    lines.push(`    ]}${i < data.providers.length - 1 ? "," : ""}`)
  })
  lines.push("  ]", "}", "")
  return lines.join("\n")
}

const target = new URL("../packages/domain/src/internal/prices.json", import.meta.url)
const text = format(generate())
if (process.argv.includes("--stdout")) process.stdout.write(text)
else {
  writeFileSync(target, text)
  console.log(`wrote ${target.pathname} (${text.length} bytes) from ${pkg.name}@${pkg.version}`)
}
