/**
 * The quick answer of `import` when nothing changed (src/bin.ts, @opensync/client/kit/QuickImport), end to end with the
 * built CLI and a real server: an unchanged archive is answered without loading the CLI's main bundle, with the lines
 * the full import prints; every change falls through to the full import, which picks it up: a transcript appended to,
 * truncated, rewritten with the same size, a new subagent file, a hook payload in the inbox, events left in the outbox
 * by a failed send, a damaged bookkeeping index or stamp, a changed setting, a flag. Which modules ran comes from a
 * preload that logs every read of the main bundle (@opensync/testkit's main-log.cjs).
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { mainLog } from "@opensync/testkit/QuickImport"
import { getSession } from "@opensync/testkit/Server"
import { serverForSuite } from "@opensync/testkit/SuiteServer"
import * as Cli from "./support/cli.js"

const stdoutEagain = resolve(__dirname, "support/stdout-eagain.cjs")
const { fixtures, SESSION_ID: SESSION, AGENT_ID: AGENT } = Cli

const MAIN = readFileSync(join(fixtures, "claude-transcript.jsonl"), "utf8")
const SUBAGENT = readFileSync(join(fixtures, "claude-subagent-transcript.jsonl"), "utf8")
const LINES = MAIN.split(/(?<=\n)/)
const UNCHANGED = "1 session (0 new, 0 updated, 1 unchanged): read 0 transcript file(s) (0.0 MiB), 0 event(s) queued."

interface Run extends Cli.Result {
  /** Whether the CLI's main bundle was loaded (the quick answer did not do). */
  readonly full: boolean
}

interface Home {
  readonly home: string
  readonly main: string
  readonly subagent: string
  readonly state: string
  readonly run: (args: ReadonlyArray<string>, env?: Record<string, string>) => Promise<Run>
  readonly hook: (event: string, stdin: string) => Promise<Cli.Result>
}

const suite = serverForSuite("ccs-quick-")

/** A HOME with the captured session's main transcript (`main`, a part of it, say) and its subagent's. */
const makeHome = (main: string = MAIN): Home => {
  const home = suite.home()
  const { main: mainPath, subagent: subagentPath } = Cli.transcripts(home, { subagent: true, main })
  const base = {
    CLAUDE_SYNC_CONVEX_URL: suite.server().url,
    CLAUDE_SYNC_API_KEY: suite.server().key,
    CLAUDE_SYNC_AUTO_SYNC: "0"
  }
  let runs = 0
  return {
    home,
    main: mainPath,
    subagent: subagentPath,
    state: Cli.stateDir(home),
    run: async (args, env = {}) => {
      const log = join(home, `main-${runs++}.txt`)
      const result = await Cli.node(home, ["--require", mainLog, Cli.cli, ...args], { ...base, ...env, MAIN_LOG: log })
      return { ...result, full: readFileSync(log, "utf8").includes("/dist/cli-main.cjs") }
    },
    hook: (event, stdin) => Cli.node(home, [Cli.hook, event], base, stdin)
  }
}

/** A home imported once (the full import) and answered quickly once: the state every case below starts from. */
const imported = async (main?: string) => {
  const home = makeHome(main)
  const first = await home.run(["import"])
  expect(first.stderr).toBe("")
  expect(first.code).toBe(0)
  expect(first.full).toBe(true)
  const second = await home.run(["import"])
  expect(second.stderr).toBe("")
  expect(second.code).toBe(0)
  expect(second.full).toBe(false)
  expect(second.stdout).toContain(UNCHANGED)
  return { home, quick: second }
}

describe("import of an unchanged archive", () => {
  it("is answered without loading the CLI, with the full import's lines", { timeout: 180_000 }, async () => {
    const { home, quick } = await imported()
    // A setting given another way (the same value) is a doubt: the full import runs, finds nothing new, and prints
    // what the quick answer printed.
    const full = await home.run(["import"], { CLAUDE_SYNC_THINKING: "false" })
    expect(full.full).toBe(true)
    expect(full.code).toBe(0)
    expect(full.stdout).toBe(quick.stdout)
    expect(quick.stdout).toBe(`${UNCHANGED}\nSent 0 event(s), 0 rejected by the server, 0 pending.\n`)
    // Other commands always load the CLI.
    const status = await home.run(["--version"])
    expect(status.full).toBe(true)
    expect(status.code).toBe(0)
  })

  it("falls through when a transcript was appended to, and the import reads what was added", {
    timeout: 180_000
  }, async () => {
    const split = 18
    const { home } = await imported(LINES.slice(0, split).join(""))
    appendFileSync(home.main, LINES.slice(split).join(""))
    const next = await home.run(["import"])
    expect(next.full).toBe(true)
    expect(next.stdout).toContain("1 session (0 new, 1 updated, 0 unchanged): read 1 transcript file(s)")
    expect(next.stdout).toMatch(/, [1-9]\d* event\(s\) queued/)
    const stored = await getSession(suite.server(), SESSION)
    expect(stored?.detail.session.usage).toMatchObject({ input: 28, output: 271, cacheRead: 54_548 })
    // And once imported, the archive is unchanged again.
    expect((await home.run(["import"])).full).toBe(false)
  })

  it("falls through when a transcript was truncated", { timeout: 180_000 }, async () => {
    const { home } = await imported()
    writeFileSync(home.main, LINES.slice(0, 10).join(""))
    const next = await home.run(["import"])
    expect(next.full).toBe(true)
    expect(next.stdout).toContain("1 session (0 new, 1 updated, 0 unchanged): read 1 transcript file(s)")
  })

  it("falls through when a transcript was rewritten with the same size", { timeout: 180_000 }, async () => {
    const { home } = await imported()
    const before = statSync(home.main)
    const last = LINES.length - 1
    const rewritten = [...LINES]
    rewritten[last] = rewritten[last].replace("bd02370a23a9", "bd02370a23a8")
    expect(Buffer.byteLength(rewritten.join(""))).toBe(before.size)
    expect(rewritten[last]).not.toBe(LINES[last])
    writeFileSync(home.main, rewritten.join(""))
    // A different modification time, whatever the clock's resolution.
    utimesSync(home.main, before.atime, new Date(before.mtimeMs + 2_000))
    const next = await home.run(["import"])
    expect(next.full).toBe(true)
    expect(next.stdout).toContain("read 1 transcript file(s)")
  })

  it("falls through when a transcript was only touched, and finds it unchanged without reading it", {
    timeout: 180_000
  }, async () => {
    const { home } = await imported()
    const before = statSync(home.main)
    utimesSync(home.main, before.atime, new Date(before.mtimeMs + 60_000))
    const next = await home.run(["import"])
    expect(next.full).toBe(true)
    // (it was read again whole and counted as updated)
    expect(next.stdout).toContain("1 session (0 new, 0 updated, 1 unchanged): read 0 transcript file(s)")
    // Its new time is recorded: the quick answer answers again
    expect((await home.run(["import"])).full).toBe(false)
  })

  it("falls through when a subagent's transcript was added", { timeout: 180_000 }, async () => {
    const { home } = await imported()
    const other = `${AGENT.slice(0, -4)}beef`
    writeFileSync(join(home.subagent, "..", `agent-${other}.jsonl`), SUBAGENT.replaceAll(AGENT, other))
    const next = await home.run(["import"])
    expect(next.full).toBe(true)
    expect(next.stdout).toContain("1 session (0 new, 1 updated, 0 unchanged): read 1 transcript file(s)")
  })

  it("falls through when a hook payload waits in the inbox, and the import processes it", {
    timeout: 180_000
  }, async () => {
    const { home } = await imported()
    const [payload] = Cli.payloads(home.home)
    expect((await home.hook(payload.event, payload.stdin)).code).toBe(0)
    const next = await home.run(["import"])
    expect(next.full).toBe(true)
    expect(next.stdout).toContain("Processed 1 hook payload(s)")
  })

  it("falls through when events wait in the outbox, and the import sends them", { timeout: 180_000 }, async () => {
    const { home } = await imported()
    const [payload] = Cli.payloads(home.home)
    expect((await home.hook(payload.event, payload.stdin)).code).toBe(0)
    // A sync while the server cannot be reached: the payload's events stay queued.
    const down = await Cli.node(home.home, [Cli.cli, "sync"], {
      CLAUDE_SYNC_CONVEX_URL: "http://127.0.0.1:9",
      CLAUDE_SYNC_API_KEY: suite.server().key,
      CLAUDE_SYNC_AUTO_SYNC: "0"
    })
    expect(down.stdout).toMatch(/queued [1-9]\d* event\(s\)/)
    expect(down.stdout).not.toContain(" 0 pending")
    const next = await home.run(["import"])
    expect(next.full).toBe(true)
    expect(next.stdout).toContain(UNCHANGED)
    expect(next.stdout).toMatch(/Sent [1-9]\d* event\(s\), 0 rejected by the server, 0 pending\./)
  })

  /** An imported home whose bookkeeping file `name` was damaged; the full import runs, then the quick answer again. */
  const damaged = async (name: string, text: string, expected: string) => {
    const { home } = await imported()
    writeFileSync(join(home.state, "imported", name), text)
    const next = await home.run(["import"])
    expect(next.full).toBe(true)
    expect(next.stdout).toContain(expected)
    expect((await home.run(["import"])).full).toBe(false)
    return home
  }

  it("falls through when the bookkeeping cannot be read, and reads everything again", {
    timeout: 180_000
  }, async () => {
    await damaged(
      "index.json",
      '{"v":1,"server":',
      "1 session (1 new, 0 updated, 0 unchanged): read 2 transcript file(s)"
    )
  })

  it("falls through when its stamp cannot be read, a setting changed, or a flag was given", {
    timeout: 180_000
  }, async () => {
    const home = await damaged("quick.json", "{", UNCHANGED)

    // Tool calls off: another mapping, so every transcript is read again.
    const setting = await home.run(["import"], { CLAUDE_SYNC_TOOL_CALLS: "false" })
    expect(setting.full).toBe(true)
    expect(setting.stdout).toContain("read 2 transcript file(s)")

    const flag = await home.run(["import", "--since", "2020-01-01"])
    expect(flag.full).toBe(true)
    expect(flag.stdout).toContain("read 2 transcript file(s)")
  })

  it("once the folders are older than the last listing, only stats the files, and still sees every change", {
    timeout: 180_000
  }, async () => {
    // Time passes: every folder and transcript, then the bookkeeping's index, were last changed a minute ago.
    const old = new Date(Date.now() - 60_000)
    const age = (path: string, files: boolean) => {
      const directory = statSync(path).isDirectory()
      if (directory) for (const name of readdirSync(path)) age(join(path, name), files)
      if (directory || files) utimesSync(path, old, old)
    }
    const home = makeHome()
    age(join(home.home, ".claude"), true)
    const index = join(home.state, "imported", "index.json")
    expect((await home.run(["import"])).full).toBe(true)
    utimesSync(index, old, old)
    const list = join(home.state, "imported", "quick-list.tsv")
    const listing = await home.run(["import"])
    expect(listing.full).toBe(false)
    expect(readFileSync(list, "utf8")).toContain(home.subagent)
    const listed = await home.run(["import"])
    expect(listed.full).toBe(false)
    expect(listed.stdout).toBe(listing.stdout)
    expect(listed.stdout).toContain(UNCHANGED)

    // A subagent's transcript added: its folder changed.
    const other = `${AGENT.slice(0, -4)}beef`
    writeFileSync(join(home.subagent, "..", `agent-${other}.jsonl`), SUBAGENT.replaceAll(AGENT, other))
    const added = await home.run(["import"])
    expect(added.full).toBe(true)
    expect(added.stdout).toContain("1 session (0 new, 1 updated, 0 unchanged): read 1 transcript file(s)")

    /** Time passes again: the next two imports answer quickly, the second from the remembered listing. */
    const listedAgain = async () => {
      age(join(home.home, ".claude"), false)
      utimesSync(index, old, old)
      for (let i = 0; i < 2; i++) expect((await home.run(["import"])).full).toBe(false)
    }

    // A transcript appended to, its folder unchanged.
    await listedAgain()
    appendFileSync(home.main, LINES[LINES.length - 1])
    const appended = await home.run(["import"])
    expect(appended.full).toBe(true)
    expect(appended.stdout).toContain("1 session (0 new, 1 updated, 0 unchanged): read 1 transcript file(s)")

    // Another Claude dir (CLAUDE_CONFIG_DIR) with a session of its own: not the history the listing remembers.
    await listedAgain()
    const otherSession = `${SESSION.slice(0, -4)}beef`
    const otherDir = join(home.home, "other-claude")
    const otherProject = join(otherDir, "projects", "-home-dev-projects-demo")
    mkdirSync(otherProject, { recursive: true })
    writeFileSync(join(otherProject, `${otherSession}.jsonl`), MAIN.replaceAll(SESSION, otherSession))
    const elsewhere = await home.run(["import"], { CLAUDE_CONFIG_DIR: otherDir })
    expect(elsewhere.full).toBe(true)
    expect(elsewhere.stdout).toContain("1 session (1 new, 0 updated, 0 unchanged): read 1 transcript file(s)")
  })

  it("writes its whole answer when file descriptor 1 takes part of it and then refuses (a full pipe)", {
    timeout: 180_000
  }, async () => {
    const { home, quick } = await imported()
    const log = join(home.home, "main-eagain.txt")
    const run = await Cli.node(home.home, ["--require", mainLog, "--require", stdoutEagain, Cli.cli, "import"], {
      CLAUDE_SYNC_CONVEX_URL: suite.server().url,
      CLAUDE_SYNC_API_KEY: suite.server().key,
      CLAUDE_SYNC_AUTO_SYNC: "0",
      MAIN_LOG: log
    })
    expect([run.code, run.stderr]).toEqual([0, ""])
    expect(readFileSync(log, "utf8")).not.toContain("/dist/cli-main.cjs")
    expect(run.stdout).toBe(quick.stdout)
  })
})
