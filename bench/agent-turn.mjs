// The sync after a turn of a long session, for codex-sync and gemini-sync, against baselines measured in the same run:
// the sync that sends the whole session (its first, what every turn's sync cost before the sync sent only what a turn
// added), `node -e 0`, and a sync with nothing to do (the CLI's start: the floor of any sync).
//
//   node bench/agent-turn.mjs [--turns=1500] [--runs=7] [--payload=8192]
//
// For each agent: writes a session of `--turns` turns into a temporary HOME (bench/long-sessions.mjs: Codex, the
// captured 0.171.0 turn again and again; Gemini CLI, turns with a `write_file` of `--payload` bytes), starts a local
// server, runs the hook that ends a turn and then `sync` (the first: the whole session), then `--runs` times: one more
// turn appended, the hook, `sync`. For each sync: wall time, the CLI's CPU time and peak RSS (bench/peak-rss.cjs), the
// server's CPU time, and the events sent. Fails loudly when a sync fails or does not say what it sent.
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  benchDir,
  commandOf,
  cpuMsOf,
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
import { codexRollout, codexSessionId, geminiChat, geminiSessionId } from "./long-sessions.mjs"

const flags = parseFlags(process.argv.slice(2))
const turns = Number(flags.turns ?? 1500)
const runs = Number(flags.runs ?? 7)
const payload = Number(flags.payload ?? 8192)

const agents = [
  {
    name: "codex-sync",
    prefix: "CODEX_SYNC",
    dir: "packages/codex-sync",
    write: (home, count) => {
      const dir = join(home, ".codex", "sessions", "2026", "12", "04")
      mkdirSync(dir, { recursive: true })
      const path = join(dir, `rollout-2026-12-04T17-12-23-${codexSessionId()}.jsonl`)
      writeFileSync(path, codexRollout(count))
      return path
    },
    turnEnd: (path) => ({
      hook: "Stop",
      stdin: { session_id: codexSessionId(), transcript_path: path, cwd: "/tmp", hook_event_name: "Stop" }
    })
  },
  {
    name: "gemini-sync",
    prefix: "GEMINI_SYNC",
    dir: "packages/gemini-sync",
    write: (home, count) => {
      const dir = join(home, ".gemini", "tmp", "gproj", "chats")
      mkdirSync(dir, { recursive: true })
      const path = join(dir, `session-2026-12-04T17-13-${geminiSessionId.slice(0, 8)}.jsonl`)
      writeFileSync(path, geminiChat(count, { payloadBytes: payload }))
      return path
    },
    turnEnd: (path) => ({
      hook: "AfterAgent",
      stdin: { session_id: geminiSessionId, transcript_path: path, cwd: "/tmp", hook_event_name: "AfterAgent" }
    })
  }
]

const run = (args, env, input = "") => {
  const usageFile = join(env.HOME, "usage.json")
  const started = performance.now()
  const result = spawnSync(process.execPath, ["--require", join(benchDir, "peak-rss.cjs"), ...args], {
    env: { ...env, BENCH_USAGE_FILE: usageFile },
    input,
    encoding: "utf8"
  })
  const ms = performance.now() - started
  if (result.status !== 0)
    throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stdout}${result.stderr}`)
  return { ms, stdout: result.stdout, usage: JSON.parse(readFileSync(usageFile, "utf8")) }
}

const rows = []
for (const agent of agents) {
  const home = mkdtempSync(join(tmpdir(), "opensync-agent-turn-"))
  const data = mkdtempSync(join(tmpdir(), "opensync-agent-turn-server-"))
  const server = await startServer(data)
  try {
    const env = pluginEnv(home, agent.prefix, server)
    /** The hook ending a turn of the session as it is in the file, then `sync`: what it cost and sent. */
    const turn = (count) => {
      const path = agent.write(home, count)
      const { hook, stdin } = agent.turnEnd(path)
      run([join(rootDir, agent.dir, "dist/hook.cjs"), hook], env, JSON.stringify(stdin))
      const serverBefore = cpuMsOf(server.pid)
      const synced = run([join(rootDir, agent.dir, "dist/cli.mjs"), "sync"], env)
      const sent = /Sent (\d+) event\(s\), 0 rejected by the server, 0 pending\./.exec(synced.stdout)
      if (sent === null) throw new Error(`${agent.name} sync did not say what it sent:\n${synced.stdout}`)
      const bytes = Buffer.byteLength(readFileSync(path))
      return {
        ms: synced.ms,
        cpuMs: synced.usage.userMs + synced.usage.systemMs,
        rssMiB: synced.usage.maxRssMiB,
        serverMs: cpuMsOf(server.pid) - serverBefore,
        sent: Number(sent[1]),
        bytes
      }
    }
    const whole = turn(turns)
    const turnsAfter = Array.from({ length: runs }, (_, i) => turn(turns + 1 + i))
    const node = spread(Array.from({ length: runs }, () => run(["-e", "0"], env).ms)).median
    // The floor of any sync: the CLI's start and a sync with nothing to read or send, in a HOME of its own.
    const emptyHome = mkdtempSync(join(tmpdir(), "opensync-agent-turn-empty-"))
    const idle = spread(
      Array.from({ length: runs }, () => {
        const synced = run(
          [join(rootDir, agent.dir, "dist/cli.mjs"), "sync"],
          pluginEnv(emptyHome, agent.prefix, server)
        )
        if (!/Sent 0 event\(s\)/.test(synced.stdout))
          throw new Error(`${agent.name} sync with nothing to do said:\n${synced.stdout}`)
        return synced.ms
      })
    ).median
    rmSync(emptyHome, { recursive: true, force: true })
    const pick = (key) => spread(turnsAfter.map((sample) => sample[key])).median
    rows.push([
      agent.name,
      `${fmt(whole.bytes / 1024 / 1024, 1)} MiB`,
      `${whole.sent} / ${pick("sent")}`,
      `${fmt(whole.ms, 0)} / ${fmt(pick("ms"), 0)}`,
      `${fmt(whole.cpuMs, 0)} / ${fmt(pick("cpuMs"), 0)}`,
      `${fmt(whole.serverMs, 0)} / ${fmt(pick("serverMs"), 0)}`,
      `${fmt(whole.rssMiB, 0)} / ${fmt(pick("rssMiB"), 0)}`,
      fmt(node, 0),
      fmt(idle, 0),
      `${fmt(pick("ms") / whole.ms, 2)}×`
    ])
    console.error(`${agent.name}: whole ${JSON.stringify(whole)}; turns ${JSON.stringify(turnsAfter)}`)
  } finally {
    await stopChild(server.child)
    rmSync(home, { recursive: true, force: true })
    rmSync(data, { recursive: true, force: true })
  }
}

console.log(
  [
    `# The sync after a turn of a long session (${turns} turns)`,
    "",
    `- Command: \`${commandOf("agent-turn.mjs")}\`; ${machineOf()}`,
    `- Each cell: the sync sending the whole session (its first) / the sync after one more turn (p50 of ${runs}).` +
      " CPU and peak RSS are the CLI's; server CPU is the server's over the sync.",
    "",
    markdownTable(
      [
        "agent",
        "session file",
        "events sent",
        "wall ms",
        "CLI CPU ms",
        "server CPU ms",
        "CLI peak RSS MiB",
        "node -e 0 ms",
        "idle sync ms",
        "turn / whole (wall)"
      ],
      rows
    )
  ].join("\n")
)
