// `claude-code-sync import` end to end (read, parse, redact, send, stored by a real local server) side by side with
// `ccusage session --offline --json` (pinned 20.0.24, node_modules/.bin/ccusage) on the same generated archives, in
// the same run, as ratios; plus the second import of the unchanged archive and a turn's sync on a long session.
//
//   node bench/claude-import.mjs [--sizes=50,200,800] [--rounds=3] [--seed=1] [--current=0.5] [--largest=50]
//                                [--live-mb=49] [--live-rounds=3] [--no-live] [--json]
//
// 1. Archives (bench/claude-archive.mjs) of about --sizes MB (10^6 bytes), cached in bench/.cache/claude-archives/:
//    sessions in Claude Code 2.1.197's and 2.1.332's style (--current: the share of the latter, whose transcripts are
//    ~11x larger for the same work), one session of --largest MB (at most a quarter of the archive), subagents.
// 2. Per size, --rounds interleaved rounds (the order rotates): ccusage; our first import into a fresh server and a
//    fresh state directory; our second import of the unchanged archive into the same. Each is a fresh process of the
//    built bundles (packages/claude-code-sync/dist/cli.cjs, packages/server/dist/opensync.mjs: `node scripts/build.mjs`
//    first); wall time, CPU time (the process and what it waited for), and our import's peak RSS.
// 3. After the first round, every session's token totals as the server stored them must equal ccusage's.
// 4. Live sync: one session of --live-mb MB imported, then per round one more turn appended and the `sync` a Stop hook
//    starts, timed, against a whole re-read of the session (`sync --session <id>`, what every turn cost before) in the
//    same round.
// Anything that cannot be measured (a bundle missing, a process failing, a total that differs) fails the run.
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import { join } from "node:path"
import { appendTurn, cachedArchive, generateLongSession } from "./claude-archive.mjs"
import { benchDir, binPath, fmt, makeClient, markdownTable, parseFlags, rootDir, startServer } from "./lib.mjs"

const flags = parseFlags(process.argv.slice(2))
const SIZES = String(flags.sizes ?? "50,200,800")
  .split(",")
  .map(Number)
  .filter((n) => n > 0)
const ROUNDS = Number(flags.rounds ?? 3)
const SEED = Number(flags.seed ?? 1)
const CURRENT = Number(flags.current ?? 0.5)
const LARGEST = Number(flags.largest ?? 50)
const LIVE = flags["no-live"] !== true
const LIVE_MB = Number(flags["live-mb"] ?? 49)
const LIVE_ROUNDS = Number(flags["live-rounds"] ?? 3)
const MB = 1e6
const command = `node bench/claude-import.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(" ")}` : ""}`

const cli = join(rootDir, "packages/claude-code-sync/dist/cli.cjs")
const hook = join(rootDir, "packages/claude-code-sync/dist/hook.cjs")
const ccusage = join(rootDir, "node_modules/ccusage/src/cli.js")
const usageProbe = join(benchDir, "peak-rss.cjs")
for (const [what, path] of [
  ["the claude-code-sync bundle", cli],
  ["the hook bundle", hook],
  ["the server bundle", binPath],
  ["ccusage (npm install)", ccusage]
]) {
  if (!existsSync(path)) throw new Error(`${what} is missing (${path}): run \`npm install && node scripts/build.mjs\``)
}

const log = (text) => process.stderr.write(`${text}\n`)
const work = mkdtempSync(join(os.tmpdir(), "claude-import-bench-"))
const emptyHome = join(work, "home")
mkdirSync(emptyHome, { recursive: true })

// ---------- processes ----------

/** CPU time (ms) of the children this process has waited for so far, from /proc/self/stat; null off Linux. */
const childrenCpuMs = () => {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ")
    // After the command name: state is field 3, so cutime (16) and cstime (17) are at indexes 13 and 14.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100
  } catch {
    return null
  }
}

/** CPU time (ms) a running process has used so far (the server), from /proc; null off Linux. */
const processCpuMs = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return null
  }
}

/** Longest any measured process may take before the run fails. */
const PROCESS_TIMEOUT_MS = 20 * 60_000

/** Runs a node script to completion: wall and CPU time, its output; throws when it fails or hangs. */
const runNode = (args, env, { probe = false, anyExit = false } = {}) =>
  new Promise((done, fail) => {
    const usageFile = join(work, `usage-${process.hrtime.bigint()}.json`)
    const cpuBefore = childrenCpuMs()
    const started = performance.now()
    const child = spawn(process.execPath, probe ? ["--require", usageProbe, ...args] : args, {
      env: { PATH: process.env.PATH, ...env, ...(probe ? { BENCH_USAGE_FILE: usageFile } : {}) },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("error", fail)
    const timer = setTimeout(() => child.kill("SIGKILL"), PROCESS_TIMEOUT_MS)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const wallMs = performance.now() - started
      const cpuAfter = childrenCpuMs()
      if (code !== 0 && !(anyExit && code !== null)) {
        fail(
          new Error(`node ${args.join(" ")} exited ${code ?? signal}:\n${stderr.slice(-3000)}${stdout.slice(-2000)}`)
        )
        return
      }
      let usage = null
      if (probe) {
        if (!existsSync(usageFile)) return fail(new Error(`node ${args.join(" ")} left no usage record`))
        usage = JSON.parse(readFileSync(usageFile, "utf8"))
        rmSync(usageFile, { force: true })
      }
      done({
        wallMs,
        cpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
        usage,
        stdout,
        stderr
      })
    })
  })

/**
 * Waits until the server is idle (under 5 ms of CPU in 200 ms, at most 30 s), so that a timed command does not share
 * the cores with what the server still does for the one before (the search index of a first import is built after its
 * events are stored and answered). Returns how long it waited, in ms.
 */
const settle = async (server) => {
  const started = performance.now()
  let before = processCpuMs(server.pid)
  while (before !== null && performance.now() - started < 30_000) {
    await new Promise((done) => setTimeout(done, 200))
    const now = processCpuMs(server.pid)
    if (now === null || now - before < 5) break
    before = now
  }
  return performance.now() - started
}

const runCcusage = (claudeDir) =>
  runNode([ccusage, "session", "--offline", "--json"], {
    HOME: emptyHome,
    CLAUDE_CONFIG_DIR: claudeDir,
    NO_COLOR: "1"
  })

/** The environment of our CLI: its own config and state directories, the server, nothing else. */
const cliEnv = (claudeDir, stateDir, server) => ({
  HOME: emptyHome,
  XDG_CONFIG_HOME: join(stateDir, "config"),
  CLAUDE_CONFIG_DIR: claudeDir,
  CLAUDE_SYNC_STATE_DIR: stateDir,
  CLAUDE_SYNC_CONVEX_URL: server.url,
  CLAUDE_SYNC_API_KEY: server.key,
  CLAUDE_SYNC_AUTO_SYNC: "0",
  NO_COLOR: "1"
})

/** Runs `claude-code-sync <args>`; checks that everything was sent and nothing refused. */
const runCli = async (args, env, server) => {
  const serverBefore = processCpuMs(server.pid)
  const result = await runNode([cli, ...args], env, { probe: true })
  const serverAfter = processCpuMs(server.pid)
  const sent = result.stdout.match(/Sent (\d+) event\(s\), (\d+) rejected by the server, (\d+) pending\./)
  if (sent === null) throw new Error(`claude-code-sync ${args.join(" ")} printed no report:\n${result.stdout}`)
  const [, delivered, rejected, pending] = sent.map(Number)
  if (rejected !== 0 || pending !== 0) {
    throw new Error(`claude-code-sync ${args.join(" ")}: ${rejected} rejected, ${pending} pending:\n${result.stdout}`)
  }
  // An import's own line ("…, N event(s) queued."), else the sync's ("…; queued N event(s).").
  const queued = Number(
    result.stdout.match(/, (\d+) event\(s\) queued/)?.[1] ??
      result.stdout.match(/queued (\d+) event\(s\)/)?.[1] ??
      Number.NaN
  )
  return {
    ...result,
    delivered,
    queued,
    serverCpuMs: serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore
  }
}

/**
 * `claude-code-sync import` with no server configured: the client's side alone (read, parse, redact, queue in the
 * outbox), which ends with "Not configured" and the events left queued. Checks that it queued `expected` events.
 */
const runQueueOnly = async (claudeDir, expected) => {
  const stateDir = mkdtempSync(join(work, "state-queue-"))
  const { CLAUDE_SYNC_CONVEX_URL: _url, CLAUDE_SYNC_API_KEY: _key, ...env } = cliEnv(claudeDir, stateDir, {})
  const result = await runNode([cli, "import"], env, { probe: true, anyExit: true })
  rmSync(stateDir, { recursive: true, force: true })
  const queued = Number(result.stdout.match(/, (\d+) event\(s\) queued/)?.[1] ?? Number.NaN)
  if (queued !== expected) {
    throw new Error(
      `the import to the outbox queued ${queued} events, not ${expected}:\n${result.stdout}${result.stderr}`
    )
  }
  return result
}

/** Servers running, stopped however the run ends. */
const servers = new Set()
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const server of servers) server.child.kill("SIGKILL")
    rmSync(work, { recursive: true, force: true })
    process.exit(1)
  })
}

const startFreshServer = async () => {
  const dataDir = mkdtempSync(join(work, "server-"))
  const server = { ...(await startServer(dataDir)), dataDir }
  servers.add(server)
  if (server.key === null) throw new Error("the server printed no key on its first start")
  return server
}

const stopServer = async (server) => {
  await server.stop()
  servers.delete(server)
  rmSync(server.dataDir, { recursive: true, force: true })
}

// ---------- token totals ----------

const ccusageTotals = (stdout) =>
  new Map(
    JSON.parse(stdout).session.map((s) => [
      s.period ?? s.sessionId,
      { input: s.inputTokens, output: s.outputTokens, cacheWrite: s.cacheCreationTokens, cacheRead: s.cacheReadTokens }
    ])
  )

/** Every session's token totals as the server stored them (the session list, page by page). */
const serverTotals = async (server) => {
  const client = makeClient(server.url, { key: server.key })
  const totals = new Map()
  try {
    let cursor = null
    do {
      const path = `/api/sessions?limit=200${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`
      const res = await client.request("GET", path)
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 300)}`)
      const page = JSON.parse(res.body)
      for (const s of page.sessions) {
        totals.set(s.id, {
          input: s.usage.input,
          output: s.usage.output,
          cacheWrite: s.usage.cacheWrite5m + s.usage.cacheWrite1h,
          cacheRead: s.usage.cacheRead
        })
      }
      cursor = page.nextCursor
    } while (cursor !== null)
  } finally {
    client.close()
  }
  return totals
}

const compareTotals = (ours, theirs) => {
  const mismatches = []
  for (const [id, cc] of theirs) {
    const mine = ours.get(id)
    if (mine === undefined) {
      mismatches.push(`${id}: not on the server`)
      continue
    }
    for (const key of ["input", "output", "cacheWrite", "cacheRead"]) {
      if (mine[key] !== cc[key]) mismatches.push(`${id} ${key}: server ${mine[key]}, ccusage ${cc[key]}`)
    }
  }
  for (const id of ours.keys()) if (!theirs.has(id)) mismatches.push(`${id}: only on the server`)
  return mismatches
}

// ---------- statistics ----------

const stats = (values) => {
  const sorted = values.filter((v) => v !== null && Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return { min: null, median: null, max: null }
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { min: sorted[0], median, max: sorted.at(-1) }
}
const triple = (values, digits = 2, scale = 1) => {
  const s = stats(values.map((v) => (v === null ? null : v / scale)))
  return s.median === null ? "n/a" : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
}
const load = () =>
  os
    .loadavg()
    .map((l) => fmt(l, 2))
    .join(" / ")

// ---------- the archive benchmark ----------

const archiveRounds = async (size) => {
  const archive = cachedArchive(join(benchDir, ".cache/claude-archives"), {
    mb: size,
    seed: SEED,
    current: CURRENT,
    largestMb: LARGEST
  })
  const claudeDir = join(archive.dir, "claude")
  log(
    `${size} MB: ${archive.sessions} sessions, ${archive.files} files, ${fmt(archive.bytes / MB, 1)} MB` +
      (archive.generatedMs > 0 ? ` (generated in ${fmt(archive.generatedMs / 1000, 1)} s)` : " (cached)")
  )
  // Warm the page cache: every tool reads from memory.
  await runCcusage(claudeDir)
  const rounds = []
  let parity = null
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startFreshServer()
    const stateDir = mkdtempSync(join(work, "state-"))
    const env = cliEnv(claudeDir, stateDir, server)
    const result = { loadAtStart: os.loadavg()[0] }
    // Each timed command starts on an idle server: ccusage and the second import do not share the cores with the
    // search index the server builds for the first import after answering it (that tail is reported on its own).
    const steps = {
      ccusage: async () => {
        await settle(server)
        result.ccusage = await runCcusage(claudeDir)
      },
      imports: async () => {
        await settle(server)
        result.first = await runCli(["import"], env, server)
        result.indexTailMs = await settle(server)
        result.second = await runCli(["import"], env, server)
      }
    }
    const order = round % 2 === 0 ? ["ccusage", "imports"] : ["imports", "ccusage"]
    for (const step of order) await steps[step]()
    result.queue = await runQueueOnly(claudeDir, result.first.queued)
    const found = result.second.stdout.match(/(\d+) sessions? \((\d+) new, (\d+) updated, (\d+) unchanged\)/)
    if (found === null || Number(found[2]) !== 0 || Number(found[3]) !== 0 || result.second.queued !== 0) {
      throw new Error(`the second import of an unchanged archive did not find it unchanged:\n${result.second.stdout}`)
    }
    if (parity === null) {
      const mismatches = compareTotals(await serverTotals(server), ccusageTotals(result.ccusage.stdout))
      if (mismatches.length > 0) {
        throw new Error(
          `token totals differ from ccusage's (${mismatches.length}):\n${mismatches.slice(0, 20).join("\n")}`
        )
      }
      parity = ccusageTotals(result.ccusage.stdout).size
    }
    await stopServer(server)
    rmSync(stateDir, { recursive: true, force: true })
    rounds.push(result)
    log(
      `  round ${round + 1}: ccusage ${fmt(result.ccusage.wallMs / 1000, 2)} s, first import ` +
        `${fmt(result.first.wallMs / 1000, 2)} s (${result.first.delivered} events, ${fmt(result.first.usage.maxRssMiB, 0)} MiB), ` +
        `server idle ${fmt(result.indexTailMs / 1000, 2)} s later, ` +
        `second ${fmt(result.second.wallMs / 1000, 2)} s, to the outbox only ${fmt(result.queue.wallMs / 1000, 2)} s; ` +
        `load ${load()}`
    )
  }
  return { size, archive, rounds, parity, firstStdout: rounds[0].first.stdout, secondStdout: rounds[0].second.stdout }
}

// ---------- live sync ----------

const liveRounds = async () => {
  const claudeDir = join(work, "live-claude")
  const long = generateLongSession(claudeDir, { mb: LIVE_MB })
  const { session, replayer } = long
  log(`live: one session, ${fmt(long.mainSize / 2 ** 20, 1)} MiB main transcript, ${long.files} files`)
  const server = await startFreshServer()
  const stateDir = mkdtempSync(join(work, "state-"))
  const env = cliEnv(claudeDir, stateDir, server)
  const imported = await runCli(["import"], env, server)
  const rounds = []
  for (let round = 0; round < LIVE_ROUNDS; round++) {
    const appended = appendTurn(replayer, session)
    const stop = spawnSync(process.execPath, [hook, "hook", "Stop"], {
      input: JSON.stringify({
        session_id: session.sessionId,
        transcript_path: session.mainPath,
        cwd: session.cwd,
        hook_event_name: "Stop",
        stop_hook_active: false
      }),
      env: { PATH: process.env.PATH, ...env },
      encoding: "utf8"
    })
    if (stop.status !== 0) throw new Error(`the hook failed: ${stop.stderr}`)
    const incremental = await runCli(["sync"], env, server)
    if (!/and 1 transcript\(s\)/.test(incremental.stdout)) {
      throw new Error(`the sync after the Stop hook read no transcript:\n${incremental.stdout}`)
    }
    const whole = await runCli(["sync", "--session", session.sessionId], env, server)
    rounds.push({ appended, incremental, whole })
    log(
      `  round ${round + 1}: turn of ${fmt(appended / 1024, 0)} KiB: sync ${fmt(incremental.wallMs / 1000, 2)} s ` +
        `(${incremental.delivered} events), whole re-read ${fmt(whole.wallMs / 1000, 2)} s (${whole.delivered} events)`
    )
  }
  await stopServer(server)
  return { mainSize: long.mainSize, files: long.files, imported, rounds }
}

// ---------- report ----------

const archiveSection = (result) => {
  const { archive, rounds } = result
  const ratio = (pick, base) => rounds.map((r) => pick(r) / base(r))
  const cc = (r) => r.ccusage.wallMs
  const ccCpu = (r) => r.ccusage.cpuMs
  const mbps = (ms) => archive.bytes / MB / (ms / 1000)
  /** One run's row: wall and CPU time, MB/s, both ratios to ccusage (CPU with the server's when it stored), peak RSS. */
  const runRow = (label, run, { mbps: withRate = false, serverCpu = false }) => [
    label,
    ...timeCells(rounds, run),
    withRate ? fmt(mbps(stats(rounds.map((r) => run(r).wallMs)).median), 0) : "",
    `${triple(
      ratio((r) => run(r).wallMs, cc),
      2
    )}×`,
    `${triple(
      ratio((r) => run(r).cpuMs + (serverCpu ? (run(r).serverCpuMs ?? 0) : 0), ccCpu),
      2
    )}×`,
    rssCell(rounds, run)
  ]
  const rows = [
    [
      "ccusage 20.0.24 `session --offline --json`",
      triple(rounds.map(cc), 2, 1000),
      triple(rounds.map(ccCpu), 2, 1000),
      fmt(mbps(stats(rounds.map(cc)).median), 0),
      "1×",
      "1×",
      ""
    ],
    runRow("first import (into a fresh server)", (r) => r.first, { mbps: true, serverCpu: true }),
    runRow("first import, client side only (to the outbox, nothing sent)", (r) => r.queue, { mbps: true }),
    runRow("second import (unchanged archive)", (r) => r.second, { serverCpu: true })
  ]
  const first = rounds[0].first
  const server = triple(
    rounds.map((r) => r.first.serverCpuMs),
    2,
    1000
  )
  return [
    `### ${result.size} MB archive`,
    "",
    `${archive.sessions} sessions, ${archive.files} files, ${fmt(archive.bytes / MB, 1)} MB ` +
      `(largest transcript ${fmt(archive.largestFile / 2 ** 20, 1)} MiB); ${first.delivered.toLocaleString("en-US")} ` +
      `events stored; token totals of all ${result.parity} sessions equal ccusage's. Median (min–max) of ${rounds.length} ` +
      "interleaved rounds; CPU is the process and its children (ours: the import's own, plus the server's during " +
      `the import, ${server} s, in the ratio). Each timed command starts with the server idle; after the first ` +
      `import was answered, the server went on building its search index for ${triple(
        rounds.map((r) => r.indexTailMs),
        2,
        1000
      )} s (not in the first import's time: its events were stored and readable; a search waits for them).`,
    "",
    markdownTable(
      ["run", "wall s", "CPU s", "MB/s (wall)", "wall / ccusage's", "CPU / ccusage's", "peak RSS MiB"],
      rows
    ),
    "",
    `First import: \`${first.stdout.trim().split("\n")[0]}\``,
    "",
    `Second import: \`${rounds[0].second.stdout.trim().split("\n")[0]}\``,
    ""
  ].join("\n")
}

const growthSection = (results) =>
  markdownTable(
    ["archive", "MB", "files", "first import s", "MB/s", "per MB (ms)", "peak RSS MiB", "second import s"],
    results.map(({ size, archive, rounds }) => {
      const first = stats(rounds.map((r) => r.first.wallMs)).median
      return [
        `${size} MB`,
        fmt(archive.bytes / MB, 1),
        String(archive.files),
        fmt(first / 1000, 2),
        fmt(archive.bytes / MB / (first / 1000), 0),
        fmt(first / (archive.bytes / MB), 1),
        fmt(stats(rounds.map((r) => r.first.usage.maxRssMiB)).median, 0),
        fmt(stats(rounds.map((r) => r.second.wallMs)).median / 1000, 2)
      ]
    })
  )

/** A run's wall and CPU time (median, min–max, in seconds) over the rounds. */
const timeCells = (rounds, run) => [
  triple(
    rounds.map((r) => run(r).wallMs),
    2,
    1000
  ),
  triple(
    rounds.map((r) => run(r).cpuMs),
    2,
    1000
  )
]
/** A run's peak RSS (MiB) over the rounds. */
const rssCell = (rounds, run) =>
  triple(
    rounds.map((r) => run(r).usage.maxRssMiB),
    0
  )

/** One run's row of the live-sync table: wall and CPU time, events sent, peak RSS, and its ratio to the baseline. */
const liveRow = (rounds, label, run, ratio) => [
  label,
  ...timeCells(rounds, run),
  triple(
    rounds.map((r) => run(r).delivered),
    0
  ),
  rssCell(rounds, run),
  ratio
]

const liveSection = (live) =>
  [
    "### Live sync of a long session",
    "",
    `One session whose main transcript is ${fmt(live.mainSize / 2 ** 20, 1)} MiB (2.1.332 style, ${live.files} files), ` +
      `imported first (${fmt(live.imported.wallMs / 1000, 2)} s, ${live.imported.delivered} events). Each round appends ` +
      "one turn, runs the real hook for `Stop`, then the `sync` it starts (timed), and, as the baseline in the same " +
      "round, `sync --session <id>`, which re-reads the whole session (what every turn's sync did before).",
    "",
    markdownTable(
      ["run", "wall s", "CPU s", "events sent", "peak RSS MiB", "wall / whole re-read's"],
      [
        liveRow(
          live.rounds,
          "sync after a turn",
          (r) => r.incremental,
          `${triple(
            live.rounds.map((r) => r.incremental.wallMs / r.whole.wallMs),
            2
          )}×`
        ),
        liveRow(live.rounds, "whole re-read (`sync --session`)", (r) => r.whole, "1×")
      ]
    ),
    ""
  ].join("\n")

try {
  const cpus = os.cpus()
  const loadAtStart = load()
  const started = Date.now()
  const results = []
  for (const size of SIZES) results.push(await archiveRounds(size))
  const live = LIVE ? await liveRounds() : null
  const report = [
    "## claude-code-sync import against ccusage",
    "",
    `- Command: \`${command}\``,
    `- Date: ${new Date(started).toISOString()}, ${fmt((Date.now() - started) / 1000, 0)} s`,
    `- Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? "CPU"}, Node ${process.version}; load average (1/5/15 min) ` +
      `${loadAtStart} at the start, ${load()} at the end (other processes compete for the cores: compare the ratios)`,
    "- MB = 10^6 bytes, MiB = 2^20 bytes.",
    "",
    ...results.map(archiveSection),
    "### How time and memory grow with the archive",
    "",
    growthSection(results),
    "",
    ...(live === null ? [] : [liveSection(live)])
  ].join("\n")
  const resultsDir = join(benchDir, "results")
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(join(resultsDir, "claude-import.md"), report)
  const strip = ({ stdout, stderr, ...rest }) => rest
  writeFileSync(
    join(resultsDir, "claude-import.json"),
    `${JSON.stringify(
      {
        command,
        results: results.map((r) => ({
          ...r,
          rounds: r.rounds.map((round) => ({
            ...round,
            ccusage: strip(round.ccusage),
            first: strip(round.first),
            second: strip(round.second),
            queue: strip(round.queue)
          }))
        })),
        live:
          live === null
            ? null
            : {
                ...live,
                imported: strip(live.imported),
                rounds: live.rounds.map((r) => ({
                  appended: r.appended,
                  incremental: strip(r.incremental),
                  whole: strip(r.whole)
                }))
              }
      },
      null,
      2
    )}\n`
  )
  console.log(report)
} finally {
  for (const server of servers) await server.stop()
  rmSync(work, { recursive: true, force: true })
}
