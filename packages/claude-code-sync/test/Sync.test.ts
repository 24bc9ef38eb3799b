import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Kit, Outbox } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { agent } from "../src/Agent.js"
import * as Source from "../src/Source.js"

const fixtures = join(import.meta.dirname, "fixtures")

interface HookLine {
  readonly run: string
  readonly hook_event_name: string
  readonly payload: Record<string, unknown>
}

/** A temp state dir with the `settings` run's hook payloads stored as the hook stores them. */
const setup = () => {
  const home = mkdtempSync(join(tmpdir(), "ccs-sync-"))
  const env = { HOME: home, CLAUDE_SYNC_STATE_DIR: join(home, "state") }
  const transcript = join(home, "transcript.jsonl")
  copyFileSync(join(fixtures, "claude-transcript.jsonl"), transcript)
  const paths = Kit.Agent.paths(agent, env)
  const inbox = paths.inbox
  mkdirSync(inbox, { recursive: true })
  const lines = readFileSync(join(fixtures, "claude-hooks.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as HookLine)
    .filter((line) => line.run === "settings" && line.hook_event_name !== "SubagentStop")
  lines.forEach((line, i) => {
    const payload = { ...line.payload, transcript_path: transcript }
    writeFileSync(
      join(inbox, `${String(1_790_000_000_000 + i).padStart(13, "0")}-1-${i}.hook`),
      `${JSON.stringify({ hook: line.hook_event_name, receivedAt: 1_790_000_000_000 + i * 1000 })}\n${JSON.stringify(payload)}`
    )
  })
  writeFileSync(
    join(inbox, "1790000000999-1-bad.hook"),
    `${JSON.stringify({ hook: "Stop", receivedAt: 1 })}\n{ not json`
  )
  const layer = Source.layer.pipe(Layer.provideMerge(Kit.Main.layer(agent, env)))
  return { env, paths, layer, home, payloads: lines.length }
}

describe("Sync", () => {
  it.effect("turns stored hook payloads and the transcript into redacted events in the outbox", () => {
    const { env, paths, layer, payloads } = setup()
    return Effect.gen(function* () {
      const report = yield* Kit.Sync.processInbox({ syncToolCalls: true, syncThinking: false })
      expect(report.inboxItems).toBe(payloads)
      expect(report.unreadable).toBe(1)
      expect(report.followUps).toBe(1)
      const stats = yield* (yield* Outbox.Outbox).stats()
      expect(stats.pending).toBe(report.eventsQueued)
      expect(readdirSync(paths.inbox)).toEqual([])
      expect(readdirSync(join(env.CLAUDE_SYNC_STATE_DIR, "inbox-bad"))).toEqual(["1790000000999-1-bad.hook"])
      expect(readFileSync(paths.log, "utf8")).toContain("hook stdin is not JSON")
      const sent: Array<unknown> = []
      yield* (yield* Outbox.Outbox).drain((events) =>
        Effect.sync(() => {
          sent.push(...events)
          return { stored: events.map((e) => (e as { id: string }).id), duplicates: [], stale: [], rejected: [] }
        })
      )
      const kinds = sent.map((e) => (e as { kind: string }).kind)
      // hooks: session start + end, the prompt, 4 tool calls; transcript: its session, 9 messages, the same 4 calls
      expect(kinds.filter((k) => k === "session").length).toBe(3)
      expect(kinds.filter((k) => k === "message").length).toBe(10)
      expect(kinds.filter((k) => k === "tool_call").length).toBe(8)
      expect(sent.length).toBe(21)
      const text = JSON.stringify(sent)
      expect(text).not.toContain("hello from fake model")
      expect(existsSync(paths.lock)).toBe(false)
    }).pipe(Effect.provide(layer))
  })

  it.effect("without a configured server, sync keeps everything queued and says how to fix it", () => {
    const { paths, layer } = setup()
    return Effect.gen(function* () {
      const report = yield* Kit.Sync.run
      expect(report.error).toBe("Not configured: run `claude-code-sync login`. Events stay queued until then.")
      expect(report.pending).toBe(report.eventsQueued)
      expect(report.delivered).toBe(0)
      expect(existsSync(paths.lock)).toBe(false)
    }).pipe(Effect.provide(layer))
  })
})
