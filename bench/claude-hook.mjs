// Wall time of one `PostToolUse` hook invocation against `node -e 0`, measured in the same run, with the OpenSync
// server up, unreachable, and accepting connections but never answering. Also times the existing
// claude-code-sync@0.1.15 hook from npm (installed into a temp prefix) under the same conditions, configured as its
// `login` leaves it (`syncToolCalls: true`: without it, its PostToolUse hook returns before doing anything).
//
// The bench fails (exit code 1) rather than report a comparison it could not make: the old plugin cannot be
// installed, a hook exits with an error, or, with the server up, the old hook's tool call never reached the server.
//
//   node bench/claude-hook.mjs [--runs=40]
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const runs = Number(process.argv.find((a) => a.startsWith("--runs="))?.split("=")[1] ?? 40)
const hook = join(root, "packages/claude-code-sync/dist/hook.cjs")
const server = join(root, "packages/server/dist/opensync.mjs")
if (!existsSync(hook) || !existsSync(server)) execFileSync(process.execPath, [join(root, "scripts/build.mjs")])

const payload = readFileSync(join(root, "packages/claude-code-sync/test/fixtures/claude-hooks.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line))
  .find((line) => line.hook_event_name === "PostToolUse").payload
const input = JSON.stringify(payload)

const oldPrefix = mkdtempSync(join(tmpdir(), "ccs-old-"))
try {
  execFileSync("npm", [
    "install",
    "--prefix",
    oldPrefix,
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    "claude-code-sync@0.1.15"
  ])
} catch (e) {
  rmSync(oldPrefix, { recursive: true, force: true })
  throw new Error(`could not install claude-code-sync@0.1.15, so there is nothing to compare with: ${e.message}`)
}
const oldCli = join(oldPrefix, "node_modules/claude-code-sync/dist/cli.js")

const startServer = (dataDir) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [server, "serve", "--port", "0", "--data-dir", dataDir])
    let out = ""
    child.stdout.on("data", (d) => {
      out += d
      const url = out.match(/listening on (http:\/\/\S+)/)?.[1]
      if (url) resolve({ child, url, key: out.match(/osk_[0-9A-Za-z]+/)?.[0] })
    })
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)))
  })

const listen = (server) => new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)))

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** Runs one hook and times it; with the server up, a hook that fails fails the bench. */
const time = (args, env, mustSucceed, outcomes) => {
  const t0 = performance.now()
  const run = spawnSync(process.execPath, args, { input, env, stdio: ["pipe", "ignore", "pipe"], timeout: 30_000 })
  const ms = performance.now() - t0
  const outcome = run.status === 0 ? "0" : run.status !== null ? `exit ${run.status}` : `killed after 30 s`
  outcomes?.add(outcome)
  if (mustSucceed && run.status !== 0) {
    throw new Error(`\`node ${args.join(" ")}\` failed (${outcome}): ${String(run.stderr).slice(0, 500)}`)
  }
  return ms
}

const work = mkdtempSync(join(tmpdir(), "ccs-hook-bench-"))
const up = await startServer(join(work, "data"))
const silent = createServer(() => {})
const silentPort = await listen(silent)
const closed = createServer()
const closedPort = await listen(closed)
await new Promise((r) => closed.close(r))

/** With the server up, the old hook sends the tool call as a message (id: the tool_use_id): check it arrived. */
const checkStored = async () => {
  const reply = await fetch(`${up.url}/api/sessions/${encodeURIComponent(payload.session_id)}`, {
    headers: { authorization: `Bearer ${up.key}` }
  })
  const detail = reply.status === 200 ? await reply.json() : null
  if (!detail?.messages.some((m) => m.id === payload.tool_use_id)) {
    throw new Error(
      `claude-code-sync@0.1.15's PostToolUse hook stored nothing on the server (GET session ${reply.status}): ` +
        "timing it would time a hook that does no work"
    )
  }
}

const scenarios = [
  { name: "server up", url: up.url },
  { name: "server unreachable", url: `http://127.0.0.1:${closedPort}` },
  { name: "server never answers", url: `http://127.0.0.1:${silentPort}` }
]

const rows = []
for (const scenario of scenarios) {
  const home = join(work, scenario.name.replace(/\W+/g, "-"))
  mkdirSync(join(home, ".config/claude-code-sync"), { recursive: true })
  writeFileSync(
    join(home, ".config/claude-code-sync/config.json"),
    JSON.stringify({
      convexUrl: scenario.url,
      apiKey: up.key,
      autoSync: true,
      syncToolCalls: true,
      syncThinking: false
    })
  )
  const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, ".config") }
  const commands = [
    { name: "node -e 0 (baseline)", args: ["-e", "0"] },
    { name: "opensync hook.cjs PostToolUse", args: [hook, "PostToolUse"] },
    { name: "claude-code-sync@0.1.15 hook PostToolUse", args: [oldCli, "hook", "PostToolUse"] }
  ]
  const samples = commands.map(() => [])
  const outcomes = commands.map(() => new Set())
  const mustSucceed = scenario.name === "server up"
  for (let i = 0; i < 3; i++) for (const c of commands) time(c.args, env, mustSucceed)
  for (let i = 0; i < runs; i++) {
    for (const [j, c] of commands.entries()) samples[j].push(time(c.args, env, mustSucceed, outcomes[j]))
  }
  if (scenario.name === "server up") await checkStored()
  const base = median(samples[0])
  for (const [j, c] of commands.entries()) {
    rows.push({
      scenario: scenario.name,
      command: c.name,
      median: median(samples[j]),
      ratio: median(samples[j]) / base,
      exit: [...outcomes[j]].join(", ")
    })
  }
}
up.child.kill()
silent.close()
rmSync(work, { recursive: true, force: true })
rmSync(oldPrefix, { recursive: true, force: true })

const lines = [
  `| scenario | command | median ms | × node -e 0 | exit status |`,
  `| --- | --- | --- | --- | --- |`,
  ...rows.map((r) => `| ${r.scenario} | ${r.command} | ${r.median.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.exit} |`)
]
console.log(`claude-code-sync hook wall time, ${runs} interleaved runs each (command: node bench/claude-hook.mjs)\n`)
console.log(lines.join("\n"))
