import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Kit } from "@opensync/client"
import * as LocalState from "@opensync/client/kit/LocalState"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { agent } from "../src/Agent.js"
import * as Source from "../src/Source.js"

/*
 * A Codex subagent runs in a thread of its own, with a session file of its own whose `session_meta` names the parent
 * (`source.subagent.thread_spawn.parent_thread_id`), filed under the day it was spawned: beside its parent's, or under
 * a later day. The hooks name the parent's file, so the re-read after the parent's turn reads its subagents' files too.
 */

const fixture = (name: string) => join(__dirname, "fixtures", name)
const PARENT = "01a24400-0000-7000-8000-0000000000aa"
const CHILD = "01a24400-0000-7000-8000-000000000044"
const OTHER = "01a24126-d071-7d40-b1a6-dce6c095a6d9"

describe("Codex subagent session files", () => {
  let home: string
  let day: string
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "codex-subagents-"))
    day = join(home, ".codex", "sessions", "2026", "12", "02")
    mkdirSync(day, { recursive: true })
    // The parent: the captured 0.171.0 session under the id its subagent names; an unrelated session beside it.
    const parent = readFileSync(fixture("rollout-0.171.0.jsonl"), "utf8").replaceAll(OTHER, PARENT)
    writeFileSync(join(day, `rollout-2026-12-02T09-59-00-${PARENT}.jsonl`), parent)
    copyFileSync(fixture("subagent-duplicate-record.jsonl"), join(day, `rollout-2026-12-02T10-00-00-${CHILD}.jsonl`))
    copyFileSync(fixture("rollout-0.171.0.jsonl"), join(day, `rollout-2026-12-02T11-00-00-${OTHER}.jsonl`))
  })
  afterEach(() => rmSync(home, { recursive: true, force: true }))

  it("the re-read after the parent's turn reads its subagents' files, and only theirs", async () => {
    const env = { HOME: home, CODEX_SYNC_STATE_DIR: join(home, "state") }
    const layer = Source.layer.pipe(Layer.provide(LocalState.layer(agent, env)))
    const events = await Effect.runPromise(
      Effect.flatMap(Kit.SessionSource.SessionSource, (source) =>
        source.followUp(
          { sessionId: PARENT, path: join(day, `rollout-2026-12-02T09-59-00-${PARENT}.jsonl`) },
          { syncToolCalls: true, syncThinking: false }
        )
      ).pipe(Effect.provide(layer))
    )
    expect(new Set(events.map((e) => e.sessionId))).toEqual(new Set([PARENT, CHILD]))
    expect(events.find((e) => e.kind === "session" && e.sessionId === CHILD)).toMatchObject({
      parentSessionId: PARENT
    })
    expect(events.some((e) => e.kind === "message" && e.sessionId === CHILD && e.role === "assistant")).toBe(true)
  })
})

describe("Codex subagent session files filed under a later day", () => {
  let home: string
  let sessions: string
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "codex-subagents-days-"))
    sessions = join(home, ".codex", "sessions")
  })
  afterEach(() => rmSync(home, { recursive: true, force: true }))

  /** Files a session file under `folder`: a day's (`YYYY/MM/DD`), or `archived_sessions`. */
  const put = (folder: string, name: string, text: string): string => {
    const dir = folder === "archived_sessions" ? join(home, ".codex", folder) : join(sessions, folder)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }
  const parentText = () => readFileSync(fixture("rollout-0.171.0.jsonl"), "utf8").replaceAll(OTHER, PARENT)
  const childText = (id: string) =>
    readFileSync(fixture("subagent-duplicate-record.jsonl"), "utf8").replaceAll(CHILD, id)

  const followUp = (path: string) => {
    const env = { HOME: home, CODEX_SYNC_STATE_DIR: join(home, "state") }
    const layer = Source.layer.pipe(Layer.provide(LocalState.layer(agent, env)))
    return Effect.runPromise(
      Effect.flatMap(Kit.SessionSource.SessionSource, (source) =>
        source.followUp({ sessionId: PARENT, path }, { syncToolCalls: true, syncThinking: false })
      ).pipe(Effect.provide(layer))
    )
  }

  it("the re-read after the parent's turn reads a subagent spawned after midnight, in the next day's folder", async () => {
    const parent = put("2026/12/01", `rollout-2026-12-01T23-59-00-${PARENT}.jsonl`, parentText())
    put("2026/12/02", `rollout-2026-12-02T00-01-00-${CHILD}.jsonl`, childText(CHILD))
    const events = await followUp(parent)
    expect(new Set(events.map((e) => e.sessionId))).toEqual(new Set([PARENT, CHILD]))
    expect(events.find((e) => e.kind === "session" && e.sessionId === CHILD)).toMatchObject({
      parentSessionId: PARENT
    })
  })

  it("and one in a session resumed days later, and one archived since", async () => {
    const parent = put("2026/11/28", `rollout-2026-11-28T10-00-00-${PARENT}.jsonl`, parentText())
    put(
      "2026/11/30",
      `rollout-2026-11-30T10-00-00-${OTHER}.jsonl`,
      readFileSync(fixture("rollout-0.171.0.jsonl"), "utf8")
    )
    put("2027/01/03", `rollout-2027-01-03T10-00-00-${CHILD}.jsonl`, childText(CHILD))
    const archived = CHILD.replace(/44$/, "45")
    put("archived_sessions", `rollout-2026-11-29T10-00-00-${archived}.jsonl`, childText(archived))
    const events = await followUp(parent)
    expect(new Set(events.map((e) => e.sessionId))).toEqual(new Set([PARENT, CHILD, archived]))
  })
})
