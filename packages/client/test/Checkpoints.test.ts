/**
 * The import bookkeeping on disk: what it does with a damaged index, another server's index, a torn reader state, and
 * a file rewritten or truncated under a checkpoint.
 */
import { createHash } from "node:crypto"
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync
} from "node:fs"
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

/** Where a state directory's packs of reader states are. */
const packs = (state: string) => join(Checkpoints.directory(state), "state")

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

  it("gives no reader state when its pack is torn, gone, or holds another offset's", () => {
    const state = temp()
    const store = Checkpoints.open(state, null)
    store.put("k", checkpoint, { fold: "x".repeat(100) })
    store.save()
    const [file] = readdirSync(packs(state))
    const path = join(packs(state), file)
    const line = readFileSync(path, "utf8")
    // The same line, for another offset (same length: only what it says differs)
    writeFileSync(path, line.replace('"offset":10', '"offset":11'))
    expect(Checkpoints.open(state, null).state("k")).toBeUndefined()
    writeFileSync(path, line)
    expect(Checkpoints.open(state, null).state("k")).toEqual({ fold: "x".repeat(100) })
    truncateSync(path, 20)
    expect(Checkpoints.open(state, null).state("k")).toBeUndefined()
    rmSync(path)
    expect(Checkpoints.open(state, null).state("k")).toBeUndefined()
    // (the checkpoint itself stays: only the state is missing, and the item is then read whole)
    expect(Checkpoints.open(state, null).get("k")).toEqual({ ...checkpoint, state: true })
  })

  it("gives no reader state, and allocates nothing, where a damaged index names bytes its pack has not", () => {
    const state = temp()
    const store = Checkpoints.open(state, null)
    store.put("k", checkpoint, { fold: 1 })
    store.save()
    const file = join(Checkpoints.directory(state), "index.json")
    const index = JSON.parse(readFileSync(file, "utf8"))
    const [pack] = index.states.k
    for (const place of [
      [pack, 0, 2 ** 40],
      [pack, 2 ** 40, 10],
      [pack, 0, 2 ** 31],
      [pack, 5, 3]
    ]) {
      writeFileSync(file, JSON.stringify({ ...index, states: { k: place } }))
      expect(Checkpoints.open(state, null).state("k")).toBeUndefined()
    }
    // Not a place at all: as if none was recorded (the item is read whole)
    for (const place of [["../index.json", 0, 10], [pack, -1, 10], [pack, 0, 0], "x", null]) {
      writeFileSync(file, JSON.stringify({ ...index, states: { k: place } }))
      expect(Checkpoints.open(state, null).state("k")).toBeUndefined()
    }
  })

  it("writes a save's states to one pack, not a file per item, and reads each back", () => {
    const state = temp()
    const store = Checkpoints.open(state, null)
    for (let i = 0; i < 200; i++) store.put(`k${i}`, { ...checkpoint, offset: i }, { fold: [i, "é".repeat(i)] })
    // Before the save a state is read from memory
    expect(store.state("k7")).toEqual({ fold: [7, "é".repeat(7)] })
    store.save()
    expect(readdirSync(packs(state))).toHaveLength(1)
    const again = Checkpoints.open(state, null)
    for (let i = 0; i < 200; i++) expect(again.state(`k${i}`)).toEqual({ fold: [i, "é".repeat(i)] })
    // An item recorded without a state has none, even where one was before
    again.put("k3", { ...checkpoint, offset: 3 })
    again.save()
    expect(Checkpoints.open(state, null).state("k3")).toBeUndefined()
    expect(Checkpoints.open(state, null).state("k4")).toEqual({ fold: [4, "é".repeat(4)] })
  })

  it("removes packs nothing points to, and copies live states out of packs that are mostly leftovers", () => {
    const state = temp()
    const big = "b".repeat(1024 * 1024)
    const store = Checkpoints.open(state, null)
    store.put("small", checkpoint, { fold: "kept" })
    store.put("long", checkpoint, { fold: `0${big}` })
    store.save()
    // A long session's state, rewritten by every turn's sync beside another session's small one: each pack keeps a
    // live small state and a dead large one, and the packs never grow past the live states plus 4 MiB
    let largest = 0
    for (let turn = 1; turn <= 12; turn++) {
      const run = Checkpoints.open(state, null)
      run.put("long", { ...checkpoint, offset: turn }, { fold: `${turn}${big}` })
      run.put(`turn${turn}`, checkpoint, { fold: turn })
      run.save()
      const bytes = readdirSync(packs(state)).reduce((sum, name) => sum + statSync(join(packs(state), name)).size, 0)
      largest = Math.max(largest, bytes)
    }
    expect(largest).toBeGreaterThan(4 * 1024 * 1024)
    expect(largest).toBeLessThan(7 * 1024 * 1024)
    const after = Checkpoints.open(state, null)
    expect(after.state("small")).toEqual({ fold: "kept" })
    expect(after.state("long")).toEqual({ fold: `12${big}` })
    for (let turn = 1; turn <= 12; turn++) expect(after.state(`turn${turn}`)).toEqual({ fold: turn })
    // Many small saves (a sync per turn of many sessions) do not leave a pack each
    for (let i = 0; i < 80; i++) {
      const run = Checkpoints.open(state, null)
      run.put(`s${i}`, checkpoint, { fold: i })
      run.save()
    }
    expect(readdirSync(packs(state)).length).toBeLessThanOrEqual(32)
    const last = Checkpoints.open(state, null)
    for (let i = 0; i < 80; i++) expect(last.state(`s${i}`)).toEqual({ fold: i })
    expect(last.state("small")).toEqual({ fold: "kept" })
    // Dropping every item leaves no pack
    for (const key of [
      "small",
      "long",
      ...Array.from({ length: 80 }, (_, i) => `s${i}`),
      ...Array.from({ length: 12 }, (_, i) => `turn${i + 1}`)
    ]) {
      last.drop(key)
    }
    last.save()
    expect(readdirSync(packs(state))).toEqual([])
  })

  it("removes a pack a killed run wrote without its index, at the next save", () => {
    const state = temp()
    const store = Checkpoints.open(state, null)
    store.put("k", checkpoint, { fold: 1 })
    store.save()
    writeFileSync(join(packs(state), "killed-1-0.pack"), '{"key":"x","offset":1,"state":2}\n')
    const next = Checkpoints.open(state, null)
    next.put("k2", checkpoint, { fold: 2 })
    next.save()
    expect(readdirSync(packs(state))).not.toContain("killed-1-0.pack")
    expect(Checkpoints.open(state, null).state("k")).toEqual({ fold: 1 })
  })

  /** A store that saved item "k" (state `{ fold: 1 }`): its state dir, index file and the index's text. */
  const savedOnce = () => {
    const state = temp()
    const store = Checkpoints.open(state, null)
    store.put("k", checkpoint, { fold: 1 })
    store.save()
    const index = join(Checkpoints.directory(state), "index.json")
    return { state, index, saved: readFileSync(index, "utf8") }
  }

  it("keeps the index and the states as they were when the index cannot be written", () => {
    const { state, index, saved } = savedOnce()
    // A directory where the index goes: its rename fails (as on a full or read-only disk)
    const failing = Checkpoints.open(state, null)
    failing.put("k", { ...checkpoint, offset: 2 }, { fold: 2 })
    rmSync(index)
    mkdirSync(join(index, "in-the-way"), { recursive: true })
    expect(() => failing.save()).toThrow()
    expect(readdirSync(packs(state))).toHaveLength(1)
    expect(failing.state("k")).toEqual({ fold: 2 })
    rmSync(index, { recursive: true })
    writeFileSync(index, saved)
    expect(Checkpoints.open(state, null).state("k")).toEqual({ fold: 1 })
    // Once it can, the same store writes what it holds
    failing.save()
    expect(Checkpoints.open(state, null).state("k")).toEqual({ fold: 2 })
    expect(readdirSync(packs(state))).toHaveLength(1)
  })

  it("keeps the states to write, and the index as it was, when their pack cannot be written", () => {
    const { state, index, saved } = savedOnce()
    // A file where the packs' folder goes: no pack can be written (as on a full or read-only disk)
    rmSync(packs(state), { recursive: true })
    writeFileSync(packs(state), "")
    const failing = Checkpoints.open(state, null)
    failing.put("k", { ...checkpoint, offset: 2 }, { fold: 2 })
    expect(() => failing.save()).toThrow()
    expect(readFileSync(index, "utf8")).toBe(saved)
    expect(failing.state("k")).toEqual({ fold: 2 })
    // Once it can, the same store writes what it holds
    rmSync(packs(state))
    failing.save()
    expect(Checkpoints.open(state, null).state("k")).toEqual({ fold: 2 })
    expect(readdirSync(packs(state))).toHaveLength(1)
  })

  it("reads the state files of earlier versions (one per item), and removes one once its item is recorded again", () => {
    const state = temp()
    const dir = Checkpoints.directory(state)
    mkdirSync(join(dir, "state"), { recursive: true })
    const legacy = (key: string) =>
      join(dir, "state", `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`)
    writeFileSync(
      join(dir, "index.json"),
      JSON.stringify({
        v: 1,
        server: null,
        items: { a: { ...checkpoint, state: true }, b: { ...checkpoint, state: true } }
      })
    )
    writeFileSync(legacy("a"), JSON.stringify({ key: "a", offset: 10, state: { fold: "a" } }))
    writeFileSync(legacy("b"), JSON.stringify({ key: "b", offset: 10, state: { fold: "b" } }))
    const store = Checkpoints.open(state, null)
    expect(store.state("a")).toEqual({ fold: "a" })
    store.put("a", { ...checkpoint, offset: 20 }, { fold: "a2" })
    store.drop("b")
    store.save()
    expect(existsSync(legacy("a"))).toBe(false)
    expect(existsSync(legacy("b"))).toBe(false)
    expect(Checkpoints.open(state, null).state("a")).toEqual({ fold: "a2" })
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
    // A folder where the file was opens, but cannot be read: not the same bytes either (it threw)
    mkdirSync(file)
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
