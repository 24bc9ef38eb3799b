// What sending costs the client: `claude-code-sync sync` of a full outbox (a first import's, of the generated archive
// bench/claude-import.mjs uses, read with no server configured) into a fresh local server, against a bare HTTP client
// posting the same events, in the same batches, over one connection, into another fresh server. The ratio is what the
// CLI adds to the least any client must do to send them: its start-up, the outbox's claims and bookkeeping, the
// contract's client, the answers.
//
//   node bench/drain.mjs [--mb=200] [--runs=3] [--cli=path/to/cli.cjs]
//
// The server is the built bundle, or OPENSYNC_BENCH_BIN; the CLI is packages/claude-code-sync/dist/cli.cjs, and --cli
// adds another build (a saved copy of an older one) to compare: runs alternate between them and the bare client. CPU
// is the process's own (`bench/peak-rss.cjs`), or for the bare client the benchmark's own process during its posts.
// Every run must deliver every event (the sync's report, the server's answers), or the benchmark fails.

import { spawn } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { cachedArchive } from "./claude-archive.mjs"
import {
  benchDir,
  fmt,
  loadAverage,
  makeClient,
  markdownTable,
  parseFlags,
  postEvents,
  rootDir,
  spread,
  startServer
} from "./lib.mjs"

const flags = parseFlags(process.argv.slice(2))
const MB = Number(flags.mb ?? 200)
const RUNS = Number(flags.runs ?? 3)
const current = join(rootDir, "packages/claude-code-sync/dist/cli.cjs")
const clis = [["current", current], ...(typeof flags.cli === "string" ? [["compare", resolve(flags.cli)]] : [])]
const usageProbe = join(benchDir, "peak-rss.cjs")

const archive = cachedArchive(join(benchDir, ".cache/claude-archives"), { mb: MB })
const work = mkdtempSync(join(tmpdir(), "opensync-drain-bench-"))
process.on("exit", () => rmSync(work, { recursive: true, force: true }))

// The sync sees no transcripts (an empty Claude dir): it only sends, nothing to re-read or keep from deletion.
const noTranscripts = join(work, "no-transcripts")
mkdirSync(noTranscripts)
const envOf = (state, server) => ({
  PATH: process.env.PATH,
  HOME: state,
  XDG_CONFIG_HOME: join(state, "config"),
  CLAUDE_CONFIG_DIR: server === undefined ? join(archive.dir, "claude") : noTranscripts,
  CLAUDE_SYNC_STATE_DIR: state,
  CLAUDE_SYNC_AUTO_SYNC: "0",
  NO_COLOR: "1",
  ...(server === undefined ? {} : { CLAUDE_SYNC_CONVEX_URL: server.url, CLAUDE_SYNC_API_KEY: server.key })
})

/** Runs `node <args>` with the usage probe; its wall time, CPU time and output. */
const run = (args, env) =>
  new Promise((done, fail) => {
    const usageFile = join(work, `usage-${process.hrtime.bigint()}.json`)
    const started = performance.now()
    const child = spawn(process.execPath, ["--require", usageProbe, ...args], {
      env: { ...env, BENCH_USAGE_FILE: usageFile },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("error", fail)
    child.on("close", (code) => {
      const wallMs = performance.now() - started
      try {
        const usage = JSON.parse(readFileSync(usageFile, "utf8"))
        done({ code, output, wallMs, cpuMs: usage.userMs + usage.systemMs })
      } catch (cause) {
        fail(new Error(`no usage from ${args.join(" ")} (exit ${code}): ${output.slice(-500)}`, { cause }))
      }
    })
  })

// The outbox of a first import with no server configured: every event pending.
const template = join(work, "template")
mkdirSync(template)
const imported = await run([current, "import"], envOf(template))
const pendingDir = join(template, "outbox/pending")
const spools = readdirSync(pendingDir).sort()
const bodies = spools.map((name) => {
  const events = JSON.parse(readFileSync(join(pendingDir, name), "utf8")).events
  return { body: JSON.stringify({ events }), count: events.length }
})
const events = bodies.reduce((sum, body) => sum + body.count, 0)
if (events === 0) throw new Error(`the import queued nothing: ${imported.output.slice(-500)}`)
process.stderr.write(
  `${MB} MB archive: ${archive.files} files; the import queued ${events} events in ${spools.length} outbox files\n`
)

/** `sync` of a copy of the template by the CLI at `cli`, into a fresh server. */
const ours = async (cli) => {
  const dir = mkdtempSync(join(work, "run-"))
  const server = await startServer(join(dir, "server"))
  try {
    const state = join(dir, "state")
    cpSync(template, state, { recursive: true })
    const result = await run([cli, "sync"], envOf(state, server))
    const sent = result.output.match(/Sent (\d+) event\(s\), (\d+) rejected by the server, (\d+) pending/)
    if (result.code !== 0 || sent === null || Number(sent[1]) !== events || Number(sent[3]) !== 0) {
      throw new Error(`${cli} sync did not deliver all ${events} events (exit ${result.code}): ${result.output}`)
    }
    return result
  } finally {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The same batches posted by a bare HTTP client (one connection) into a fresh server. */
const bare = async () => {
  const dir = mkdtempSync(join(work, "bare-"))
  const server = await startServer(join(dir, "server"))
  const client = makeClient(server.url, { key: server.key, maxSockets: 1 })
  try {
    const cpu = process.cpuUsage()
    const started = performance.now()
    for (const { body, count } of bodies) await postEvents(client, body, count)
    const wallMs = performance.now() - started
    const used = process.cpuUsage(cpu)
    return { wallMs, cpuMs: (used.user + used.system) / 1000 }
  } finally {
    client.close()
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const results = new Map([["bare", []], ...clis.map(([label]) => [label, []])])
for (let round = 0; round < RUNS; round++) {
  results.get("bare").push(await bare())
  for (const [label, cli] of clis) results.get(label).push(await ours(cli))
  process.stderr.write(`round ${round + 1}/${RUNS} done, load ${loadAverage()}\n`)
}

const median = (values) => spread(values).median
const bareWall = median(results.get("bare").map((r) => r.wallMs))
const bareCpu = median(results.get("bare").map((r) => r.cpuMs))
const rows = [...results].map(([label, runs]) => {
  const wall = median(runs.map((r) => r.wallMs))
  const cpu = median(runs.map((r) => r.cpuMs))
  const name = label === "bare" ? "bare HTTP client (baseline)" : `claude-code-sync sync (${label})`
  return [
    name,
    fmt(wall / 1000, 2),
    fmt(cpu / 1000, 2),
    fmt((cpu * 1000) / events, 1),
    `${fmt(wall / bareWall, 2)}×`,
    `${fmt(cpu / bareCpu, 2)}×`
  ]
})
console.log(`## Sending a full outbox: ${events} events in ${bodies.length} batches (${MB} MB archive)\n`)
console.log(`- Command: \`node bench/drain.mjs --mb=${MB} --runs=${RUNS}${flags.cli ? " --cli=…" : ""}\``)
console.log(`- Load average at the end: ${loadAverage()}; medians of ${RUNS} interleaved runs.\n`)
console.log(
  markdownTable(["client", "wall s", "client CPU s", "client CPU µs/event", "wall / bare", "CPU / bare"], rows)
)
