import { Lenient } from "@opensync/client"
import type { Usage } from "@opensync/domain"

/**
 * Codex's token usage (`{input_tokens, cached_input_tokens, cache_write_input_tokens, output_tokens,
 * reasoning_output_tokens}`, the Responses API's counts) in OpenSync's model: Codex's input includes the cached (and
 * cache-write) tokens and its output includes the reasoning tokens, while OpenSync keeps each apart, so every token is
 * counted, and priced, once.
 */
export const fromCodex = (usage: Lenient.Json): Usage.UsageFields => {
  const input = Lenient.count(usage.input_tokens)
  const cached = Lenient.count(usage.cached_input_tokens)
  const written = Lenient.count(usage.cache_write_input_tokens)
  const output = Lenient.count(usage.output_tokens)
  const reasoning = Lenient.count(usage.reasoning_output_tokens)
  return {
    input: Math.max(0, input - cached - written),
    output: Math.max(0, output - reasoning),
    cacheRead: cached,
    cacheWrite5m: written,
    cacheWrite1h: 0,
    reasoning
  }
}

/** Field-wise `after − before` of two cumulative counts (never below zero). */
export const delta = (after: Usage.UsageFields, before: Usage.UsageFields): Usage.UsageFields => ({
  input: Math.max(0, after.input - before.input),
  output: Math.max(0, after.output - before.output),
  cacheRead: Math.max(0, after.cacheRead - before.cacheRead),
  cacheWrite5m: Math.max(0, after.cacheWrite5m - before.cacheWrite5m),
  cacheWrite1h: Math.max(0, after.cacheWrite1h - before.cacheWrite1h),
  reasoning: Math.max(0, after.reasoning - before.reasoning)
})

/** Every token of a usage, for telling whether a cumulative total moved. */
export const sum = (usage: Usage.UsageFields): number =>
  usage.input + usage.output + usage.cacheRead + usage.cacheWrite5m + usage.cacheWrite1h + usage.reasoning
