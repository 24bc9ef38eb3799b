/**
 * An agent's session file read line by line (`SessionFiles.linesOfFile`, what Codex's import reads): the same lines as
 * the file's whole text split at line breaks, whatever chunk boundaries fall inside a line or inside a character.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
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

  it("fails with why the file cannot be read", () => {
    expect(() => [...Kit.SessionFiles.linesOfFile(join(dir, "missing.jsonl"))]).toThrow(/ENOENT/)
  })
})
