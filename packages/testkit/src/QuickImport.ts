/**
 * The quick answer of `<cli> import` when nothing changed (`@opensync/client/kit/QuickImport`), end to end for an agent
 * that keeps a file per session (Codex, Gemini CLI): the built CLI, a real server, the agent's files in a temporary
 * HOME. An unchanged history is answered without loading the CLI's main bundle, with the lines the full import
 * prints; once the answer only `stat`s the files it listed last time (every folder it read is older than that listing),
 * each change the agent's case lists (a session in a new folder, a file grown, …) still falls through to the full
 * import, which reads it. Which bundle ran comes from a preload that logs every read of the main bundle
 * (`main-log.cjs`).
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { runNode } from "./Server.js"
import { agentEnv, serverForSuite } from "./SuiteServer.js"

/** Preloaded into a CLI (`node --require`), it appends to `$MAIN_LOG` every read of the CLI's main bundle. */
export const mainLog = resolve(__dirname, "main-log.cjs")

export interface QuickImportCase {
  /** The agent, as the tests' names say it. */
  readonly name: string
  /** The CLI's entry point (`dist/cli.mjs`). */
  readonly cli: string
  /** Its settings' prefix (`CODEX_SYNC`). */
  readonly envPrefix: string
  /** Its state directory under HOME (`.config/codex-sync`). */
  readonly stateDir: string
  /** Writes the history of a few sessions under `home`; returns how many sessions. */
  readonly history: (home: string) => number | Promise<number>
  /** What the import's summary calls the agent's files (`session file`). */
  readonly files: string
  /** The summary line of `sessions` found unchanged, when it is not the one of an agent that keeps files. */
  readonly unchanged?: (sessions: number, home: string) => string
  /** Whether the quick answer remembers its listing (of files and folders) for the next one: true by default. */
  readonly remembersListing?: boolean
  /** Changes to the history, each of which the quick answer must see. */
  readonly changes: ReadonlyArray<{
    readonly what: string
    readonly change: (home: string) => void | Promise<void>
    /** What the full import then finds: `3 sessions (1 new, 0 updated, 2 unchanged)`. */
    readonly found: string
  }>
  /**
   * Writes, among the agent's session files, a file that is not a session (binary bytes under a session file's name);
   * returns its path. The import leaves it out once, and the quick answer then still answers while it stays as it was.
   */
  readonly notASession?: (home: string) => string
  /**
   * Writes a new session file among the agent's (a whole session); returns its path. The case cuts it as the agent
   * leaves it while writing it: to half its first line (no session yet, nothing reported), then to half its last line
   * (the import reads the rest and says the line is unfinished, not malformed), and reads it once it is complete.
   */
  readonly newSession?: (home: string) => string
  /**
   * Damage to the history the quick answer must not hide (a store that cannot be read): the full import runs and fails
   * with `error`; once `repair` undoes it, the quick answer answers again.
   */
  readonly faults?: ReadonlyArray<{
    readonly what: string
    readonly fault: (home: string) => void | Promise<void>
    readonly error: RegExp
    readonly repair: (home: string) => void | Promise<void>
  }>
}

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** Whether the CLI's main bundle was loaded (the quick answer does not load it). */
  readonly full: boolean
}

/** `N sessions (0 new, 0 updated, N unchanged): read 0 <files>(s) (0.0 MiB), 0 event(s) queued.` */
const unchangedFiles = (sessions: number, files: string) =>
  `${sessions} session${sessions === 1 ? "" : "s"} (0 new, 0 updated, ${sessions} unchanged): ` +
  `read 0 ${files}(s) (0.0 MiB), 0 event(s) queued.`

/** Sets the time of every folder under `dir` (and of `dir`) an hour back: older than any listing made from now on. */
const ageFolders = (dir: string) => {
  const past = new Date(Date.now() - 3_600_000)
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) visit(join(folder, entry.name))
    }
    utimesSync(folder, past, past)
  }
  visit(dir)
}

export const describeQuickImport = (agent: QuickImportCase) =>
  describe(`${agent.name}: import of an unchanged history`, () => {
    const suite = serverForSuite("quick-import-")

    const makeHome = async () => {
      const server = suite.server()
      const home = suite.home()
      const sessions = await agent.history(home)
      let runs = 0
      const run = async (env: Record<string, string> = {}): Promise<Run> => {
        const log = join(home, `main-${runs++}.txt`)
        const ran = await runNode(["--require", mainLog, agent.cli, "import"], {
          ...agentEnv(home, agent.envPrefix, server),
          MAIN_LOG: log,
          ...env
        })
        return { ...ran, full: readFileSync(log, "utf8").includes("/dist/cli-main.cjs") }
      }
      const state = join(home, agent.stateDir)
      return {
        home,
        sessions,
        run,
        /** Ages every folder of the history and the bookkeeping's index, so that a listing of them is remembered. */
        age: () => {
          for (const entry of readdirSync(home, { withFileTypes: true })) {
            if (entry.isDirectory() && entry.name.startsWith(".") && entry.name !== ".cache")
              ageFolders(join(home, entry.name))
          }
          const past = new Date(Date.now() - 3_600_000)
          utimesSync(join(state, "imported", "index.json"), past, past)
        },
        listed: () => existsSync(join(state, "imported", "quick-list.tsv"))
      }
    }

    const expectRan = (run: Run, full: boolean) => {
      expect(run.stderr).toBe("")
      expect(run.code, run.stdout).toBe(0)
      expect(run.full).toBe(full)
    }

    it("is answered without loading the CLI, with the full import's lines", { timeout: 120_000 }, async () => {
      const { home, run, sessions } = await makeHome()
      const first = await run()
      expectRan(first, true)
      expect(first.stdout).toContain(`${sessions} sessions (${sessions} new, 0 updated, 0 unchanged): read ${sessions}`)
      const quick = await run()
      expectRan(quick, false)
      const unchanged = agent.unchanged?.(sessions, home) ?? unchangedFiles(sessions, agent.files)
      expect(quick.stdout).toBe(`${unchanged}\nSent 0 event(s), 0 rejected by the server, 0 pending.\n`)
      // A setting given another way (the same value) is a doubt: the full import runs, finds nothing new, and prints
      // what the quick answer printed.
      const full = await run({ [`${agent.envPrefix}_THINKING`]: "false" })
      expectRan(full, true)
      expect(full.stdout).toBe(quick.stdout)
    })

    for (const { what, change, found } of agent.changes) {
      const after =
        agent.remembersListing === false ? "after quick answers" : "also when it only stats the files it listed before"
      it(`sees ${what}, ${after}`, { timeout: 120_000 }, async () => {
        const home = await makeHome()
        expectRan(await home.run(), true)
        // Folders older than the listing: the quick answer remembers it, and the next one only stats the files.
        home.age()
        expectRan(await home.run(), false)
        expect(home.listed()).toBe(agent.remembersListing ?? true)
        expectRan(await home.run(), false)
        await change(home.home)
        const after = await home.run()
        expectRan(after, true)
        expect(after.stdout).toContain(found)
        const again = await home.run()
        expectRan(again, false)
        expect(again.stdout).toMatch(/\(0 new, 0 updated, \d+ unchanged\)/)
      })
    }

    const { notASession } = agent
    if (notASession !== undefined) {
      it("leaves a file that is not a session out once, and answers while it stays as it was", {
        timeout: 120_000
      }, async () => {
        // (every import read it again, said it skipped it, and the quick answer never answered again)
        const home = await makeHome()
        expectRan(await home.run(), true)
        const path = notASession(home.home)
        const skipped = await home.run()
        expect(skipped.code, skipped.stdout).toBe(0)
        expect(skipped.full).toBe(true)
        expect(skipped.stderr).toContain(`skipped ${path}: not a`)
        expect(skipped.stdout).toContain("1 file(s) skipped")
        const unchanged = `${agent.unchanged?.(home.sessions, home.home) ?? unchangedFiles(home.sessions, agent.files)}\n`
        const quick = await home.run()
        expectRan(quick, false)
        // Not counted as a session, nor said again.
        expect(quick.stdout).toBe(`${unchanged}Sent 0 event(s), 0 rejected by the server, 0 pending.\n`)
        // Also once the quick answer only stats the files it listed.
        home.age()
        expectRan(await home.run(), false)
        expect(home.listed()).toBe(agent.remembersListing ?? true)
        const listed = await home.run()
        expectRan(listed, false)
        expect(listed.stdout).toBe(quick.stdout)
        // Changed, it is read again.
        appendFileSync(path, Buffer.from([0x00, 0xff, 0x0a]))
        const changed = await home.run()
        expect(changed.full).toBe(true)
        expect(changed.stderr).toContain(`skipped ${path}: not a`)
        expectRan(await home.run(), false)
      })
    }

    const { newSession } = agent
    if (newSession !== undefined) {
      it("a session being written: a half first line is no session yet, a half last line is said unfinished", {
        timeout: 120_000
      }, async () => {
        // (the line was counted as malformed)
        const home = await makeHome()
        expectRan(await home.run(), true)
        const path = newSession(home.home)
        const whole = readFileSync(path, "utf8")
        // Its first line half written: no session yet, and nothing to report (it was said skipped, not a session)
        writeFileSync(path, whole.slice(0, Math.floor(whole.indexOf("\n") / 2)))
        const starting = await home.run()
        expect(starting.code, starting.stderr).toBe(0)
        expect(starting.stderr).not.toContain("skipped")
        expect(starting.stdout).toContain(`${home.sessions} sessions (0 new, 0 updated, ${home.sessions} unchanged)`)
        const lastStart = whole.trimEnd().lastIndexOf("\n") + 1
        const cut = lastStart + Math.floor((whole.length - lastStart) / 2)
        writeFileSync(path, whole.slice(0, cut))
        const writing = await home.run()
        expect(writing.code, writing.stderr).toBe(0)
        expect(writing.stdout).toContain(
          `${home.sessions + 1} sessions (1 new, 0 updated, ${home.sessions} unchanged): read 1 ${agent.files}(s)`
        )
        expect(writing.stdout).toContain(", 1 unfinished last line(s) (read once complete).")
        expect(writing.stdout).not.toContain("malformed")
        appendFileSync(path, whole.slice(cut))
        const complete = await home.run()
        expect(complete.code, complete.stderr).toBe(0)
        expect(complete.stdout).toContain(`(0 new, 1 updated, ${home.sessions} unchanged): read 1 ${agent.files}(s)`)
        expect(complete.stdout).not.toContain("unfinished")
        expect(complete.stdout).not.toContain("malformed")
        expectRan(await home.run(), false)
      })
    }

    for (const { what, fault, error, repair } of agent.faults ?? []) {
      it(`does not answer for ${what}: the full import says what is wrong`, { timeout: 120_000 }, async () => {
        const home = await makeHome()
        expectRan(await home.run(), true)
        expectRan(await home.run(), false)
        await fault(home.home)
        const damaged = await home.run()
        expect(damaged.full).toBe(true)
        expect(damaged.code).toBe(1)
        expect(damaged.stderr).toMatch(error)
        await repair(home.home)
        const repaired = await home.run()
        expectRan(repaired, false)
        expect(repaired.stdout).toMatch(/\(0 new, 0 updated, \d+ unchanged\)/)
      })
    }
  })
