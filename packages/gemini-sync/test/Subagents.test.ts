import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Kit } from "@opensync/client"
import * as LocalState from "@opensync/client/kit/LocalState"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { agent } from "../src/Agent.js"
import * as History from "../src/History.js"
import * as Source from "../src/Source.js"

/*
 * Gemini CLI 0.61.0 writes a subagent's chat in a folder named after the session that started it:
 * `chats/<parent session id>/<subagent session id>.jsonl` (header `kind: "subagent"`), and no hook names that file.
 * Its replies are billed like any other, so they are read with their parent's chat and by `import`.
 */

const fixture = (name: string) => join(__dirname, "fixtures", name)
const PARENT = "cc98f61b-6879-46fe-b3fe-8bbecc04c361"
const SUBAGENT = "b3c41f0e-2d7a-4c9b-8e61-0f5a9d2e7c13"

const subagentChat = [
  { sessionId: SUBAGENT, projectHash: "x", startTime: "2026-12-04T17:13:50.000Z", kind: "subagent" },
  { id: "s-u1", timestamp: "2026-12-04T17:13:50.001Z", type: "user", content: [{ text: "Investigate hello.txt" }] },
  {
    id: "s-g1",
    timestamp: "2026-12-04T17:13:52.000Z",
    type: "gemini",
    content: "It holds one line.",
    thoughts: [],
    tokens: { input: 1_200, output: 15, cached: 1_000, thoughts: 5, tool: 0, total: 1_220 },
    model: "gemini-3.8-flash"
  }
]
  .map((record) => JSON.stringify(record))
  .join("\n")

describe("Gemini CLI subagent chats", () => {
  let home: string
  let chats: string
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "gemini-subagents-"))
    chats = join(home, ".gemini", "tmp", "gproj", "chats")
    mkdirSync(join(chats, PARENT), { recursive: true })
    copyFileSync(fixture("projects.json"), join(home, ".gemini", "projects.json"))
    copyFileSync(fixture("session-tools-0.61.0.jsonl"), join(chats, "session-2026-12-04T17-13-cc98f61b.jsonl"))
    writeFileSync(join(chats, PARENT, `${SUBAGENT}.jsonl`), subagentChat)
  })
  afterEach(() => rmSync(home, { recursive: true, force: true }))

  const options = { syncToolCalls: true, syncThinking: false }

  it("`import` finds them; each names its parent and its project", async () => {
    const env = { HOME: home }
    const found = await Effect.runPromise(History.discover(env))
    expect(found.map((file) => file.sessionId).sort()).toEqual([SUBAGENT, PARENT].sort())
    const sub = found.find((file) => file.sessionId === SUBAGENT)!
    const read = await Effect.runPromise(History.readChatFile(sub.path, sub.sessionId, options, env))
    expect(read.session).toMatchObject({
      id: SUBAGENT,
      kind: "subagent",
      parentId: PARENT,
      cwd: "/home/dev/projects/gproj"
    })
    expect(read.events.find((e) => e.kind === "session")).toMatchObject({
      sessionId: SUBAGENT,
      parentSessionId: PARENT,
      projectPath: "/home/dev/projects/gproj"
    })
  })

  /** The events of the re-read after a turn of the parent. */
  const followUpOfParent = () => {
    const env = { HOME: home, GEMINI_SYNC_STATE_DIR: join(home, "state") }
    const layer = Source.layer.pipe(Layer.provide(LocalState.layer(agent, env)))
    const main = join(chats, "session-2026-12-04T17-13-cc98f61b.jsonl")
    return Effect.runPromise(
      Effect.flatMap(Kit.SessionSource.SessionSource, (source) =>
        source.followUp({ sessionId: PARENT, path: main }, options)
      ).pipe(Effect.provide(layer))
    )
  }

  it("an older `.json` chat cut short is unreadable for now, said at each import, not remembered as no chat", async () => {
    const env = { HOME: home, GEMINI_SYNC_STATE_DIR: join(home, "state") }
    const layer = Source.layer.pipe(Layer.provide(LocalState.layer(agent, env)))
    const json = join(chats, "session-2026-09-01T08-00-5d2c1f3a.json")
    const whole = readFileSync(fixture("session-2026-09-01T08-00-5d2c1f3a.json"), "utf8")
    writeFileSync(json, whole.slice(0, Math.floor(whole.length / 2)))
    const reads = await Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(Kit.SessionSource.SessionSource, (source) =>
          Effect.flatMap(source.history(options), (history) =>
            Effect.forEach(
              history.items.filter((item) => item.label === json),
              (item) => item.read
            )
          )
        )
      ).pipe(Effect.provide(layer))
    )
    expect(reads).toHaveLength(1)
    expect(reads[0]).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^unreadable: not valid JSON \(cut short/)
    })
    expect(reads[0]).not.toHaveProperty("notASession")
  })

  it("the re-read after a turn of the parent reads its subagents' chats too", async () => {
    const events = await followUpOfParent()
    const sessions = new Set(events.map((e) => e.sessionId))
    expect(sessions).toEqual(new Set([PARENT, SUBAGENT]))
    const reply = events.find((e) => e.kind === "message" && e.sessionId === SUBAGENT && e.role === "assistant")
    expect(reply).toMatchObject({
      text: "It holds one line.",
      usage: { input: 200, cacheRead: 1_000, output: 15, reasoning: 5 }
    })
  })

  it("a subagent chat that cannot be read now leaves out only that chat: the parent and the other subagents are read", async () => {
    // 3 GiB of NULs (a sparse file: no disk is used): no header, no line a reader can parse.
    const unreadable = join(chats, PARENT, "d0e1f2a3-0000-4000-8000-000000000001.jsonl")
    writeFileSync(unreadable, "")
    truncateSync(unreadable, 3 * 1024 ** 3)
    const events = await followUpOfParent()
    expect(new Set(events.map((e) => e.sessionId))).toEqual(new Set([PARENT, SUBAGENT]))
    expect(events.some((e) => e.kind === "message" && e.sessionId === SUBAGENT && e.role === "assistant")).toBe(true)
  })
})
