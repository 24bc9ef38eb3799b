/**
 * The sync after a turn of a long session, end to end for an agent that keeps a file per session (Codex, Gemini CLI):
 * the built hook and CLI, a real server, the agent's session file in a temporary HOME. The hook that ends a turn names
 * the file; the sync after it reads the file whole (with its subagents' files) but sends only the events the last read
 * did not queue: what the turn added, not the whole session again. The server still holds the whole session, a sync
 * after a turn that added nothing sends nothing, and an `import` after live sync finds the file unchanged. A file of
 * `memoFromBytes` or more is read on from where its last read stopped (`Kit.Memo`), and `import --again` reads it from
 * its start.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { getSession, type Ran, runNode, startServer } from "./Server.js"
import { agentEnv, serverForSuite } from "./SuiteServer.js"

export interface TurnSyncCase {
  /** The agent, as the tests' names say it. */
  readonly name: string
  /** The CLI's entry point (`dist/cli.mjs`) and the hook's (`dist/hook.cjs`). */
  readonly cli: string
  readonly hook: string
  /** Its settings' prefix (`CODEX_SYNC`). */
  readonly envPrefix: string
  /** The session's id, as the file and the hooks name it. */
  readonly sessionId: string
  /**
   * Writes the session's file under `home` with `turns` turns, as the agent appends them (a file of more turns starts
   * with the lines of one of fewer); returns its path.
   */
  readonly write: (home: string, turns: number) => string
  /** The hook that ends a turn (its name) and its stdin, for the session's file at `path`. */
  readonly turnEnd: (path: string) => { readonly hook: string; readonly stdin: unknown }
  /** The size from which the agent's reader keeps a memo of its last read (its `MEMO_FROM_BYTES`). */
  readonly memoFromBytes: number
  /** How many turns make a file of at least `memoFromBytes`. */
  readonly memoTurns: number
  /** Rewrites the first turn's prompt in a file's text, in place (same length), to `text`. */
  readonly firstPrompt: { readonly rewrite: (text: string) => string; readonly text: string }
}

/** How many events a sync's report says it sent. */
const sentOf = (run: Ran): number => {
  const match = /Sent (\d+) event\(s\), 0 rejected by the server, 0 pending\./.exec(run.stdout)
  if (match === null) throw new Error(`no report of what was sent:\n${run.stdout}${run.stderr}`)
  return Number(match[1])
}

export const describeTurnSync = (agent: TurnSyncCase) =>
  describe(`${agent.name}: the sync after a turn of a long session`, () => {
    const suite = serverForSuite("turn-sync-")

    const makeHome = () => {
      const server = suite.server()
      const home = suite.home()
      const env = agentEnv(home, agent.envPrefix, server)
      const run = (script: string, args: ReadonlyArray<string>, stdin = "", more: Record<string, string> = {}) =>
        runNode([script, ...args], { ...env, ...more }, stdin)
      /** The turn-ending hook for the file as it is, then a sync (with `more` settings): what it sent. */
      const turn = async (path: string, more: Record<string, string> = {}) => {
        const { hook, stdin } = agent.turnEnd(path)
        const hooked = await run(agent.hook, [hook], JSON.stringify(stdin), more)
        expect(hooked.code).toBe(0)
        expect(hooked.stdout).toBe("")
        const synced = await run(agent.cli, ["sync"], "", more)
        expect(synced.stderr).toBe("")
        expect(synced.code, synced.stdout).toBe(0)
        return sentOf(synced)
      }
      return { home, run, turn }
    }

    it("sends what the turn added, and the server holds the whole session", { timeout: 120_000 }, async () => {
      const { home, run, turn } = makeHome()
      const first = await turn(agent.write(home, 40))
      expect(first).toBeGreaterThan(100)
      const stored = await getSession(suite.server(), agent.sessionId)
      // One more turn: a few events, not the session's again.
      const second = await turn(agent.write(home, 41))
      expect(second).toBeGreaterThan(0)
      expect(second).toBeLessThan(first / 10)
      const after = await getSession(suite.server(), agent.sessionId)
      expect(after?.detail.messages.length).toBeGreaterThan(stored?.detail.messages.length ?? 0)
      // A turn that added nothing to the file sends nothing.
      expect(await turn(agent.write(home, 41))).toBe(0)
      // `import` after live sync: the file is as the last sync read it.
      const imported = await run(agent.cli, ["import"])
      expect(imported.code, imported.stderr).toBe(0)
      expect(imported.stdout).toMatch(/^1 session \(0 new, 0 updated, 1 unchanged\): read 0 /m)
      expect(imported.stdout).toContain("Sent 0 event(s), 0 rejected by the server, 0 pending.")
      // The server held the whole session: sending all of it again changes nothing.
      const whole = await run(agent.cli, ["import", "--again"])
      expect(whole.code, whole.stderr).toBe(0)
      expect(sentOf(whole)).toBeGreaterThan(first)
      expect((await getSession(suite.server(), agent.sessionId))?.raw).toBe(after?.raw)
    })

    it("reads a long session's file on from its last read; `import --again` reads it from its start", {
      timeout: 120_000
    }, async () => {
      const { home, run, turn } = makeHome()
      const path = agent.write(home, agent.memoTurns)
      expect(statSync(path).size).toBeGreaterThanOrEqual(agent.memoFromBytes)
      expect(await turn(path)).toBeGreaterThan(100)
      expect(await turn(agent.write(home, agent.memoTurns + 1))).toBeLessThan(20)
      const texts = async () =>
        (await getSession(suite.server(), agent.sessionId))?.detail.messages.map((message) => message.text)
      // The first prompt rewritten in place (agents only append): the sync after a turn goes on from where the last
      // read stopped, so it does not see the change; `import --again` reads the file from its start and does.
      const text = readFileSync(path, "utf8")
      const rewritten = agent.firstPrompt.rewrite(text)
      expect(rewritten.length).toBe(text.length)
      expect(rewritten).not.toBe(text)
      writeFileSync(path, rewritten)
      expect(await turn(path)).toBe(0)
      expect(await texts()).not.toContain(agent.firstPrompt.text)
      const again = await run(agent.cli, ["import", "--again"])
      expect(again.code, again.stderr).toBe(0)
      expect(await texts()).toContain(agent.firstPrompt.text)
    })

    it("sends the whole session to another server, though the file is read on from its memo", {
      timeout: 120_000
    }, async () => {
      const { home, run, turn } = makeHome()
      expect(await turn(agent.write(home, agent.memoTurns))).toBeGreaterThan(100)
      expect(await turn(agent.write(home, agent.memoTurns + 1))).toBeLessThan(20)
      // The same HOME pointed at another server: the memo the last sync left was queued for the first one only.
      const other = await startServer()
      try {
        const elsewhere = { [`${agent.envPrefix}_CONVEX_URL`]: other.url, [`${agent.envPrefix}_API_KEY`]: other.key }
        expect(await turn(agent.write(home, agent.memoTurns + 2), elsewhere)).toBeGreaterThan(100)
        // Its next turn goes on from the memo that sync left, recorded for the other server.
        expect(await turn(agent.write(home, agent.memoTurns + 3), elsewhere)).toBeLessThan(20)
        const there = await getSession(other, agent.sessionId)
        const here = await getSession(suite.server(), agent.sessionId)
        expect(there?.detail.messages.length).toBeGreaterThan(here?.detail.messages.length ?? 0)
        // What the other server holds is the whole session: reading all of it again adds nothing.
        const whole = await run(agent.cli, ["import", "--again"], "", elsewhere)
        expect(whole.code, whole.stderr).toBe(0)
        expect((await getSession(other, agent.sessionId))?.raw).toBe(there?.raw)
      } finally {
        await other.stop()
      }
    })

    it("sends the whole session again after `import --again`, and after a change of settings", {
      timeout: 120_000
    }, async () => {
      const { home, run, turn } = makeHome()
      const first = await turn(agent.write(home, 40))
      const again = await run(agent.cli, ["import", "--again"])
      expect(again.code, again.stderr).toBe(0)
      expect(again.stdout).toContain(`Sent ${first} event(s), 0 rejected by the server, 0 pending.`)
      // Other settings (thinking synced): what was read with the others is not taken as queued.
      const thinking = { [`${agent.envPrefix}_THINKING`]: "true" }
      expect(await turn(agent.write(home, 41), thinking)).toBeGreaterThan(first)
    })
  })
