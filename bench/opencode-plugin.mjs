// Overhead of the OpenCode plugin (packages/opencode-sync-plugin/dist/plugin.mjs) inside OpenCode's runtime, against a
// baseline plugin whose handlers do nothing, measured in the same process.
//
//   node bench/opencode-plugin.mjs [--rounds=200] [--runtime=bun|node|both]
//
// 1. Replays the bus events of the real capture (packages/opencode-sync-plugin/test/fixtures/opencode-events.jsonl:
//    the `global`, `continue` and `project` runs, 380 events) through the plugin's `event` hook, `--rounds` times with
//    fresh session/message/part ids each round, like OpenCode does (one call per event, awaited here so the time of
//    each call is measured; OpenCode does not await them).
// 2. Times every call: events that only update memory, and the few that end a turn (session.idle: the snapshot is
//    written to the inbox synchronously). The background sync is not started (OPENCODE_SYNC_AUTO_SYNC=0).
// 3. Times `import()` of the plugin bundle against an empty module (load cost at OpenCode start-up).
// Runs under Bun (OpenCode's runtime, taken from the opencode binary in .tools/ with BUN_BE_BUN=1) and under Node.
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import os from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { commandOf, machineOf } from "./lib.mjs"

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const pluginPath = join(rootDir, "packages/opencode-sync-plugin/dist/plugin.mjs")
const fixture = join(rootDir, "packages/opencode-sync-plugin/test/fixtures/opencode-events.jsonl")
const opencodeBinary = join(rootDir, ".tools/opencode/node_modules/opencode-ai/bin/opencode.exe")

const flags = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, "").split("=")
    return [key, value ?? true]
  })
)

const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b)
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length)
  return { n: sorted.length, mean, p50: pick(0.5), p99: pick(0.99), max: sorted.at(-1) ?? 0 }
}

// ---------- worker: runs inside the measured runtime ----------

if (process.env.OCS_BENCH_WORKER === "1") {
  const rounds = Number(process.env.OCS_BENCH_ROUNDS)
  const events = readFileSync(fixture, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line))
    .filter((line) => line.kind === "event")
    .map((line) => JSON.stringify(line.event))
  const idPattern = /"((?:ses|msg|prt)_[0-9A-Za-z]+)"/g
  const now = () => performance.now()

  const t0 = now()
  await import(`${pathToFileURL(process.env.OCS_EMPTY_MODULE).href}?x`)
  const emptyImportMs = now() - t0
  const t1 = now()
  const { OpenCodeSync } = await import(pathToFileURL(pluginPath).href)
  const pluginImportMs = now() - t1

  const baseline = { event: async ({ event }) => void event }
  const ours = await OpenCodeSync({ client: { app: { log: async () => undefined } }, directory: "/tmp" })

  const inbox = join(process.env.OPENCODE_SYNC_STATE_DIR, "inbox")
  const inboxStamp = () => {
    try {
      return String(statSync(inbox, { bigint: true }).mtimeNs)
    } catch {
      return "none"
    }
  }
  const measure = async (hooks) => {
    const plain = []
    const flushes = []
    for (let round = 0; round < rounds; round++) {
      const suffix = `r${round}`
      for (const text of events) {
        // Fresh ids each round, as a new session would have; parsing is done before timing (OpenCode hands over objects).
        const event = JSON.parse(text.replace(idPattern, (_, id) => `"${id}${suffix}"`))
        const before = inboxStamp()
        const start = now()
        await hooks.event({ event })
        const elapsed = now() - start
        // A call that wrote a snapshot into the inbox changed the directory.
        if (inboxStamp() !== before) flushes.push(elapsed)
        else plain.push(elapsed)
      }
    }
    return { plain, flushes }
  }
  // Interleave to share warm-up and machine noise: baseline, ours, baseline, ours.
  const results = { baseline: { plain: [], flushes: [] }, ours: { plain: [], flushes: [] } }
  for (let pass = 0; pass < 2; pass++) {
    for (const [name, hooks] of [
      ["baseline", baseline],
      ["ours", ours]
    ]) {
      const r = await measure(hooks)
      if (pass === 1) results[name] = { plain: stats(r.plain), flushes: stats(r.flushes) }
    }
  }
  const runtimeName = typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.version}`
  process.stdout.write(JSON.stringify({ runtime: runtimeName, emptyImportMs, pluginImportMs, results }), () =>
    process.exit(0)
  )
} else {
  await driver()
}

// ---------- driver ----------

async function driver() {
  const rounds = Number(flags.rounds ?? 200)
  const runtime = flags.runtime ?? "both"
  if (!existsSync(pluginPath)) throw new Error(`${pluginPath} is missing: run \`node scripts/build.mjs\` first`)

  const us = (ms) => `${(ms * 1000).toFixed(1)} µs`

  const runWorker = (command, extraEnv) => {
    const dir = mkdtempSync(join(os.tmpdir(), "ocs-bench-"))
    const empty = join(dir, "empty.mjs")
    writeFileSync(empty, "export {}\n")
    try {
      const child = spawnSync(command, [fileURLToPath(import.meta.url)], {
        encoding: "utf8",
        maxBuffer: 256 * 2 ** 20,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          XDG_CONFIG_HOME: join(dir, "config"),
          OPENCODE_SYNC_STATE_DIR: join(dir, "state"),
          OPENCODE_SYNC_AUTO_SYNC: "0",
          OCS_BENCH_WORKER: "1",
          OCS_BENCH_ROUNDS: String(rounds),
          OCS_EMPTY_MODULE: empty,
          ...extraEnv
        }
      })
      if (child.status !== 0) throw new Error(`${command} failed (${child.status}): ${child.stderr}`)
      return JSON.parse(child.stdout)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  const runs = []
  if ((runtime === "both" || runtime === "bun") && existsSync(opencodeBinary)) {
    runs.push(runWorker(opencodeBinary, { BUN_BE_BUN: "1" }))
  } else if (runtime === "bun") {
    throw new Error(`no opencode binary at ${opencodeBinary}: run \`bash scripts/install-opencode.sh\``)
  }
  if (runtime === "both" || runtime === "node") runs.push(runWorker(process.execPath, {}))

  const lines = [
    "# OpenCode plugin overhead",
    "",
    `- Command: \`${commandOf("opencode-plugin.mjs")}\``,
    `- Machine: ${machineOf()}`,
    `- ${rounds} rounds of the captured event stream; baseline = a plugin whose \`event\` hook does nothing, same process.`,
    ""
  ]
  for (const run of runs) {
    const base = run.results.baseline.plain
    const ours = run.results.ours.plain
    const oursFlush = run.results.ours.flushes
    const row = (label, r) =>
      `| ${label} | ${r.n} | ${us(r.mean)} | ${us(r.p50)} | ${us(r.p99)} | ${us(r.max)} | ` +
      `${(r.p50 / base.p50).toFixed(1)}× | ${(r.mean / base.mean).toFixed(1)}× |`
    lines.push(
      `## ${run.runtime}`,
      "",
      "| event hook call | calls | mean | p50 | p99 | max | p50 vs baseline | mean vs baseline |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      row("baseline (does nothing)", base),
      row("plugin, state update only", ours),
      row("plugin, turn end: snapshot written to the inbox", oursFlush),
      "",
      `Module load: plugin bundle ${run.pluginImportMs.toFixed(2)} ms, empty module ${run.emptyImportMs.toFixed(2)} ms ` +
        `(plugin bundle ${(readFileSync(pluginPath).length / 1024).toFixed(1)} KiB).`,
      ""
    )
  }
  console.log(lines.join("\n"))
}
