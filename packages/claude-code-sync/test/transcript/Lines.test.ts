/**
 * The line reader on real transcripts: which lines are parsed at all, that the skipped ones are recognised from their
 * prefix alone, and that reading a file in chunks or in byte ranges (with the usage ledger carried from one range to
 * the next) gives exactly what reading it whole gives.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it, vi } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Transcript from "../../src/transcript/index.js"

const fixtures = join(import.meta.dirname, "../fixtures")
const current = join(fixtures, "claude-2.1.332")
const texts = {
  "2.1.197 main": readFileSync(join(fixtures, "claude-transcript.jsonl"), "utf8"),
  "2.1.197 subagent": readFileSync(join(fixtures, "claude-subagent-transcript.jsonl"), "utf8"),
  "2.1.332 main": readFileSync(join(current, "transcript.jsonl"), "utf8"),
  "2.1.332 subagent": readFileSync(join(current, "subagent-transcript.jsonl"), "utf8")
}
const rawLines = (text: string) => text.split("\n").filter((line) => line.trim() !== "")
const typeOf = (line: string) => (JSON.parse(line) as { type: string }).type

const dir = mkdtempSync(join(tmpdir(), "ccs-lines-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("peekType", () => {
  it("reads the top-level type of every captured line it skips, and never misreads one", () => {
    for (const [name, text] of Object.entries(texts)) {
      for (const line of rawLines(text)) {
        const type = typeOf(line)
        const peeked = Transcript.peekType(line)
        // Undefined only sends a line down the slow path (it is parsed); a wrong type would lose it.
        if (peeked !== undefined || !Transcript.foldedTypes.has(type))
          expect(peeked, `${name}: ${line.slice(0, 80)}`).toBe(type)
      }
    }
  })

  it("finds the type at the start of the new 2.1.332 line types and after a few scalars elsewhere", () => {
    const offsets = new Map<string, Set<number>>()
    for (const line of rawLines(texts["2.1.332 main"])) {
      const type = typeOf(line)
      const set = offsets.get(type) ?? new Set()
      set.add(line.indexOf('"type":"'))
      offsets.set(type, set)
    }
    for (const type of ["api-request", "api-request-shape", "api-request-blob", "cost-state", "queue-operation"]) {
      expect([...(offsets.get(type) ?? [])], type).toEqual([1])
    }
    for (const type of ["user", "assistant", "system"]) {
      for (const offset of offsets.get(type) ?? []) expect(offset, type).toBeLessThan(200)
    }
  })

  it("reads attachments by their leading attachment object, however late their type comes", () => {
    const snapshots = rawLines(texts["2.1.332 main"]).filter((line) => line.includes('"prompt_snapshot"'))
    expect(snapshots.length).toBe(2)
    for (const line of snapshots) {
      expect(line.indexOf('"type":"attachment"')).toBeGreaterThan(20_000)
      expect(Transcript.peekType(line)).toBe("attachment")
    }
  })

  it("gives up (and lets the caller parse) when an object or a brace comes before the first type key", () => {
    expect(Transcript.peekType('{"meta":{"type":"attachment"},"type":"user"}')).toBeUndefined()
    expect(Transcript.peekType('{"cwd":"/a/{b}","type":"user"}')).toBeUndefined()
    expect(Transcript.peekType('{"text":"say \\"type\\":\\"x\\"","type":"user"}')).toBe("user")
    expect(Transcript.peekType('{"uuid":"u1"}')).toBeUndefined()
    // Such lines are still read correctly, by parsing them.
    const parsed = Transcript.parseLines(
      [
        '{"meta":{"type":"attachment"},"type":"user","uuid":"u1","message":{"content":"hi"}}',
        '{"meta":{"type":"user"},"type":"attachment","uuid":"u2"}'
      ].join("\n")
    )
    expect(parsed.lines.map((line) => line.uuid)).toEqual(["u1"])
    expect(parsed.skipped).toBe(1)
  })
})

describe("parseLine skips what is not conversation without parsing it", () => {
  it("parses only the user, assistant and cost-state lines of a 2.1.332 transcript (22 of 79 lines; over 90% of its bytes skipped unparsed)", () => {
    const lines = rawLines(texts["2.1.332 main"])
    const folded = lines.filter((line) => ["user", "assistant", "cost-state"].includes(typeOf(line)))
    const parse = vi.spyOn(JSON, "parse")
    try {
      const parsed = Transcript.parseLines(texts["2.1.332 main"])
      expect(parse).toHaveBeenCalledTimes(folded.length)
      expect(parsed.lines.length).toBe(folded.length)
      expect(parsed).toMatchObject({ malformed: 0, skipped: lines.length - folded.length })
    } finally {
      parse.mockRestore()
    }
    expect(folded.length).toBe(22)
    const skippedBytes = lines.filter((line) => !folded.includes(line)).reduce((n, line) => n + line.length, 0)
    expect(skippedBytes / texts["2.1.332 main"].length).toBeGreaterThan(0.9)
  })

  it("recognises the prompt and request lines by their prefix: a broken body after it is skipped, not malformed", () => {
    for (const type of ["api-request-shape", "api-request-blob", "api-request"]) {
      expect(Transcript.parseLine(`{"type":"${type}","system":[{"text":"not json at all}`)._tag).toBe("Skipped")
    }
    // A cost-state line is read (Claude Code's own figures), so damage makes it malformed.
    expect(Transcript.parseLine('{"type":"cost-state","totalCostUSD":}')._tag).toBe("Malformed")
    const attachment = '{"parentUuid":"p","isSidechain":false,"attachment":1,"type":"attachment","broken":}'
    expect(Transcript.parseLine(attachment)._tag).toBe("Skipped")
    // A user line is parsed, so the same damage makes it malformed.
    expect(Transcript.parseLine('{"parentUuid":"p","type":"user","broken":}')._tag).toBe("Malformed")
    // A line cut mid-write is malformed whatever its type.
    expect(Transcript.parseLine('{"type":"api-request-shape","system":[{"text":"cut')._tag).toBe("Malformed")
  })
})

describe("reading in chunks and byte ranges", () => {
  const write = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  it.effect("gives the same lines whatever the chunk size, multi-byte characters split across chunks included", () =>
    Effect.gen(function* () {
      const text = `${texts["2.1.197 main"].trimEnd()}\n${JSON.stringify({
        type: "user",
        uuid: "u-emoji",
        promptId: "p-emoji",
        timestamp: "2026-11-21T09:30:00.000Z",
        message: { role: "user", content: "héllo wörld ✓ 🎉 ünïcödé" }
      })}\n`
      const path = write("emoji.jsonl", text)
      const whole = Transcript.parseLines(text)
      for (const chunkBytes of [1, 2, 3, 7, 64, 1_000, 1 << 22]) {
        const read = yield* Transcript.readTranscriptFile(path, { chunkBytes })
        expect(read.lines, `chunk ${chunkBytes}`).toEqual(whole.lines)
        expect(read).toMatchObject({ malformed: 0, skipped: whole.skipped, nextOffset: Buffer.byteLength(text) })
      }
      expect(whole.lines.at(-1)?.message?.content).toBe("héllo wörld ✓ 🎉 ünïcödé")
    })
  )

  it.effect("resumes after the last complete line; an unfinished last line is read but not consumed", () =>
    Effect.gen(function* () {
      const lines = rawLines(texts["2.1.197 main"])
      const complete = `${lines.slice(0, 10).join("\n")}\n`
      const path = write("growing.jsonl", `${complete}${lines[10].slice(0, 50)}`)
      const first = yield* Transcript.readTranscriptFile(path)
      expect(first.nextOffset).toBe(Buffer.byteLength(complete))
      expect(first.malformed).toBe(1)
      // The writer finishes the line and appends the rest: reading on from nextOffset misses nothing.
      writeFileSync(path, `${lines.join("\n")}\n`)
      const rest = yield* Transcript.readTranscriptFile(path, { start: first.nextOffset })
      expect([...Transcript.parseLines(complete).lines, ...rest.lines]).toEqual(
        Transcript.parseLines(texts["2.1.197 main"]).lines
      )
    })
  )

  it.effect("folds byte ranges into the same session, the usage ledger carried across a cut inside a response", () =>
    Effect.gen(function* () {
      for (const [name, text] of Object.entries(texts)) {
        const path = write(`${name.replace(/\W/g, "-")}.jsonl`, text)
        const subagent = name.endsWith("subagent")
        const options = { syncThinking: false, ...(subagent ? { source: "subagent" as const } : {}) }
        const whole = Transcript.readSession(Transcript.parseLines(text).lines, options)
        const size = Buffer.byteLength(text)
        for (const cut of [1, Math.floor(size / 3), Math.floor(size / 2), size - 2]) {
          const fold = Transcript.makeFold(options)
          const first = yield* Transcript.readTranscriptFile(path, { end: cut, completeLinesOnly: true })
          expect(first.malformed).toBe(0)
          for (const line of first.lines) Transcript.feed(fold, line)
          // The ledger is plain data: it survives being saved and restored between the two reads.
          const saved = JSON.parse(JSON.stringify(Transcript.UsageLedger.toJson(fold.ledger)))
          const restored: Transcript.Fold = { ...fold, ledger: Transcript.UsageLedger.fromJson(saved) }
          const second = yield* Transcript.readTranscriptFile(path, { start: first.nextOffset })
          for (const line of second.lines) Transcript.feed(restored, line)
          expect(Transcript.finish(restored), `${name}, cut at ${cut}`).toEqual(whole)
        }
      }
    })
  )

  it("counts a response once when its lines land in different chunks", () => {
    const lines = rawLines(texts["2.1.197 main"])
    const at = lines.findIndex((line, i) => {
      const id = (JSON.parse(line) as { message?: { id?: string } }).message?.id
      return id !== undefined && (JSON.parse(lines[i + 1] ?? "{}") as { message?: { id?: string } }).message?.id === id
    })
    expect(at).toBeGreaterThan(0)
    const fold = Transcript.makeFold({ syncThinking: false })
    for (const line of Transcript.parseLines(lines.slice(0, at + 1).join("\n")).lines) Transcript.feed(fold, line)
    for (const line of Transcript.parseLines(lines.slice(at + 1).join("\n")).lines) Transcript.feed(fold, line)
    expect(Transcript.finish(fold).usage).toEqual(
      Transcript.readSession(Transcript.parseLines(texts["2.1.197 main"]).lines, { syncThinking: false }).usage
    )
  })
})

describe("the exact line schema (derived from the lenient one)", () => {
  const exact = Schema.decodeUnknownEither(Transcript.ExactLine, { onExcessProperty: "ignore" })
  const lenient = Schema.decodeUnknownEither(Transcript.TranscriptLine, { onExcessProperty: "ignore" })

  it.each(Object.entries(texts))(
    "decodes every folded line of the %s transcript as the lenient schema does",
    (_, text) => {
      const folded = rawLines(text)
        .map((line) => JSON.parse(line) as unknown)
        .filter((line) => Transcript.foldedTypes.has((line as { type: string }).type))
      expect(folded.length).toBeGreaterThan(0)
      for (const line of folded) {
        const decoded = exact(line)
        expect(Either.isRight(decoded), JSON.stringify(line).slice(0, 200)).toBe(true)
        expect(decoded).toEqual(lenient(line))
      }
    }
  )

  it.each([
    ["a field of the wrong type", { type: "user", uuid: 5 }, { type: "user" }],
    ["an explicitly undefined field", { type: "user", cwd: undefined }, { type: "user", cwd: undefined }],
    [
      "a hole in a content array",
      { type: "assistant", message: { content: [undefined] } },
      { type: "assistant", message: { content: [undefined] } }
    ],
    ["a cost of the wrong type", { modelUsage: { m: { costUSD: "1" } } }, { modelUsage: { m: {} } }]
  ])("rejects %s, which the lenient schema reads as absent", (_, line, read) => {
    expect(Either.isLeft(exact(line))).toBe(true)
    expect(lenient(line)).toEqual(Either.right(read))
  })
})

describe("the line buffer (byte chunks to lines)", () => {
  const { makeLineBuffer, OVERSIZED_LINE } = Transcript
  /** The lines handed on (as text) and the bytes consumed, feeding `chunks` in order, then ending. */
  const lines = (chunks: ReadonlyArray<string | Buffer>, maxLineBytes?: number) => {
    const buffer = makeLineBuffer(maxLineBytes)
    const out: Array<string> = []
    const onLine = (line: Buffer) => out.push(line.toString("utf8"))
    for (const chunk of chunks) buffer.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk, onLine)
    const consumed = buffer.consumed()
    buffer.end(onLine)
    return { out, consumed }
  }

  it("gives every line, wherever the chunks cut it, and counts what complete lines consumed", () => {
    const text = 'a\n\n{"x":1}\r\nlonger line é🙂\n\n\nlast without break'
    const whole = text.split("\n")
    for (let seed = 1; seed <= 200; seed++) {
      // (cut anywhere in the bytes, in the middle of a character too)
      const bytes = Buffer.from(text)
      const chunks: Array<Buffer> = []
      for (let at = 0, step = seed; at < bytes.length; at += 1 + (step % 7)) {
        step = (step * 1103515245 + 12345) % 2147483648
        chunks.push(bytes.subarray(at, at + 1 + (step % 7)))
      }
      const { out, consumed } = lines(chunks)
      expect(out.filter((line) => line !== "")).toEqual(whole.filter((line) => line !== ""))
      expect(consumed).toEqual(Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)))
    }
  })

  it("joins a line carried over many chunks once, not at each chunk", () => {
    const concat = vi.spyOn(Buffer, "concat")
    try {
      const piece = "a".repeat(1024)
      const { out } = lines([...Array.from({ length: 64 }, () => piece), "b\nnext\n"])
      expect(out).toEqual([`${piece.repeat(64)}b`, "next"])
      expect(concat.mock.calls.length).toBeLessThanOrEqual(1)
    } finally {
      concat.mockRestore()
    }
  })

  it("hands a line longer than the limit on as one line that is no JSON, without holding it, and goes on", () => {
    const { out, consumed } = lines(["x".repeat(600), "x".repeat(600), '\n{"ok":1}\n', "y".repeat(700)], 1000)
    expect(out).toEqual([OVERSIZED_LINE.toString(), '{"ok":1}', "y".repeat(700)])
    expect(consumed).toEqual(1200 + 1 + 8 + 1)
    expect(Transcript.parseLineBytes(OVERSIZED_LINE)._tag).toEqual("Malformed")
    // a line over the limit in the chunk that ends it, and a last line over it
    expect(lines(["z".repeat(1500), "\nok\n", "w".repeat(1001)], 1000).out).toEqual([
      OVERSIZED_LINE.toString(),
      "ok",
      OVERSIZED_LINE.toString()
    ])
  })
})
