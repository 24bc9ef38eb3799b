import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SyncLock } from "@opensync/client"
import * as Effect from "effect/Effect"
import { bundleFixture } from "./support/bundle.js"

const roots: Array<string> = []
const tempDir = () => {
  const dir = fs.mkdtempSync(join(tmpdir(), "synclock-"))
  roots.push(dir)
  return dir
}
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true })
})

const holderScript = join(tempDir(), "lock-holder.mjs")
beforeAll(async () => {
  await bundleFixture("lock-holder.ts", holderScript)
})

interface Taken {
  readonly held: boolean
  readonly pid: number
  readonly holder: SyncLock.Holder | null
}

/** A lock-holder process: its output lines, one at a time, and a way to talk to it. */
const startHolder = (file: string, wait = false) => {
  const child = spawn(process.execPath, [holderScript, file, ...(wait ? ["wait"] : [])], {
    stdio: ["pipe", "pipe", "inherit"]
  })
  children.push(child)
  const queued: Array<string> = []
  const waiting: Array<(line: string | undefined) => void> = []
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const waiter = waiting.shift()
    if (waiter === undefined) queued.push(line)
    else waiter(line)
  })
  const exited = new Promise<void>((done) => child.once("exit", () => done()))
  void exited.then(() => {
    for (const waiter of waiting.splice(0)) waiter(undefined)
  })
  const next = async (): Promise<string> => {
    const line = queued.shift() ?? (await new Promise<string | undefined>((done) => waiting.push(done)))
    if (line === undefined) throw new Error(`lock holder ${child.pid} exited with ${child.exitCode}`)
    return line
  }
  return {
    child,
    exited,
    next,
    taken: async (): Promise<Taken> => JSON.parse(await next()) as Taken,
    send: (line: string) => child.stdin!.write(`${line}\n`),
    kill9: async () => {
      child.kill("SIGKILL")
      await exited
    }
  }
}

/** A pid that no process has any more. */
const deadPid = async () => {
  const child = spawn(process.execPath, ["-e", "0"])
  await new Promise((done) => child.once("exit", done))
  return child.pid ?? 0
}

const writeLock = (file: string, holder: Partial<SyncLock.Holder>) =>
  fs.writeFileSync(
    file,
    JSON.stringify({
      pid: 1,
      processStart: null,
      startedAt: null,
      hostname: hostname(),
      acquiredAt: Date.now(),
      command: "test",
      nonce: "0123456789abcdef",
      ...holder
    })
  )

const take = (file: string) => Effect.runSync(Effect.scoped(SyncLock.take(file)))

describe("SyncLock within one process", () => {
  it.live("is held by one scope at a time, says who holds it, and is released when the scope closes", () =>
    Effect.gen(function* () {
      const file = join(tempDir(), "state", "sync.lock")
      const inner = yield* Effect.scoped(
        Effect.gen(function* () {
          const outer = yield* SyncLock.take(file, "claude-code-sync sync")
          expect(outer).toMatchObject({ held: true, holder: { pid: process.pid, command: "claude-code-sync sync" } })
          expect(fs.existsSync(file)).toBe(true)
          expect(yield* SyncLock.inspect(file)).toMatchObject({ alive: true, holder: { pid: process.pid } })
          return yield* Effect.scoped(SyncLock.take(file))
        })
      )
      expect(inner).toMatchObject({ held: false, holder: { pid: process.pid, hostname: hostname() } })
      expect(fs.existsSync(file)).toBe(false)
      expect(yield* SyncLock.inspect(file)).toBe(null)
      expect(yield* Effect.scoped(SyncLock.acquire(file))).toBe(true)
      expect(fs.readdirSync(join(file, ".."))).toEqual([])
    })
  )

  it("records its holder: pid, process start (from /proc on Linux), host, time and command", () => {
    const file = join(tempDir(), "sync.lock")
    const before = Date.now()
    const taken = Effect.runSync(
      Effect.scoped(
        Effect.gen(function* () {
          yield* SyncLock.take(file, "opencode-sync sync --background")
          return JSON.parse(fs.readFileSync(file, "utf8")) as SyncLock.Holder
        })
      )
    )
    const stat = fs.readFileSync(`/proc/${process.pid}/stat`, "utf8")
    const startTicks = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]
    expect(taken).toMatchObject({
      pid: process.pid,
      processStart: `ticks:${startTicks}`,
      hostname: hostname(),
      command: "opencode-sync sync --background"
    })
    expect(taken.acquiredAt >= before && taken.acquiredAt <= Date.now()).toBe(true)
    expect(taken.startedAt !== null && taken.startedAt <= before).toBe(true)
  })

  it("takes over at once a lock whose holder is gone, or whose pid now belongs to another process", async () => {
    const dir = tempDir()
    const file = join(dir, "sync.lock")
    writeLock(file, { pid: await deadPid() })
    expect(take(file).held).toBe(true)
    writeLock(file, { pid: process.pid, processStart: "ticks:1" })
    expect(take(file).held).toBe(true)
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it("a lock from another host is trusted for 5 minutes; an empty one (older versions) too", () => {
    const dir = tempDir()
    const file = join(dir, "sync.lock")
    writeLock(file, { hostname: "elsewhere", pid: 4242, acquiredAt: Date.now() - 60_000 })
    const busy = take(file)
    expect(busy).toMatchObject({ held: false, holder: { hostname: "elsewhere", pid: 4242 } })
    expect(SyncLock.runningMessage(busy as { holder: SyncLock.Holder; since: number })).toMatch(
      /^A sync is running \(pid 4242 on elsewhere, since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)\.$/
    )
    writeLock(file, { hostname: "elsewhere", pid: 4242, acquiredAt: Date.now() - 6 * 60_000 })
    expect(take(file).held).toBe(true)

    fs.writeFileSync(file, "")
    expect(take(file)).toMatchObject({ held: false, holder: null })
    const old = (Date.now() - 6 * 60_000) / 1000
    fs.utimesSync(file, old, old)
    expect(take(file).held).toBe(true)
    expect(fs.existsSync(file)).toBe(false)
  })

  it("a lock of garbage (neither empty nor a holder) is nobody's: taken over once 2 s old, not waited for", () => {
    const dir = tempDir()
    const file = join(dir, "sync.lock")
    const settled = (Date.now() - 10_000) / 1000
    for (const text of ["garbage\n", '{"pid":', "\u0000\u0000\u0000"]) {
      fs.writeFileSync(file, text)
      // (just written, it may be a lock being written without a hard link: it counts for 2 s)
      expect(Effect.runSync(SyncLock.inspect(file))).toMatchObject({ alive: true, holder: null })
      fs.utimesSync(file, settled, settled)
      expect(Effect.runSync(SyncLock.inspect(file))).toMatchObject({ alive: false, holder: null })
      expect(take(file).held).toBe(true)
      expect(fs.existsSync(file)).toBe(false)
    }
    // an empty one (older versions wrote those) still counts as running for its 5 minutes, and says until when
    fs.writeFileSync(file, "")
    const state = Effect.runSync(SyncLock.inspect(file))
    expect(state).toMatchObject({ alive: true, holder: null })
    expect(SyncLock.olderLockExpiresAt(state?.since ?? 0) - (state?.since ?? 0)).toBe(5 * 60_000)
  })

  it("a taker killed half-way does not block the takeover; a live taker is left to finish", async () => {
    const dir = tempDir()
    const file = join(dir, "sync.lock")
    const nonce = "fedcba9876543210"
    writeLock(file, { pid: await deadPid(), nonce })
    const marker = join(dir, `sync.lock.takeover-${nonce}.1`)
    writeLock(marker, { pid: process.pid, nonce: "1111111111111111" })
    expect(take(file).held).toBe(false)
    writeLock(marker, { pid: await deadPid(), nonce: "1111111111111111" })
    expect(take(file).held).toBe(true)
    expect(fs.readdirSync(dir)).toEqual([])
  })
})

describe("SyncLock across processes", () => {
  it("a SIGKILLed holder's lock is taken over at once by the next sync", async () => {
    const file = join(tempDir(), "sync.lock")
    const holder = startHolder(file)
    expect(await holder.next()).toBe("ready")
    expect(await holder.taken()).toMatchObject({ held: true, holder: { pid: holder.child.pid } })

    const busy = take(file)
    expect(busy).toMatchObject({ held: false, holder: { pid: holder.child.pid, command: "lock-holder" } })
    expect(SyncLock.runningMessage(busy as { holder: SyncLock.Holder; since: number })).toMatch(
      new RegExp(
        `^A sync is running \\(pid ${holder.child.pid}, since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)\\.$`
      )
    )
    expect(Effect.runSync(SyncLock.inspect(file))).toMatchObject({ alive: true, holder: { pid: holder.child.pid } })

    await holder.kill9()
    expect(Effect.runSync(SyncLock.inspect(file))).toMatchObject({ alive: false, holder: { pid: holder.child.pid } })
    const next = take(file)
    expect(next).toMatchObject({ held: true, holder: { pid: process.pid } })
  })

  it("a live holder in another process blocks, and the lock is free once it releases", async () => {
    const file = join(tempDir(), "sync.lock")
    const holder = startHolder(file)
    await holder.next()
    await holder.taken()
    expect(take(file).held).toBe(false)
    holder.send("release")
    await holder.exited
    expect(holder.child.exitCode).toBe(0)
    expect(fs.existsSync(file)).toBe(false)
    expect(take(file).held).toBe(true)
  })

  it("processes racing to take over a dead holder's lock: exactly one wins, every time", async () => {
    const file = join(tempDir(), "sync.lock")
    const rounds = 15
    const winners: Array<number> = []
    for (let round = 0; round < rounds; round++) {
      const dead = startHolder(file)
      await dead.next()
      expect((await dead.taken()).held).toBe(true)
      await dead.kill9()
      const racers = [startHolder(file, true), startHolder(file, true), startHolder(file, true)]
      for (const racer of racers) expect(await racer.next()).toBe("ready")
      for (const racer of racers) racer.send("go")
      const results = await Promise.all(racers.map((racer) => racer.taken()))
      winners.push(results.filter((result) => result.held).length)
      const winner = results.find((result) => result.held)
      for (const result of results.filter((result) => !result.held)) {
        expect(result.holder?.pid).toBe(winner?.pid)
      }
      for (const racer of racers) racer.send("release")
      await Promise.all(racers.map((racer) => racer.exited))
      expect(fs.readdirSync(join(file, ".."))).toEqual([])
    }
    expect(winners).toEqual(Array.from({ length: rounds }, () => 1))
  }, 180_000)
})

describe("a folder where the lock goes", () => {
  it.scoped("is taken over when empty (no version makes one; a sync said another one was running, for good)", () =>
    Effect.gen(function* () {
      const file = join(tempDir(), "sync.lock")
      fs.mkdirSync(file)
      expect((yield* SyncLock.take(file, "test")).held).toBe(true)
    })
  )
})
