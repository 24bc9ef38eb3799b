import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Outbox, Redactor } from "@opensync/client"
import { Event } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Import from "../src/Import.js"
import * as Transcript from "../src/transcript/index.js"

// A fake CLAUDE_CONFIG_DIR (two dirs, as a comma list) holding the real Claude Code fixtures plus problem files.
const fixtures = path.join(import.meta.dirname, "fixtures")
const mainText = fs.readFileSync(path.join(fixtures, "claude-transcript.jsonl"), "utf8")
const subagentText = fs.readFileSync(path.join(fixtures, "claude-subagent-transcript.jsonl"), "utf8")
const SESSION_ID = "c763ea33-250a-4cfa-ba10-d17cac298173"
const AGENT_ID = "a0aff73444ac06d3e"
const SECRET_SESSION = "11111111-2222-4333-8444-555555555555"
const TRUNCATED_SESSION = "22222222-3333-4444-8555-666666666666"
const GARBAGE_SESSION = "33333333-4444-4555-8666-777777777777"

/** A GitHub token in its published format, built at run time so no secret-shaped literal sits in the source. */
const SECRET = (() => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
  let seed = 42
  let token = "ghp_"
  for (let i = 0; i < 36; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    token += alphabet[seed % alphabet.length]
  }
  return token
})()

const roots: Array<string> = []
afterAll(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true })
})

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0)

const write = (file: string, text: string, mtimeMs: number) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  fs.utimesSync(file, mtimeMs / 1000, mtimeMs / 1000)
  return file
}

const secretLines = (): string => {
  const base = {
    sessionId: SECRET_SESSION,
    cwd: "/home/dev/projects/secret",
    gitBranch: "main",
    version: "2.1.197",
    isSidechain: false,
    userType: "external"
  }
  const prompt = {
    ...base,
    parentUuid: null,
    promptId: "b0b0b0b0-0000-4000-8000-000000000001",
    type: "user",
    message: { role: "user", content: `Push with the token ${SECRET} please` },
    uuid: "b0b0b0b0-0000-4000-8000-000000000002",
    timestamp: "2026-11-22T10:00:00.000Z"
  }
  const reply = {
    ...base,
    parentUuid: prompt.uuid,
    type: "assistant",
    requestId: "req_secret",
    message: {
      id: "msg_secret",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Pushed." }],
      usage: { input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 5 }
    },
    uuid: "b0b0b0b0-0000-4000-8000-000000000003",
    timestamp: "2026-11-22T10:00:01.000Z"
  }
  return `${JSON.stringify(prompt)}\n${JSON.stringify(reply)}\n`
}

/** The fixture cut in the middle of its final answer (a transcript being written when the import reads it). */
const truncatedText = (): string => {
  const lines = mainText.trimEnd().split("\n")
  return `${lines.slice(0, 17).join("\n")}\n${lines[17].slice(0, 300)}`
}

interface Tree {
  readonly env: Record<string, string>
  readonly main: string
  readonly subagent: string
  readonly secret: string
  readonly truncated: string
  readonly garbage: string
}

const makeTree = (): Tree => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "claude-import-test-"))
  roots.push(root)
  const first = path.join(root, "claude-a")
  const second = path.join(root, "claude-b")
  const demo = path.join(first, "projects", "-home-dev-projects-demo")
  const subagentDir = path.join(demo, SESSION_ID, "subagents")
  const tree: Tree = {
    env: { CLAUDE_CONFIG_DIR: `${first}, ${second},${path.join(root, "missing")}`, HOME: root },
    subagent: write(path.join(subagentDir, `agent-${AGENT_ID}.jsonl`), subagentText, T0 + 1_000),
    main: write(path.join(demo, `${SESSION_ID}.jsonl`), mainText, T0 + 2_000),
    secret: write(
      path.join(second, "projects", "-home-dev-projects-secret", `${SECRET_SESSION}.jsonl`),
      secretLines(),
      T0 + 3_000
    ),
    truncated: write(path.join(demo, `${TRUNCATED_SESSION}.jsonl`), truncatedText(), T0 + 4_000),
    garbage: write(
      path.join(demo, `${GARBAGE_SESSION}.jsonl`),
      'this is not a transcript\n\u0000\u0001\u0002 binary\n{"type":"user","message":\n',
      T0 + 5_000
    )
  }
  // Files and directories the import must pass over.
  write(path.join(subagentDir, `agent-${AGENT_ID}.meta.json`), '{"agentType":"general-purpose"}', T0)
  write(path.join(demo, "notes.txt"), "not a transcript", T0)
  write(path.join(first, "projects", "stray.jsonl"), mainText, T0)
  write(path.join(first, "history.jsonl"), mainText, T0)
  fs.mkdirSync(path.join(demo, "folder.jsonl"))
  return tree
}

const layerFor = (outboxDir: string) => Layer.merge(Outbox.layer(outboxDir), Redactor.Redactor.Default)

const tempOutbox = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claude-import-outbox-"))
  roots.push(dir)
  return dir
}

/** Drains the outbox into a fake server that stores everything; returns the events in the order they were sent. */
const drainAll = Effect.gen(function* () {
  const outbox = yield* Outbox.Outbox
  const sent: Array<Event.EventEncoded> = []
  const send: Outbox.Send = (events) =>
    Effect.sync(() => {
      for (const event of events) sent.push(event as Event.EventEncoded)
      return {
        stored: events.map((event) => (event as Event.EventEncoded).id),
        duplicates: [],
        stale: [],
        rejected: []
      }
    })
  const result = yield* outbox.drain(send)
  expect(result.failure).toBeNull()
  return sent
})

const options: Import.ImportOptions = { syncThinking: false, syncToolCalls: true }

/** Imports a fresh tree (see `makeTree`) with `options`; the events the outbox then sends, in order. */
const importFreshTree = Effect.gen(function* () {
  const tree = makeTree()
  yield* Import.importAll({ ...options, env: tree.env })
  return yield* drainAll
})

// What the pure reader gives for each imported file, computed independently of Import.
const direct = (text: string, sessionId: string, agentId?: string) => {
  const session = Transcript.readSession(Transcript.parseLines(text).lines, {
    syncThinking: false,
    ...(agentId !== undefined ? { source: "subagent", agentId } : {})
  })
  return Transcript.toEvents(session, { sessionId, source: "claude-code", syncToolCalls: true })
}
const mainEvents = direct(mainText, SESSION_ID)
const subagentEvents = direct(subagentText, SESSION_ID, AGENT_ID)
const truncatedEvents = direct(truncatedText(), TRUNCATED_SESSION)

describe("discover", () => {
  it.effect("lists main and subagent transcripts of every Claude dir with sizes, oldest first", () =>
    Effect.gen(function* () {
      const tree = makeTree()
      const files = yield* Import.discover(tree.env)
      expect(files.map((file) => file.path)).toEqual([
        tree.subagent,
        tree.main,
        tree.secret,
        tree.truncated,
        tree.garbage
      ])
      expect(files[0]).toEqual({
        path: tree.subagent,
        kind: "subagent",
        sessionId: SESSION_ID,
        agentId: AGENT_ID,
        size: Buffer.byteLength(subagentText),
        mtimeMs: T0 + 1_000
      })
      expect(files[1]).toEqual({
        path: tree.main,
        kind: "main",
        sessionId: SESSION_ID,
        agentId: null,
        size: Buffer.byteLength(mainText),
        mtimeMs: T0 + 2_000
      })
      expect(files.map((file) => file.sessionId)).toEqual([
        SESSION_ID,
        SESSION_ID,
        SECRET_SESSION,
        TRUNCATED_SESSION,
        GARBAGE_SESSION
      ])
    })
  )

  it.effect("finds nothing, without failing, when there is no Claude dir", () =>
    Effect.gen(function* () {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "claude-import-empty-"))
      roots.push(root)
      expect(yield* Import.discover({ CLAUDE_CONFIG_DIR: path.join(root, "nowhere") })).toEqual([])
      expect(yield* Import.discover({ HOME: root })).toEqual([])
    })
  )
})

describe("importAll", () => {
  it.live("imports every transcript, skips the garbage file with a reason and reports exact counts", () => {
    const tree = makeTree()
    const progress: Array<Import.ImportProgress> = []
    return Effect.gen(function* () {
      const summary = yield* Import.importAll({ ...options, env: tree.env, onProgress: (p) => progress.push(p) })
      const sent = yield* drainAll

      // main: session + 9 messages + 4 tool calls; subagent: 2 messages; secret: session + 2 messages;
      // truncated: session + 5 messages + 4 tool calls
      expect(mainEvents.length).toBe(14)
      expect(subagentEvents.length).toBe(2)
      expect(truncatedEvents.length).toBe(10)
      const sizes = [mainText, subagentText, secretLines(), truncatedText()].map((text) => Buffer.byteLength(text))
      expect(summary).toEqual({
        sessions: 3,
        files: 4,
        events: 29,
        bytes: sizes.reduce((a, b) => a + b, 0),
        malformedLines: 0,
        unfinishedLines: 1,
        skippedFiles: [
          { path: tree.garbage, reason: "not a Claude Code transcript: 3 malformed line(s), none readable" }
        ]
      })
      expect(sent.length).toBe(29)
      for (const event of sent) expect(Either.isRight(Event.decodeUnknown(event))).toBe(true)
      expect(new Set(sent.map((event) => event.id)).size).toBe(29)

      // Files in mtime order; the fixtures' events exactly as the reader makes them (nothing in them to redact).
      expect(sent.slice(0, 2)).toEqual(subagentEvents)
      expect(sent.slice(2, 16)).toEqual(mainEvents)
      expect(sent.slice(19)).toEqual(truncatedEvents)

      const totalBytes = Buffer.byteLength(
        [mainText, subagentText, secretLines(), truncatedText()].join("") + fs.readFileSync(tree.garbage, "utf8")
      )
      expect(progress.map((p) => p.files)).toEqual([1, 2, 3, 4, 5])
      expect(progress.map((p) => p.events)).toEqual([2, 16, 19, 29, 29])
      expect(progress[4]).toEqual({ files: 5, totalFiles: 5, bytes: totalBytes, totalBytes, events: 29 })
    }).pipe(Effect.provide(layerFor(tempOutbox())))
  })

  it.effect("says a file that is not a transcript is not a session, and a file it cannot read only that", () =>
    Effect.gen(function* () {
      // (`notASession` lets the import's bookkeeping leave the file out until it changes; an unreadable one is tried
      // again by every import)
      const tree = makeTree()
      const file = { kind: "main", sessionId: "garbage", agentId: null } as const
      const garbage = yield* Import.readFile({ ...file, path: tree.garbage }, options, undefined)
      expect(garbage).toEqual({
        ok: false,
        reason: "not a Claude Code transcript: 3 malformed line(s), none readable",
        notASession: true
      })
      const folder = yield* Import.readFile({ ...file, path: path.dirname(tree.garbage) }, options, undefined)
      expect(folder.ok).toBe(false)
      expect(folder).not.toHaveProperty("notASession")
    })
  )

  it.live("attributes the subagent's messages to the parent session, with the agent id", () =>
    Effect.gen(function* () {
      const sent = yield* importFreshTree
      const agentEvents = sent.filter(
        (event) => (event.kind === "message" || event.kind === "tool_call") && event.agentId === AGENT_ID
      )
      expect(agentEvents.map((event) => event.kind)).toEqual(["message", "message"])
      for (const event of agentEvents) expect(event.sessionId).toBe(SESSION_ID)
      expect(sent.filter((event) => event.kind === "session").map((event) => event.sessionId)).toEqual([
        SESSION_ID,
        SECRET_SESSION,
        TRUNCATED_SESSION
      ])
    }).pipe(Effect.provide(layerFor(tempOutbox())))
  )

  it.live("redacts a secret planted in a prompt, in the message and the session title, with ids of the result", () =>
    Effect.gen(function* () {
      const sent = yield* importFreshTree
      const secretEvents = sent.filter((event) => event.sessionId === SECRET_SESSION)
      expect(secretEvents.map((event) => event.kind)).toEqual(["session", "message", "message"])
      expect(JSON.stringify(sent)).not.toContain(SECRET)
      expect(JSON.stringify(sent)).not.toContain(SECRET.slice(4))
      expect(secretEvents[0]).toMatchObject({ title: "Push with the token [REDACTED:github-token] please" })
      expect(secretEvents[1]).toMatchObject({
        role: "user",
        text: "Push with the token [REDACTED:github-token] please",
        parts: [{ type: "text", text: "Push with the token [REDACTED:github-token] please" }]
      })
      // An id is the digest of what is sent, never of the secret.
      for (const event of sent) {
        const { id, ...content } = event
        expect(id).toBe(Event.makeId(content as Parameters<typeof Event.makeId>[0]))
      }
    }).pipe(Effect.provide(layerFor(tempOutbox())))
  )

  it.live("appends the same events, ids included, when run twice", () => {
    const tree = makeTree()
    return Effect.gen(function* () {
      const first = yield* Import.importAll({ ...options, env: tree.env })
      const second = yield* Import.importAll({ ...options, env: tree.env })
      expect(second).toEqual(first)
      const outbox = yield* Outbox.Outbox
      expect((yield* outbox.stats()).pending).toBe(58)
      const sent = yield* drainAll
      expect(sent.length).toBe(58)
      expect(sent.slice(29).map((event) => event.id)).toEqual(sent.slice(0, 29).map((event) => event.id))
      expect(sent.slice(29)).toEqual(sent.slice(0, 29))
    }).pipe(Effect.provide(layerFor(tempOutbox())))
  })

  it.live("leaves out files modified before `since`", () => {
    const tree = makeTree()
    const progress: Array<Import.ImportProgress> = []
    return Effect.gen(function* () {
      const summary = yield* Import.importAll({
        ...options,
        env: tree.env,
        since: T0 + 3_000,
        onProgress: (p) => progress.push(p)
      })
      expect(summary).toMatchObject({ sessions: 2, files: 2, events: 13, malformedLines: 0, unfinishedLines: 1 })
      expect(summary.skippedFiles.map((file) => file.path)).toEqual([tree.garbage])
      expect(progress.at(-1)?.totalFiles).toBe(3)
      const sent = yield* drainAll
      expect([...new Set(sent.map((event) => event.sessionId))]).toEqual([SECRET_SESSION, TRUNCATED_SESSION])
      expect((yield* Import.importAll({ ...options, env: tree.env, since: T0 + 60_000 })).files).toBe(0)
    }).pipe(Effect.provide(layerFor(tempOutbox())))
  })

  it.live("leaves out tool calls unless asked", () => {
    const tree = makeTree()
    return Effect.gen(function* () {
      const summary = yield* Import.importAll({ ...options, syncToolCalls: false, env: tree.env })
      expect(summary.events).toBe(21) // 29 less 4 + 4 tool calls
      expect((yield* drainAll).some((event) => event.kind === "tool_call")).toBe(false)
    }).pipe(Effect.provide(layerFor(tempOutbox())))
  })
})

describe("importFiles", () => {
  it.live("counts no session for a transcript with nothing in it yet: empty, or its first line being written", () => {
    // (each was counted as a session of 0 events: "3 sessions (3 new…)" for one session)
    const tree = makeTree()
    const demo = path.dirname(tree.main)
    const empty = write(path.join(demo, "0b6f3c1e-9d2a-4e57-8c61-5f0a7b3d9e21.jsonl"), "", T0 + 6_000)
    const starting = write(
      path.join(demo, "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.jsonl"),
      mainText.slice(0, 40),
      T0 + 7_000
    )
    return Effect.gen(function* () {
      const files = (yield* Import.discover(tree.env)).filter((file) =>
        [tree.main, empty, starting].includes(file.path)
      )
      expect(files).toHaveLength(3)
      const summary = yield* Import.importFiles(files, options)
      expect(summary).toEqual({
        sessions: 1,
        files: 1,
        events: 14,
        bytes: Buffer.byteLength(mainText),
        malformedLines: 0,
        unfinishedLines: 0,
        skippedFiles: []
      })
    }).pipe(Effect.provide(layerFor(tempOutbox())))
  })

  it.live("skips a file that vanished after discovery and imports the rest", () => {
    const tree = makeTree()
    return Effect.gen(function* () {
      const files = yield* Import.discover(tree.env)
      fs.rmSync(tree.main)
      const summary = yield* Import.importFiles(files, options)
      expect(summary.files).toBe(3)
      expect(summary.events).toBe(15)
      expect(summary.skippedFiles.map((file) => file.path)).toEqual([tree.main, tree.garbage])
      expect(summary.skippedFiles[0].reason).toMatch(/^unreadable: ENOENT/)
    }).pipe(Effect.provide(layerFor(tempOutbox())))
  })
})
