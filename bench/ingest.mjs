// Ingest throughput of `POST /sync/events` on loopback against a transport-only baseline measured in the same run.
//
//   node bench/ingest.mjs [--quick] [--json] [--runs=N] [--grow=EVENTS] [--compare=path/to/other/opensync.mjs]
//
// Baseline: a minimal node:http server in a child process that reads the body, JSON.parse()s it and answers 200 with
// a result of the same shape, fed the very same request bodies by the very same client. `server / baseline` is the
// share of the transport's throughput the server keeps.
//
// Phases, each repeated `--runs` times in interleaved rounds (every round runs every target once, in a rotating order,
// so a burst of load from other processes hits them alike), each run on a fresh data dir:
// - batched: batches of 500 events, one client sending one request after another (a plugin draining its queue);
// - single: batches of 1 event, 4 concurrent clients (live hooks of several agents).
// Then `grow`: one server per build takes batches of 500 until its store holds `--grow` events (full: 1,000,000),
// reporting each tenth. Event ids are digests and Claude Code session ids UUIDs, as real clients send them.
// For each measurement: events/s, the server's CPU time per event (user + system, all its threads, from /proc: what
// the work costs, less disturbed by other processes than wall time) and the load average when it ended.
// `--compare` adds another build of the server (e.g. a saved copy of the previous one) as a third target.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import http from "node:http"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import {
  binPath,
  cpuMsOf,
  fmt,
  fmtInt,
  loadAverage,
  mainThreadCpuMsOf,
  makeClient,
  makeGenerator,
  markdownTable,
  memoryOf,
  openFiles,
  parseFlags,
  postEvents,
  spawnAndWait,
  spread,
  startServer,
  stopChild
} from "./lib.mjs"

const thisFile = fileURLToPath(import.meta.url)

/** CPU ms of each thread of a process by thread name (`comm`), summed per name; null off Linux. */
const threadCpuMsOf = (pid) => {
  try {
    const out = {}
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8")
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
      const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ")
      const key = tid === String(pid) ? "main" : name === "node" ? `thread ${tid}` : name
      out[key] = (out[key] ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
    }
    return out
  } catch {
    return null
  }
}

/** The per-thread CPU of a result (µs per event by thread name), printed with `--threads`. */
const threadsNote = (result) =>
  process.argv.includes("--threads") && result.threadCpuMicrosPerEvent !== null
    ? `\n      threads (µs/event): ${JSON.stringify(result.threadCpuMicrosPerEvent)}`
    : ""

/** The baseline server: transport plus JSON.parse, nothing else. Runs in its own process, like the real server. */
const runBaselineServer = () => {
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on("data", (chunk) => chunks.push(chunk))
    req.on("end", () => {
      let events
      try {
        events = JSON.parse(Buffer.concat(chunks).toString("utf8")).events
      } catch {
        res.writeHead(400, { "content-type": "application/json" })
        return res.end('{"error":"bad json"}')
      }
      const body = JSON.stringify({ stored: events.map((e) => e.id), duplicates: [], stale: [], rejected: [] })
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
      res.end(body)
    })
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
  process.on("SIGTERM", () => server.close(() => process.exit(0)))
}

const startBaseline = async () => {
  const { child, match } = await spawnAndWait([thisFile, "--baseline-server"], /listening on (http:\/\/\S+)/)
  return { url: match[1], key: null, pid: child.pid, stop: () => stopChild(child) }
}

/**
 * Sends pre-serialised bodies with `concurrency` clients; stops early at `maxMs`. With `minMs`, starts over from the
 * first body until that much time has passed (for the baseline, which is too fast to time one pass reliably and does
 * not care about repeated ids). Returns events/s and the target's CPU time per event.
 */
const drive = async (client, target, bodies, concurrency, maxMs, minMs = 0) => {
  let next = 0
  let events = 0
  let requests = 0
  const cpuStart = cpuMsOf(target.pid)
  const mainStart = mainThreadCpuMsOf(target.pid)
  const threadsStart = threadCpuMsOf(target.pid)
  const started = performance.now()
  const more = () => {
    const elapsed = performance.now() - started
    return elapsed < maxMs && (next < bodies.length || elapsed < minMs)
  }
  const worker = async () => {
    while (more()) {
      const { body, count } = bodies[next++ % bodies.length]
      await postEvents(client, body, count)
      events += count
      requests++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  const cpuEnd = cpuMsOf(target.pid)
  const mainEnd = mainThreadCpuMsOf(target.pid)
  const threadsEnd = threadCpuMsOf(target.pid)
  return {
    events,
    requests,
    seconds,
    eventsPerSecond: events / seconds,
    cpuMicrosPerEvent: cpuStart === null || cpuEnd === null ? null : ((cpuEnd - cpuStart) * 1000) / events,
    mainCpuMicrosPerEvent: mainStart === null || mainEnd === null ? null : ((mainEnd - mainStart) * 1000) / events,
    threadCpuMicrosPerEvent:
      threadsStart === null || threadsEnd === null
        ? null
        : Object.fromEntries(
            Object.entries(threadsEnd)
              .map(([name, ms]) => [name, Math.round((((ms - (threadsStart[name] ?? 0)) * 1000) / events) * 10) / 10])
              .filter(([, us]) => us > 0)
          ),
    load: loadAverage()
  }
}

const serialise = (generator, batches, size) =>
  Array.from({ length: batches }, () => {
    const events = generator.nextBatch(size)
    return { body: JSON.stringify({ events }), count: events.length }
  })

/** The targets of a run: the transport baseline, the server under test, and optionally another build. */
const targetsOf = (compare) => [
  { name: "baseline", start: () => startBaseline() },
  { name: "server", bin: binPath, start: (dataDir) => startServer(dataDir) },
  ...(compare === undefined
    ? []
    : [{ name: "compare", bin: compare, start: (dataDir) => startServer(dataDir, { bin: compare }) }])
]

/** One run of one phase on one target, on a fresh data dir. */
const measure = async (target, phase, bodies, plan) => {
  const dataDir = mkdtempSync(join(tmpdir(), "opensync-bench-ingest-"))
  try {
    const running = await target.start(dataDir)
    const client = makeClient(running.url, { key: running.key, maxSockets: phase.concurrency })
    try {
      await drive(client, running, bodies.warmup, 1, plan.maxMs)
      if (phase.name === "single") await drive(client, running, bodies.warmupSingle, phase.concurrency, plan.maxMs)
      const result = await drive(
        client,
        running,
        bodies[phase.name],
        phase.concurrency,
        plan.maxMs,
        target.name === "baseline" ? 3_000 : 0
      )
      return {
        ...result,
        memory: memoryOf(running.pid),
        // Each open SQLite connection holds a descriptor on the database file.
        dbFileDescriptors: target.name === "baseline" ? null : openFiles(running.pid, "opensync.db")
      }
    } finally {
      client.close()
      await running.stop()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Batches of 500 into one growing store until it holds `events` events; figures for each tenth of the way. */
const grow = async (target, events, batchSize, log) => {
  const dataDir = mkdtempSync(join(tmpdir(), "opensync-bench-grow-"))
  try {
    const running = await target.start(dataDir)
    const client = makeClient(running.url, { key: running.key, maxSockets: 1 })
    const generator = makeGenerator({ seed: 11, tag: "grow", realisticIds: true })
    const steps = []
    try {
      const step = events / 10
      for (let done = 0; done < events; ) {
        const bodies = serialise(generator, Math.ceil(step / batchSize), batchSize)
        const result = await drive(client, running, bodies, 1, Number.POSITIVE_INFINITY)
        done += result.events
        steps.push({ stored: done, ...result, rssMiB: memoryOf(running.pid).rssMiB })
        log(
          `  grow ${target.name.padEnd(8)} ${fmtInt(done).padStart(9)} events: ${fmtInt(result.eventsPerSecond)} events/s, ` +
            `${fmt(result.cpuMicrosPerEvent)} µs CPU/event (main thread ${fmt(result.mainCpuMicrosPerEvent)}) (load ${result.load})` +
            threadsNote(result)
        )
      }
      return steps
    } finally {
      client.close()
      await running.stop()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export const runIngest = async ({ quick = false, runs, growTo, compare, log = console.error } = {}) => {
  const plan = quick
    ? { batched: 40, single: 800, warmup: 2, maxMs: 30_000, runs: runs ?? 3, grow: growTo ?? 200_000 }
    : { batched: 120, single: 3_000, warmup: 2, maxMs: 60_000, runs: runs ?? 5, grow: growTo ?? 1_000_000 }
  const batchSize = 500
  const phases = [
    { name: "batched", concurrency: 1, label: `batches of ${batchSize}` },
    { name: "single", concurrency: 4, label: "batches of 1" }
  ]
  // Same seed for every target: byte-identical bodies.
  const generator = makeGenerator({ seed: 42, tag: "ing", realisticIds: true })
  const bodies = {
    warmup: serialise(generator, plan.warmup, batchSize),
    warmupSingle: serialise(generator, 200, 1),
    batched: serialise(generator, plan.batched, batchSize),
    single: serialise(generator, plan.single, 1)
  }
  const mix = { ...generator.counters }
  const bytes = (list) => list.reduce((sum, b) => sum + Buffer.byteLength(b.body), 0)
  log(
    `ingest: ${plan.runs} interleaved rounds; ${fmtInt(plan.batched * batchSize)} events in batches of ${batchSize} ` +
      `(${fmt(bytes(bodies.batched) / plan.batched / 1024)} KiB/request), ${fmtInt(plan.single)} single events ` +
      `(${fmtInt(bytes(bodies.single) / plan.single)} B/request, 4 clients); then a store grown to ${fmtInt(plan.grow)} events`
  )

  const targets = targetsOf(compare)
  const runsOf = {}
  for (const phase of phases) {
    runsOf[phase.name] = Object.fromEntries(targets.map((t) => [t.name, []]))
    for (let round = 0; round < plan.runs; round++) {
      // Rotate the order, so no target always runs first (after the previous phase's process exits) or last.
      const order = targets.map((_, i) => targets[(i + round) % targets.length])
      const results = {}
      for (const target of order) {
        const result = await measure(target, phase, bodies, plan)
        results[target.name] = result
        log(
          `  ${phase.label.padEnd(15)} round ${round + 1} ${target.name.padEnd(8)} ${fmtInt(result.eventsPerSecond).padStart(8)} events/s, ` +
            `${fmt(result.cpuMicrosPerEvent)} µs CPU/event (main thread ${fmt(result.mainCpuMicrosPerEvent)}) (load ${result.load})` +
            threadsNote(result)
        )
      }
      for (const target of targets) {
        runsOf[phase.name][target.name].push({
          ...results[target.name],
          ratio: results[target.name].eventsPerSecond / results.baseline.eventsPerSecond
        })
      }
    }
  }

  const growth = {}
  for (const target of targets.filter((t) => t.name !== "baseline")) {
    growth[target.name] = await grow(target, plan.grow, batchSize, log)
  }

  const summary = (list) => ({
    eventsPerSecond: spread(list.map((r) => r.eventsPerSecond)),
    ratio: spread(list.map((r) => r.ratio)),
    cpuMicrosPerEvent: list.some((r) => r.cpuMicrosPerEvent === null)
      ? null
      : spread(list.map((r) => r.cpuMicrosPerEvent)),
    mainCpuMicrosPerEvent: list.some((r) => r.mainCpuMicrosPerEvent === null)
      ? null
      : spread(list.map((r) => r.mainCpuMicrosPerEvent)),
    loads: list.map((r) => r.load)
  })
  const single = runsOf.single.server.at(-1)
  return {
    plan: {
      ...plan,
      batchSize,
      mix: { ...mix, ratioToolCalls: mix.toolCalls / (mix.toolCalls + mix.messages + mix.sessionEvents) }
    },
    builds: Object.fromEntries(targets.filter((t) => t.bin !== undefined).map((t) => [t.name, t.bin])),
    phases: phases.map((phase) => ({
      ...phase,
      targets: Object.fromEntries(targets.map((t) => [t.name, summary(runsOf[phase.name][t.name])]))
    })),
    runs: runsOf,
    growth,
    targetBatched: 20_000,
    targetCpuMicrosPerEvent: 50,
    // The server of the last single-event run: many small write transactions.
    server: { rssMiB: single.memory.rssMiB, dbFileDescriptors: single.dbFileDescriptors, requests: single.requests }
  }
}

const range = (s, digits = 0, unit = "") =>
  s === null
    ? "n/a"
    : `${fmt(s.min, digits)}${unit} / **${fmt(s.median, digits)}${unit}** / ${fmt(s.max, digits)}${unit}`

export const ingestMarkdown = (ingest) => {
  const buildName = (name) =>
    name === "baseline"
      ? "baseline (transport + JSON.parse)"
      : `${name} (\`${basename(dirname(ingest.builds[name]))}/${basename(ingest.builds[name])}\`)`
  const batched = ingest.phases[0].targets.server
  const growth = Object.entries(ingest.growth)
  return [
    `Min / **median** / max of ${ingest.plan.runs} runs per target, in interleaved rounds; each run on a fresh store ` +
      `(warmed up with ${ingest.plan.warmup} batches of ${ingest.plan.batchSize}).`,
    "",
    markdownTable(
      [
        "phase",
        "target",
        "events/s",
        "server / baseline",
        "server CPU µs per event",
        "main thread CPU µs per event",
        "load average at each run's end"
      ],
      ingest.phases.flatMap((phase) =>
        Object.entries(phase.targets).map(([name, s]) => [
          `${phase.label} (${phase.concurrency} client${phase.concurrency > 1 ? "s" : ""})`,
          buildName(name),
          range(s.eventsPerSecond),
          name === "baseline"
            ? "1"
            : range(
                { ...s.ratio, min: s.ratio.min * 100, median: s.ratio.median * 100, max: s.ratio.max * 100 },
                1,
                " %"
              ),
          name === "baseline" ? "" : range(s.cpuMicrosPerEvent, 1),
          name === "baseline" ? "" : range(s.mainCpuMicrosPerEvent, 1),
          s.loads.join("; ")
        ])
      )
    ),
    "",
    ...(growth.every(([, steps]) => steps.length === 0)
      ? []
      : [
          `Growing one store to ${fmtInt(ingest.plan.grow)} events (batches of ${ingest.plan.batchSize}, 1 client), each tenth:`,
          "",
          markdownTable(
            [
              "target",
              "events stored",
              "events/s",
              "server CPU µs per event",
              "main thread CPU µs per event",
              "server RSS MiB",
              "load average"
            ],
            growth.flatMap(([name, steps]) =>
              steps.map((s) => [
                buildName(name),
                fmtInt(s.stored),
                fmtInt(s.eventsPerSecond),
                fmt(s.cpuMicrosPerEvent),
                fmt(s.mainCpuMicrosPerEvent),
                fmtInt(s.rssMiB),
                s.load
              ])
            )
          ),
          ""
        ]),
    `Target: >= ${fmtInt(ingest.targetBatched)} events/s batched, i.e. at most ${ingest.targetCpuMicrosPerEvent} µs of ` +
      `server CPU per event on one core — median ${fmtInt(batched.eventsPerSecond.median)} events/s, ` +
      `${fmt(batched.cpuMicrosPerEvent?.median)} µs CPU/event: ` +
      `${batched.eventsPerSecond.median >= ingest.targetBatched ? "met" : "**missed**"}.`,
    `Server after its last single-event run (${fmtInt(ingest.server.requests)} requests): RSS ${fmtInt(ingest.server.rssMiB)} MiB, ` +
      `${ingest.server.dbFileDescriptors ?? "n/a"} open file descriptors on opensync.db.`
  ].join("\n")
}

if (process.argv[1] === thisFile) {
  const flags = parseFlags(process.argv.slice(2))
  if (flags["baseline-server"]) runBaselineServer()
  else {
    const result = await runIngest({
      quick: flags.quick === true,
      runs: flags.runs === undefined ? undefined : Number(flags.runs),
      growTo: flags.grow === undefined ? undefined : Number(flags.grow),
      compare: typeof flags.compare === "string" ? flags.compare : undefined
    })
    console.log(flags.json ? JSON.stringify(result, null, 2) : ingestMarkdown(result))
  }
}
