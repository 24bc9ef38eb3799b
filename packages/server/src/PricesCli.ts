import { Args, Command, Options } from "@effect/cli"
import { Pricing } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { describeIssues, readOverrides, writeOverrides } from "./Prices.js"
import * as Terminal from "./Terminal.js"

const model = Args.text({ name: "MODEL" }).pipe(
  Args.withDescription("A model id as the agent reports it (e.g. claude-sonnet-4-5), or a pattern with * (claude-*).")
)
const perMillion = (name: string, what: string) =>
  Options.float(name).pipe(Options.withDescription(`USD per million ${what}.`))
const optionalPerMillion = (name: string, what: string) => perMillion(name, what).pipe(Options.optional)
const provider = Options.text("provider").pipe(
  Options.withDescription("Only for this provider (the agent's provider id, e.g. openrouter)."),
  Options.optional
)
const from = Options.text("from").pipe(
  Options.withDescription("The day (YYYY-MM-DD, UTC) from which the price applies; default: always."),
  Options.optional
)
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))

const money = (usd: number) => `$${Number(usd.toFixed(6))}`
const describeRates = (rates: Pricing.Rates) =>
  `input ${money(rates.input)}, output ${money(rates.output)}, cache read ${money(rates.cacheRead)}, ` +
  `cache write 5m ${money(rates.cacheWrite5m)}, 1h ${money(rates.cacheWrite1h)}` +
  (rates.reasoning === rates.output ? "" : `, reasoning ${money(rates.reasoning)}`) +
  " per million tokens"

const describeOverride = (o: Pricing.Override) =>
  [
    o.model,
    o.provider === undefined ? null : `provider ${o.provider}`,
    o.effectiveFrom === undefined ? null : `from ${o.effectiveFrom}`,
    `input ${money(o.input)}`,
    `output ${money(o.output)}`,
    o.cacheRead === undefined ? null : `cache read ${money(o.cacheRead)}`,
    o.cacheWrite5m === undefined ? null : `cache write 5m ${money(o.cacheWrite5m)}`,
    o.cacheWrite1h === undefined ? null : `cache write 1h ${money(o.cacheWrite1h)}`
  ]
    .filter((part) => part !== null)
    .join("  ")

const sameKey = (a: Pricing.Override, b: Pricing.Override) =>
  a.model.toLowerCase() === b.model.toLowerCase() &&
  a.provider?.toLowerCase() === b.provider?.toLowerCase() &&
  a.effectiveFrom === b.effectiveFrom

const decodeOverride = Schema.decodeUnknownEither(Pricing.Override)

/** `opensync prices set|list|unset`, over `prices.json` in the data dir the caller's `dataDir` option names. */
export const pricesCommand = <A extends string>(dataDir: Options.Options<A>) => {
  const set = Command.make(
    "set",
    {
      model,
      input: perMillion("input", "input tokens"),
      output: perMillion("output", "output tokens"),
      cacheRead: optionalPerMillion("cache-read", "cache-read tokens (default: the input price)"),
      cacheWrite5m: optionalPerMillion("cache-write-5m", "5-minute cache-write tokens (default: the input price)"),
      cacheWrite1h: optionalPerMillion("cache-write-1h", "1-hour cache-write tokens (default: the 5m price)"),
      provider,
      from,
      dataDir
    },
    (options) =>
      Effect.gen(function* () {
        const candidate = Object.fromEntries(
          Object.entries({
            model: options.model,
            provider: Option.getOrUndefined(options.provider),
            effectiveFrom: Option.getOrUndefined(options.from),
            input: options.input,
            output: options.output,
            cacheRead: Option.getOrUndefined(options.cacheRead),
            cacheWrite5m: Option.getOrUndefined(options.cacheWrite5m),
            cacheWrite1h: Option.getOrUndefined(options.cacheWrite1h)
          }).filter(([, value]) => value !== undefined)
        )
        const decoded = decodeOverride(candidate)
        if (Either.isLeft(decoded)) {
          return yield* Effect.fail(
            new Error(`Invalid price: ${describeIssues(decoded.left)}. See \`opensync prices set --help\`.`)
          )
        }
        const override = decoded.right
        const current = yield* readOverrides(options.dataDir)
        yield* writeOverrides(options.dataDir, [...current.filter((o) => !sameKey(o, override)), override])
        yield* Terminal.print(
          `Set ${describeOverride(override)}.\nIt prices messages the server stores from now on; stored messages keep their prices.`
        )
      })
  ).pipe(Command.withDescription("Set a local price for a model (per million tokens), over the bundled price data."))

  const unset = Command.make("unset", { model, provider, from, dataDir }, (options) =>
    Effect.gen(function* () {
      const current = yield* readOverrides(options.dataDir)
      const removed = current.filter(
        (o) =>
          o.model.toLowerCase() === options.model.toLowerCase() &&
          (Option.isNone(options.provider) || o.provider?.toLowerCase() === options.provider.value.toLowerCase()) &&
          (Option.isNone(options.from) || o.effectiveFrom === options.from.value)
      )
      if (removed.length === 0) {
        return yield* Effect.fail(new Error(`No local price for ${options.model}. See \`opensync prices list\`.`))
      }
      yield* writeOverrides(
        options.dataDir,
        current.filter((o) => !removed.includes(o))
      )
      for (const o of removed) yield* Terminal.print(`Removed ${describeOverride(o)}.`)
    })
  ).pipe(Command.withDescription("Remove a model's local prices (all of them, or those of --provider / --from)."))

  const list = Command.make("list", { model: model.pipe(Args.optional), provider, json, dataDir }, (options) =>
    Effect.gen(function* () {
      const overrides = yield* readOverrides(options.dataDir)
      if (Option.isNone(options.model)) {
        if (options.json)
          return yield* Terminal.print(JSON.stringify({ data: Pricing.dataVersion, overrides }, null, 2))
        yield* Terminal.print(`Price data: ${Pricing.dataVersion}. Local prices (${overrides.length}):`)
        for (const o of overrides) yield* Terminal.print(`  ${describeOverride(o)}`)
        return yield* Terminal.print("Show what prices a model today: opensync prices list MODEL")
      }
      const name = options.model.value
      const q = Pricing.quote(name, { provider: Option.getOrNull(options.provider), overrides })
      if (options.json) {
        const { card: _card, ...rest } = q ?? { card: null }
        return yield* Terminal.print(JSON.stringify(q === undefined ? { model: name, priced: false } : rest, null, 2))
      }
      if (q === undefined) {
        return yield* Terminal.print(
          `${name}: no price in ${Pricing.dataVersion} and no local price, so its usage is counted as unpriced.\n` +
            `Set one with: opensync prices set ${name} --input USD --output USD`
        )
      }
      const source =
        q.source === "override" ? `local price (${q.priceVersion})` : `${q.priceVersion}, ${q.provider} ${q.model}`
      yield* Terminal.print(`${name} today: ${source}${q.from === null ? "" : `, since ${q.from}`}`)
      yield* Terminal.print(`  ${describeRates(q.rates)}`)
      for (const tier of q.tiers) {
        yield* Terminal.print(
          `  requests above ${tier.above.toLocaleString("en-US")} prompt tokens, whole request: ${describeRates(tier.rates)}`
        )
      }
    })
  ).pipe(
    Command.withDescription("What price applies to a model today and where it comes from; no MODEL: the local prices.")
  )

  return Command.make("prices").pipe(
    Command.withDescription(
      "Model prices: the bundled price data and your local overrides (prices.json in the data dir)."
    ),
    Command.withSubcommands([set, list, unset])
  )
}
