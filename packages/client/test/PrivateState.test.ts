import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { paths as statePaths } from "../src/kit/Agent.js"
import * as HotPath from "../src/kit/HotPath.js"
import * as Outbox from "../src/Outbox.js"

// Queued events hold prompts and replies: other users of the machine must not read them, whatever the umask
const roots: Array<string> = []
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "private-state-"))
  roots.push(dir)
  return dir
}
let umask = 0
beforeAll(() => {
  umask = process.umask(0o022)
})
afterAll(() => {
  process.umask(umask)
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true })
})

const modeOf = (target: string) => fs.statSync(target).mode & 0o777

/** Every folder and file under `root` with a mode that lets others in. */
const openToOthers = (root: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  const walk = (at: string) => {
    if ((modeOf(at) & 0o077) !== 0) found.push(`${path.relative(root, at) || "."} ${modeOf(at).toString(8)}`)
    if (fs.statSync(at).isDirectory()) for (const name of fs.readdirSync(at)) walk(path.join(at, name))
  }
  walk(root)
  return found
}

describe("the client's state is its owner's only (umask 022)", () => {
  it.effect("an outbox made in a new folder: its folders 0700, its files 0600", () =>
    Effect.gen(function* () {
      const state = path.join(tempDir(), "claude-code-sync")
      const outbox = yield* Effect.provide(Outbox.Outbox, Outbox.layer(path.join(state, "outbox")))
      yield* outbox.append([{ id: "e1", text: "a prompt" }])
      expect(openToOthers(state)).toEqual([])
      expect(fs.readdirSync(path.join(state, "outbox", "pending")).length).toBe(1)
    })
  )

  it.effect("an outbox whose folders an older version made 0755 is made private when opened", () =>
    Effect.gen(function* () {
      const root = path.join(tempDir(), "outbox")
      for (const sub of ["", "pending", "tmp"]) fs.mkdirSync(path.join(root, sub), { recursive: true, mode: 0o755 })
      expect(modeOf(path.join(root, "pending"))).toBe(0o755)
      const outbox = yield* Effect.provide(Outbox.Outbox, Outbox.layer(root))
      yield* outbox.append([{ id: "e1" }])
      expect(openToOthers(root)).toEqual([])
    })
  )

  it("login and setup make the state folder private, and the log is written 0600", () => {
    const home = tempDir()
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") }
    const agent = { source: { cli: "claude-code-sync", envPrefix: "CLAUDE_CODE_SYNC" } } as Parameters<
      typeof statePaths
    >[0]
    const paths = statePaths(agent, env)
    fs.mkdirSync(paths.stateDir, { recursive: true, mode: 0o755 })
    HotPath.prepareState(paths)
    HotPath.log(paths, "a line")
    expect(openToOthers(paths.stateDir)).toEqual([])
  })
})
