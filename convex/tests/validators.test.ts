import { describe, expect, it } from "@effect/vitest"
import { Event, Message, Session } from "@opensync/domain"
import { v } from "convex/values"
import * as Schema from "effect/Schema"
import { compile, fields, tableId, UnsupportedSchema } from "../lib/validators.js"

/** The Effect Schema → Convex validator compiler: each AST case, and the domain schemas the tables use. */

/** Validators compare by structure (kind, optionality, fields, members). */
const json = (schema: Schema.Schema.Any): unknown => compile(schema as Schema.Schema<unknown, unknown, never>)

describe("validators.compile", () => {
  it("compiles primitives, literals and null", () => {
    expect(json(Schema.String)).toEqual(v.string())
    expect(json(Schema.Number)).toEqual(v.number())
    expect(json(Schema.Boolean)).toEqual(v.boolean())
    expect(json(Schema.Null)).toEqual(v.null())
    expect(json(Schema.Unknown)).toEqual(v.any())
    expect(json(Schema.Literal("a"))).toEqual(v.literal("a"))
    expect(json(Schema.Literal(1))).toEqual(v.literal(1))
    expect(json(Schema.Literal("a", "b"))).toEqual(v.union(v.literal("a"), v.literal("b")))
  })

  it("compiles refinements and brands to their base type, and transformations to their encoded side", () => {
    expect(json(Schema.String.pipe(Schema.minLength(1), Schema.brand("Id")))).toEqual(v.string())
    expect(json(Schema.Number.pipe(Schema.int(), Schema.between(0, 10)))).toEqual(v.number())
    expect(json(Schema.NumberFromString)).toEqual(v.string())
    expect(json(Schema.DateFromNumber)).toEqual(v.number())
  })

  it("compiles structs with required, optional and defaulted fields; optional drops undefined", () => {
    const schema = Schema.Struct({
      a: Schema.String,
      b: Schema.optional(Schema.Number),
      c: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
      d: Schema.NullOr(Schema.Boolean)
    })
    expect(json(schema)).toEqual(
      v.object({
        a: v.string(),
        b: v.optional(v.number()),
        c: v.optional(v.union(v.string(), v.null())),
        d: v.union(v.boolean(), v.null())
      })
    )
    expect(Object.keys(fields(schema))).toEqual(["a", "b", "c", "d"])
  })

  it("compiles arrays, records, nested unions and table ids", () => {
    expect(json(Schema.Array(Schema.Number))).toEqual(v.array(v.number()))
    expect(json(Schema.Record({ key: Schema.String, value: Schema.Number }))).toEqual(v.record(v.string(), v.number()))
    const tagged = Schema.Union(
      Schema.Struct({ type: Schema.Literal("x"), n: Schema.Number }),
      Schema.Struct({ type: Schema.Literal("y") })
    )
    expect(json(tagged)).toEqual(
      v.union(v.object({ type: v.literal("x"), n: v.number() }), v.object({ type: v.literal("y") }))
    )
    expect(json(Schema.Struct({ owner: tableId("users") }))).toEqual(v.object({ owner: v.id("users") }))
  })

  it("rejects what Convex cannot store, naming where", () => {
    const cases: ReadonlyArray<readonly [Schema.Schema.Any, RegExp]> = [
      [Schema.Tuple(Schema.String, Schema.Number), /tuple/],
      [Schema.Struct({ at: Schema.DateFromSelf }), /declared type.* at at/],
      [Schema.SymbolFromSelf, /SymbolKeyword/],
      [Schema.TemplateLiteral("a", Schema.String), /TemplateLiteral/],
      [Schema.Struct({ x: Schema.UndefinedOr(Schema.String) }), /undefined outside an optional property.* at x/],
      [Schema.Struct({ x: Schema.Undefined }), /UndefinedKeyword.* at x/],
      [Schema.BigIntFromSelf, /BigIntKeyword/]
    ]
    for (const [schema, message] of cases) {
      expect(() => json(schema)).toThrow(UnsupportedSchema)
      expect(() => json(schema)).toThrow(message)
    }
    expect(() => fields(Schema.String as unknown as Schema.Schema<object>)).toThrow(/struct was expected/)
  })

  it("compiles the domain schemas the tables and mutation arguments use", () => {
    const session = fields(Session.Session)
    expect(Object.keys(session)).toEqual(Object.keys(Session.Session.fields))
    expect(session.reported).toEqual(
      v.union(
        v.object({
          promptTokens: v.number(),
          completionTokens: v.number(),
          costUsd: v.union(v.number(), v.null()),
          durationMs: v.union(v.number(), v.null())
        }),
        v.null()
      )
    )
    const message = compile(Message.Message)
    expect(message.kind).toEqual("object")
    const event = compile(Event.Event)
    expect(event.kind).toEqual("union")
    // the encoded message event: `text` and `parts` are optional on the wire (decoding fills defaults)
    const messageEvent = fields(Event.MessageEvent)
    expect([messageEvent.text.isOptional, messageEvent.parts.isOptional, messageEvent.createdAt.isOptional]).toEqual([
      "optional",
      "optional",
      "required"
    ])
  })
})
