import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Kit } from "@opensync/client"
import { Event, Ingest, Pricing, Usage } from "@opensync/domain"
import { totalUsage, usage } from "@opensync/testkit/HookAgent"
import { leftOutChecker } from "@opensync/testkit/MemoParts"
import { calcPrice, extractUsage, findProvider } from "@pydantic/genai-prices"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Events from "../src/Events.js"
import * as History from "../src/History.js"
import * as Rollout from "../src/Rollout.js"
import * as CodexUsage from "../src/Usage.js"

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8")
const fixtures = readdirSync(join(__dirname, "fixtures")).filter((name) => name.endsWith(".jsonl"))
const read = (name: string, syncThinking = true) =>
  Rollout.read(Kit.SessionFiles.parseJsonLines(fixture(name)).lines, { syncThinking })

describe("Codex session files", () => {
  it("reads the captured 0.171.0 session: the prompt, the reply and its usage, no injected context", () => {
    const session = read("rollout-0.171.0.jsonl")
    expect(session).toMatchObject({
      id: "01a24126-d071-7d40-b1a6-dce6c095a6d9",
      cwd: "/home/dev/projects/demo",
      model: "gpt-5.5",
      provider: "fake",
      agentVersion: "0.171.0",
      startedAt: Date.parse("2026-12-04T13:03:12.543Z")
    })
    expect(session.messages.map((m) => [m.role, m.id, m.text])).toEqual([
      ["user", "msg_01a24126-d178-7801-af06-cf15d3fbefd5", "Say hello"],
      ["assistant", "msg_fake1", "Hello from the fake model."]
    ])
    // input 1,200 includes 1,000 cached; output 40 includes 10 of reasoning.
    expect(session.messages[1]?.usage).toEqual(usage(200, 1_000, 30, 10))
  })

  it("sends what was piped into `codex exec` as its length, never its text (a file: `cat notes.txt | codex exec`)", () => {
    const piped = "PRIVATE_FILE_CONTENT line one\nline two"
    const prompt = `summarize the piped notes\n\n<stdin>\n${piped}\n</stdin>`
    const text = fixture("rollout-0.171.0.jsonl").replace('"text":"Say hello"', `"text":${JSON.stringify(prompt)}`)
    const session = Rollout.read(Kit.SessionFiles.parseJsonLines(text).lines, { syncThinking: true })
    const stdin = `summarize the piped notes\n\n[stdin: ${piped.length} characters, not synced]`
    expect(session.messages[0]).toMatchObject({ role: "user", text: stdin, parts: [{ type: "text", text: stdin }] })
    expect(JSON.stringify(session)).not.toContain("PRIVATE_FILE_CONTENT")
    // Only a block that ends the prompt is Codex's
    expect(Rollout.withoutStdin("explain <stdin>\nx\n</stdin> tags")).toBe("explain <stdin>\nx\n</stdin> tags")
  })

  it("titles a session by its first prompt when Codex named no thread (the dashboard showed 'Untitled session')", () => {
    const title = (session: Rollout.RolloutSession) =>
      Events.toEvents(session, { sessionId: "s", syncToolCalls: false }).find((e) => e.kind === "session")
    expect(title(read("rollout-0.171.0.jsonl"))).toMatchObject({ title: "Say hello" })
    // The injected context of an older Codex is no prompt
    expect(title(read("legacy-token-count.jsonl"))).toMatchObject({ title: "List the files" })
    // A thread's own name wins
    const named = `${fixture("rollout-0.171.0.jsonl")}${JSON.stringify({
      timestamp: "2026-12-04T13:04:00.000Z",
      type: "event_msg",
      payload: { type: "thread_name_updated", thread_name: "Greeting" }
    })}\n`
    const session = Rollout.read(Kit.SessionFiles.parseJsonLines(named).lines, { syncThinking: true })
    expect(title(session)).toMatchObject({ title: "Greeting" })
  })

  it("reads a session with tool calls: one reply per API response, tool calls with exit codes and paths", () => {
    const session = read("rollout-tools-0.171.0.jsonl")
    expect(session.messages.map((m) => [m.role, m.id, m.text, m.parts.map((p) => p.type)])).toEqual([
      ["user", "msg_01a2420a-f3d6-77a3-93b4-077b33bc84e8", "Run echo hello then list a missing file", ["text"]],
      ["assistant", "msg_1a", "Step 1.", ["text", "tool"]],
      ["assistant", "msg_2a", "Step 2.", ["text", "tool"]],
      ["assistant", "msg_3a", "Step 3.", ["text", "tool"]],
      ["assistant", "rs_4", "All done.", ["text"]]
    ])
    expect(session.messages[4]?.thinking).toBe("Thinking about it.")
    expect(read("rollout-tools-0.171.0.jsonl", false).messages[4]?.thinking).toBeNull()
    expect(session.messages.slice(1).map((m) => m.usage)).toEqual([
      usage(501, 500, 43, 7),
      usage(502, 500, 43, 7),
      usage(503, 500, 43, 7),
      usage(504, 500, 43, 7)
    ])
    // What the token_count events' last cumulative total says, in OpenSync's terms.
    expect(totalUsage(session)).toEqual(usage(4_010 - 2_000, 2_000, 200 - 28, 28))
    expect(session.toolCalls.map((c) => [c.callId, c.messageId, c.name, c.status, c.output.exitCode, c.input])).toEqual(
      [
        ["call_1", "msg_1a", "exec_command", "completed", 0, { summary: "echo hello", paths: [], bytes: 20 }],
        [
          "call_2",
          "msg_2a",
          "apply_patch",
          "completed",
          0,
          { summary: null, paths: ["/home/dev/projects/demo/hello.txt"], bytes: 81 }
        ],
        ["call_3", "msg_3a", "exec_command", "error", 2, { summary: "ls ./no-such-file", paths: [], bytes: 27 }]
      ]
    )
    expect(session.toolCalls[2]?.output.error).toBe("ls: cannot access './no-such-file': No such file or directory")
    expect(session.toolCalls[0]?.output.error).toBeNull()
    expect(session.toolCalls.every((c) => c.completedAt !== null && c.completedAt >= c.startedAt)).toBe(true)
  })

  it("counts a fork's own responses only, not the cumulative totals it starts from (0.171.0 fork)", () => {
    const session = read("rollout-fork-0.171.0.jsonl")
    expect(session.forkedFrom).toBe("01a2420a-f382-72b0-b3a0-62e56c138584")
    expect(session.messages.map((m) => [m.role, m.text])).toEqual([
      ["user", "Again please"],
      ["assistant", "All done."]
    ])
    // token_count's total is 5,019 input: the parent's 4,010 plus this response's 1,009.
    expect(totalUsage(session)).toEqual(usage(509, 500, 43, 7))
  })

  it("trap: token_count re-emits cumulative totals; an older file counts their growth once (no token_usage_record)", () => {
    const lines = Kit.SessionFiles.parseJsonLines(fixture("legacy-token-count.jsonl")).lines
    const session = Rollout.read(lines, { syncThinking: true })
    // A naive sum of every token_count's last usage counts 5,000 three times, 6,000 and 7,000 twice each.
    const naive = lines
      .filter((l) => (l.payload as { type?: string }).type === "token_count")
      .reduce(
        (n, l) =>
          n +
          ((l.payload as { info?: { last_token_usage?: { input_tokens: number } } }).info?.last_token_usage
            ?.input_tokens ?? 0),
        0
      )
    expect(naive).toBe(3 * 5_000 + 2 * 6_000 + 2 * 7_000)
    expect(totalUsage(session)).toEqual(usage(1_000 + 1_000 + 500, 4_000 + 5_000 + 6_500, 80 + 80 + 140, 40 + 0 + 60))
    expect(session.messages.map((m) => [m.role, m.text])).toEqual([
      ["user", "List the files"],
      ["assistant", ""],
      ["assistant", ""],
      ["assistant", "There is one file, README.md."]
    ])
    expect(session.messages[1]?.thinking).toBe("**Listing** the files")
    expect(session).toMatchObject({
      model: "gpt-5-codex",
      gitBranch: "main",
      agentVersion: "0.46.0",
      provider: "openai"
    })
    expect(session.toolCalls.map((c) => [c.name, c.input.summary, c.status, c.output.exitCode])).toEqual([
      ["shell", "ls", "completed", 0],
      ["shell", "cat missing.txt", "error", 1]
    ])
  })

  it("trap: a fork that replays its parent's lines counts only its own turn (with and without usage records)", () => {
    for (const name of ["fork-replay.jsonl", "fork-replay-legacy.jsonl"]) {
      const session = read(name)
      expect(session.id, name).toBe("01a24300-0000-7000-8000-00000000000f")
      expect(session.cwd, name).toBe("/home/dev/projects/demo")
      expect(session.model, name).toBe("gpt-5.5")
      expect(
        session.messages.map((m) => m.id),
        name
      ).toEqual(["msg_fork_user", "msg_fork_reply"])
      expect(totalUsage(session), name).toEqual(usage(500, 3_000, 40, 10))
    }
  })

  it("trap: the same API response recorded twice counts once; a subagent names its parent", () => {
    const session = read("subagent-duplicate-record.jsonl")
    expect(session.parentId).toBe("01a24400-0000-7000-8000-0000000000aa")
    expect(session.title).toBe("Say done")
    expect(session.messages.map((m) => [m.role, m.text, m.usage])).toEqual([
      ["user", "Say done", null],
      ["assistant", "done", usage(300, 1_500, 200, 100, 200)]
    ])
  })

  it("trap: cached input and reasoning are counted once and priced as OpenAI bills them", () => {
    // The usage of a Responses API response, in the API's own shape (input includes cached, output reasoning).
    const billed = { input_tokens: 301_000, input_tokens_details: { cached_tokens: 120_000 }, output_tokens: 9_000 }
    const api = { ...billed, output_tokens_details: { reasoning_tokens: 4_000 } }
    const mapped = CodexUsage.fromCodex({
      input_tokens: api.input_tokens,
      cached_input_tokens: api.input_tokens_details.cached_tokens,
      output_tokens: api.output_tokens,
      reasoning_output_tokens: api.output_tokens_details.reasoning_tokens
    })
    expect(mapped).toEqual(usage(181_000, 120_000, 5_000, 4_000))
    expect(Usage.total(mapped)).toBe(api.input_tokens + api.output_tokens)
    for (const model of ["gpt-5.5", "gpt-5.4", "gpt-5-mini", "gpt-5.1-codex-mini"]) {
      const at = Date.parse("2026-12-04T12:00:00Z")
      const oracle = calcPrice(
        extractUsage(findProvider({ providerId: "openai" })!, { model, usage: api }, "responses").usage,
        model,
        { providerId: "openai", timestamp: new Date(at) }
      )
      // 301,000 prompt tokens: past GPT-5.4/5.5's 272K long-context threshold, so the whole request is at that tier.
      expect(Pricing.price(model, mapped, { at })?.usd, model).toBeCloseTo(oracle!.total_price, 9)
    }
    expect(Pricing.price("gpt-unknown-9", mapped)).toBeUndefined()
  })

  it("becomes events that store the same totals, and reading the file again gives the same events", () => {
    const session = read("rollout-tools-0.171.0.jsonl")
    const events = Events.toEvents(session, { sessionId: session.id!, syncToolCalls: true })
    expect(events.map((e) => e.kind)).toEqual([
      "session",
      "message",
      "message",
      "message",
      "message",
      "message",
      "tool_call",
      "tool_call",
      "tool_call"
    ])
    expect(
      Events.toEvents(read("rollout-tools-0.171.0.jsonl"), { sessionId: session.id!, syncToolCalls: true })
    ).toEqual(events)
    expect(events[0]).toMatchObject({
      source: "codex-cli",
      projectPath: "/home/dev/projects/demo",
      projectName: "demo",
      model: "gpt-5.5",
      provider: "fake",
      agentVersion: "0.171.0"
    })
    let stored = Ingest.emptySession(session.id!, "codex-cli", 0)
    for (const encoded of events) {
      const decoded = Event.decodeUnknown(encoded)
      if (Either.isLeft(decoded)) throw new Error(String(decoded.left))
      const value = decoded.right
      if (value.kind === "message") stored = Ingest.applyMessageEvent(stored, null, value).session
      if (value.kind === "tool_call") stored = Ingest.applyToolCallEvent(stored, null, value).session
    }
    expect(stored.usage).toEqual(totalUsage(session))
    expect(stored.toolCallCount).toBe(3)
    expect(stored.toolErrorCount).toBe(1)
    expect(stored.toolSlices.map((slice) => [slice.tool, slice.calls]).sort()).toEqual([
      ["Bash", 2],
      ["Edit", 1]
    ])
  })

  it("reads a file one line at a time as it reads all its lines at once", () => {
    // What import reads (History.ts): lines parsed as they are read.
    // A failed call's error, malformed and blank lines, and a line that only mentions token_usage_record included.
    const extra = [
      "",
      "not json",
      "[1, 2]",
      JSON.stringify({ type: "event_msg", payload: { type: "agent_message", message: '"token_usage_record"' } })
    ].join("\n")
    for (const name of fixtures) {
      for (const text of [fixture(name), `${fixture(name)}${extra}\n`, `${fixture(name).trimEnd()}\n\n${extra}`]) {
        const all = Kit.SessionFiles.parseJsonLines(text)
        const counts = { malformed: 0 }
        const lines = () => Kit.SessionFiles.linesOf(text)
        const streamed = Rollout.read(Kit.SessionFiles.jsonObjectsOf(lines(), counts), { syncThinking: true })
        expect(streamed, name).toEqual(Rollout.read(all.lines, { syncThinking: true }))
        expect(counts.malformed, name).toBe(all.malformed)
      }
    }
    expect(fixtures.length).toBeGreaterThan(5)
    const records = (text: string) => text.includes('"type":"token_usage_record"')
    expect(fixtures.filter((name) => records(fixture(name))).length).toBeGreaterThan(0)
    expect(fixtures.filter((name) => !records(fixture(name))).length).toBeGreaterThan(0)
    // A failed call keeps its error (only its output text is dropped while reading).
    const tools = read("rollout-tools-0.171.0.jsonl")
    expect(tools.toolCalls.some((call) => call.status === "error" && call.output.error !== null)).toBe(true)
  })

  it("reads a grown session file on from what its last read gathered, to what a whole read gives", async () => {
    // Every file is given a memo here (`memoFromBytes` 0): after each read the file grows by a line, by half a line
    // (still being written) or by the rest of it, and each read equals a whole read of the file as it is then.
    const dir = mkdtempSync(join(tmpdir(), "codex-memo-"))
    const env = { HOME: dir }
    const options = { syncToolCalls: true, syncThinking: true }
    const path = join(dir, "rollout-2026-12-04T13-03-12-01a24126-d071-7d40-b1a6-dce6c095a6d9.jsonl")
    const readNow = (memoFromBytes: number, syncThinking = true) =>
      Effect.runPromise(History.readSessionFile(path, "fallback", { ...options, syncThinking }, env, memoFromBytes))
    // What each read on from a memo leaves out of the events it queues was made by the read that left the memo.
    let leftOut = leftOutChecker()
    let leftOutInAll = 0
    const expectWhole = async (text: string, syncThinking = true) => {
      writeFileSync(path, text)
      const read = await readNow(0, syncThinking)
      const whole = await readNow(Number.POSITIVE_INFINITY, syncThinking)
      const { unchanged: _, ...session } = read.session
      expect(session).toEqual(whole.session)
      expect(read.events).toEqual(whole.events)
      expect(read.malformed).toBe(whole.malformed)
      leftOut.check(read)
      return read
    }
    const memos = join(dir, ".config", "codex-sync", "rollouts")
    try {
      for (const name of fixtures) {
        rmSync(memos, { recursive: true, force: true })
        leftOut = leftOutChecker()
        const lines = fixture(name).trimEnd().split("\n")
        lines.splice(2, 0, "not json", "", "[1]")
        for (let count = 1; count <= lines.length; count++) {
          const text = `${lines.slice(0, count).join("\n")}\n`
          const next = lines[count]
          if (next !== undefined) await expectWhole(text + next.slice(0, next.length >> 1))
          await expectWhole(text)
        }
        // Each line read on from the memo of the read before, leaving out what that read made.
        expect(leftOut.counts().partial).toBeGreaterThan(lines.length)
        leftOutInAll += leftOut.counts().leftOut
        // Other settings: the memo is not used.
        await expectWhole(`${lines.join("\n")}\n`, false)
      }
      expect(readdirSync(memos)).toHaveLength(1)
      expect(leftOutInAll).toBeGreaterThan(400)

      // A file an older Codex began (usage in token_count totals only) that a newer one resumed (a usage record per
      // response, then the totals): the older turns keep their usage, the newer ones add their records', once.
      rmSync(memos, { recursive: true, force: true })
      const legacy = fixture("legacy-token-count.jsonl")
      const newer = fixture("rollout-0.171.0.jsonl").split("\n")
      const newerId = JSON.parse(newer[0] ?? "").payload.id
      const record = newer
        .find((line) => line.includes('"type":"token_usage_record"'))
        ?.replaceAll(newerId, JSON.parse(legacy.split("\n")[0] ?? "").payload.id)
      const totals = newer.find((line) => line.includes('"type":"token_count"'))
      expect(record).toBeDefined()
      expect(legacy.includes("token_usage_record")).toBe(false)
      const before = await expectWhole(legacy)
      const recordUsage = CodexUsage.fromCodex(JSON.parse(record ?? "").payload.usage)
      // Codex's totals go on from the older turns' (the resumed session's), grown by the new response
      const lastTotals = legacy
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line))
        .filter((line) => line.payload?.type === "token_count" && line.payload.info !== null)
        .at(-1).payload.info.total_token_usage
      const grownTotals = JSON.parse(totals ?? "")
      const newUsage = JSON.parse(record ?? "").payload.usage
      for (const key of Object.keys(lastTotals))
        grownTotals.payload.info.total_token_usage[key] = lastTotals[key] + (newUsage[key] ?? 0)
      const after = await expectWhole(`${legacy}${record}\n${JSON.stringify(grownTotals)}\n`)
      expect(totalUsage(after.session)).toEqual(Usage.add(totalUsage(before.session), recordUsage))
      // and the older turns' replies are still theirs (each with its usage)
      expect(after.session.messages.filter((m) => m.usage !== null).length).toBe(
        before.session.messages.filter((m) => m.usage !== null).length + 1
      )

      // What the memo covers is not read again: a change before its place is not seen (as the kit's checkpoints).
      const tools = fixture("rollout-tools-0.171.0.jsonl")
      await expectWhole(tools)
      writeFileSync(path, tools.replaceAll("Step 1.", "Step X."))
      expect((await readNow(0)).session.messages.map((m) => m.text)).toContain("Step 1.")
      expect((await readNow(Number.POSITIVE_INFINITY)).session.messages.map((m) => m.text)).toContain("Step X.")
      // `import --again` reads it from its start, and leaves a memo of that read.
      const again = History.readSessionFile(path, "fallback", { ...options, again: true }, env, 0)
      expect((await Effect.runPromise(again)).session.messages.map((m) => m.text)).toContain("Step X.")
      expect((await readNow(0)).session.messages.map((m) => m.text)).toContain("Step X.")
      // A file rewritten where its memo stopped is read from its start.
      await expectWhole(`${tools.trimEnd().split("\n").slice(0, -2).join("\n")}\n{"x":1}\n`)
      // A memo of another shape (damaged, another build's) is not used, and is replaced.
      await expectWhole(tools)
      for (const file of readdirSync(memos)) {
        const memo = JSON.parse(readFileSync(join(memos, file), "utf8")) as { state: { calls: unknown } }
        memo.state.calls = [null]
        writeFileSync(join(memos, file), JSON.stringify(memo))
      }
      await expectWhole(`${tools}{"x":2}\n`)
      await expectWhole(`${tools}{"x":2}\n{"x":3}\n`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("reads a session file larger than the whole-file limit line by line, to the same session and events", async () => {
    // Past Kit.Memo.WHOLE_BYTES the file is read from disk once per pass, never held whole.
    const text = fixture("rollout-tools-0.171.0.jsonl")
    const [meta, ...rest] = text.trimEnd().split("\n")
    const filler = JSON.stringify({
      timestamp: "2026-12-04T13:03:12.600Z",
      type: "event_msg",
      payload: { type: "agent_reasoning", text: "z".repeat(1_000_000) }
    })
    const copies = Math.ceil(Kit.Memo.WHOLE_BYTES / filler.length) + 1
    const big = `${[meta, ...Array.from({ length: copies }, () => filler), ...rest, "not json"].join("\n")}\n`
    const dir = mkdtempSync(join(tmpdir(), "codex-big-"))
    try {
      const path = join(dir, "rollout-big.jsonl")
      writeFileSync(path, big)
      expect(statSync(path).size).toBeGreaterThan(Kit.Memo.WHOLE_BYTES)
      const options = { syncToolCalls: true, syncThinking: true }
      const read = await Effect.runPromise(History.readSessionFile(path, "fallback", options, { HOME: dir }))
      const all = Kit.SessionFiles.parseJsonLines(big)
      expect(read.session).toEqual(Rollout.read(all.lines, { syncThinking: true }))
      expect(read.malformed).toBe(1)
      const small = join(dir, "rollout-small.jsonl")
      writeFileSync(small, text)
      const whole = await Effect.runPromise(History.readSessionFile(small, "fallback", options, { HOME: dir }))
      expect(whole.session).toEqual(Rollout.read(Kit.SessionFiles.parseJsonLines(text).lines, { syncThinking: true }))
      expect(read.events.length).toBeGreaterThan(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
