import * as Schema from "effect/Schema"
import { Tokens } from "./Units.js"

const Count = Tokens

/** Token usage with the full breakdown; `input` excludes cache reads and writes, `reasoning` is separate from output. */
export const UsageInput = Schema.Struct({
  input: Schema.optionalWith(Count, { default: () => 0 }),
  output: Schema.optionalWith(Count, { default: () => 0 }),
  cacheRead: Schema.optionalWith(Count, { default: () => 0 }),
  cacheWrite5m: Schema.optionalWith(Count, { default: () => 0 }),
  cacheWrite1h: Schema.optionalWith(Count, { default: () => 0 }),
  reasoning: Schema.optionalWith(Count, { default: () => 0 })
}).annotations({ identifier: "Usage" })

/** The plain-record form of `Usage`, as stored and sent. */
export type UsageFields = {
  readonly input: number
  readonly output: number
  readonly cacheRead: number
  readonly cacheWrite5m: number
  readonly cacheWrite1h: number
  readonly reasoning: number
}

/** The encoded (stored) shape of usage: every field present. */
export const UsageRecord = Schema.Struct({
  input: Schema.Number,
  output: Schema.Number,
  cacheRead: Schema.Number,
  cacheWrite5m: Schema.Number,
  cacheWrite1h: Schema.Number,
  reasoning: Schema.Number
})

export const fields = ["input", "output", "cacheRead", "cacheWrite5m", "cacheWrite1h", "reasoning"] as const

export const zero: UsageFields = { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 }

/** Plain copy of any usage-like value. */
export const of = (usage: Partial<UsageFields> | null | undefined): UsageFields => ({
  input: usage?.input ?? 0,
  output: usage?.output ?? 0,
  cacheRead: usage?.cacheRead ?? 0,
  cacheWrite5m: usage?.cacheWrite5m ?? 0,
  cacheWrite1h: usage?.cacheWrite1h ?? 0,
  reasoning: usage?.reasoning ?? 0
})

export const add = (a: UsageFields, b: UsageFields): UsageFields => ({
  input: a.input + b.input,
  output: a.output + b.output,
  cacheRead: a.cacheRead + b.cacheRead,
  cacheWrite5m: a.cacheWrite5m + b.cacheWrite5m,
  cacheWrite1h: a.cacheWrite1h + b.cacheWrite1h,
  reasoning: a.reasoning + b.reasoning
})

export const scale = (a: UsageFields, factor: number): UsageFields => ({
  input: a.input * factor,
  output: a.output * factor,
  cacheRead: a.cacheRead * factor,
  cacheWrite5m: a.cacheWrite5m * factor,
  cacheWrite1h: a.cacheWrite1h * factor,
  reasoning: a.reasoning * factor
})

/** Every token the request consumed or produced. */
export const total = (u: UsageFields): number =>
  u.input + u.output + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h + u.reasoning

/** Tokens sent to the model: fresh input plus cache reads and writes. */
export const promptTokens = (u: UsageFields): number => u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h

export const isZero = (u: UsageFields): boolean => total(u) === 0
