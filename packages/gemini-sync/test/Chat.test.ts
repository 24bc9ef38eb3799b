import { createHash } from "node:crypto"
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Kit } from "@opensync/client"
import { Limits, Pricing, Usage } from "@opensync/domain"
import { totalUsage, usage } from "@opensync/testkit/HookAgent"
import { leftOutChecker } from "@opensync/testkit/MemoParts"
import { calcPrice, extractUsage, findProvider } from "@pydantic/genai-prices"
import * as Effect from "effect/Effect"
import { geminiChat } from "../../../bench/long-sessions.mjs"
import * as Chat from "../src/Chat.js"
import * as History from "../src/History.js"
import * as Projects from "../src/Projects.js"
import * as Retention from "../src/Retention.js"

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8")
const read = (name: string, options = { syncThinking: true, cwd: "/home/dev/projects/gproj" }) =>
  Chat.read(Chat.parse(fixture(name), name.endsWith(".jsonl") ? "jsonl" : "json").records, options)

/** A temporary HOME whose project `gproj` (at /home/dev/projects/gproj) holds a chat file named `name`: its path. */
const chatHome = (prefix: string, name: string) => {
  const home = mkdtempSync(join(tmpdir(), prefix))
  const chats = join(home, ".gemini", "tmp", "gproj", "chats")
  mkdirSync(chats, { recursive: true })
  writeFileSync(join(home, ".gemini", "tmp", "gproj", ".project_root"), "/home/dev/projects/gproj")
  return { home, path: join(chats, name) }
}

describe("Gemini CLI chat files", () => {
  it("reads the captured 0.61.0 chat: the prompt and the reply, not Gemini CLI's own context", () => {
    const session = read("session-2026-12-04T13-04-c2ccef89.jsonl")
    expect(session).toMatchObject({
      id: "c2ccef89-b2c9-424e-a9ff-cff0ea2a2543",
      kind: "main",
      model: "gemini-3.1-pro-preview",
      startedAt: Date.parse("2026-12-04T13:04:09.938Z")
    })
    expect(session.messages.map((m) => [m.role, m.id, m.text])).toEqual([
      ["user", "1c77c3a4-15b1-4888-9194-b655db75b26f", "Say hello"],
      ["assistant", "7239ed12-e78a-47f2-89e7-878a44bab927", "Hello from the fake Gemini."]
    ])
    // tokens {input 900 (600 of them cached), output 30, thoughts 20, total 950}: each counted once.
    expect(session.messages[1]?.usage).toEqual(usage(300, 600, 30, 20))
    expect(Usage.total(totalUsage(session))).toBe(950)
  })

  it("sends what the user typed, never the files an @path appended to the query", () => {
    const session = {
      sessionId: "a0a0a0a0-1111-4222-8333-444455556666",
      projectHash: "p",
      startTime: "2026-12-08T00:53:01.000Z",
      lastUpdated: "2026-12-08T00:53:01.000Z",
      kind: "main"
    }
    const query = [
      { text: "please review @secret.txt" },
      { text: "\n--- Content from referenced files ---" },
      { text: "\nContent from @secret.txt:\n" },
      { text: "PRIVATE_FILE_CONTENT line one" },
      { text: "\n--- End of content ---" }
    ]
    const user = (id: string, extra: Record<string, unknown>) =>
      JSON.stringify({ id, timestamp: "2026-12-08T00:53:01.328Z", type: "user", content: query, ...extra })
    // 0.61.0 keeps what was typed as `displayContent`; without it, the query is cut where the files begin
    const text = [
      JSON.stringify(session),
      user("u1", { displayContent: [{ text: "please review @secret.txt" }] }),
      user("u2", {})
    ].join("\n")
    const read = Chat.read(Chat.parse(text, "jsonl").records, { syncThinking: false, cwd: null })
    expect(read.messages.map((m) => [m.id, m.text])).toEqual([
      ["u1", "please review @secret.txt"],
      ["u2", "please review @secret.txt"]
    ])
    expect(JSON.stringify(read)).not.toContain("PRIVATE_FILE_CONTENT")
  })

  it("upserts rewritten replies by id: a reply and its tool calls once, in the place it first had", () => {
    const text = fixture("session-tools-0.61.0.jsonl")
    // Every reply with tool calls is written twice (first without them).
    const lines = text.split("\n").filter((line) => line.includes('"type":"gemini"'))
    expect(lines.length).toBe(7)
    const session = read("session-tools-0.61.0.jsonl")
    expect(session.messages.map((m) => [m.role, m.text, m.parts.map((p) => p.type)])).toEqual([
      ["user", "Run echo hello, write hello.txt, then list a missing file", ["text"]],
      ["assistant", "Step 1.", ["text", "tool"]],
      ["assistant", "Step 2.", ["text", "tool"]],
      ["assistant", "Step 3.", ["text", "tool"]],
      ["assistant", "All done.", ["text"]]
    ])
    expect(session.messages[4]?.thinking).toBe("Thinking...")
    expect(totalUsage(session)).toEqual(usage(4 * 300 + 1 + 2 + 3 + 4, 4 * 600, 4 * 30, 4 * 20))
    expect(session.toolCalls.map((c) => [c.name, c.status, c.output.exitCode, c.input.summary, c.input.paths])).toEqual(
      [
        ["run_shell_command", "completed", null, "echo hello", []],
        ["write_file", "completed", null, null, ["/home/dev/projects/gproj/hello.txt"]],
        ["run_shell_command", "error", 2, "ls ./no-such-file", []]
      ]
    )
    // Gemini CLI reports a failing command as a success whose output says `Exit Code: 2`.
    expect(session.toolCalls[2]?.output.error).toBe("ls: cannot access './no-such-file': No such file or directory")
    for (const call of session.toolCalls) {
      expect(call.completedAt).not.toBeNull()
      expect(call.completedAt!).toBeGreaterThanOrEqual(call.startedAt)
    }
  })

  it("reads the older single-document form: tool-use prompt tokens count as input, a failed edit as an error", () => {
    const session = read("session-2026-09-01T08-00-5d2c1f3a.json", {
      syncThinking: false,
      cwd: "/home/dev/projects/gproj"
    })
    expect(session.id).toBe("5d2c1f3a-0b1e-4c55-9f2a-1f5e0c7d9a10")
    expect(session.messages.map((m) => [m.role, m.text])).toEqual([
      ["user", "Read the config and fix the typo"],
      ["assistant", "Reading it."],
      ["assistant", "The file has no typo."]
    ])
    expect(session.messages[1]?.thinking).toBeNull()
    // input 12,000 (8,000 cached) + 150 tool-use prompt tokens; output 40 and thoughts 300: total 12,490.
    expect(session.messages[1]?.usage).toEqual(usage(4_150, 8_000, 40, 300))
    expect(Usage.total(session.messages[1]!.usage!)).toBe(12_490)
    expect(session.toolCalls.map((c) => [c.name, c.status, c.input.paths, c.output.error])).toEqual([
      ["read_file", "completed", ["/home/dev/projects/gproj/config.yml"], null],
      [
        "replace",
        "error",
        ["/home/dev/projects/gproj/config.yml"],
        "Failed to edit, 0 occurrences found for old_string"
      ]
    ])
    expect(session.toolCalls.map((c) => c.completedAt! - c.startedAt)).toEqual([1_500, 2_000])
  })

  it("trap: cached tokens are part of input and thoughts apart from output; priced as Google bills them", () => {
    const api = {
      promptTokenCount: 260_000,
      candidatesTokenCount: 2_000,
      cachedContentTokenCount: 200_000,
      thoughtsTokenCount: 1_500,
      toolUsePromptTokenCount: 500
    }
    const mapped = Chat.usageOf({
      input: api.promptTokenCount,
      output: api.candidatesTokenCount,
      cached: api.cachedContentTokenCount,
      thoughts: api.thoughtsTokenCount,
      tool: api.toolUsePromptTokenCount
    })
    // Adding cached on top of input would count 200,000 tokens twice.
    expect(mapped).toEqual(usage(60_500, 200_000, 2_000, 1_500))
    const at = Date.parse("2026-12-04T12:00:00Z")
    for (const model of ["gemini-2.5-pro", "gemini-3.1-pro-preview", "gemini-3.8-flash", "gemini-2.5-flash"]) {
      const extracted = extractUsage(findProvider({ providerId: "google" })!, {
        modelVersion: model,
        usageMetadata: api
      })
      const oracle = calcPrice(extracted.usage, model, { providerId: "google", timestamp: new Date(at) })!
      expect(Pricing.price(model, mapped, { at })?.usd, model).toBeCloseTo(oracle.total_price, 9)
    }
  })

  it("finds a chat's project: .project_root, projects.json slugs, or the older SHA-256 folder names", () => {
    const root = mkdtempSync(join(tmpdir(), "gemini-projects-"))
    try {
      const gemini = join(root, ".gemini")
      mkdirSync(join(gemini, "tmp", "gproj", "chats"), { recursive: true })
      writeFileSync(join(gemini, "projects.json"), fixture("projects.json"))
      const chat = join(gemini, "tmp", "gproj", "chats", "session-x.jsonl")
      expect(Projects.projectOf(gemini, chat, null)).toBe("/home/dev/projects/gproj")
      // Older versions: the folder (and the header's projectHash) is the SHA-256 of the path.
      const hash = createHash("sha256").update("/home/dev/projects/gproj").digest("hex")
      expect(Projects.projectOf(gemini, join(gemini, "tmp", "old", "chats", "s.json"), hash)).toBe(
        "/home/dev/projects/gproj"
      )
      expect(Projects.projectOf(gemini, join(gemini, "tmp", hash, "chats", "s.json"), null)).toBe(
        "/home/dev/projects/gproj"
      )
      mkdirSync(join(gemini, "tmp", "other", "chats"), { recursive: true })
      writeFileSync(join(gemini, "tmp", "other", ".project_root"), "/home/dev/elsewhere\n")
      expect(Projects.projectOf(gemini, join(gemini, "tmp", "other", "chats", "s.jsonl"), null)).toBe(
        "/home/dev/elsewhere"
      )
      expect(Projects.projectOf(gemini, join(gemini, "tmp", "unknown", "chats", "s.jsonl"), null)).toBeNull()
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it("reading a chat file again gives the same events", () => {
    const events = (syncToolCalls: boolean) =>
      Kit.SessionEvents.toEvents(read("session-tools-0.61.0.jsonl"), {
        source: "gemini-cli",
        sessionId: "s",
        syncToolCalls
      })
    expect(events(true)).toEqual(events(true))
    expect(events(true).filter((e) => e.kind === "tool_call").length).toBe(3)
    expect(events(false).filter((e) => e.kind === "tool_call").length).toBe(0)
  })
})

describe("Gemini CLI session retention", () => {
  it("reads general.sessionRetention: 30 days by default, off when disabled, comments allowed", async () => {
    const root = mkdtempSync(join(tmpdir(), "gemini-retention-"))
    const path = join(root, "settings.json")
    const run = <A>(effect: import("effect/Effect").Effect<A>) =>
      import("effect/Effect").then((E) => E.runPromise(effect))
    try {
      expect(await run(Retention.retention(path))).toEqual({
        days: 30,
        setting: `general.sessionRetention.maxAge in ${path}`
      })
      writeFileSync(path, '{\n  // mine\n  "general": { "sessionRetention": { "maxAge": "2w" } }\n}\n')
      expect((await run(Retention.retention(path)))?.days).toBe(14)
      writeFileSync(path, '{ "general": { "sessionRetention": { "enabled": false } } }')
      expect(await run(Retention.retention(path))).toBeUndefined()
      expect(Retention.days("48h")).toBe(2)
      expect(Retention.days("soon")).toBeUndefined()
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe("Gemini CLI chat files: what Gemini CLI 0.61.0 appends when the conversation changes", () => {
  const lines = fixture("session-tools-0.61.0.jsonl")
    .split("\n")
    .filter((line) => line.trim() !== "")
  const replies = [...new Set(lines.filter((l) => l.includes('"type":"gemini"')).map((l) => JSON.parse(l).id))]
  const readLines = (all: ReadonlyArray<string>) =>
    Chat.read(Chat.parse(all.join("\n"), "jsonl").records, { syncThinking: true, cwd: "/home/dev/projects/gproj" })
  const reply = (id: string, at: string) =>
    JSON.stringify({
      id,
      timestamp: at,
      type: "gemini",
      content: "Again.",
      thoughts: [],
      tokens: { input: 950, output: 10, cached: 900, thoughts: 0, tool: 0, total: 960 },
      model: "gemini-3.8-flash"
    })

  it("a rewind (`$rewindTo`) drops messages from the conversation, not from the record: they were sent and billed", () => {
    const before = readLines(lines)
    const rewound = readLines([
      ...lines,
      JSON.stringify({ $rewindTo: replies[1] }),
      JSON.stringify({
        id: "after-rewind-user",
        timestamp: "2026-12-04T17:14:00.000Z",
        type: "user",
        content: [{ text: "Try again" }]
      }),
      reply("after-rewind-reply", "2026-12-04T17:14:01.000Z")
    ])
    expect(rewound.messages.slice(0, before.messages.length)).toEqual(before.messages)
    expect(rewound.messages.slice(before.messages.length).map((m) => [m.role, m.text])).toEqual([
      ["user", "Try again"],
      ["assistant", "Again."]
    ])
    expect(totalUsage(rewound)).toEqual(Usage.add(totalUsage(before), usage(50, 900, 10, 0)))
    expect(rewound.toolCalls).toEqual(before.toolCalls)
  })

  it("a `$set` of the whole message list (a rolled-back turn) keeps what was recorded; its copies count once", () => {
    const records = lines.map((line) => JSON.parse(line))
    const kept = records.filter((r) => r.type === "user" || r.type === "gemini").slice(0, 3)
    const before = readLines(lines)
    const rolledBack = readLines([
      ...lines,
      JSON.stringify({ $set: { messages: kept, lastUpdated: "2026-12-04T17:14:00.000Z" } })
    ])
    expect(rolledBack.messages).toEqual(before.messages)
    expect(totalUsage(rolledBack)).toEqual(totalUsage(before))
  })

  it("a compression: its summary is stored as a summary, not a prompt; Gemini CLI's own acknowledgement not at all", () => {
    const before = readLines(lines)
    const records = lines.map((line) => JSON.parse(line))
    const context = records[1].$set.messages[0]
    const snapshot = "<state_snapshot>\n  <overall_goal>Say hello and list a file.</overall_goal>\n</state_snapshot>"
    // What setHistory writes after a compression (0.61.0): the context, the summary as the user's, an acknowledgement
    // as the model's (neither with a model nor with usage), then the turns it keeps.
    const compressed = readLines([
      ...lines,
      JSON.stringify({
        id: "summary-1",
        timestamp: "2026-12-04T17:14:00.000Z",
        type: "user",
        content: [{ text: snapshot }]
      }),
      JSON.stringify({
        id: "ack-1",
        timestamp: "2026-12-04T17:14:00.001Z",
        type: "gemini",
        content: [{ text: "Got it. Thanks for the additional context!" }]
      }),
      JSON.stringify({
        $set: {
          messages: [
            context,
            { id: "summary-1", timestamp: "2026-12-04T17:14:00.000Z", type: "user", content: [{ text: snapshot }] },
            {
              id: "ack-1",
              timestamp: "2026-12-04T17:14:00.001Z",
              type: "gemini",
              content: [{ text: "Got it. Thanks for the additional context!" }]
            },
            records.at(-2)
          ]
        }
      })
    ])
    expect(compressed.messages.slice(0, before.messages.length)).toEqual(before.messages)
    expect(compressed.messages.slice(before.messages.length).map((m) => [m.role, m.subtype, m.text])).toEqual([
      ["system", "summary", snapshot]
    ])
    expect(totalUsage(compressed)).toEqual(totalUsage(before))
    const events = Kit.SessionEvents.toEvents(compressed, {
      source: "gemini-cli",
      sessionId: "s",
      syncToolCalls: false
    })
    expect(events.filter((e) => e.kind === "message" && e.subtype === "summary").length).toBe(1)
  })

  it("a resumed `.json` chat is continued as a `.jsonl` beside it: both give the same events, import reads the `.jsonl`", async () => {
    const json = fixture("session-2026-09-01T08-00-5d2c1f3a.json")
    const { messages, ...header } = JSON.parse(json) as { messages: Array<unknown>; sessionId: string }
    const continued = [
      JSON.stringify(header),
      ...messages.map((m) => JSON.stringify(m)),
      JSON.stringify({ $set: { sessionId: header.sessionId } }),
      JSON.stringify({ id: "u9", timestamp: "2026-12-01T09:00:00.000Z", type: "user", content: "One more thing" }),
      reply("g9", "2026-12-01T09:00:05.000Z")
    ]
    const options = { syncThinking: false, cwd: "/home/dev/projects/gproj" }
    const events = (session: Chat.ChatSession) =>
      Kit.SessionEvents.toEvents(session, { source: "gemini-cli", sessionId: session.id!, syncToolCalls: true })
    const old = events(Chat.read(Chat.parse(json, "json").records, options))
    const resumed = events(Chat.read(Chat.parse(continued.join("\n"), "jsonl").records, options))
    const ids = (list: ReadonlyArray<{ id: string; kind: string }>) =>
      list.filter((e) => e.kind !== "session").map((e) => e.id)
    expect(ids(resumed)).toEqual(expect.arrayContaining(ids(old)))
    expect(ids(resumed).length).toBe(ids(old).length + 2)
    // `import` reads the `.jsonl` only; a `.json` nobody continued is read as it is.
    const home = mkdtempSync(join(tmpdir(), "gemini-history-"))
    try {
      const chats = join(home, ".gemini", "tmp", "gproj", "chats")
      mkdirSync(chats, { recursive: true })
      writeFileSync(join(chats, "session-2026-09-01T08-00-5d2c1f3a.json"), json)
      writeFileSync(join(chats, "session-2026-09-01T08-00-5d2c1f3a.jsonl"), continued.join("\n"))
      writeFileSync(join(chats, "session-2026-08-01T08-00-0a0a0a0a.json"), json.replace(header.sessionId, "other"))
      const found = await Effect.runPromise(History.discover({ HOME: home }))
      expect(found.map((file) => [file.path.slice(chats.length + 1), file.sessionId]).sort()).toEqual([
        ["session-2026-08-01T08-00-0a0a0a0a.json", "other"],
        ["session-2026-09-01T08-00-5d2c1f3a.jsonl", header.sessionId]
      ])
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it("reads a chat larger than the whole-file limit line by line, to the same session as its whole text", async () => {
    // Past Kit.Memo.WHOLE_BYTES a `.jsonl` chat is read from disk a line at a time: a long chat's file
    // contents (tool arguments, results, displays) are never held whole.
    const text = fixture("session-tools-0.61.0.jsonl")
    const [header, ...rest] = text.trimEnd().split("\n")
    const content = "z".repeat(1_000_000)
    const filler = (i: number) =>
      JSON.stringify({
        id: `big-${i}`,
        timestamp: "2026-12-04T17:13:44.500Z",
        type: "gemini",
        content: `Wrote ${i}.`,
        model: "gemini-3.8-flash",
        toolCalls: [
          {
            id: `write_${i}`,
            name: "write_file",
            args: { file_path: `f${i}.txt`, content },
            result: [{ functionResponse: { id: `write_${i}`, name: "write_file", response: { output: content } } }],
            status: i % 2 === 0 ? "success" : "error",
            timestamp: "2026-12-04T17:13:44.600Z",
            resultDisplay: { fileDiff: content }
          }
        ]
      })
    const copies = Math.ceil(Kit.Memo.WHOLE_BYTES / filler(0).length) + 1
    const big = `${[header, ...Array.from({ length: copies }, (_, i) => filler(i)), ...rest, "not json", "[1]"].join("\n")}\n`
    const { home, path } = chatHome("gemini-big-", "session-2026-12-04T17-13-cc98f61b.jsonl")
    try {
      writeFileSync(path, big)
      const options = { syncToolCalls: true, syncThinking: true }
      const read = await Effect.runPromise(History.readChatFile(path, "fallback", options, { HOME: home }))
      const whole = Chat.read(Chat.parse(big, "jsonl").records, { syncThinking: true, cwd: "/home/dev/projects/gproj" })
      expect(read.session).toEqual(whole)
      expect(read.malformed).toBe(2)
      expect(read.session.toolCalls.filter((call) => call.name === "write_file").length).toBeGreaterThan(copies)
      // What is kept of a tool call is its summary and sizes, never the file's contents.
      const call = read.session.toolCalls.find((c) => c.callId === "write_1")
      expect(call).toMatchObject({ status: "error", input: { paths: ["/home/dev/projects/gproj/f1.txt"] } })
      expect(call?.output.bytes).toBeGreaterThan(1_000_000)
      expect(JSON.stringify(call).length).toBeLessThan(Limits.maxErrorChars + 1_000)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it("reads the rest of a chat past a damaged stretch too long to read: only that stretch is lost", async () => {
    // A chat with 640 MiB of NULs between two of its lines (a sparse file: no disk is used). Read whole, it failed
    // (past the longest string Node makes, 512 Mi characters) and lost the chat; read a line at a time, the stretch is
    // one malformed line.
    const text = fixture("session-tools-0.61.0.jsonl")
    const lines = text.trimEnd().split("\n")
    const before = `${lines.slice(0, 6).join("\n")}\n`
    const after = `\n${lines.slice(6).join("\n")}\n`
    const home = mkdtempSync(join(tmpdir(), "gemini-damaged-"))
    try {
      const chats = join(home, ".gemini", "tmp", "gproj", "chats")
      mkdirSync(chats, { recursive: true })
      const path = join(chats, "session-2026-12-04T17-13-cc98f61b.jsonl")
      writeFileSync(path, before)
      const at = 640 * 1024 ** 2
      truncateSync(path, at)
      const fd = openSync(path, "r+")
      writeSync(fd, after, at)
      closeSync(fd)
      const options = { syncToolCalls: true, syncThinking: true }
      const read = await Effect.runPromise(History.readChatFile(path, "fallback", options, { HOME: home }))
      const cwd = null
      expect(read.session).toEqual(Chat.read(Chat.parse(before + after, "jsonl").records, { syncThinking: true, cwd }))
      expect(read.malformed).toBe(1)
      expect(read.session.messages.map((m) => m.id)).toEqual(
        Chat.read(Chat.parse(text, "jsonl").records, { syncThinking: true, cwd }).messages.map((m) => m.id)
      )
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it("reads a grown chat on from what its last read gathered, to what a whole read gives", async () => {
    // Every chat is given a memo here (`memoFromBytes` 0): after each read, the chat grows by a line, by half a line
    // (still being written), or by the rest of it; each read equals the whole file's.
    const lines = geminiChat(12).trimEnd().split("\n")
    lines.splice(5, 0, "not json", "", '{"$set":{"summary":"A title"}}', "[1]")
    lines.push('{"$rewindTo":"prompt-3"}', lines[8]!.replace("Writing file", "Written file"))
    const { home, path } = chatHome("gemini-memo-", "session-2026-12-04T17-13-5e551017.jsonl")
    try {
      const env = { HOME: home }
      // What each read on from a memo leaves out of the events it queues was made by the read that left the memo.
      const leftOut = leftOutChecker()
      const expectWhole = async (text: string, syncThinking = true) => {
        writeFileSync(path, text)
        const options = { syncToolCalls: true, syncThinking }
        const read = await Effect.runPromise(History.readChatFile(path, "fallback", options, env, 0))
        const parsed = Chat.parse(text, "jsonl")
        const whole = Chat.read(parsed.records, { syncThinking, cwd: "/home/dev/projects/gproj" })
        const { unchanged: _, ...session } = read.session
        expect(session).toEqual(whole)
        // A half-written last line is unfinished, not malformed (the whole file's parse counts it malformed).
        expect(read.unfinished).toBe(text.endsWith("\n") ? 0 : 1)
        expect(read.malformed + read.unfinished).toBe(parsed.malformed)
        leftOut.check(read)
        return read
      }
      for (let count = 1; count <= lines.length; count++) {
        const text = `${lines.slice(0, count).join("\n")}\n`
        const next = lines[count]
        if (next !== undefined) await expectWhole(text + next.slice(0, next.length >> 1))
        await expectWhole(text)
      }
      expect(leftOut.counts().partial).toBeGreaterThan(lines.length)
      expect(leftOut.counts().leftOut).toBeGreaterThan(lines.length)
      const full = `${lines.join("\n")}\n`
      // Other settings: the memo is not used.
      await expectWhole(full, false)
      // A chat rewritten (its last line read is not what it was): read from the start.
      await expectWhole(`${lines.slice(0, 6).join("\n")}\n${lines.slice(9).join("\n")}\n`)
      // What the memo covers is not read again: a change before its last line is not seen (as the kit's checkpoints).
      await expectWhole(full)
      const damaged = full.replace('"Write file 1"', '"Write file X"')
      writeFileSync(path, damaged)
      const resumed = await Effect.runPromise(
        History.readChatFile(path, "fallback", { syncToolCalls: true, syncThinking: true }, env, 0)
      )
      expect(resumed.session.messages.map((m) => m.text)).toContain("Write file 1")
      // `import --again` reads it from its start.
      const again = await Effect.runPromise(
        History.readChatFile(path, "fallback", { syncToolCalls: true, syncThinking: true, again: true }, env, 0)
      )
      expect(again.session.messages.map((m) => m.text)).toContain("Write file X")
      // A memo of another shape (damaged, another build's) is not used, and is replaced.
      const memos = join(home, ".config", "gemini-sync", "chats")
      for (const name of readdirSync(memos)) {
        const memo = JSON.parse(readFileSync(join(memos, name), "utf8")) as { state: { chat: { kept: unknown } } }
        memo.state.chat.kept = [["a", null]]
        writeFileSync(join(memos, name), JSON.stringify(memo))
      }
      await expectWhole(`${full}${lines[3]!.replace("Write file", "Wrote file")}\n`)
      await expectWhole(`${full}${lines[3]!.replace("Write file", "Wrote file")}\n${lines[4]}\n`)
      // `import` finds the chats: the memo of one still there stays, the memos of those gone are removed.
      const memoNames = () => readdirSync(memos).sort()
      const kept = memoNames()
      expect(kept).toHaveLength(1)
      writeFileSync(join(memos, `${"0".repeat(32)}.json`), "{}")
      writeFileSync(join(memos, `${kept[0]}.123.tmp`), "{")
      await Effect.runPromise(History.discover(env))
      expect(memoNames()).toEqual(kept)
      // A blank last line read: the rewrite of a line before it (same length, a line break at the same place) is seen.
      const header = lines[0]!
      await expectWhole(`${header}\n${lines[1]}\n\n`)
      await expectWhole(`${header}\n${lines[1]!.replace("Write file 0", "Write file Z")}\n\n`)
      rmSync(path)
      await Effect.runPromise(History.discover(env))
      expect(memoNames()).toEqual([])
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })
})
