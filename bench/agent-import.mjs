// A second `import` of an unchanged history by codex-sync, opencode-sync and gemini-sync, each against baselines measured
// in the same run: the quick answer of the entry point (bin.ts, kit/QuickImport) against the full CLI finding the same history
// unchanged, and against `node -e 0` (Node's own start-up, which no CLI can beat).
//
//   node bench/agent-import.mjs [--sessions=2000] [--runs=21]
//
// For each agent: generates `--sessions` sessions into a temporary HOME by copying a real captured session file
// (packages/*/test/fixtures) under fresh ids (Codex: filed under 300 days; Gemini CLI: 20 projects; OpenCode: rows of a
// generated opencode.db, bench/opencode-db.mjs), starts a local
// server, imports once (the full import, timed too), waits until every folder is older than what the quick answer
// remembers (2 s), then times, interleaved, `--runs` of: the unchanged import (the quick answer), the same import with
// `--since 2000-01-01` (a flag: the quick answer falls through, and the full CLI finds everything unchanged) and
// `node -e 0`. Each command runs with a minimal environment (PATH, HOME, the
// plugin's settings). Fails loudly when the quick answer did not answer, or either import printed something else than
// every session unchanged.
import { spawnSync } from "node:child_process"
import { randomUUID } from "node:crypto"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  commandOf,
  fmt,
  machineOf,
  markdownTable,
  parseFlags,
  pluginEnv,
  rootDir,
  spread,
  startServer,
  stopChild
} from "./lib.mjs"
import { generate } from "./opencode-db.mjs"

const flags = parseFlags(process.argv.slice(2))
const sessions = Number(flags.sessions ?? 2000)
const runs = Number(flags.runs ?? 21)

const codexFixture = readFileSync(join(rootDir, "packages/codex-sync/test/fixtures/rollout-0.171.0.jsonl"), "utf8")
const geminiFixture = readFileSync(
  join(rootDir, "packages/gemini-sync/test/fixtures/session-tools-0.61.0.jsonl"),
  "utf8"
)

const agents = [
  {
    name: "codex-sync",
    prefix: "CODEX_SYNC",
    cli: join(rootDir, "packages/codex-sync/dist/cli.mjs"),
    generate: (home) => {
      const fixtureId = "01a24126-d071-7d40-b1a6-dce6c095a6d9"
      for (let i = 0; i < sessions; i++) {
        const id = randomUUID()
        const day = new Date(Date.UTC(2026, 0, 1) + (i % 300) * 86_400_000).toISOString().slice(0, 10)
        const dir = join(home, ".codex", "sessions", ...day.split("-"))
        mkdirSync(dir, { recursive: true })
        writeFileSync(join(dir, `rollout-${day}T00-00-00-${id}.jsonl`), codexFixture.replaceAll(fixtureId, id))
      }
    }
  },
  {
    name: "opencode-sync",
    prefix: "OPENCODE_SYNC",
    cli: join(rootDir, "packages/opencode-sync-plugin/dist/cli.mjs"),
    generate: async (home) => {
      const data = join(home, ".local", "share", "opencode")
      mkdirSync(data, { recursive: true })
      await generate(join(data, "opencode.db"), sessions)
    }
  },
  {
    name: "gemini-sync",
    prefix: "GEMINI_SYNC",
    cli: join(rootDir, "packages/gemini-sync/dist/cli.mjs"),
    generate: (home) => {
      const fixtureId = JSON.parse(geminiFixture.split("\n")[0]).sessionId
      for (let i = 0; i < sessions; i++) {
        const id = randomUUID()
        const dir = join(home, ".gemini", "tmp", `project-${i % 20}`, "chats")
        mkdirSync(dir, { recursive: true })
        writeFileSync(
          join(dir, `session-2026-01-01T00-00-${id.slice(0, 8)}.jsonl`),
          geminiFixture.replaceAll(fixtureId, id)
        )
      }
    }
  }
]

const timed = (args, env) => {
  const started = performance.now()
  const result = spawnSync(process.execPath, args, { env, encoding: "utf8" })
  const ms = performance.now() - started
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`)
  return { ms, stdout: result.stdout }
}

const rows = []
for (const agent of agents) {
  const home = mkdtempSync(join(tmpdir(), "opensync-agent-import-"))
  const data = mkdtempSync(join(tmpdir(), "opensync-agent-import-server-"))
  const server = await startServer(data)
  try {
    await agent.generate(home)
    const env = pluginEnv(home, agent.prefix, server)
    const first = timed([agent.cli, "import"], env)
    if (!first.stdout.includes(`${sessions} sessions (${sessions} new,`)) {
      throw new Error(`${agent.name}: the first import did not find ${sessions} new sessions:\n${first.stdout}`)
    }
    await new Promise((done) => setTimeout(done, 2_500))
    const unchanged = `${sessions} sessions (0 new, 0 updated, ${sessions} unchanged)`
    const samples = { quick: [], full: [], node: [] }
    for (let i = 0; i < runs; i++) {
      const quick = timed(["--require", join(rootDir, "packages/testkit/src/main-log.cjs"), agent.cli, "import"], {
        ...env,
        MAIN_LOG: join(home, "main-log.txt")
      })
      if (readFileSync(join(home, "main-log.txt"), "utf8") !== "" || !quick.stdout.startsWith(unchanged)) {
        throw new Error(
          `${agent.name}: the unchanged import was not answered quickly (run ${i}):\n${quick.stdout}${readFileSync(join(home, "main-log.txt"), "utf8")}`
        )
      }
      samples.quick.push(quick.ms)
      const full = timed([agent.cli, "import", "--since", "2000-01-01"], env)
      if (!full.stdout.startsWith(unchanged)) throw new Error(`${agent.name}: the full import read:\n${full.stdout}`)
      samples.full.push(full.ms)
      samples.node.push(timed(["-e", "0"], env).ms)
    }
    const [quick, full, node] = [samples.quick, samples.full, samples.node].map((values) => spread(values).median)
    rows.push([
      agent.name,
      fmt(first.ms, 0),
      fmt(full, 0),
      fmt(quick, 0),
      fmt(node, 0),
      `${fmt(quick / full, 2)}×`,
      fmt(quick - node, 0)
    ])
    console.error(`${agent.name}: first ${fmt(first.ms, 0)} ms, unchanged full ${fmt(full, 0)}, quick ${fmt(quick, 0)}`)
  } finally {
    await stopChild(server.child)
    rmSync(home, { recursive: true, force: true })
    rmSync(data, { recursive: true, force: true })
  }
}

console.log(
  [
    `# A second import of an unchanged history (${sessions} sessions per agent)`,
    "",
    `- Command: \`${commandOf("agent-import.mjs")}\`; ${machineOf()}`,
    `- p50 of ${runs} interleaved runs each, wall time in ms; "full CLI" is the same import with the quick answer ` +
      "made to fall through (`--since 2000-01-01`): what every unchanged import cost before.",
    "",
    markdownTable(
      [
        "agent",
        "first import",
        "unchanged, full CLI",
        "unchanged, quick answer",
        "node -e 0",
        "quick / full",
        "quick − node"
      ],
      rows
    )
  ].join("\n")
)
