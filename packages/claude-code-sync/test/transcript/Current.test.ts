/**
 * The reader on what Claude Code 2.1.332 (the current release) writes: background subagents that report back through a
 * synthetic `<task-notification>` turn, the system prompt, tool definitions and CLAUDE.md written into the transcript,
 * and Claude Code's own cumulative cost (`cost-state`) to check our totals against. Fixtures are copies of
 * shared/fixtures/real-clients/claude-2.1.332 (same scenario as the 2.1.197 ones, then `--resume … -p /compact`).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it, vi } from "@effect/vitest"
import { Event, Pricing, Usage } from "@opensync/domain"
import * as Either from "effect/Either"
import * as Hooks from "../../src/Hooks.js"
import * as Transcript from "../../src/transcript/index.js"
import { ingest } from "../support/Ingest.js"
import * as RealTranscripts from "../support/RealTranscripts.js"

const real = RealTranscripts.v2_1_332
const dir = join(RealTranscripts.fixtures, "claude-2.1.332")
const FINAL = "All done: ran 4 tool steps (echo, write, a failing ls, a subagent)."
/** The notification turn's own prompt id (hooks and transcript); the notification message is named by its text. */
const NOTIFICATION_PROMPT_ID = "6cfc0b6a-6313-4a07-bf46-af8531559988"

const main = Transcript.readSession(Transcript.parseLines(real.main).lines, { syncThinking: false })
const subagent = Transcript.readSession(Transcript.parseLines(real.subagent).lines, {
  syncThinking: false,
  source: "subagent",
  agentId: real.agentId
})
const options = { sessionId: real.sessionId, source: "claude-code", syncToolCalls: true }
const mainEvents = Transcript.toEvents(main, options)
const subagentEvents = Transcript.toEvents(subagent, { ...options, agentId: real.agentId })

const rawLines = (text: string) => text.split("\n").filter((line) => line.trim() !== "")

/** Claude Code's own figures at the end of the first run (before `/compact`): main thread + subagent. */
const costState = (() => {
  const line = rawLines(real.main).find((l) => l.startsWith('{"type":"cost-state"'))
  const state = JSON.parse(line ?? "{}") as {
    totalCostUSD: number
    modelUsage: Record<
      string,
      {
        inputTokens: number
        outputTokens: number
        cacheReadInputTokens: number
        cacheCreationEphemeral5mInputTokens: number
        cacheCreationEphemeral1hInputTokens: number
      }
    >
  }
  return state
})()

describe("a Claude Code 2.1.332 session with a background subagent and /compact", () => {
  it("stores the task notification as a notification, commands and their output as such, in file order", () => {
    expect(main.messages.map((m) => [m.role, m.subtype, m.text.split("\n")[0]])).toEqual([
      ["user", null, "Please do the demo task."],
      ["assistant", null, "Step 1: using Bash."],
      ["assistant", null, "Step 2: using Write."],
      ["assistant", null, "Step 3: using Bash."],
      ["assistant", null, "Step 4: using Agent."],
      ["assistant", null, FINAL],
      ["system", "notification", 'Agent "Say done" finished'],
      ["assistant", null, FINAL],
      [
        "system",
        "summary",
        "This session is being continued from a previous conversation that ran out of context. The summary below covers the earlier portion of the conversation."
      ],
      ["user", "command", "/compact"],
      [
        "system",
        "command-output",
        `Compacted PreCompact ["${"$"}{CLAUDE_PLUGIN_ROOT}/hooks/log.sh" PreCompact] completed successfully`
      ]
    ])
    const notification = main.messages[6]
    expect(notification.id).toMatch(/^notification_[0-9a-f]{32}$/)
    expect(notification).toMatchObject({
      text: 'Agent "Say done" finished\n\nSUBAGENT_DONE: done.'
    })
    expect(notification.parts).toEqual([{ type: "text", text: notification.text }])
    // None of the notification's XML and bookkeeping (task id, output file, token note) is kept.
    expect(JSON.stringify(mainEvents)).not.toContain("<task-notification>")
    expect(JSON.stringify(mainEvents)).not.toContain("tasks/a010bbeee9f532d40.output")
    expect(main.title).toBe("Please do the demo task.")
    expect(main.version).toBe("2.1.332")
  })

  it("labels the subagent's prompt as written by the parent agent", () => {
    expect(subagent.messages.map((m) => [m.role, m.subtype, m.agentId, m.text])).toEqual([
      ["user", "delegation", real.agentId, "SUBAGENT_TASK: reply with the single word done."],
      ["assistant", null, real.agentId, "SUBAGENT_DONE: done."]
    ])
  })

  it("counts every response once, the reply to the notification too: main + subagent = Claude Code's cost-state", () => {
    const replies = main.messages.filter((m) => m.text === FINAL)
    expect(replies.map((m) => m.id)).toEqual(["msg_fakef669ca8ec2f7eaa4c5", "msg_fake50d7439f9005a25351"])
    for (const reply of replies) expect(reply.usage).toMatchObject({ input: 68, output: 74 })
    expect(main.messages.filter((m) => m.usage !== null)).toHaveLength(6)
    const theirs = costState.modelUsage["claude-sonnet-4-5"]
    expect(Usage.add(main.usage, subagent.usage)).toEqual({
      input: theirs?.inputTokens,
      output: theirs?.outputTokens,
      cacheRead: theirs?.cacheReadInputTokens,
      cacheWrite5m: theirs?.cacheCreationEphemeral5mInputTokens,
      cacheWrite1h: theirs?.cacheCreationEphemeral1hInputTokens,
      reasoning: 0
    })
    // The transcript's own messages (its cost-states left out: they add what the transcript lacks, see below).
    const { session, messages } = ingest([...mainEvents, ...subagentEvents].filter((e) => e.kind !== "cost_state"))
    expect(Pricing.roundUsd(session.costUsd)).toBe(Pricing.roundUsd(costState.totalCostUSD))
    expect(session.messageCount).toBe(main.messages.length + subagent.messages.length)
    // The stored message keeps what it is.
    expect(messages.get(main.messages[6]?.id ?? "")).toMatchObject({
      role: "system",
      subtype: "notification",
      usageCounted: true
    })
    expect(messages.get("4b41ab98-59a8-4464-8806-02a88bcaf730")).not.toHaveProperty("subtype")
  })

  it("never lets the system prompt, tool definitions, CLAUDE.md or request lines reach an event", () => {
    const folded = rawLines(real.main + real.subagent).filter((line) =>
      ["user", "assistant"].includes(JSON.parse(line).type)
    )
    const strings = (value: unknown, into: Set<string>): Set<string> => {
      if (typeof value === "string") into.add(value)
      else if (Array.isArray(value)) for (const item of value) strings(item, into)
      else if (typeof value === "object" && value !== null) for (const item of Object.values(value)) strings(item, into)
      return into
    }
    // Every long string of the skipped lines that no conversation line also holds (the prompt is in both, say).
    const secrets = new Set<string>()
    for (const line of rawLines(real.main + real.subagent)) {
      const json = JSON.parse(line) as { type: string }
      if (json.type === "user" || json.type === "assistant") continue
      for (const text of strings(json, new Set())) {
        if (text.length >= 40 && !folded.some((f) => f.includes(JSON.stringify(text).slice(1, -1)))) secrets.add(text)
      }
    }
    expect(secrets.size).toBeGreaterThan(100)
    const events = JSON.stringify([...mainEvents, ...subagentEvents])
    for (const text of secrets) expect(events.includes(text), text.slice(0, 120)).toBe(false)
    expect(real.main).toContain("You are an agent working with the user toward their goals")
    expect(events).not.toContain("You are an agent working with the user toward their goals")
  })
})

describe("2.1.332 hook payloads agree with the transcript", () => {
  const hooks = rawLines(readFileSync(join(dir, "hooks.jsonl"), "utf8")).map(
    (line) => JSON.parse(line) as { readonly argv: string; readonly stdin: Readonly<Record<string, unknown>> }
  )
  const decode = (payload: unknown) => {
    const decoded = Hooks.decodeHookInput(JSON.stringify(payload))
    if (Either.isLeft(decoded)) throw new Error(decoded.left.message)
    return decoded.right
  }

  it("decodes every payload; the synthetic UserPromptSubmit is the transcript's notification, same id and content", () => {
    const submits = hooks.filter((hook) => hook.argv === "UserPromptSubmit")
    expect(submits).toHaveLength(2)
    const byId = new Map(mainEvents.flatMap((e) => (e.kind === "message" ? [[e.messageId, e] as const] : [])))
    for (const hook of hooks) expect(decode(hook.stdin).hook_event_name).toBe(hook.argv)
    for (const hook of submits) {
      const [event] = Hooks.eventsFromHook(decode(hook.stdin), { now: 1, syncToolCalls: true })
      if (event?.kind !== "message") throw new Error("expected a message")
      const fromTranscript = byId.get(event.messageId)
      expect(fromTranscript).toBeDefined()
      const pick = (e: Event.EventEncoded) =>
        e.kind === "message" ? { role: e.role, subtype: e.subtype, text: e.text, parts: e.parts } : undefined
      expect(pick(event)).toEqual(pick(fromTranscript as Event.EventEncoded))
    }
    const [, notification] = submits
    const [event] = Hooks.eventsFromHook(decode(notification?.stdin), { now: 1, syncToolCalls: true })
    expect(notification?.stdin.prompt_id).toBe(NOTIFICATION_PROMPT_ID)
    expect(event).toMatchObject({ role: "system", subtype: "notification", messageId: main.messages[6]?.id })
  })

  it("re-reads the transcript on both Stops of the turn; the second one adds only the reply to the notification", () => {
    const stops = hooks.filter((hook) => hook.argv === "Stop").map((hook) => decode(hook.stdin))
    expect(stops.map((stop) => Hooks.transcriptToRead(stop)?.path)).toEqual([
      `/home/dev/.claude/projects/-home-dev-projects-demo/${real.sessionId}.jsonl`,
      `/home/dev/.claude/projects/-home-dev-projects-demo/${real.sessionId}.jsonl`
    ])
    // The transcript as the first Stop saw it (up to the first reply) and as the second did: the same messages keep
    // the same events, and the second read adds the notification and its reply, nothing twice.
    const lines = rawLines(real.main)
    const firstStop = lines.findIndex((line) => line.includes('"subtype":"stop_hook_summary"'))
    const before = Transcript.toEvents(
      Transcript.readSession(Transcript.parseLines(lines.slice(0, firstStop).join("\n")).lines, {
        syncThinking: false
      }),
      options
    )
    const secondStop = lines.findIndex((line, i) => i > firstStop && line.includes('"subtype":"stop_hook_summary"'))
    const after = Transcript.toEvents(
      Transcript.readSession(Transcript.parseLines(lines.slice(0, secondStop).join("\n")).lines, {
        syncThinking: false
      }),
      options
    )
    const messageIds = (events: ReadonlyArray<Event.EventEncoded>) =>
      events.flatMap((e) => (e.kind === "message" ? [e.id] : []))
    const added = messageIds(after).filter((id) => !messageIds(before).includes(id))
    expect(added).toHaveLength(2)
    expect(messageIds(after).filter((id) => messageIds(before).includes(id))).toEqual(messageIds(before))
    const total = (events: ReadonlyArray<Event.EventEncoded>) => ingest(events).session.usage
    expect(Usage.total(total(after)) - Usage.total(total(before))).toBe(68 + 74 + 6_200 + 380)
  })
})

describe("a task notification absorbed into the running turn (2.1.332, about half of the runs)", () => {
  // When the background subagent finishes before the main thread's last request, Claude Code delivers the
  // notification inside the running turn: a `queued_command` attachment instead of a user line, one Stop, and a
  // UserPromptSubmit that carries the running turn's prompt_id (the user's prompt's).
  const absorbed = join(import.meta.dirname, "../fixtures/claude-2.1.332-absorbed")
  const text = readFileSync(join(absorbed, "transcript.jsonl"), "utf8")
  const session = Transcript.readSession(Transcript.parseLines(text).lines, { syncThinking: false })
  const sessionId = "00000000-absorbed"
  const transcriptEvents = Transcript.toEvents(session, { ...options, sessionId })
  const hooks = rawLines(readFileSync(join(absorbed, "hooks.jsonl"), "utf8")).map(
    (line) => JSON.parse(line) as { readonly argv: string; readonly stdin: Readonly<Record<string, unknown>> }
  )
  const start = session.messages[0]?.createdAt ?? 0
  const hookEvents = hooks.flatMap((hook, i) => {
    const decoded = Hooks.decodeHookInput(JSON.stringify({ ...hook.stdin, session_id: sessionId }))
    if (Either.isLeft(decoded)) throw decoded.left
    return Hooks.eventsFromHook(decoded.right, { now: start + 100 * (i + 1), syncToolCalls: true })
  })

  it("reads the notification from the attachment, in its place in the turn, the prompt_snapshot lines still unparsed", () => {
    expect(session.messages.map((m) => [m.role, m.subtype, m.text.split("\n")[0]])).toEqual([
      ["user", null, RealTranscripts.PROMPT],
      ["assistant", null, "Step 1: using Bash."],
      ["assistant", null, "Step 2: using Write."],
      ["assistant", null, "Step 3: using Bash."],
      ["assistant", null, "Step 4: using Agent."],
      ["system", "notification", 'Agent "Say done" finished'],
      ["assistant", null, FINAL]
    ])
    const lines = rawLines(text)
    const folded = lines.filter((line) => {
      const json = JSON.parse(line) as { type: string; attachment?: { type?: string } }
      return (
        json.type === "user" ||
        json.type === "assistant" ||
        json.type === "cost-state" ||
        json.attachment?.type === "queued_command"
      )
    })
    const parse = vi.spyOn(JSON, "parse")
    try {
      Transcript.parseLines(text)
      expect(parse).toHaveBeenCalledTimes(folded.length)
    } finally {
      parse.mockRestore()
    }
  })

  it("never lets the notification replace the user's prompt, live or imported: both stay, each once", () => {
    const [prompt, notification] = hooks.filter((hook) => hook.argv === "UserPromptSubmit")
    expect(notification?.stdin.prompt_id).toBe(prompt?.stdin.prompt_id)
    const ids = (events: ReadonlyArray<Event.EventEncoded>) =>
      events.flatMap((e) => (e.kind === "message" && e.role !== "assistant" ? [e.messageId] : []))
    expect(ids(hookEvents)).toEqual(ids(transcriptEvents))
    // Live sync (hooks), then the transcript re-read at Stop, then an import: the same two messages.
    const { messages } = ingest([...hookEvents, ...transcriptEvents, ...transcriptEvents])
    expect(messages.get(String(prompt?.stdin.prompt_id))).toMatchObject({ role: "user", text: RealTranscripts.PROMPT })
    const stored = [...messages.values()].filter((m) => m.subtype === "notification")
    expect(stored.map((m) => m.text)).toEqual(['Agent "Say done" finished\n\nSUBAGENT_DONE: done.'])
  })
})

describe("titles and injected user-role lines", () => {
  const at = (second: number) => new Date(Date.UTC(2026, 11, 4, 9, 0, second)).toISOString()
  const line = (second: number, uuid: string, content: unknown, extra: object = {}) =>
    JSON.stringify({
      type: "user",
      uuid,
      timestamp: at(second),
      sessionId: "s",
      message: { role: "user", content },
      ...extra
    })
  const reply = (second: number, id: string) =>
    JSON.stringify({
      type: "assistant",
      uuid: `a-${id}`,
      timestamp: at(second),
      requestId: `req-${id}`,
      message: {
        id,
        role: "assistant",
        model: "claude-sonnet-4-5",
        content: [{ type: "text", text: "ok" }],
        usage: { input_tokens: 1, output_tokens: 1 }
      }
    })
  const read = (lines: ReadonlyArray<string>) =>
    Transcript.readSession(Transcript.parseLines(lines.join("\n")).lines, { syncThinking: false })

  it("titles a session started by a slash command with the command as typed", () => {
    const session = read([
      line(
        0,
        "u1",
        "<command-message>review is running…</command-message>\n<command-name>/review</command-name>\n<command-args>nightly</command-args>",
        { promptId: "p1" }
      ),
      line(1, "u2", [{ type: "text", text: "Review the nightly build. (the command's expanded prompt)" }], {
        promptId: "p1",
        isMeta: true
      }),
      reply(2, "msg_1"),
      line(3, "u3", "Thanks, now fix it", { promptId: "p2" })
    ])
    expect(session.title).toBe("/review nightly")
    expect(session.messages.map((m) => [m.id, m.role, m.subtype, m.text])).toEqual([
      ["p1", "user", "command", "/review nightly"],
      ["msg_1", "assistant", null, "ok"],
      ["p2", "user", null, "Thanks, now fix it"]
    ])
  })

  it("does not title a session by a local command (/model, /compact) that printed output instead of starting a turn", () => {
    const session = read([
      line(0, "c1", "<local-command-caveat>Caveat: …</local-command-caveat>", { promptId: "p1", isMeta: true }),
      line(
        1,
        "c2",
        "<command-name>/model</command-name>\n<command-message>model</command-message>\n<command-args></command-args>",
        { promptId: "p1" }
      ),
      line(2, "c3", "<local-command-stdout>Set model to opus</local-command-stdout>", { promptId: "p1" }),
      line(3, "u1", "Explain the parser", { promptId: "p2" }),
      reply(4, "msg_1")
    ])
    expect(session.title).toBe("Explain the parser")
    expect(session.messages.map((m) => [m.role, m.subtype, m.text])).toEqual([
      ["user", "command", "/model"],
      ["system", "command-output", "Set model to opus"],
      ["user", null, "Explain the parser"],
      ["assistant", null, "ok"]
    ])
  })

  it("stores reminders, bash mode and system-sourced turns as what they are, and strips reminders out of prompts", () => {
    const session = read([
      line(0, "r1", "<system-reminder>\nThe user opened src/a.ts in the IDE.\n</system-reminder>"),
      line(1, "b1", "<bash-input>ls</bash-input>"),
      line(2, "b2", "<bash-stdout>a.ts\nb.ts</bash-stdout><bash-stderr></bash-stderr>"),
      line(3, "s1", "Scheduled check: is CI green?", { promptSource: "system" }),
      line(4, "u1", [
        { type: "text", text: "<system-reminder>Todo list is empty.</system-reminder>" },
        { type: "text", text: "Fix the build" }
      ])
    ])
    expect(session.messages.map((m) => [m.role, m.subtype, m.text])).toEqual([
      ["system", "reminder", "The user opened src/a.ts in the IDE."],
      ["user", "command", "! ls"],
      // what the `!` command printed is output, like the Bash tool's: its length only
      ["system", "command-output", "[output of the ! command: 9 characters, not synced]"],
      ["system", "notification", "Scheduled check: is CI green?"],
      ["user", null, "Fix the build"]
    ])
    expect(session.messages[4].parts).toEqual([
      { type: "other", name: "system-reminder", summary: null },
      { type: "text", text: "Fix the build" }
    ])
    expect(JSON.stringify(session.messages[2])).not.toContain("b.ts")
    expect(session.title).toBe("Fix the build")
  })

  it("classifies a slash command typed into the hook like its transcript line", () => {
    const payload = (prompt: string) => {
      const decoded = Hooks.decodeHookInput(
        JSON.stringify({ session_id: "s", hook_event_name: "UserPromptSubmit", prompt, prompt_id: "p1" })
      )
      if (Either.isLeft(decoded)) throw decoded.left
      return Hooks.eventsFromHook(decoded.right, { now: 1, syncToolCalls: true })[0]
    }
    expect(payload("/review nightly")).toMatchObject({ role: "user", subtype: "command", text: "/review nightly" })
    expect(payload("/sync-probe:sync-now")).toMatchObject({
      role: "user",
      subtype: "command",
      text: "/sync-probe:sync-now"
    })
    expect(payload("/tmp/x.log is huge, why?")).not.toHaveProperty("subtype")
    expect(payload("Fix it")).toMatchObject({ role: "user", text: "Fix it" })
    expect(payload("Fix it")).not.toHaveProperty("subtype")
  })
})
