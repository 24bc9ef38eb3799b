/**
 * End to end: the real `gemini` CLI runs offline against a scripted fake Gemini API (its routing classifier call
 * included), with gemini-sync's hooks registered by `gemini-sync setup` in `~/.gemini/settings.json`, and syncs to a
 * real local OpenSync server with an ingest-scope key (what the docs tell users to create); the test reads back with
 * the server's full key. What the server stored is compared with what the fake billed, priced independently with
 * @pydantic/genai-prices. The suite runs once per supported Gemini CLI release: the pinned one
 * (scripts/install-gemini.sh) and the registry's newest when it differs, each recording its results for
 * docs/compatibility.md.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { expect, it } from "@effect/vitest"
import { Usage } from "@opensync/domain"
import * as FakeModel from "@opensync/testkit/FakeModel"
import * as HookAgent from "@opensync/testkit/HookAgent"
import { calcPrice, extractUsage, findProvider } from "@pydantic/genai-prices"
import * as Fake from "./e2e/FakeGemini.js"
import * as Gemini from "./e2e/Gemini.js"

const SECRET = "ghp_R8kQ2vLx9mZt4WcY7nHb3PjD6sFa1GeU0oKi"
const PROMPT = `Run echo hello, write hello.txt, then list a missing file. (My token is ${SECRET}, keep it safe.)`

/** What the fake billed for the turns, in OpenSync's terms: cached input apart from input, thoughts as reasoning. */
const billedUsage = (billed: ReadonlyArray<Fake.Billed>): Usage.UsageFields =>
  billed.reduce((sum, b) => {
    const cached = b.usage.cachedContentTokenCount ?? 0
    return Usage.add(sum, {
      input: b.usage.promptTokenCount - cached,
      output: b.usage.candidatesTokenCount,
      cacheRead: cached,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      reasoning: b.usage.thoughtsTokenCount ?? 0
    })
  }, Usage.zero)

/** What Google would charge for those calls, by @pydantic/genai-prices from the API's own usage metadata. */
const billedCost = (billed: ReadonlyArray<Fake.Billed>, at: number) =>
  billed.reduce((sum, b) => {
    const usage = extractUsage(findProvider({ providerId: "google" })!, {
      modelVersion: b.model,
      usageMetadata: b.usage
    })
    return sum + calcPrice(usage.usage, b.model, { providerId: "google", timestamp: new Date(at) })!.total_price
  }, 0)

const newSession = (world: Gemini.GeminiWorld, before: ReadonlyArray<string>) =>
  Gemini.sessionIds(world).filter((id) => !before.includes(id))

HookAgent.describeVersions(
  "gemini",
  "gemini-sync with the real gemini binary",
  { keyName: "gemini", startFake: Fake.start, makeWorld: Gemini.makeWorld, runCli: Gemini.runCli },
  (e2e) => {
    let sessionId = ""

    it("setup registers the hooks (keeping the user's settings); a session with tool calls syncs with the billed tokens", async () => {
      const { fake, world, ingest } = e2e
      const settings = join(world.geminiDir, "settings.json")
      const setup = await Gemini.runCli(world, ["setup"])
      expect(setup.code, `${setup.stdout}${setup.stderr}`).toBe(0)
      expect(setup.stdout).toContain(`in ${settings}`)
      const text = readFileSync(settings, "utf8")
      expect(text).toContain("// my Gemini CLI settings")
      expect(text).toContain('"selectedType": "gemini-api-key"')
      const never = await Gemini.runCli(world, ["status"], ingest)
      expect(never.stdout).toContain("no session has started with these hooks yet")
      const login = await Gemini.runCli(world, ["login", "--url", ingest.url, "--key", ingest.key])
      expect(login.code, `${login.stdout}${login.stderr}`).toBe(0)

      fake.billed.length = 0
      const before = Gemini.sessionIds(world)
      const run = await Gemini.runGemini(world, PROMPT, undefined)
      expect(run.code, `${run.stdout}\n${run.stderr.slice(-3000)}`).toBe(0)
      expect(fake.billed.map((b) => `${b.kind}:${b.step}`)).toEqual([
        "router:0",
        "main:0",
        "main:1",
        "main:2",
        "main:3"
      ])
      sessionId = newSession(world, before)[0] ?? ""
      expect(sessionId).not.toBe("")
      // An ingest key syncs but cannot read; the full key reads.
      const stored = await HookAgent.expectSyncedLive(e2e, sessionId, { messages: 5, toolCalls: 3 })
      const detail = stored!.detail
      const main = fake.billed.filter((b) => b.kind === "main")
      expect(detail.session).toMatchObject({
        source: "gemini-cli",
        projectPath: world.project,
        projectName: "demo",
        model: main[0]?.model,
        startType: "startup",
        endReason: "exit"
      })
      expect(detail.messages[0]?.text).toMatch(
        /^Run echo hello, write hello\.txt, then list a missing file\. \(My token is /
      )
      expect(stored!.raw).not.toContain(SECRET)
      expect(stored!.raw).not.toContain(FakeModel.THREE_STEP_WRITTEN_CONTENT.trim())
      expect(detail.messages.map((m) => [m.role, m.role === "user" ? "" : m.text])).toEqual([
        ["user", ""],
        ["assistant", "Step 1: using run_shell_command."],
        ["assistant", "Step 2: using write_file."],
        ["assistant", "Step 3: using run_shell_command."],
        ["assistant", FakeModel.THREE_STEP_FINAL_TEXT]
      ])
      expect(
        detail.toolCalls.map((c) => [c.name, c.canonicalName, c.status, c.output.exitCode, c.input.summary])
      ).toEqual([
        ["run_shell_command", "Bash", "completed", null, "echo hello"],
        ["write_file", "Write", "completed", null, null],
        ["run_shell_command", "Bash", "error", 2, `ls ${FakeModel.THREE_STEP_MISSING_FILE}`]
      ])
      expect(detail.toolCalls[1]?.input.paths).toEqual([join(world.project, "hello.txt")])
      expect(detail.session.toolErrorCount).toBe(1)
      // Tokens and cost: what the fake billed for the turns. Gemini CLI records its routing classifier's call nowhere
      // (not in the chat file, not in any hook), so that call cannot be counted.
      expect(detail.session.usage).toEqual(billedUsage(main))
      expect(detail.session.costUsd).toBeCloseTo(billedCost(main, detail.session.startedAt), 9)
      expect(detail.session.usage).not.toEqual(billedUsage(fake.billed))
    }, 240_000)

    it("keeps a session made while the server is down; `gemini-sync sync` delivers it exactly once", async () => {
      const { fake, world } = e2e
      const runAgent = async (prompt: string, down: HookAgent.SyncTarget) => {
        const before = Gemini.sessionIds(world)
        const run = await Gemini.runGemini(world, prompt, down)
        expect(run.code, run.stderr.slice(-3000)).toBe(0)
        return newSession(world, before)[0] ?? ""
      }
      await HookAgent.expectDeliveredOnceAfterOutage(e2e, { runAgent, reply: Fake.PLAIN_TEXT }, (stored) =>
        expect(stored?.detail.session.usage).toEqual(billedUsage(fake.billed.filter((b) => b.kind !== "router")))
      )
    }, 240_000)

    it("`gemini-sync import` after live sync changes nothing; uninstall gives back the user's settings", async () => {
      const { world } = e2e
      await HookAgent.expectImportChangesNothing(e2e, sessionId)
      const removed = await Gemini.runCli(world, ["uninstall"])
      expect(removed.code, `${removed.stdout}${removed.stderr}`).toBe(0)
      expect(readFileSync(join(world.geminiDir, "settings.json"), "utf8")).toBe(Gemini.SETTINGS)
    }, 120_000)
  }
)
