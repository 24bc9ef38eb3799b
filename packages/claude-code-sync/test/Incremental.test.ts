/**
 * The import bookkeeping, end to end with the built CLI and a real server: a second import of an unchanged archive
 * opens no transcript; lines appended since are the only ones read; a truncated or rewritten transcript is read again
 * from the start; a last line still being written is not recorded as imported; imports SIGKILLed anywhere, then run
 * again, store every session exactly as an import never killed; a turn's sync reads only what the turn appended.
 * Which bytes were read comes from a preload that logs every read of a `.jsonl` file (support/read-log.cjs).
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { getSession, type RunningServer, type StoredDetail, startServer } from "@opensync/testkit/Server"
import * as Cli from "./support/cli.js"

const readLog = resolve(__dirname, "support/read-log.cjs")
const killAt = resolve(__dirname, "support/kill-at.cjs")
const { fixtures, SESSION_ID: SESSION, AGENT_ID: AGENT } = Cli

const MAIN = readFileSync(join(fixtures, "claude-transcript.jsonl"), "utf8")
const SUBAGENT = readFileSync(join(fixtures, "claude-subagent-transcript.jsonl"), "utf8")
/** The main transcript's lines, each with its line break. */
const LINES = MAIN.split(/(?<=\n)/)
/** Where line `i` of the main transcript starts (bytes). */
const startOf = (i: number) => Buffer.byteLength(LINES.slice(0, i).join(""))

interface Read {
  readonly path: string
  readonly position: number
  readonly bytes: number
}

interface Home {
  readonly home: string
  readonly main: string
  readonly subagent: string
  /** `claude-code-sync <args>` against `server`; `log` records the transcript reads, `kill` is a KILL_AT point. */
  readonly run: (
    server: RunningServer,
    args: ReadonlyArray<string>,
    options?: { readonly kill?: string }
  ) => Promise<Cli.Result & { readonly reads: ReadonlyArray<Read> }>
}

const homes: Array<string> = []

/** A HOME with the captured session's transcripts: the main one as `main` (a part of it, say), the subagent's whole. */
const makeHome = (main: string = MAIN): Home => {
  const home = mkdtempSync(join(tmpdir(), "ccs-incremental-"))
  homes.push(home)
  const { main: mainPath, subagent: subagentPath } = Cli.transcripts(home, { subagent: true, main })
  let runs = 0
  return {
    home,
    main: mainPath,
    subagent: subagentPath,
    run: async (server, args, options = {}) => {
      const log = join(home, `reads-${runs++}.jsonl`)
      const preload = ["--require", readLog, ...(options.kill === undefined ? [] : ["--require", killAt])]
      const result = await Cli.node(home, [...preload, Cli.cli, ...args], {
        CLAUDE_SYNC_CONVEX_URL: server.url,
        CLAUDE_SYNC_API_KEY: server.key,
        CLAUDE_SYNC_AUTO_SYNC: "0",
        READ_LOG: log,
        ...(options.kill === undefined ? {} : { KILL_AT: options.kill })
      })
      let reads: Array<Read> = []
      try {
        reads = readFileSync(log, "utf8")
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => JSON.parse(line) as Read)
      } catch {
        // A killed process writes no log.
      }
      return { ...result, reads }
    }
  }
}

const readsOf = (reads: ReadonlyArray<Read>, path: string) => reads.filter((read) => read.path === path)
const queuedOf = (stdout: string) => Number(stdout.match(/, (\d+) event\(s\) queued/)?.[1] ?? Number.NaN)

const servers: Array<RunningServer> = []
const closers: Array<() => Promise<void>> = []
const fresh = async () => {
  const server = await startServer()
  servers.push(server)
  return server
}

/** The session as an import of the whole transcripts, never interrupted, stores it; and how many events that queues. */
let reference: { readonly detail: StoredDetail | undefined; readonly queued: number }

beforeAll(async () => {
  const server = await fresh()
  const whole = await makeHome().run(server, ["import"])
  expect(whole.stderr).toBe("")
  expect(whole.stdout).toContain("1 session (1 new, 0 updated, 0 unchanged): read 2 transcript file(s)")
  const stored = await getSession(server, SESSION)
  expect(stored?.detail.session.usage).toMatchObject({ input: 28, output: 271, cacheRead: 54_548 })
  reference = { detail: stored?.detail, queued: queuedOf(whole.stdout) }
  expect(reference.queued).toBeGreaterThan(10)
}, 120_000)

afterAll(async () => {
  for (const close of closers) await close()
  for (const server of servers) await server.stop()
  for (const home of homes) rmSync(home, { recursive: true, force: true })
})

describe("import bookkeeping", () => {
  it("a second import of an unchanged archive opens no transcript and sends nothing", {
    timeout: 120_000
  }, async () => {
    const server = await fresh()
    const home = makeHome()
    const first = await home.run(server, ["import"])
    expect(first.code).toBe(0)
    expect(first.reads.length).toBeGreaterThan(0)
    const second = await home.run(server, ["import"])
    expect(second.stderr).toBe("")
    expect(second.code).toBe(0)
    expect(second.stdout).toContain(
      "1 session (0 new, 0 updated, 1 unchanged): read 0 transcript file(s) (0.0 MiB), 0 event(s) queued."
    )
    expect(second.stdout).toContain("Sent 0 event(s), 0 rejected by the server, 0 pending.")
    expect(second.reads).toEqual([])
    expect((await getSession(server, SESSION))?.detail).toEqual(reference.detail)
  })

  it("sends everything again to another account on the same server: none of it is there", {
    timeout: 120_000
  }, async () => {
    const server = await fresh()
    const home = makeHome()
    expect((await home.run(server, ["import"])).code).toBe(0)
    const created = await server.cli(["keys", "create", "--name", "bob", "--user", "bob", "--scope", "full"])
    const bob = { ...server, key: created.match(/osk_[0-9A-Za-z]+/)?.[0] ?? "" }
    const again = await home.run(bob, ["import"])
    expect(again.stderr).toBe("")
    expect(again.stdout).toContain("1 session (1 new, 0 updated, 0 unchanged): read 2 transcript file(s)")
    expect((await getSession(bob, SESSION))?.detail).toEqual(reference.detail)
    // The bookkeeping is one destination's: back on the first account, everything is read and sent again, and the
    // server answers it all as duplicates
    const back = await home.run(server, ["import"])
    expect(back.stdout).toContain("1 session (1 new, 0 updated, 0 unchanged)")
    expect((await getSession(server, SESSION))?.detail).toEqual(reference.detail)
  })

  it("a queued outbox file cut short (a power loss) loses nothing: its sessions are read again", {
    timeout: 120_000
  }, async () => {
    const server = await fresh()
    const home = makeHome()
    // Queued while the server is down, then the spool file loses its second half
    const queued = await home.run({ ...server, url: "http://127.0.0.1:9" }, ["import"])
    expect(queued.stdout).toContain("1 session (1 new, 0 updated, 0 unchanged)")
    const pending = join(Cli.stateDir(home.home), "outbox", "pending")
    const [spool] = readdirSync(pending)
    if (spool === undefined) throw new Error(`nothing queued in ${pending}`)
    const bytes = readFileSync(join(pending, spool))
    writeFileSync(join(pending, spool), bytes.subarray(0, Math.floor(bytes.length / 2)))

    const synced = await home.run(server, ["sync"])
    expect(synced.code).toBe(0)
    expect(synced.stderr).toContain("1 outbox file(s) could not be read (cut short or damaged: a power loss?)")
    const status = await home.run(server, ["status"])
    expect(status.stdout).toContain("1 unreadable outbox file(s) kept in outbox/corrupt/")
    // The next sync reads the session the damaged file names again, whole; the import after it reads every file again
    await home.run(server, ["sync"])
    expect((await getSession(server, SESSION))?.detail).toEqual(reference.detail)
    const imported = await home.run(server, ["import"])
    expect(imported.stdout).toContain("1 session (1 new, 0 updated, 0 unchanged)")
    expect((await getSession(server, SESSION))?.detail).toEqual(reference.detail)
  })

  it("a queued outbox file emptied (a power loss) that the import itself finds loses nothing either", {
    timeout: 120_000
  }, async () => {
    const server = await fresh()
    // The same URL down, then up (the bookkeeping is kept per server): a forwarder that drops connections while down
    let down = true
    const target = new URL(server.url)
    const forwarder = http.createServer((request, response) => {
      if (down) {
        request.socket.destroy()
        return
      }
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: request.url,
          method: request.method,
          headers: request.headers
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(response)
        }
      )
      request.pipe(upstream)
    })
    await new Promise<void>((listening) => forwarder.listen(0, "127.0.0.1", listening))
    closers.push(() => new Promise<void>((closed) => forwarder.close(() => closed())))
    const via = { ...server, url: `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}` }
    const home = makeHome()
    const queued = await home.run(via, ["import"])
    expect(queued.stdout).toContain("1 session (1 new, 0 updated, 0 unchanged)")
    const pending = join(Cli.stateDir(home.home), "outbox", "pending")
    const [spool] = readdirSync(pending)
    if (spool === undefined) throw new Error(`nothing queued in ${pending}`)
    writeFileSync(join(pending, spool), "")
    down = false
    // The import's own sender meets the damaged file while the transcript is unchanged since it was queued
    const found = await home.run(via, ["import"])
    expect(found.code).toBe(0)
    expect(found.stderr).toContain("1 outbox file(s) could not be read")
    expect(found.stdout).toContain("1 session (0 new, 0 updated, 1 unchanged)")
    const status = await home.run(via, ["status"])
    expect(status.stdout).toContain("1 unreadable outbox file(s) kept in outbox/corrupt/")
    // The bookkeeping was forgotten after the import saved it: the next import reads the session again, whole
    const again = await home.run(via, ["import"])
    expect(again.code).toBe(0)
    expect((await getSession(server, SESSION))?.detail).toEqual(reference.detail)
  })

  it("reads and sends only the lines appended since the last import", { timeout: 120_000 }, async () => {
    const server = await fresh()
    const split = 18
    const home = makeHome(LINES.slice(0, split).join(""))
    const first = await home.run(server, ["import"])
    expect(first.code).toBe(0)
    appendFileSync(home.main, LINES.slice(split).join(""))

    const second = await home.run(server, ["import"])
    expect(second.stderr).toBe("")
    expect(second.stdout).toContain("1 session (0 new, 1 updated, 0 unchanged): read 1 transcript file(s)")
    // Nothing before the last line the first import read (its digest is checked), the subagent's file not at all.
    const mainReads = readsOf(second.reads, home.main)
    expect(mainReads.length).toBeGreaterThan(0)
    expect(Math.min(...mainReads.map((read) => read.position))).toBe(startOf(split - 1))
    expect(readsOf(second.reads, home.subagent)).toEqual([])
    // Fewer events than the whole session's, and the same stored result as one import of the whole.
    expect(queuedOf(second.stdout)).toBeLessThan(reference.queued)
    expect((await getSession(server, SESSION))?.detail).toEqual(reference.detail)
  })

  it("reads a truncated or rewritten transcript again from the start", { timeout: 120_000 }, async () => {
    const server = await fresh()
    const home = makeHome()
    expect((await home.run(server, ["import"])).code).toBe(0)

    // Truncated: shorter than where the last read stopped.
    writeFileSync(home.main, LINES.slice(0, 10).join(""))
    const truncated = await home.run(server, ["import"])
    expect(truncated.stdout).toContain("1 session (0 new, 1 updated, 0 unchanged)")
    expect(readsOf(truncated.reads, home.main).map((read) => read.position)).toContain(0)

    // Rewritten: longer than before, but the last line the previous read saw is not the same any more.
    const rewritten = [...LINES]
    rewritten[9] = rewritten[9].replace('"isSidechain":false', '"isSidechain": false')
    expect(rewritten[9]).not.toBe(LINES[9])
    writeFileSync(home.main, rewritten.join(""))
    const again = await home.run(server, ["import"])
    expect(again.stdout).toContain("1 session (0 new, 1 updated, 0 unchanged)")
    expect(readsOf(again.reads, home.main).map((read) => read.position)).toContain(0)

    // Appended to intact: read on, not from the start (the control for the two cases above).
    appendFileSync(home.main, LINES[LINES.length - 1])
    const appended = await home.run(server, ["import"])
    expect(appended.stdout).toContain("1 session (0 new, 1 updated, 0 unchanged)")
    expect(readsOf(appended.reads, home.main).map((read) => read.position)).not.toContain(0)
  })

  it("does not record a last line still being written as imported", { timeout: 120_000 }, async () => {
    const server = await fresh()
    const split = 18
    const partial = LINES[split].slice(0, Math.floor(LINES[split].length / 2))
    const home = makeHome(LINES.slice(0, split).join("") + partial)
    const first = await home.run(server, ["import"])
    expect(first.code).toBe(0)
    // Not a malformed line: one Claude Code has not finished writing, said so.
    expect(first.stdout).toContain("1 unfinished last line(s) (read once complete)")
    expect(first.stdout).not.toContain("malformed")

    // Claude Code finishes the line and goes on: the next import starts with that line, and stores the whole.
    appendFileSync(home.main, LINES[split].slice(partial.length) + LINES.slice(split + 1).join(""))
    const second = await home.run(server, ["import"])
    expect(second.stderr).toBe("")
    expect(second.stdout).not.toContain("malformed")
    const positions = readsOf(second.reads, home.main).map((read) => read.position)
    expect(Math.min(...positions)).toBe(startOf(split - 1))
    expect(positions).toContain(startOf(split))
    expect((await getSession(server, SESSION))?.detail).toEqual(reference.detail)
  })
})

describe("a 2.1.332 session growing line by line", () => {
  it("imported after every few lines, stores what one import of the whole stores", { timeout: 300_000 }, async () => {
    const dir = join(fixtures, "claude-2.1.332")
    const lines = readFileSync(join(dir, "transcript.jsonl"), "utf8").split(/(?<=\n)/)
    const session = "a6e9dfb8-e1b3-4c98-a273-0dc6a285e930"
    const make = (main: string) => {
      const home = makeHome()
      const project = join(home.home, ".claude", "projects", "-tmp-current")
      mkdirSync(join(project, session, "subagents"), { recursive: true })
      writeFileSync(join(project, `${session}.jsonl`), main)
      writeFileSync(
        join(project, session, "subagents", "agent-a010bbeee9f532d40.jsonl"),
        readFileSync(join(dir, "subagent-transcript.jsonl"))
      )
      return { home, main: join(project, `${session}.jsonl`) }
    }
    const wholeServer = await fresh()
    const whole = make(lines.join(""))
    expect((await whole.home.run(wholeServer, ["import"])).code).toBe(0)
    const expected = await getSession(wholeServer, session)
    expect(expected?.detail.messages.length).toBeGreaterThan(3)

    const server = await fresh()
    const growing = make("")
    for (let upTo = 7; upTo < lines.length + 7; upTo += 7) {
      writeFileSync(growing.main, lines.slice(0, Math.min(upTo, lines.length)).join(""))
      const run = await growing.home.run(server, ["import"])
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      if (upTo > 7) expect(readsOf(run.reads, growing.main).map((read) => read.position)).not.toContain(0)
    }
    expect((await getSession(server, session))?.detail).toEqual(expected?.detail)
  })
})

const { copyFor } = Cli

describe("import killed anywhere", () => {
  it("then imported again, stores every session exactly as an import never killed", { timeout: 600_000 }, async () => {
    const SESSIONS = 150
    const split = 18
    /** Sessions [from, to) of the archive; `part` writes the main transcripts up to `split` only, `rest` the rest. */
    const archive = (home: Home, from: number, to: number, what: "whole" | "part" | "rest") => {
      const project = join(home.home, ".claude", "projects", "-home-dev-projects-demo")
      for (let k = Math.max(1, from); k < to; k++) {
        const session = copyFor(SESSION, k)
        const main = join(project, `${session}.jsonl`)
        if (what === "rest") {
          appendFileSync(main, copyFor(LINES.slice(split).join(""), k))
          continue
        }
        mkdirSync(join(project, session, "subagents"), { recursive: true })
        writeFileSync(main, copyFor(what === "part" ? LINES.slice(0, split).join("") : MAIN, k))
        writeFileSync(join(project, session, "subagents", `agent-${copyFor(AGENT, k)}.jsonl`), copyFor(SUBAGENT, k))
      }
    }
    const plain = makeHome()
    archive(plain, 0, SESSIONS, "whole")
    const referenceServer = await fresh()
    const once = await plain.run(referenceServer, ["import"])
    expect(once.stderr).toBe("")
    expect(once.stdout).toContain(`${SESSIONS} sessions (${SESSIONS} new, 0 updated, 0 unchanged)`)
    // Enough events for several outbox files (a thousand each), so kills fall between them.
    expect(queuedOf(once.stdout)).toBeGreaterThan(2_000)

    // Half the sessions, their main transcripts cut short; after a few kills, the rest of those and the other half.
    const victim = makeHome()
    archive(victim, 0, SESSIONS / 2, "part")
    const kills = [
      "transcript:30:before",
      "append:1:after",
      "checkpoint:1:after",
      "MORE",
      "transcript:40:after",
      "checkpoint:1:before",
      "append:1:after",
      "send:1:before",
      "send:2:after"
    ]
    const killedServer = await fresh()
    const outcomes: Array<string> = []
    for (const kill of kills) {
      if (kill === "MORE") {
        archive(victim, 0, SESSIONS / 2, "rest")
        archive(victim, SESSIONS / 2, SESSIONS, "whole")
        continue
      }
      const run = await victim.run(killedServer, ["import"], { kill })
      outcomes.push(`${kill}: ${run.signal ?? run.code} ${run.stdout.split("\n")[0]}`)
    }
    // The kills happened where they were aimed (each count is reached in the state it finds).
    expect(
      outcomes.filter((outcome) => outcome.includes("SIGKILL")).length,
      outcomes.join("\n")
    ).toBeGreaterThanOrEqual(6)
    let last = await victim.run(killedServer, ["import"])
    for (let attempt = 0; attempt < 3 && !last.stdout.includes(", 0 pending."); attempt++) {
      last = await victim.run(killedServer, ["import"])
    }
    expect(last.stderr).toBe("")
    expect(last.stdout).toContain(", 0 pending.")
    // Everything was recorded as imported, once its events were queued: a last import reads nothing.
    const final = await victim.run(killedServer, ["import"])
    expect(final.stdout).toContain(`${SESSIONS} sessions (0 new, 0 updated, ${SESSIONS} unchanged)`)
    expect(final.reads).toEqual([])

    for (let k = 0; k < SESSIONS; k++) {
      const session = k === 0 ? SESSION : copyFor(SESSION, k)
      const expected = await getSession(referenceServer, session)
      expect(expected?.detail.messages.length, session).toBeGreaterThan(8)
      expect((await getSession(killedServer, session))?.detail, session).toEqual(expected?.detail)
    }
  })
})

describe("live sync", () => {
  it("a turn's sync reads only what the turn appended to the transcript", { timeout: 120_000 }, async () => {
    const server = await fresh()
    const split = 18
    const home = makeHome(LINES.slice(0, split).join(""))
    const state = Cli.stateDir(home.home)
    const payloads = Cli.payloads(home.home, { subagent: true })
    const T0 = 1_790_000_000_000
    const hook = (event: string, stdin: string, at: number, i: number) => {
      mkdirSync(join(state, "inbox"), { recursive: true })
      const header = JSON.stringify({ v: 1, hook: event, receivedAt: at })
      writeFileSync(join(state, "inbox", `${at}-1-0-${i}.hook`), `${header}\n${stdin}`)
    }
    for (const [i, payload] of payloads.entries()) hook(payload.event, payload.stdin, T0 + i * 1_000, i)
    const first = await home.run(server, ["sync"])
    expect(first.stderr).toBe("")
    expect(first.stdout).toContain(", 0 pending.")

    // The next turn: lines appended, its Stop hook asks for the transcript again.
    appendFileSync(home.main, LINES.slice(split).join(""))
    const stop = payloads.find((payload) => payload.event === "Stop")
    expect(stop).toBeDefined()
    hook("Stop", stop?.stdin ?? "", T0 + 100_000, 100)
    const second = await home.run(server, ["sync"])
    expect(second.stderr).toBe("")
    expect(second.stdout).toContain(", 0 pending.")
    const positions = readsOf(second.reads, home.main).map((read) => read.position)
    expect(positions.length).toBeGreaterThan(0)
    expect(Math.min(...positions)).toBe(startOf(split - 1))

    const stored = await getSession(server, SESSION)
    expect(stored?.detail.session.usage).toEqual(reference.detail?.session.usage)
    expect(stored?.detail.messages.map((message) => message.id)).toEqual(
      reference.detail?.messages.map((message) => message.id)
    )
  })
})
