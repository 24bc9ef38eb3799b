/**
 * The import bookkeeping on disk: what it does with a damaged index, another server's index, a torn reader state, and
 * a file rewritten or truncated under a checkpoint.
 */
import { appendFileSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Kit } from "@opensync/client"

const { Checkpoints } = Kit
const dirs: Array<string> = []
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), "checkpoints-"))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const checkpoint = { sessionId: "s1", options: "tools:1,thinking:0", size: 10, mtimeMs: 1, offset: 10 }

describe("Checkpoints", () => {
  it("keeps what was put across opens, for the same server only", () => {
    const state = temp()
    const store = Checkpoints.open(state, "http://a")
    store.put("k", { ...checkpoint, tail: { start: 0, digest: "d" } }, { fold: [1, 2] })
    store.save()
    const again = Checkpoints.open(state, "http://a")
    expect(again.get("k")).toEqual({ ...checkpoint, tail: { start: 0, digest: "d" }, state: true })
    expect(again.state("k")).toEqual({ fold: [1, 2] })
    // Another server has none of these sessions: nothing counts as imported there.
    expect(Checkpoints.open(state, "http://b").size()).toBe(0)
  })

  it("keeps each account's bookkeeping apart, and takes over one written before destinations named the key", () => {
    const state = temp()
    const alice = Checkpoints.destination("http://a", "osk_alice")
    const bob = Checkpoints.destination("http://a", "osk_bob")
    expect(alice).not.toEqual(bob)
    expect(alice).not.toContain("osk_alice")
    const store = Checkpoints.open(state, alice)
    store.put("k", checkpoint)
    store.save()
    expect(Checkpoints.open(state, alice).size()).toBe(1)
    expect(Checkpoints.open(state, bob).size()).toBe(0)
    // An index of the URL alone (before this version) counts for that URL's key, once: the next save names the key
    const legacy = Checkpoints.open(state, "http://a")
    legacy.put("k", checkpoint)
    legacy.save()
    const upgraded = Checkpoints.open(state, alice)
    expect(upgraded.size()).toBe(1)
    upgraded.put("k2", checkpoint)
    upgraded.save()
    expect(Checkpoints.open(state, bob).size()).toBe(0)
    expect(Checkpoints.open(state, "http://a").size()).toBe(0)
  })

  it("reads a damaged index as an empty one (everything is read again)", () => {
    const state = temp()
    const store = Checkpoints.open(state, null)
    store.put("k", checkpoint)
    store.save()
    writeFileSync(join(Checkpoints.directory(state), "index.json"), '{"v":1,"server":null,"items":{"k":')
    expect(Checkpoints.open(state, null).size()).toBe(0)
    writeFileSync(join(Checkpoints.directory(state), "index.json"), '{"v":2,"server":null,"items":{}}')
    expect(Checkpoints.open(state, null).size()).toBe(0)
  })

  it("gives no reader state when its file is torn or belongs to another offset", () => {
    const state = temp()
    const store = Checkpoints.open(state, null)
    store.put("k", checkpoint, { fold: "x".repeat(100) })
    store.save()
    const [file] = readdirSync(join(Checkpoints.directory(state), "state"))
    const path = join(Checkpoints.directory(state), "state", file)
    truncateSync(path, 20)
    expect(Checkpoints.open(state, null).state("k")).toBeUndefined()
    writeFileSync(path, JSON.stringify({ key: "k", offset: 5, state: { fold: 1 } }))
    expect(Checkpoints.open(state, null).state("k")).toBeUndefined()
    writeFileSync(path, JSON.stringify({ key: "k", offset: 10, state: { fold: 1 } }))
    expect(Checkpoints.open(state, null).state("k")).toEqual({ fold: 1 })
  })

  it("recognises the last line read until it is rewritten, truncated or the file is gone", () => {
    const dir = temp()
    const file = join(dir, "t.jsonl")
    const first = '{"a":1}\n{"b":"two"}\n'
    writeFileSync(file, first)
    const tail = Checkpoints.tailOf(file, first.length)
    expect(tail).toEqual({ start: 8, digest: expect.any(String) })
    if (tail === undefined) return
    appendFileSync(file, '{"c":3}\n')
    expect(Checkpoints.hasTail(file, first.length, tail)).toBe(true)
    writeFileSync(file, '{"a":1}\n{"b":"TWO"}\n{"c":3}\n')
    expect(Checkpoints.hasTail(file, first.length, tail)).toBe(false)
    writeFileSync(file, '{"a":1}\n')
    expect(Checkpoints.hasTail(file, first.length, tail)).toBe(false)
    rmSync(file)
    expect(Checkpoints.hasTail(file, first.length, tail)).toBe(false)
    expect(Checkpoints.tailOf(file, first.length)).toBeUndefined()
  })

  it("digests at most the last 4 KiB of a long last line", () => {
    const dir = temp()
    const file = join(dir, "t.jsonl")
    const text = `{"a":1}\n{"b":"${"y".repeat(10_000)}"}\n`
    writeFileSync(file, text)
    const tail = Checkpoints.tailOf(file, text.length)
    expect(tail?.start).toBe(text.length - 4_096)
    if (tail === undefined) return
    expect(Checkpoints.hasTail(file, text.length, tail)).toBe(true)
    // A change inside those bytes is seen (one earlier in the line, or in earlier lines, is not: a known limit).
    writeFileSync(file, text.replace('y"}', 'z"}'))
    expect(Checkpoints.hasTail(file, text.length, tail)).toBe(false)
  })
})
