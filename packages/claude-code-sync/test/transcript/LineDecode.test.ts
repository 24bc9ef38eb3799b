/**
 * A line is decoded through the schema compiled (`FastDecode`) when it can be; these check that this changes nothing:
 * every line of the real captures, and thousands of them damaged at random (a field of another type, a field gone, an
 * object where a string was, a `__proto__` key), decode to the same value, or fail, as through the schema alone.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as FastDecode from "@opensync/domain/FastDecode"
import * as Either from "effect/Either"
import * as Lines from "../../src/transcript/Lines.js"
import * as RealTranscripts from "../support/RealTranscripts.js"

const captures = [RealTranscripts.v2_1_197, RealTranscripts.v2_1_332, RealTranscripts.v2_1_332Absorbed]

/** The JSON objects of every line of every capture, main and subagent. */
const lines: ReadonlyArray<unknown> = captures.flatMap((capture) =>
  `${capture.main}\n${capture.subagent}`
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown)
)

/** A seeded generator (mulberry32). */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const REPLACEMENTS: ReadonlyArray<unknown> = [null, 0, 12.5, "", "text", true, [], {}, [1, "a"], { type: "text" }]

/** A deep copy of `value` with one member, somewhere in it, replaced or removed (`next` picks where and what). */
const damaged = (value: unknown, next: () => number): unknown => {
  if (value === null || typeof value !== "object") return value
  const copy: Record<string, unknown> | Array<unknown> = Array.isArray(value) ? [...value] : { ...value }
  const keys = Object.keys(copy)
  if (keys.length === 0) return copy
  const key = keys[Math.floor(next() * keys.length)] as string
  const member = (copy as Record<string, unknown>)[key]
  const r = next()
  if (r < 0.45 && member !== null && typeof member === "object") {
    ;(copy as Record<string, unknown>)[key] = damaged(member, next)
  } else if (r < 0.6 && !Array.isArray(copy)) {
    delete copy[key]
  } else {
    ;(copy as Record<string, unknown>)[key] = REPLACEMENTS[Math.floor(next() * REPLACEMENTS.length)]
  }
  return copy
}

const same = (json: unknown) => {
  const compiled = Lines.decodeLine(json)
  const schema = Lines.decodeLineBySchema(json)
  expect(Either.isRight(compiled)).toBe(Either.isRight(schema))
  if (Either.isRight(compiled) && Either.isRight(schema)) {
    expect(compiled.right).toStrictEqual(schema.right)
    expect(JSON.stringify(compiled.right)).toBe(JSON.stringify(schema.right))
  }
}

describe("transcript lines decoded through the compiled schema", () => {
  it("the line schema compiles (else every line would take the schema's slower path)", () => {
    expect(FastDecode.compile(Lines.ExactLine.ast)).toBeDefined()
    expect(lines.length).toBeGreaterThan(100)
  })

  it("every line of the real captures decodes as through the schema, and through the compiled path", () => {
    const fast = FastDecode.compile(Lines.ExactLine.ast) as FastDecode.Decoder
    for (const line of lines) {
      same(line)
      // the compiled decoding takes them all (a decoder that said no to everything would pass the line above)
      expect(fast(line)).not.toBe(FastDecode.NO)
    }
  })

  it("an import still reads transcripts where code cannot be generated from strings (the schema decodes)", () => {
    const home = mkdtempSync(join(tmpdir(), "line-decode-"))
    try {
      const project = join(home, ".claude", "projects", "-tmp-p")
      const capture = RealTranscripts.v2_1_332
      mkdirSync(project, { recursive: true })
      writeFileSync(join(project, `${capture.sessionId}.jsonl`), capture.main)
      const cli = join(import.meta.dirname, "../../dist/cli.cjs")
      const run = spawnSync(process.execPath, ["--disallow-code-generation-from-strings", cli, "import"], {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: home,
          XDG_CONFIG_HOME: join(home, "config"),
          CLAUDE_CONFIG_DIR: join(home, ".claude"),
          CLAUDE_SYNC_STATE_DIR: join(home, "state"),
          CLAUDE_SYNC_AUTO_SYNC: "0",
          CLAUDE_SYNC_CONVEX_URL: "http://127.0.0.1:9",
          CLAUDE_SYNC_API_KEY: "osk_test",
          NO_COLOR: "1"
        },
        encoding: "utf8",
        timeout: 60_000
      })
      expect(run.stderr + run.stdout).not.toMatch(/EvalError/)
      expect(run.stdout).toMatch(/1 sessions? \(1 new/)
      expect(run.stdout).toMatch(/[1-9]\d* event\(s\) queued/)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it("lines damaged at random decode (or fail) as through the schema", () => {
    const next = random(11)
    for (let i = 0; i < 6_000; i++) {
      let json = lines[Math.floor(next() * lines.length)]
      for (let n = 1 + Math.floor(next() * 3); n > 0; n--) json = damaged(json, next)
      same(json)
    }
    // a key JSON gives as an own property, where an assignment would set the prototype
    same(JSON.parse('{"type":"cost-state","modelUsage":{"__proto__":{"inputTokens":1},"m":{"costUSD":2}}}'))
    same(JSON.parse('{"type":"user","__proto__":{"type":"assistant"},"uuid":"u"}'))
  })
})
