import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { Lenient } from "../src/index.js"
import * as Memo from "../src/kit/Memo.js"

interface State {
  readonly sum: number
  readonly seen: ReadonlyArray<number>
}

/**
 * A reader that sums the `n` of its records and notes, for the test, which records it was given and what its look-ahead
 * pass saw. `refuse` makes it refuse any saved state.
 */
const summing = (log: { added: Array<number>; ahead: Array<string> }, refuse = false) => {
  return (saved: State | undefined, lines: () => Iterable<string>): Memo.Reader<State, State> | undefined => {
    if (saved !== undefined && refuse) return undefined
    log.ahead = [...lines()]
    let sum = saved?.sum ?? 0
    const seen = [...(saved?.seen ?? [])]
    if (!Array.isArray(seen)) throw new Error("damaged")
    return {
      add: (record: Lenient.Json) => {
        const n = Number(record.n)
        log.added.push(n)
        sum += n
        seen.push(n)
      },
      state: () => (seen.length === 0 ? undefined : { sum, seen: [...seen] }),
      finish: () => ({ sum, seen })
    }
  }
}

const line = (n: number) => `${JSON.stringify({ n, pad: "x".repeat(20) })}\n`
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => line(from + i)).join("")
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

describe("Kit.Memo: a growing file read on from where its last read stopped", () => {
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), "kit-memo-"))
    const path = join(dir, "session.jsonl")
    const memos = join(dir, "memos")
    const log = { added: [] as Array<number>, ahead: [] as Array<string> }
    const read = (
      options: { fromBytes?: number; settings?: unknown; refuse?: boolean; dir?: string; fresh?: boolean } = {}
    ) => {
      log.added = []
      const size = readFileSync(path).length
      return Memo.read(path, size, {
        dir: options.dir ?? memos,
        fromBytes: options.fromBytes ?? 0,
        settings: options.settings ?? { a: 1 },
        ...(options.fresh === undefined ? {} : { fresh: options.fresh }),
        open: summing(log, options.refuse)
      })
    }
    return { dir, path, memos, log, read }
  }

  it("parses only what was appended, keeps a half-written last line out of the memo and apart from the malformed ones", () => {
    const { dir, path, memos, log, read } = setup()
    try {
      writeFileSync(path, `${lines(0, 5)}not json\n[1]\n\n`)
      // Each read says which memo it went on from and which it left (a new one whenever it saved one).
      const first = read()
      expect(first).toEqual({
        result: { sum: 10, seen: range(0, 5) },
        malformed: 2,
        unfinished: 0,
        saved: expect.any(String)
      })
      expect(first.from).toBeUndefined()
      expect(log.added).toEqual(range(0, 5))
      expect(readdirSync(memos)).toHaveLength(1)

      // A line still being written is read (here, not yet JSON: unfinished, not malformed), but the memo stops before it.
      const half = line(6).slice(0, 10)
      appendFileSync(path, `${line(5)}${half}`)
      const second = read()
      expect(second).toMatchObject({
        result: { sum: 15, seen: range(0, 6) },
        malformed: 2,
        unfinished: 1,
        from: first.saved
      })
      expect(second.saved).not.toBe(first.saved)
      expect(log.added).toEqual([5])
      expect(log.ahead).toEqual([line(5).trimEnd(), half])
      appendFileSync(path, `${line(6).slice(10)}${line(7)}`)
      const grown = read()
      expect(log.added).toEqual([6, 7])
      expect(grown).toMatchObject({
        result: { sum: 28, seen: range(0, 8) },
        malformed: 2,
        unfinished: 0,
        from: second.saved
      })

      // Nothing new: nothing parsed, the memo stays (and is the one the read leaves).
      const memo = readFileSync(join(memos, readdirSync(memos)[0]!), "utf8")
      expect(read()).toEqual({ ...grown, from: grown.saved })
      expect(log.added).toEqual([])
      expect(readFileSync(join(memos, readdirSync(memos)[0]!), "utf8")).toBe(memo)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("reads from the start when the memo does not fit: other settings, a rewrite, a truncation, a damaged or refused state", () => {
    const { dir, path, memos, log, read } = setup()
    try {
      writeFileSync(path, lines(0, 4))
      read()
      appendFileSync(path, line(4))
      // Other settings.
      expect(read({ settings: { a: 2 } }).result.sum).toBe(10)
      expect(log.added).toEqual(range(0, 5))
      // A rewrite before the memo's place (the 4 KiB before it are digested).
      writeFileSync(path, `${lines(0, 3)}${line(9)}${line(4)}`)
      expect(read({ settings: { a: 2 } }).result.seen).toEqual([0, 1, 2, 9, 4])
      expect(log.added).toEqual([0, 1, 2, 9, 4])
      // A truncated file.
      writeFileSync(path, lines(0, 2))
      expect(read({ settings: { a: 2 } }).result.seen).toEqual([0, 1])
      expect(log.added).toEqual([0, 1])
      // A state the reader cannot go on from.
      appendFileSync(path, line(2))
      expect(read({ settings: { a: 2 }, refuse: true }).result.seen).toEqual([0, 1, 2])
      expect(log.added).toEqual([0, 1, 2])
      // A damaged memo (its reader throws on it) and one that is not JSON.
      const written = [0, 1, 2]
      for (const damage of [(m: { state: unknown }) => ({ ...m, state: { sum: 1, seen: 5 } }), () => "{"]) {
        const file = join(memos, readdirSync(memos)[0]!)
        const damaged = damage(JSON.parse(readFileSync(file, "utf8")) as { state: unknown })
        writeFileSync(file, typeof damaged === "string" ? damaged : JSON.stringify(damaged))
        written.push(written.length)
        appendFileSync(path, line(written.length - 1))
        expect(read({ settings: { a: 2 } }).result.seen).toEqual(written)
        expect(log.added).toEqual(written)
      }
      // Asked to (`import --again`): from the start, whatever the memo.
      expect(read({ settings: { a: 2 }, fresh: true }).result.seen).toEqual(written)
      expect(log.added).toEqual(written)
      // Each of those reads left a memo the next read goes on from.
      appendFileSync(path, line(5))
      expect(read({ settings: { a: 2 } }).result.seen).toEqual([...written, 5])
      expect(log.added).toEqual([5])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("keeps no memo of a small file, and loses only the shortcut when the memo cannot be written", () => {
    const { dir, path, memos, log, read } = setup()
    try {
      writeFileSync(path, lines(0, 3))
      expect(read({ fromBytes: 1_000_000 })).toMatchObject({ result: { sum: 3 }, saved: undefined })
      expect(() => readdirSync(memos)).toThrow()
      // The memos' folder is a file: the read succeeds, and leaves no temporary file behind, nor a memo to name.
      writeFileSync(memos, "")
      expect(read()).toMatchObject({ result: { sum: 3 }, from: undefined, saved: undefined })
      appendFileSync(path, line(3))
      expect(read().result.sum).toBe(6)
      expect(log.added).toEqual(range(0, 4))
      expect(readdirSync(dir).sort()).toEqual(["memos", "session.jsonl"])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("goes on from a memo in a file too large to read at once, its look-ahead over the appended lines only", () => {
    const { dir, path, log, read } = setup()
    try {
      const filler = `${JSON.stringify({ n: 0, pad: "y".repeat(1024 * 1024) })}\n`
      writeFileSync(path, `${filler.repeat(Math.ceil(Memo.WHOLE_BYTES / filler.length) + 1)}${line(1)}`)
      expect(read().result.sum).toBe(1)
      expect(log.ahead.length).toBeGreaterThan(16)
      appendFileSync(path, `${line(2)}${line(3)}`)
      expect(read().result.sum).toBe(6)
      expect(log.added).toEqual([2, 3])
      expect(log.ahead).toEqual([line(2).trimEnd(), line(3).trimEnd(), ""])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("sweep removes the memos of files that are gone, and temporary files", () => {
    const { dir, path, memos, read } = setup()
    try {
      writeFileSync(path, lines(0, 3))
      read()
      const kept = readdirSync(memos)
      writeFileSync(join(memos, `${"0".repeat(32)}.json`), "{}")
      writeFileSync(join(memos, `${kept[0]}.123.tmp`), "{")
      Memo.sweep(memos, [path])
      expect(readdirSync(memos)).toEqual(kept)
      // A memo of a file that is still there, under a path discovery did not give (a hook's path), stays.
      Memo.sweep(memos, [])
      expect(readdirSync(memos)).toEqual(kept)
      // One that says another file's path than its name does goes, though that file is there.
      writeFileSync(join(memos, `${"1".repeat(32)}.json`), JSON.stringify({ v: 2, path, offset: 1 }))
      Memo.sweep(memos, [])
      expect(readdirSync(memos)).toEqual(kept)
      // A memo whose file is gone goes.
      rmSync(path)
      Memo.sweep(memos, [])
      expect(readdirSync(memos)).toEqual([])
      Memo.sweep(join(dir, "absent"), [])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
