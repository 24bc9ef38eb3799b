import { describe, expect, it, vi } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as FastDecode from "../src/FastDecode.js"

/** A seeded generator (mulberry32): the same inputs on every run. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** A value of the type the schemas below give a key, for most inputs to get past the first check. */
const TYPICAL: Record<string, unknown> = { type: "user", text: "text", id: "x", count: 3, flag: true }
const KEYS = ["type", "text", "id", "count", "flag", "items", "kind", "usage", "extra", "toString", "__proto__", "0"]

/** A random JSON-like value, often shaped like the schemas below (their keys), often not. */
const value = (next: () => number, depth: number): unknown => {
  const r = next()
  if (depth <= 0 || r < 0.35) {
    const scalars = ["", "text", 0, 1.5, -3, Number.NaN, true, false, null, undefined, "user", "assistant"]
    return scalars[Math.floor(next() * scalars.length)]
  }
  if (r < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth - 1))
  const entries: Array<[string, unknown]> = []
  for (const key of KEYS) {
    if (next() < 0.3) entries.push([key, key in TYPICAL && next() < 0.7 ? TYPICAL[key] : value(next, depth - 1)])
  }
  // Parsed from JSON now and then: a "__proto__" key is then an own property, as in a transcript line.
  if (next() < 0.3) {
    try {
      return JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",")}}`)
    } catch {
      return {}
    }
  }
  return Object.fromEntries(entries)
}

/** A value as plain data with each object's prototype written in (`toStrictEqual` does not compare prototypes). */
const withPrototypes = (value: unknown, depth = 0): unknown => {
  if (value === null || typeof value !== "object" || depth > 8) return value
  if (Array.isArray(value)) return value.map((item) => withPrototypes(item, depth + 1))
  const prototype: unknown = Object.getPrototypeOf(value)
  const out: Record<string, unknown> = {
    "<prototype>": prototype === Object.prototype ? "Object" : withPrototypes(prototype, depth + 1)
  }
  for (const key of Object.keys(value))
    out[`.${key}`] = withPrototypes((value as Record<string, unknown>)[key], depth + 1)
  return out
}

const Block = Schema.Struct({ type: Schema.optional(Schema.String), text: Schema.optional(Schema.String) })
const schemas = {
  struct: Schema.Struct({
    type: Schema.optional(Schema.String),
    count: Schema.optional(Schema.Number),
    flag: Schema.optional(Schema.Boolean),
    id: Schema.String
  }),
  "inherited name": Schema.Struct({ toString: Schema.Unknown, text: Schema.optional(Schema.String) }),
  nested: Schema.Struct({
    type: Schema.optional(Schema.String),
    items: Schema.optional(Schema.Union(Schema.String, Schema.Array(Block))),
    usage: Schema.optional(
      Schema.Struct({ count: Schema.optional(Schema.Number), extra: Schema.optional(Schema.Unknown) })
    )
  }),
  record: Schema.Record({ key: Schema.String, value: Schema.Struct({ count: Schema.optional(Schema.Number) }) }),
  "record of numbers": Schema.Record({ key: Schema.String, value: Schema.Number }),
  "literals and undefined": Schema.Union(Schema.Literal("user", "assistant"), Schema.Undefined, Schema.Number),
  array: Schema.Array(Schema.Union(Schema.String, Block)),
  "empty struct": Schema.Struct({}),
  // a declared property is decoded by its own schema (here: its excess keys dropped), every other key by the record's
  "struct with a record": Schema.Struct(
    { usage: Schema.optional(Schema.Struct({ count: Schema.optional(Schema.Number) })) },
    Schema.Record({ key: Schema.String, value: Schema.Unknown })
  )
}

describe("FastDecode", () => {
  it.each(Object.entries(schemas))("%s: the same answer as the schema's decoding on random input", (_, schema) => {
    const fast = FastDecode.compile(schema.ast)
    expect(fast).toBeDefined()
    const decode = Schema.decodeUnknownEither(schema as Schema.Schema<unknown>, { onExcessProperty: "ignore" })
    const next = random(7)
    let decoded = 0
    for (let i = 0; i < 4_000; i++) {
      const input = value(next, 4)
      const expected = decode(input)
      const actual = (fast as FastDecode.Decoder)(input)
      if (Either.isLeft(expected)) {
        expect(actual).toBe(FastDecode.NO)
        continue
      }
      decoded++
      expect(actual).toStrictEqual(expected.right)
      // the same order of keys (JSON.stringify writes them in order) and the same prototypes, at every depth
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected.right))
      expect(withPrototypes(actual)).toStrictEqual(withPrototypes(expected.right))
    }
    // the inputs exercise the decoding, not only its failures
    expect(decoded).toBeGreaterThan(40)
  })

  it("declines what it does not mirror: transformations, refinements, unions decoded by a literal field", () => {
    expect(FastDecode.compile(Schema.NumberFromString.ast)).toBeUndefined()
    expect(FastDecode.compile(Schema.String.pipe(Schema.minLength(2)).ast)).toBeUndefined()
    expect(FastDecode.compile(Schema.Struct({ n: Schema.optional(Schema.NumberFromString) }).ast)).toBeUndefined()
    const Tagged = Schema.Union(
      Schema.Struct({ kind: Schema.Literal("a"), text: Schema.String }),
      Schema.Struct({ kind: Schema.Literal("b"), count: Schema.Number })
    )
    expect(FastDecode.compile(Tagged.ast)).toBeUndefined()
  })

  it("declines annotations that change decoding: parse options, a fallback value", () => {
    const Two = Schema.Struct({ a: Schema.String })
    for (const parseOptions of [
      { exact: true },
      { onExcessProperty: "error" },
      { propertyOrder: "original" }
    ] as const) {
      expect(FastDecode.compile(Two.annotations({ parseOptions }).ast)).toBeUndefined()
    }
    const Fallback = Schema.String.annotations({ decodingFallback: () => Either.right("fallback") })
    expect(FastDecode.compile(Fallback.ast)).toBeUndefined()
    expect(FastDecode.compile(Schema.Union(Fallback, Schema.Number).ast)).toBeUndefined()
    expect(FastDecode.compile(Schema.Struct({ a: Schema.optional(Fallback) }).ast)).toBeUndefined()
  })

  it("a declared `__proto__` beside a record: the prototype the schema's decoding gives", () => {
    const schema = Schema.Struct(
      { ["__proto__"]: Schema.optional(Schema.Struct({ a: Schema.optional(Schema.Number) })) },
      Schema.Record({ key: Schema.String, value: Schema.Unknown })
    )
    const input: unknown = JSON.parse('{"__proto__":{"a":1,"b":2},"c":3}')
    const expected = Schema.decodeUnknownEither(schema, { onExcessProperty: "ignore" })(input)
    const actual = (FastDecode.compile(schema.ast) as FastDecode.Decoder)(input)
    expect(Either.isRight(expected)).toBe(true)
    if (Either.isRight(expected)) expect(withPrototypes(actual)).toStrictEqual(withPrototypes(expected.right))
  })

  it("where code cannot be generated from strings (an EvalError), declines: the schema decodes", () => {
    vi.stubGlobal(
      "Function",
      class {
        constructor() {
          throw new EvalError("Code generation from strings disallowed for this context")
        }
      }
    )
    try {
      expect(FastDecode.compile(schemas.struct.ast)).toBeUndefined()
    } finally {
      vi.unstubAllGlobals()
    }
    expect(FastDecode.compile(schemas.struct.ast)).toBeDefined()
  })

  it("compiles a node once however often the schema uses it: code as large as the schema, not its expansion", () => {
    // Each level's two fields are the level below: 2^16 paths through 16 structs, each with its two fields' unions
    // (an optional field's type is its schema or undefined), and the string and undefined at the bottom
    let tree: Schema.Schema<unknown> = Schema.String as Schema.Schema<unknown>
    for (let level = 0; level < 16; level++) {
      tree = Schema.Struct({ left: Schema.optional(tree), right: Schema.optional(tree) }) as Schema.Schema<unknown>
    }
    expect(FastDecode.functionCount(tree.ast)).toBe(16 * 3 + 2)
    const fast = FastDecode.compile(tree.ast) as FastDecode.Decoder
    // a path down all 16 levels to a string, with an excess key on the way and an empty struct beside it
    let path: unknown = "leaf"
    for (let level = 0; level < 15; level++) path = level % 2 === 0 ? { left: path, extra: level } : { right: path }
    const input = { left: path, right: {} }
    const decode = Schema.decodeUnknownEither(tree, { onExcessProperty: "ignore" })
    expect(fast(input)).toStrictEqual(Either.getOrThrow(decode(input)))
    expect(JSON.stringify(fast(input))).toMatch(/^\{"left":(\{"(left|right)":){15}"leaf"\}{15},"right":\{\}\}$/)
    expect(fast({ left: { right: 3 } })).toBe(FastDecode.NO)
    expect(Either.isLeft(decode({ left: { right: 3 } }))).toBe(true)
  })

  it("declines a schema nested deeper than the stack lets it compile: the schema decodes", () => {
    let deep: Schema.Schema<unknown> = Schema.String as Schema.Schema<unknown>
    for (let level = 0; level < 20_000; level++) deep = Schema.Union(Schema.Number, deep) as Schema.Schema<unknown>
    expect(FastDecode.compile(deep.ast)).toBeUndefined()
  })

  it("reads property names as data: a name that is code stays a name", () => {
    const Odd = Schema.Struct({ "a'b\"c\\": Schema.optional(Schema.String), "x`${1}": Schema.optional(Schema.Number) })
    const fast = FastDecode.compile(Odd.ast) as FastDecode.Decoder
    expect(fast({ "a'b\"c\\": "v", "x`${1}": 2, other: 1 })).toStrictEqual({ "a'b\"c\\": "v", "x`${1}": 2 })
    expect(fast({ "a'b\"c\\": 1 })).toBe(FastDecode.NO)
  })
})
