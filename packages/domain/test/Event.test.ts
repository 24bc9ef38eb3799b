import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as Event from "../src/Event.js"
import { decodeEvent, fastKinds } from "../src/internal/fastEvent.js"

/** Valid events as a client sends them: encoded, through JSON. */
const encoded = Arbitrary.make(Event.Event).map((event) =>
  JSON.parse(JSON.stringify(Schema.encodeSync(Event.Event)(event)))
)

/** A valid event with one property replaced by another JSON value, removed, or set to a value of another field. */
const mutated = FastCheck.tuple(
  encoded,
  FastCheck.oneof(
    FastCheck.jsonValue({ maxDepth: 2 }),
    FastCheck.constantFrom(
      null,
      "",
      -1,
      1.5,
      2 ** 53,
      1e13,
      "\ud800",
      "a\u0001b",
      "x".repeat(257),
      "Claude-Code",
      [],
      {},
      true,
      "user",
      "completed",
      "text"
    )
  ),
  FastCheck.nat(),
  FastCheck.boolean()
).map(([event, value, pick, remove]) => {
  const paths: Array<Array<string>> = []
  const walk = (node: unknown, path: Array<string>) => {
    if (typeof node !== "object" || node === null) return
    for (const [key, child] of Object.entries(node)) {
      paths.push([...path, key])
      walk(child, [...path, key])
    }
  }
  walk(event, [])
  const path = paths[pick % paths.length]!
  const copy = JSON.parse(JSON.stringify(event))
  let parent = copy
  for (const key of path.slice(0, -1)) parent = parent[key]
  if (remove) delete parent[path.at(-1)!]
  else parent[path.at(-1)!] = value
  return copy
})

const garbage = FastCheck.oneof(
  FastCheck.jsonValue({ maxDepth: 3 }),
  FastCheck.record({
    kind: FastCheck.constantFrom("session", "message", "tool_call", "nope"),
    id: FastCheck.string(),
    source: FastCheck.constantFrom("claude-code", "opencode", "X"),
    sessionId: FastCheck.string(),
    at: FastCheck.oneof(FastCheck.integer(), FastCheck.double())
  })
)

/** Whatever the fast decoder answers, the schema answers the same; when it declines, the schema decides alone. */
const agrees = (value: unknown) => {
  const fast = decodeEvent(value)
  const slow = Event.decodeUnknown(value)
  if (fast !== undefined) {
    expect(Either.isRight(slow)).toBe(true)
    if (Either.isRight(slow)) expect(fast).toStrictEqual(slow.right)
  }
  return fast !== undefined
}

describe("the hand-written event decoder (internal/fastEvent.ts) equals the Event schema", () => {
  it("decodes every valid event of the usual kinds exactly as the schema does, and leaves the others to it", () => {
    FastCheck.assert(
      FastCheck.property(encoded, (event) => {
        expect(agrees(event)).toBe(fastKinds.includes(event.kind))
      }),
      { numRuns: 3_000, seed: 41 }
    )
  })

  it("never accepts what the schema refuses, nor decodes it differently, on events with one property changed", () => {
    let declined = 0
    FastCheck.assert(
      FastCheck.property(mutated, (event) => {
        if (!agrees(event)) declined++
      }),
      { numRuns: 10_000, seed: 43 }
    )
    expect(declined).toBeGreaterThan(1_000)
  })

  it("declines garbage", () => {
    FastCheck.assert(
      FastCheck.property(garbage, (value) => {
        agrees(value)
      }),
      { numRuns: 5_000, seed: 47 }
    )
  })

  it("declines a property present as undefined or inherited (left to the schema)", () => {
    const event = { kind: "session", id: "e1", source: "claude-code", sessionId: "s1", at: 1 }
    expect(decodeEvent(event)).toEqual(event)
    expect(decodeEvent({ ...event, title: undefined })).toBeUndefined()
    expect(decodeEvent(Object.assign(Object.create({ inherited: true }), event))).toBeUndefined()
  })
})
