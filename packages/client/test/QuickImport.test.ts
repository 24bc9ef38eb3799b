/**
 * The quick check of an unchanged history (`QuickImport.check`) on a state directory built by hand: it answers only
 * when the stamp's settings, the bookkeeping and every listed file agree and nothing waits; each doubt below makes it
 * fall through (the end-to-end cases with the built CLI are in claude-code-sync's QuickImport test).
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Kit } from "@opensync/client"
import { get } from "@opensync/domain/Sources"

const { Checkpoints, Failures, QuickImport } = Kit

const agent: Kit.Agent.Agent = {
  source: get("claude-code"),
  description: "test",
  inboxSuffix: ".hook",
  inboxNoun: "hook payload",
  followUpNoun: "transcript",
  historyNoun: "transcript",
  historyEnv: ["CLAUDE_CONFIG_DIR"],
  afterLogin: [],
  help: { setup: "", uninstall: "", verify: "", sync: "", import: "", status: "" }
}

const homes: Array<string> = []
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true })
})

const SERVER = "http://127.0.0.1:1"
const OPTIONS = "tools:1,thinking:0"
const VERSION = "1.2.3"

/** A state directory as a successful import leaves it: two files of one session known, a stamp, a failures file. */
const setUp = () => {
  const home = mkdtempSync(join(tmpdir(), "quick-import-"))
  homes.push(home)
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), CLAUDE_SYNC_API_KEY: "osk_x" }
  const paths = Kit.Agent.paths(agent, env)
  const files = [
    { path: join(home, "a.jsonl"), sessionId: "s1", size: 100, mtimeMs: 1_000.5 },
    { path: join(home, "b.jsonl"), sessionId: "s1", size: 50, mtimeMs: 2_000 },
    { path: join(home, "c.jsonl"), sessionId: "s2", size: 10, mtimeMs: 3_000 }
  ]
  const store = Checkpoints.open(paths.stateDir, SERVER)
  for (const file of files) {
    const { path, sessionId, size, mtimeMs } = file
    store.put(path, { sessionId, options: OPTIONS, size, mtimeMs, offset: size, tail: { start: 0, digest: "d" } })
  }
  store.save()
  const inputs = QuickImport.inputsOf(agent, env, VERSION)
  expect(inputs).toBeDefined()
  QuickImport.record(paths, { inputs: inputs ?? "", server: SERVER, options: OPTIONS })
  Failures.preallocate(paths)
  let listed = files
  let dirs: ReadonlyArray<{ readonly path: string; readonly mtimeMs: number }> | undefined
  let listings = 0
  const options = (overrides: Partial<Kit.QuickImport.CheckOptions> = {}): Kit.QuickImport.CheckOptions => ({
    agent,
    version: VERSION,
    args: ["import"],
    env,
    list: () => {
      listings++
      return dirs === undefined ? { files: listed } : { files: listed, dirs }
    },
    summary: (found) => `found ${found.sessions}/${found.unchanged}`,
    ...overrides
  })
  return {
    env,
    paths,
    files,
    /** Records a stamp with this environment's digest that resolved to `stamp`. */
    restamp: (stamp: { readonly server: string; readonly options: string }) =>
      QuickImport.record(paths, { inputs: QuickImport.inputsOf(agent, env, VERSION) ?? "", ...stamp }),
    list: (next: typeof files) => {
      listed = next
    },
    /** Lists `next` as the directories read from now on. */
    watch: (next: typeof dirs) => {
      dirs = next
    },
    listings: () => listings,
    check: (overrides?: Partial<Kit.QuickImport.CheckOptions>) => QuickImport.check(options(overrides))
  }
}

const checkpointOf = (file: { sessionId: string; size: number; mtimeMs: number }) => ({
  sessionId: file.sessionId,
  options: OPTIONS,
  size: file.size,
  mtimeMs: file.mtimeMs
})

const fallsThrough = (outcome: Kit.QuickImport.Outcome) => {
  expect(outcome).not.toHaveProperty("lines")
  return "fallThrough" in outcome ? outcome.fallThrough : ""
}

describe("QuickImport.check", () => {
  it("answers with the full import's lines when nothing changed", () => {
    const { check, paths } = setUp()
    expect(check()).toEqual({
      lines: ["found 2/2", "Sent 0 event(s), 0 rejected by the server, 0 pending."]
    })
    expect(paths.stateDir).toContain("claude-code-sync")
  })

  it("falls through when a file is new, gone from the bookkeeping, grown, shrunk or touched", () => {
    const state = setUp()
    const [a, b, c] = state.files
    for (const changed of [
      [a, b, c, { path: `${a.path}.new`, sessionId: "s1", size: 1, mtimeMs: 1 }],
      [a, b, { ...c, size: 11 }],
      [a, b, { ...c, size: 9 }],
      [a, b, { ...c, mtimeMs: 3_000.25 }],
      []
    ]) {
      state.list(changed)
      fallsThrough(state.check())
    }
    state.list([a, b])
    expect(state.check()).toHaveProperty("lines")
  })

  it("checks files read whole (a version checkpoint) and takes their sessions from the bookkeeping", () => {
    // An agent whose files are read whole when they change (Codex, Gemini CLI): `FileAgent` records a version.
    const state = setUp()
    const store = Checkpoints.open(state.paths.stateDir, SERVER)
    const [a, b, c] = state.files
    for (const file of [a, b, c]) {
      store.put(file.path, { sessionId: file.sessionId, options: OPTIONS, version: Checkpoints.fileVersion(file) })
    }
    store.save()
    // Gemini CLI names a chat's session inside the file: its listing has none, the bookkeeping has them.
    const unnamed = [a, b, c].map(({ sessionId: _, ...file }) => file)
    state.list(unnamed as typeof state.files)
    expect(state.check()).toEqual({ lines: ["found 2/2", "Sent 0 event(s), 0 rejected by the server, 0 pending."] })
    for (const changed of [
      [a, b, { ...c, size: 11 }],
      [a, b, { ...c, mtimeMs: 3_000.25 }]
    ]) {
      state.list(changed)
      fallsThrough(state.check())
    }
  })

  it("checks items that are not files (sessions in a database) by their version", () => {
    const state = setUp()
    const store = Checkpoints.open(state.paths.stateDir, SERVER)
    store.put("sqlite:s3", { sessionId: "s3", options: OPTIONS, version: "1700" })
    store.put("sqlite:s4", { sessionId: "s4", options: OPTIONS, version: "1800" })
    store.save()
    const items = [
      { key: "sqlite:s3", version: "1700", sessionId: "s3" },
      { key: "sqlite:s4", version: "1800", sessionId: "s4" }
    ]
    state.list([])
    const list = (listed: typeof items) => () => ({ files: [], items: listed })
    expect(state.check({ list: list(items) })).toEqual({
      lines: ["found 2/2", "Sent 0 event(s), 0 rejected by the server, 0 pending."]
    })
    const [s3, s4] = items as [(typeof items)[0], (typeof items)[0]]
    expect(fallsThrough(state.check({ list: list([s3, { ...s4, version: "1801" }]) }))).toBe("sqlite:s4 changed")
    expect(
      fallsThrough(state.check({ list: list([...items, { key: "sqlite:s5", version: "1", sessionId: "s5" }]) }))
    ).toBe("sqlite:s5 changed")
    expect(fallsThrough(state.check({ list: list([]) }))).toBe("no history")
  })

  it("falls through on a flag, another command, or changed settings", () => {
    const state = setUp()
    expect(fallsThrough(state.check({ args: ["import", "--again"] }))).toBe("not a bare import")
    expect(fallsThrough(state.check({ args: ["status"] }))).toBe("not a bare import")
    expect(fallsThrough(state.check({ version: "1.2.4" }))).toBe("settings changed")
    expect(fallsThrough(state.check({ env: { ...state.env, CLAUDE_SYNC_TOOL_CALLS: "0" } }))).toBe("settings changed")
    // Another history: the agent's own location variables are part of the settings
    expect(fallsThrough(state.check({ env: { ...state.env, CLAUDE_CONFIG_DIR: "/other/claude" } }))).toBe(
      "settings changed"
    )
    mkdirSync(state.paths.configDir, { recursive: true })
    writeFileSync(state.paths.configFile, '{"convexUrl":"http://elsewhere"}')
    expect(fallsThrough(state.check())).toBe("settings changed")
  })

  it("falls through when anything waits: inbox, follow-ups, set-aside items, outbox, a running sync, lost items", () => {
    const waiting = (make: (paths: Kit.Agent.StatePaths) => void) => {
      const state = setUp()
      expect(state.check()).toHaveProperty("lines")
      make(state.paths)
      return fallsThrough(state.check())
    }
    const file = (dir: string, name: string) => {
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, name), "x")
    }
    expect(waiting((paths) => file(paths.inbox, "1-1-1.hook"))).toContain("inbox")
    expect(waiting((paths) => file(paths.followUps, "f.json"))).toContain("followups")
    expect(waiting((paths) => file(paths.inboxBad, "1-1-1.hook"))).toContain("inbox-bad")
    expect(waiting((paths) => file(paths.tmp, "heartbeat-1.json"))).toContain("tmp")
    expect(waiting((paths) => file(join(paths.outbox, "pending"), "1.1.json"))).toContain("pending")
    expect(waiting((paths) => file(join(paths.outbox, "sending"), "owner"))).toContain("sending")
    expect(waiting((paths) => file(join(paths.outbox, "tmp"), "spool"))).toContain("tmp")
    expect(waiting((paths) => writeFileSync(paths.lock, "{}"))).toBe("a sync is running")
    expect(waiting((paths) => rmSync(Failures.failuresFile(paths)))).toBe("no failures file")
    expect(waiting((paths) => Failures.record(paths, "s9", "disk full", 1))).toBe("hook items to recover")
  })

  it("falls through when the stamp or the bookkeeping is damaged, or names another server or mapping", () => {
    const damaged = (make: (state: ReturnType<typeof setUp>) => void) => {
      const state = setUp()
      expect(state.check()).toHaveProperty("lines")
      make(state)
      return fallsThrough(state.check())
    }
    const index = (paths: Kit.Agent.StatePaths) => join(Checkpoints.directory(paths.stateDir), "index.json")
    expect(damaged(({ paths }) => writeFileSync(QuickImport.stampFile(paths), "{"))).toBe("no stamp")
    expect(damaged(({ paths }) => rmSync(QuickImport.stampFile(paths)))).toBe("no stamp")
    // A stamp of the format before (`v: 1`, its settings' digest a SHA-256) is not compared with today's fingerprint
    expect(
      damaged(({ env, paths }) =>
        writeFileSync(
          QuickImport.stampFile(paths),
          JSON.stringify({ v: 1, inputs: QuickImport.inputsOf(agent, env, VERSION), server: SERVER, options: OPTIONS })
        )
      )
    ).toBe("no stamp")
    expect(damaged(({ paths }) => writeFileSync(index(paths), '{"v":1,'))).toContain("changed")
    expect(damaged(({ paths }) => rmSync(index(paths)))).toContain("changed")
    // A stamp of other settings (its digest differs), and stamps whose digest matches but that resolved elsewhere.
    expect(
      damaged(({ paths }) =>
        QuickImport.record(paths, {
          inputs: QuickImport.inputsOf(agent, { HOME: "/elsewhere" }, VERSION) ?? "",
          server: SERVER,
          options: OPTIONS
        })
      )
    ).toBe("settings changed")
    expect(damaged((state) => state.restamp({ server: "http://other", options: OPTIONS }))).toContain("changed")
    expect(damaged((state) => state.restamp({ server: SERVER, options: "tools:0,thinking:0" }))).toContain("changed")
  })

  it("remembers an unchanged listing: the next check only stats the files, and lists again on any change", () => {
    const state = setUp()
    const old = new Date(Date.now() - 60_000)
    const project = join(state.paths.stateDir, "..", "projects")
    mkdirSync(project, { recursive: true })
    utimesSync(project, old, old)
    const index = join(Checkpoints.directory(state.paths.stateDir), "index.json")
    utimesSync(index, old, old)
    // The files the state lists must exist for their times to be checked: make them, and record what they are.
    const real = state.files.map((file, i) => {
      writeFileSync(file.path, "x".repeat(10 * (i + 1)))
      utimesSync(file.path, old, old)
      const stats = statSync(file.path)
      return { ...file, size: stats.size, mtimeMs: stats.mtimeMs }
    })
    const store = Checkpoints.open(state.paths.stateDir, SERVER)
    for (const file of real) {
      const { path, sessionId, size, mtimeMs } = file
      store.put(path, { sessionId, options: OPTIONS, size, mtimeMs, offset: size, tail: { start: 0, digest: "d" } })
    }
    store.save()
    utimesSync(index, old, old)
    state.list(real)
    state.watch([{ path: project, mtimeMs: statSync(project).mtimeMs }])
    expect(state.check()).toHaveProperty("lines")
    expect(state.listings()).toBe(1)
    expect(existsSync(QuickImport.listFile(state.paths))).toBe(true)
    expect(state.check()).toHaveProperty("lines")
    expect(state.listings()).toBe(1)

    // A file grown: no listing needed to see it.
    appendFileSync(real[0].path, "y")
    expect(fallsThrough(state.check())).toContain("changed")
    expect(state.listings()).toBe(1)
    writeFileSync(real[0].path, "x".repeat(10))
    utimesSync(real[0].path, old, old)
    expect(state.check()).toHaveProperty("lines")

    // A directory changed (an entry added): listed again, and the new file is a doubt.
    writeFileSync(join(project, "new.jsonl"), "z")
    state.list([...real, { path: join(project, "new.jsonl"), sessionId: "s3", size: 1, mtimeMs: Date.now() }])
    expect(fallsThrough(state.check())).toContain("new.jsonl changed")
    expect(state.listings()).toBe(2)

    // The index rewritten (a sync recorded something): listed and checked against it again.
    rmSync(join(project, "new.jsonl"))
    utimesSync(project, old, old)
    state.list(real)
    state.watch([{ path: project, mtimeMs: statSync(project).mtimeMs }])
    expect(state.check()).toHaveProperty("lines")
    const before = state.listings()
    expect(state.check()).toHaveProperty("lines")
    expect(state.listings()).toBe(before)
    const reopened = Checkpoints.open(state.paths.stateDir, SERVER)
    reopened.put(real[1].path, { ...(reopened.get(real[1].path) ?? checkpointOf(real[1])), size: 1 })
    reopened.save()
    expect(fallsThrough(state.check())).toContain("b.jsonl changed")
    expect(state.listings()).toBe(before + 1)

    // A damaged list is not trusted.
    writeFileSync(QuickImport.listFile(state.paths), "opensync-quick-list 1\tnot a list\n")
    expect(fallsThrough(state.check())).toContain("b.jsonl changed")
    expect(state.listings()).toBe(before + 2)
  })

  it("does not remember a listing of directories changed moments ago (file times are coarse)", () => {
    const state = setUp()
    const project = join(state.paths.stateDir, "..", "projects")
    mkdirSync(project, { recursive: true })
    state.watch([{ path: project, mtimeMs: statSync(project).mtimeMs }])
    expect(state.check()).toHaveProperty("lines")
    expect(existsSync(QuickImport.listFile(state.paths))).toBe(false)
  })
})
