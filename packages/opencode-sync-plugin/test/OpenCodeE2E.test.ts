/**
 * End to end: the real `opencode` CLI runs offline against a scripted fake Chat Completions API with this plugin loaded
 * from `opencode.json`, and syncs to a real local OpenSync server. What the server stored is compared with what
 * `opencode export` reports for the same session; importing the same session from OpenCode's SQLite store must give
 * the same stored result. The suite runs once per supported OpenCode release: the pinned one
 * (scripts/install-opencode.sh) and the registry's newest, each recording its results for docs/compatibility.md.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Agents from "@opensync/testkit/Agents"
import * as FakeModel from "@opensync/testkit/FakeModel"
import * as Struct from "effect/Struct"
import * as Fake from "./e2e/FakeOpenAI.js"
import * as OpenCode from "./e2e/OpenCode.js"
import * as Server from "./e2e/Server.js"

const PROMPT = "Run echo hello, write hello.txt, list a missing file, then ask a subagent to say done."
const CONTINUE = `${Fake.TEXT_MARKER} Thanks, anything else?`

type Tokens = { input: number; output: number; reasoning: number; cache: { read: number; write: number } }

const usageOf = (tokens: Tokens | undefined): Server.StoredUsage => ({
  input: tokens?.input ?? 0,
  output: tokens?.output ?? 0,
  cacheRead: tokens?.cache.read ?? 0,
  cacheWrite5m: tokens?.cache.write ?? 0,
  cacheWrite1h: 0,
  reasoning: tokens?.reasoning ?? 0
})

/** What the server should hold for each message, derived from `opencode export`. */
const expectedMessages = (exported: OpenCode.Exported) =>
  exported.messages
    .filter((m) => m.info.role === "user" || m.info.time.completed !== undefined)
    .map((m) => ({
      id: m.info.id,
      role: m.info.role,
      text: m.parts
        .filter((p) => p.type === "text" && typeof p.text === "string" && p.text !== "" && p.ignored !== true)
        .map((p) => p.text)
        .join("\n"),
      model: m.info.role === "assistant" ? (m.info.modelID ?? null) : null,
      usage: m.info.role === "assistant" ? usageOf(m.info.tokens) : usageOf(undefined),
      costUsd: m.info.role === "assistant" ? (m.info.cost ?? 0) : 0,
      createdAt: m.info.time.created
    }))

/** The stored messages' fields `expectedMessages` gives. */
const storedMessages = (detail: Server.SessionDetail) =>
  detail.messages.map((m) => Struct.pick(m, "id", "role", "text", "model", "usage", "costUsd", "createdAt"))

/** The tool calls `opencode export` shows in a final state. */
const expectedToolCalls = (exported: OpenCode.Exported) =>
  exported.messages.flatMap((m) =>
    m.parts
      .filter((p) => p.type === "tool")
      .map((p) => {
        const state = p.state as {
          status: string
          time: { start: number; end: number }
          metadata?: { exit?: number }
        }
        return {
          id: String(p.callID),
          messageId: m.info.id,
          name: String(p.tool),
          status: state.status,
          startedAt: state.time.start,
          durationMs: state.time.end - state.time.start,
          exitCode: state.metadata?.exit ?? null
        }
      })
  )

/** The stored tool calls' fields `expectedToolCalls` gives. */
const storedToolCalls = (detail: Server.SessionDetail) =>
  detail.toolCalls.map((c) => ({
    ...Struct.pick(c, "id", "messageId", "name", "status", "startedAt", "durationMs"),
    exitCode: c.output.exitCode
  }))

const sortById = <A extends { readonly id: string }>(items: ReadonlyArray<A>) =>
  [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

/** Asserts that the server holds exactly what OpenCode stored for the session. */
const checkAgainstExport = (detail: Server.SessionDetail, exported: OpenCode.Exported, version: string) => {
  expect(sortById(storedMessages(detail))).toEqual(sortById(expectedMessages(exported)))
  expect(sortById(storedToolCalls(detail))).toEqual(sortById(expectedToolCalls(exported)))
  expect(detail.session.usage).toEqual(usageOf(exported.info.tokens))
  expect(detail.session.costUsd).toBeCloseTo(exported.info.cost, 9)
  expect(detail.session.messageCount).toBe(detail.messages.length)
  expect(detail.session).toMatchObject({
    source: "opencode",
    title: exported.info.title,
    projectPath: exported.info.directory,
    parentSessionId: exported.info.parentID ?? null,
    agentVersion: version
  })
}

/** Session details without the per-row arrival bookkeeping, for comparing two servers. */
const comparable = (detail: Server.SessionDetail) => JSON.parse(JSON.stringify(detail)) as Server.SessionDetail

for (const version of Agents.agentVersions("opencode")) {
  if (version.missing !== undefined) console.warn(`${version.label} e2e tests skipped: ${version.missing}`)

  describe.skipIf(version.missing !== undefined)(
    `${version.label}: opencode-sync with the real opencode binary`,
    () => {
      let fake: Fake.FakeOpenAI
      let server: Awaited<ReturnType<typeof Server.startServer>>
      let workspace: OpenCode.Workspace
      let sync: OpenCode.SyncTarget
      let mainId = ""
      let childId = ""

      beforeAll(async () => {
        fake = await Fake.start()
        server = await Server.startServer()
        sync = { url: server.url, key: server.key }
        workspace = OpenCode.makeWorkspace(fake.url, { bin: version.bin, version: version.version })
      })

      afterAll(async (suite) => {
        Agents.recordResults(version, suite)
        await server?.stop()
        await fake?.close()
        workspace?.remove()
      })

      it("syncs a session with tool calls and a subagent live, matching opencode export", async () => {
        const run = await OpenCode.runOpenCode(workspace, PROMPT, sync)
        expect(run.code, run.stderr.slice(-2000)).toBe(0)
        mainId = run.sessionId
        expect(mainId).toMatch(/^ses_/)
        expect(Fake.replies(fake).map((r) => `${r.kind}:${r.step}`)).toEqual([
          "title:0",
          "main:0",
          "main:1",
          "main:2",
          "main:3",
          "subagent:0",
          "main:4"
        ])
        expect(await OpenCode.waitForSyncIdle(workspace)).toBe(true)

        const exported = await OpenCode.exportSession(workspace, mainId)
        const task = exported.messages.flatMap((m) => m.parts).find((p) => p.tool === "task")
        childId = String((task?.state as { metadata?: { sessionId?: string } } | undefined)?.metadata?.sessionId)
        expect(childId).toMatch(/^ses_/)

        const stored = await Server.pollFor(async () => {
          const got = await Server.getSession(sync, mainId)
          return got !== undefined && got.detail.messages.length === expectedMessages(exported).length ? got : undefined
        }, 15_000)
        expect(stored, "the session reached the server").toBeDefined()
        const detail = stored!.detail
        checkAgainstExport(detail, exported, version.version)
        expect(detail.session).toMatchObject({ title: Fake.TITLE, model: "fake-model", provider: "fake" })
        expect(detail.messages.map((m) => [m.role, m.text])).toEqual([
          ["user", `"${PROMPT}"`],
          ["assistant", "Step 1: using bash."],
          ["assistant", "Step 2: using write."],
          ["assistant", "Step 3: using bash."],
          ["assistant", "Step 4: using task."],
          ["assistant", Fake.FINAL_TEXT]
        ])
        expect(detail.toolCalls.map((c) => [c.name, c.status, c.output.exitCode, c.input.summary])).toEqual([
          ["bash", "completed", 0, "echo hello"],
          ["write", "completed", null, null],
          ["bash", "completed", 2, `ls ${Fake.MISSING_FILE}`],
          ["task", "completed", null, "general: Subagent probe"]
        ])
        expect(detail.toolCalls[1]?.input.paths).toEqual([join(workspace.project, "hello.txt")])
        expect(detail.session.toolErrorCount).toBe(1)
        // The usage OpenCode recorded is what the fake billed (input excludes cached tokens).
        const billed = Fake.replies(fake).filter((r) => r.kind === "main")
        expect(detail.session.usage.input).toBe(
          billed.reduce((n, r) => n + r.usage.prompt_tokens - r.usage.cached_tokens, 0)
        )
        expect(detail.session.usage.cacheRead).toBe(billed.reduce((n, r) => n + r.usage.cached_tokens, 0))
        expect(detail.session.usage.output).toBe(billed.reduce((n, r) => n + r.usage.completion_tokens, 0))
        // The body of the written file never leaves the machine (it is in the user message's diff and the tool input).
        expect(stored!.raw).not.toContain(Fake.WRITTEN_CONTENT.trim())

        const child = await Server.getSession(sync, childId)
        expect(child, "the subagent's session reached the server").toBeDefined()
        checkAgainstExport(child!.detail, await OpenCode.exportSession(workspace, childId), version.version)
        expect(child!.detail.session.parentSessionId).toBe(mainId)
        expect(child!.detail.messages.map((m) => m.text)).toEqual([
          `${Fake.SUBAGENT_MARKER}: reply with the word done. Do not use tools.`,
          Fake.SUBAGENT_TEXT
        ])
        const log = join(workspace.stateDir, "opencode-sync.log")
        const problems = readdirSync(workspace.stateDir).includes("opencode-sync.log") ? readFileSync(log, "utf8") : ""
        expect(problems).not.toMatch(/plugin (error|warn)/)
      }, 180_000)

      it("adds a second turn of the same session (opencode run --session)", async () => {
        const run = await OpenCode.runOpenCode(workspace, CONTINUE, sync, mainId)
        expect(run.code, run.stderr.slice(-2000)).toBe(0)
        expect(await OpenCode.waitForSyncIdle(workspace)).toBe(true)
        const exported = await OpenCode.exportSession(workspace, mainId)
        const stored = await Server.pollFor(async () => {
          const got = await Server.getSession(sync, mainId)
          return got !== undefined && got.detail.messages.length === expectedMessages(exported).length ? got : undefined
        }, 15_000)
        expect(stored).toBeDefined()
        checkAgainstExport(stored!.detail, exported, version.version)
        expect(stored!.detail.messages.at(-1)?.text).toBe(Fake.PLAIN_TEXT)
      }, 120_000)

      it("imports the same sessions from opencode.db: same stored result, nothing duplicated", async () => {
        const before = await Server.getSession(sync, mainId)
        const childBefore = await Server.getSession(sync, childId)
        const run = await OpenCode.runCli(workspace, ["import"], sync)
        expect(run.code, `${run.stdout}${run.stderr}`).toBe(0)
        // Live sync recorded what it sent: the subagent's session, run whole in the first process, is unchanged; the
        // main one had its second turn in another process (which met it on its way), so it is read again.
        expect(run.stdout).toMatch(
          /2 sessions \(0 new, 1 updated, 1 unchanged\): read 1 session\(s\) \(2 from .*opencode\.db\)/
        )
        const after = await Server.getSession(sync, mainId)
        expect(after?.raw).toBe(before?.raw)
        expect((await Server.getSession(sync, childId))?.raw).toBe(childBefore?.raw)

        // The same import into an empty server stores exactly what live sync stored.
        const fresh = await Server.startServer()
        const stateDir = mkdtempSync(join(tmpdir(), "ocs-import-state-"))
        try {
          const target = { url: fresh.url, key: fresh.key }
          const imported = await OpenCode.runCli(workspace, ["import"], target, { OPENCODE_SYNC_STATE_DIR: stateDir })
          expect(imported.code, `${imported.stdout}${imported.stderr}`).toBe(0)
          const main = await Server.getSession(target, mainId)
          const child = await Server.getSession(target, childId)
          expect(comparable(main!.detail)).toEqual(comparable(before!.detail))
          expect(comparable(child!.detail)).toEqual(comparable(childBefore!.detail))
          // Importing again changes nothing.
          const again = await OpenCode.runCli(workspace, ["import"], target, { OPENCODE_SYNC_STATE_DIR: stateDir })
          expect(again.code).toBe(0)
          expect(again.stdout).toContain("2 sessions (0 new, 0 updated, 2 unchanged): read 0 session(s)")
          expect((await Server.getSession(target, mainId))?.raw).toBe(main?.raw)
        } finally {
          await fresh.stop()
          rmSync(stateDir, { recursive: true, force: true })
        }
      }, 120_000)

      it("verify finds the plugin in opencode.json and checks the connection", async () => {
        const ok = await OpenCode.runCli(workspace, ["verify"], sync)
        expect(ok.code, `${ok.stdout}${ok.stderr}`).toBe(0)
        expect(ok.stdout).toContain("plugin      ok: registered in")
        expect(ok.stdout).toContain("connection  ok: OpenSync")
        const unreachable = await OpenCode.runCli(workspace, ["verify"], {
          url: `http://127.0.0.1:${await FakeModel.reservePort()}`,
          key: sync.key
        })
        expect(unreachable.code).toBe(1)
        expect(unreachable.stderr).toContain("cannot be reached")
      }, 60_000)

      it("keeps a session made while the server is down and sends it with `opencode-sync sync`", async () => {
        const down = { url: `http://127.0.0.1:${await FakeModel.reservePort()}`, key: sync.key }
        const run = await OpenCode.runOpenCode(workspace, `${Fake.TEXT_MARKER} ${Fake.NOSUB_MARKER} Say hi.`, down)
        expect(run.code, run.stderr.slice(-2000)).toBe(0)
        expect(await OpenCode.waitForSyncIdle(workspace)).toBe(true)
        expect(await Server.getSession(sync, run.sessionId)).toBeUndefined()
        const status = await OpenCode.runCli(workspace, ["status", "--json"], sync)
        expect((JSON.parse(status.stdout) as { outbox: { pending: number } }).outbox.pending).toBeGreaterThan(0)
        const flushed = await OpenCode.runCli(workspace, ["sync"], sync)
        expect(flushed.code, `${flushed.stdout}${flushed.stderr}`).toBe(0)
        const stored = await Server.getSession(sync, run.sessionId)
        expect(stored).toBeDefined()
        checkAgainstExport(stored!.detail, await OpenCode.exportSession(workspace, run.sessionId), version.version)
      }, 120_000)

      it("`opencode-sync setup` registers what OpenCode loads: the real binary loads it and status says so", async () => {
        const fresh = OpenCode.makeWorkspace(fake.url, { bin: version.bin, version: version.version })
        try {
          const config = join(fresh.configDir, "opencode.json")
          writeFileSync(config, `${JSON.stringify(OpenCode.openCodeConfig(fake.url, false), null, 2)}\n`)
          const never = await OpenCode.runCli(fresh, ["status"], sync)
          expect(never.stdout).toContain("not registered: run `opencode-sync setup`")
          const setup = await OpenCode.runCli(fresh, ["setup"], sync)
          expect(setup.code, `${setup.stdout}${setup.stderr}`).toBe(0)
          expect(setup.stdout).toContain(`Added "file://${OpenCode.pluginPath}" to the "plugin" list of ${config}`)
          const verify = await OpenCode.runCli(fresh, ["verify"], sync)
          expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
          expect(verify.stdout).toContain("never loaded: start OpenCode")

          const run = await OpenCode.runOpenCode(fresh, `${Fake.TEXT_MARKER} ${Fake.NOSUB_MARKER} Say hi.`, sync)
          expect(run.code, run.stderr.slice(-2000)).toBe(0)
          expect(await OpenCode.waitForSyncIdle(fresh)).toBe(true)
          const stored = await Server.pollFor(() => Server.getSession(sync, run.sessionId), 15_000)
          expect(stored, "the session reached the server").toBeDefined()
          const status = await OpenCode.runCli(fresh, ["status"], sync)
          expect(status.stdout).toContain(`loaded by OpenCode ${version.version} at `)
          const json = JSON.parse((await OpenCode.runCli(fresh, ["status", "--json"], sync)).stdout)
          expect(json.heartbeat).toMatchObject({
            host: "OpenCode",
            hostVersion: version.version,
            entry: OpenCode.pluginPath
          })
        } finally {
          fresh.remove()
        }
      }, 180_000)
    }
  )
}
