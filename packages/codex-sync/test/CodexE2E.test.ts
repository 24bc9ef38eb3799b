/**
 * End to end: the real `codex` CLI runs offline against a scripted fake Responses API, with codex-sync's hooks
 * registered by `codex-sync setup` in `$CODEX_HOME/hooks.json`, and syncs to a real local OpenSync server with an
 * ingest-scope key (what the docs tell users to create); the test reads back with the server's full key. What the
 * server stored is compared with what the fake billed, priced independently with @pydantic/genai-prices. The suite
 * runs once per supported Codex release: the pinned one (scripts/install-codex.sh) and the registry's newest when it
 * differs, each recording its results for docs/compatibility.md.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { expect, it } from "@effect/vitest"
import { Usage } from "@opensync/domain"
import * as FakeModel from "@opensync/testkit/FakeModel"
import * as HookAgent from "@opensync/testkit/HookAgent"
import { calcPrice, extractUsage, findProvider } from "@pydantic/genai-prices"
import * as Codex from "./e2e/Codex.js"
import * as Fake from "./e2e/FakeResponses.js"

const SECRET = "ghp_R8kQ2vLx9mZt4WcY7nHb3PjD6sFa1GeU0oKi"
const PROMPT = `Run echo hello, write hello.txt, then list a missing file. (My token is ${SECRET}, keep it safe.)`

/** What the fake billed, in OpenSync's terms: cached input and reasoning apart from input and output. */
const billedUsage = (billed: ReadonlyArray<Fake.Billed>): Usage.UsageFields =>
  billed.reduce(
    (sum, b) =>
      Usage.add(sum, {
        input: b.usage.input_tokens - b.usage.input_tokens_details.cached_tokens,
        output: b.usage.output_tokens - b.usage.output_tokens_details.reasoning_tokens,
        cacheRead: b.usage.input_tokens_details.cached_tokens,
        cacheWrite5m: 0,
        cacheWrite1h: 0,
        reasoning: b.usage.output_tokens_details.reasoning_tokens
      }),
    Usage.zero
  )

/** What OpenAI would charge for those responses, by @pydantic/genai-prices from the API's own usage objects. */
const billedCost = (billed: ReadonlyArray<Fake.Billed>, at: number) =>
  billed.reduce((sum, b) => {
    const usage = extractUsage(findProvider({ providerId: "openai" })!, { model: b.model, usage: b.usage }, "responses")
    return sum + calcPrice(usage.usage, b.model, { providerId: "openai", timestamp: new Date(at) })!.total_price
  }, 0)

HookAgent.describeVersions(
  "codex",
  "codex-sync with the real codex binary",
  { keyName: "codex", startFake: Fake.start, makeWorld: Codex.makeWorld, runCli: Codex.runCli },
  (e2e, version) => {
    let sessionId = ""

    it("setup registers the hooks Codex runs; a session with tool calls reaches the server with the billed tokens", async () => {
      const { fake, world, ingest } = e2e
      const setup = await Codex.runCli(world, ["setup"])
      expect(setup.code, `${setup.stdout}${setup.stderr}`).toBe(0)
      expect(setup.stdout).toContain(`in ${join(world.codexHome, "hooks.json")}`)
      expect(setup.stdout).toContain("Trust all and continue")
      const hooks = JSON.parse(readFileSync(join(world.codexHome, "hooks.json"), "utf8")).hooks
      expect(Object.keys(hooks)).toEqual(["SessionStart", "UserPromptSubmit", "Stop", "PreCompact", "SessionEnd"])
      // Not trusted yet and never run: verify says what to do.
      const before = await Codex.runCli(world, ["verify"], ingest)
      expect(before.code).toBe(1)
      expect(before.stderr).toContain("not trusted in Codex yet")
      // registered, only not trusted: not "missing"
      expect(before.stdout).toMatch(/^hooks +not active: /m)
      const login = await Codex.runCli(world, ["login", "--url", ingest.url, "--key", ingest.key])
      expect(login.code, `${login.stdout}${login.stderr}`).toBe(0)

      fake.billed.length = 0
      const run = await Codex.runCodex(world, PROMPT, undefined)
      expect(run.code, run.stderr.slice(-3000)).toBe(0)
      sessionId = Codex.sessionIdOf(run.stderr) ?? ""
      expect(sessionId).not.toBe("")
      expect(fake.billed.map((b) => `${b.kind}:${b.step}`)).toEqual(["main:0", "main:1", "main:2", "main:3"])
      // An ingest key syncs but cannot read; the full key reads.
      const stored = await HookAgent.expectSyncedLive(e2e, sessionId, { messages: 5, toolCalls: 3 })
      const detail = stored!.detail
      expect(detail.session).toMatchObject({
        source: "codex-cli",
        projectPath: world.project,
        projectName: "demo",
        model: "gpt-5.5",
        provider: "fake",
        agentVersion: version.version,
        startType: "startup",
        endReason: "other",
        gitBranch: "main"
      })
      // The prompt, with the token redacted on this machine before it was queued.
      expect(detail.messages[0]?.text).toMatch(
        /^Run echo hello, write hello\.txt, then list a missing file\. \(My token is /
      )
      expect(detail.messages.map((m) => [m.role, m.role === "user" ? "" : m.text])).toEqual([
        ["user", ""],
        ["assistant", "Step 1: using exec_command."],
        ["assistant", "Step 2: using apply_patch."],
        ["assistant", "Step 3: using exec_command."],
        ["assistant", FakeModel.THREE_STEP_FINAL_TEXT]
      ])
      expect(stored!.raw).not.toContain(SECRET)
      expect(stored!.raw).not.toContain(FakeModel.THREE_STEP_WRITTEN_CONTENT.trim())
      expect(
        detail.toolCalls.map((c) => [c.name, c.canonicalName, c.status, c.output.exitCode, c.input.summary])
      ).toEqual([
        ["exec_command", "Bash", "completed", 0, "echo hello"],
        ["apply_patch", "Edit", "completed", 0, null],
        ["exec_command", "Bash", "error", 2, `ls ${FakeModel.THREE_STEP_MISSING_FILE}`]
      ])
      expect(detail.toolCalls[1]?.input.paths).toEqual([join(world.project, "hello.txt")])
      expect(detail.session.toolErrorCount).toBe(1)
      // Tokens and cost: exactly what the fake billed, counted once per response.
      expect(detail.session.usage).toEqual(billedUsage(fake.billed))
      expect(detail.session.costUsd).toBeCloseTo(billedCost(fake.billed, detail.session.startedAt), 9)
      expect(detail.messages.filter((m) => m.role === "assistant").map((m) => m.costBasis)).toEqual([
        "computed",
        "computed",
        "computed",
        "computed"
      ])
    }, 240_000)

    it("keeps a session made while the server is down; `codex-sync sync` delivers it exactly once", async () => {
      const { fake, world } = e2e
      const runAgent = async (prompt: string, down: HookAgent.SyncTarget) => {
        const run = await Codex.runCodex(world, prompt, down)
        expect(run.code, run.stderr.slice(-3000)).toBe(0)
        return Codex.sessionIdOf(run.stderr) ?? ""
      }
      await HookAgent.expectDeliveredOnceAfterOutage(e2e, { runAgent, reply: Fake.PLAIN_TEXT }, (stored) =>
        expect(stored?.detail.session.usage).toEqual(billedUsage(fake.billed))
      )
    }, 240_000)

    it("`codex-sync import` after live sync changes nothing", async () => {
      await HookAgent.expectImportChangesNothing(e2e, sessionId)
    }, 120_000)
  }
)
