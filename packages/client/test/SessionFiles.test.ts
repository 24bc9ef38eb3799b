/**
 * An agent's session file read line by line (`SessionFiles.linesOfFile`, what Codex's import reads): the same lines as
 * the file's whole text split at line breaks, whatever chunk boundaries fall inside a line or inside a character.
 */
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Kit } from "@opensync/client"

const dir = mkdtempSync(join(tmpdir(), "session-files-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("SessionFiles.linesOfFile", () => {
  it("gives the lines of the whole text, across chunk boundaries and multi-byte characters", () => {
    const texts = [
      "",
      "\n",
      '{"a":1}\n{"b":"é ü 🎉 日本"}\n',
      '\uFEFF{"bom":true}\r\n{"crlf":true}\r\nno trailing newline',
      `${"x".repeat(50)}\n\n\n${"🎉".repeat(40)}\n${"y".repeat(3)}`,
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d, 0x0a, 0xff]).toString("latin1")
    ]
    texts.forEach((text, i) => {
      const path = join(dir, `f${i}.jsonl`)
      // The last text is written as raw bytes, with invalid UTF-8 in it.
      const bytes = i === texts.length - 1 ? Buffer.from(text, "latin1") : Buffer.from(text, "utf8")
      writeFileSync(path, bytes)
      const expected = bytes.toString("utf8").split("\n")
      for (const chunk of [1, 2, 3, 5, 7, 64, 4 * 1024 * 1024]) {
        expect([...Kit.SessionFiles.linesOfFile(path, chunk)], `text ${i}, chunks of ${chunk}`).toEqual(expected)
      }
      expect([...Kit.SessionFiles.linesOf(bytes.toString("utf8"))]).toEqual(expected)
    })
  })

  it("passes over a line longer than its limit, giving the marker in its place, and reads on after it", () => {
    const max = 10
    const texts = [
      `short\n${"x".repeat(11)}\nafter\n`,
      `${"x".repeat(10)}\n${"y".repeat(10)}z\n\n${"é".repeat(11)}\nlast`,
      `ok\n${"🎉".repeat(6)}\n${"a".repeat(40)}`,
      `${"b".repeat(25)}\n${"c".repeat(9)}\n${"d".repeat(30)}\nend\n`,
      Buffer.from([...Buffer.from("x".repeat(12)), 0xc3, 0x0a, 0x61, 0x0a]).toString("latin1")
    ]
    texts.forEach((text, i) => {
      const path = join(dir, `long${i}.jsonl`)
      const bytes = i === texts.length - 1 ? Buffer.from(text, "latin1") : Buffer.from(text, "utf8")
      writeFileSync(path, bytes)
      const expected = bytes
        .toString("utf8")
        .split("\n")
        .map((line) => (line.length > max ? Kit.SessionFiles.overlongLine : line))
      for (const chunk of [1, 2, 3, 5, 7, 16, 64, 4096]) {
        expect([...Kit.SessionFiles.linesOfFile(path, chunk, max)], `text ${i}, chunks of ${chunk}`).toEqual(expected)
      }
    })
    // The marker is not JSON: a reader counts it as a malformed line and reads on.
    const counts = { malformed: 0 }
    const path = join(dir, "long-json.jsonl")
    writeFileSync(path, `{"a":1}\n{"b":"${"x".repeat(20)}"}\n{"c":3}\n`)
    expect([...Kit.SessionFiles.jsonObjectsOf(Kit.SessionFiles.linesOfFile(path, 8, max * 2), counts)]).toEqual([
      { a: 1 },
      { c: 3 }
    ])
    expect(counts.malformed).toBe(1)
  })

  it("passes over a 640 MiB line without holding it: the lines after it are read", () => {
    // A sparse file (no disk used): a line, 640 MiB of NULs without a line break (longer than any string Node makes),
    // then two lines.
    const path = join(dir, "huge.jsonl")
    writeFileSync(path, '{"first":1}\n')
    const tail = Buffer.from('\n{"after":2}\n')
    const at = 640 * 1024 ** 2
    truncateSync(path, at)
    const fd = openSync(path, "r+")
    writeSync(fd, tail, 0, tail.length, at)
    closeSync(fd)
    const rss = process.memoryUsage.rss()
    const lines = [...Kit.SessionFiles.linesOfFile(path)]
    expect(lines).toEqual(['{"first":1}', Kit.SessionFiles.overlongLine, '{"after":2}', ""])
    // At most the limit's worth of text was held (one-byte characters), not the line.
    expect(process.memoryUsage.rss() - rss).toBeLessThan(400 * 1024 ** 2)
  })

  it("reads on from a line's start, and says where the last line break it read ends", () => {
    const bytes = Buffer.from('{"a":1}\n{"b":"é 🎉"}\n\n{"c":3}\npartial', "utf8")
    const path = join(dir, "from.jsonl")
    writeFileSync(path, bytes)
    const starts = [0, ...[...bytes].flatMap((byte, i) => (byte === 10 ? [i + 1] : []))]
    const lastBreak = bytes.lastIndexOf(10) + 1
    for (const from of starts) {
      for (const chunk of [1, 2, 3, 7, 4096]) {
        const position = { from, lineEnd: -1 }
        const lines = [...Kit.SessionFiles.linesOfFile(path, chunk, Kit.SessionFiles.maxLineChars, position)]
        expect(lines, `from ${from}, chunks of ${chunk}`).toEqual(bytes.subarray(from).toString("utf8").split("\n"))
        expect(position.lineEnd).toBe(lastBreak)
      }
    }
    // Past an overlong line, the line break that ends it counts.
    writeFileSync(path, `${"x".repeat(40)}\nok`)
    const position = { from: 0, lineEnd: -1 }
    expect([...Kit.SessionFiles.linesOfFile(path, 8, 10, position)]).toEqual([Kit.SessionFiles.overlongLine, "ok"])
    expect(position.lineEnd).toBe(41)
  })

  it("fails with why the file cannot be read", () => {
    expect(() => [...Kit.SessionFiles.linesOfFile(join(dir, "missing.jsonl"))]).toThrow(/ENOENT/)
  })
})
