// Where a first import's time goes: `claude-code-sync import` of a generated archive into a fresh local server, with
// the CPU time of both processes sampled from /proc at a fixed interval, so one sees whether they work at once (the
// import reading while the server stores what it sent) or wait for each other.
//
//   node bench/import-timeline.mjs [--mb=200] [--step-ms=250] [--rows] [--cli=path/to/cli.cjs[,another/cli.cjs]] [--runs=1]
//
// The archive is bench/claude-import.mjs's (bench/claude-archive.mjs, cached in bench/.cache/claude-archives/). The
// server is the built bundle, or OPENSYNC_BENCH_BIN; the import is packages/claude-code-sync/dist/cli.cjs, or --cli (a
// saved copy of an older build, or several separated by commas, to compare: runs alternate between them). Per run: wall time, the CPU time of each
// process during the import (the server's main thread apart), and the share of samples in which the server did
// nothing while the import worked. Linux only (/proc); anything it cannot measure fails the run.

import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { cachedArchive } from "./claude-archive.mjs"
import { benchDir, cpuMsOf, fmt, loadAverage, mainThreadCpuMsOf, parseFlags, rootDir, startServer } from "./lib.mjs"

const flags = parseFlags(process.argv.slice(2))
const MB = Number(flags.mb ?? 200)
const STEP_MS = Number(flags["step-ms"] ?? 250)
const RUNS = Number(flags.runs ?? 1)
const current = join(rootDir, "packages/claude-code-sync/dist/cli.cjs")
const compare = typeof flags.cli === "string" ? flags.cli.split(",").map((cli) => resolve(cli)) : []

if (cpuMsOf(process.pid) === null) throw new Error("this benchmark reads /proc: Linux only")

const archive = cachedArchive(join(benchDir, ".cache/claude-archives"), { mb: MB })
const claudeDir = join(archive.dir, "claude")

/** One import of the archive into a fresh server by the CLI at `cli`, sampled every STEP_MS. */
const run = async (cli) => {
  const work = mkdtempSync(join(tmpdir(), "opensync-timeline-"))
  const server = await startServer(join(work, "server"))
  try {
    if (server.key === null) throw new Error("the server printed no key on its first start")
    const state = join(work, "state")
    const started = Date.now()
    const child = spawn(process.execPath, [cli, "import"], {
      env: {
        PATH: process.env.PATH,
        HOME: state,
        XDG_CONFIG_HOME: join(state, "config"),
        CLAUDE_CONFIG_DIR: claudeDir,
        CLAUDE_SYNC_STATE_DIR: state,
        CLAUDE_SYNC_CONVEX_URL: server.url,
        CLAUDE_SYNC_API_KEY: server.key,
        CLAUDE_SYNC_AUTO_SYNC: "0",
        NO_COLOR: "1"
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => {
      output += chunk
    })
    child.stderr.on("data", (chunk) => {
      output += chunk
    })
    const samples = []
    let last = { cli: 0, server: cpuMsOf(server.pid), main: mainThreadCpuMsOf(server.pid) }
    const timer = setInterval(() => {
      const now = {
        cli: cpuMsOf(child.pid) ?? last.cli,
        server: cpuMsOf(server.pid),
        main: mainThreadCpuMsOf(server.pid)
      }
      if (now.server === null || now.main === null) throw new Error("the server stopped during the import")
      samples.push({
        at: Date.now() - started,
        cli: now.cli - last.cli,
        server: now.server - last.server,
        main: now.main - last.main
      })
      last = now
    }, STEP_MS)
    const code = await new Promise((done) => child.on("exit", done))
    clearInterval(timer)
    const wallMs = Date.now() - started
    const sent = output.match(/Sent (\d+) event\(s\), (\d+) rejected by the server, (\d+) pending\./)
    if (code !== 0 || sent === null || sent[2] !== "0" || sent[3] !== "0") {
      throw new Error(`the import did not send everything (exit ${code}):\n${output}`)
    }
    const sum = (key) => samples.reduce((total, sample) => total + sample[key], 0)
    const idle = samples.filter((s) => s.server < STEP_MS * 0.1 && s.cli >= STEP_MS * 0.5).length
    return { wallMs, events: Number(sent[1]), cli: sum("cli"), server: sum("server"), main: sum("main"), idle, samples }
  } finally {
    await server.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

console.log(
  `import timeline: ${MB} MB archive (${archive.files} files, ${fmt(archive.bytes / 1e6, 1)} MB), samples every ` +
    `${STEP_MS} ms, load ${loadAverage()}`
)
for (let round = 0; round < RUNS; round++) {
  for (const [label, cli] of [
    ["current", current],
    ...compare.map((cli, i) => [compare.length === 1 ? "compare" : `compare ${i + 1} (${cli})`, cli])
  ]) {
    const result = await run(cli)
    console.log(
      `${label}: wall ${fmt(result.wallMs / 1000, 2)} s, ${result.events} events; CPU during the import: import ` +
        `${fmt(result.cli / 1000, 2)} s, server ${fmt(result.server / 1000, 2)} s (main thread ${fmt(result.main / 1000, 2)} s); ` +
        `server idle while the import worked in ${result.idle} of ${result.samples.length} samples`
    )
    if (flags.rows === true) {
      console.log("ms\timport CPU ms\tserver CPU ms\tserver main thread CPU ms")
      for (const s of result.samples) console.log(`${s.at}\t${s.cli}\t${s.server}\t${s.main}`)
    }
  }
}
