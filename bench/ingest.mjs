// Ingest throughput of `POST /sync/events` on loopback, batches of 500 and of 1, against a transport-only baseline.
//
//   node bench/ingest.mjs [--quick] [--json]
//
// Baseline (measured in the same run, same machine): a minimal node:http server in a child process that reads the
// body, JSON.parse()s it and answers 200 with a result of the same shape, fed the very same request bodies by the
// very same client. The ratio server/baseline is the share of the transport's throughput the server keeps.

import { mkdtempSync, rmSync } from "node:fs"
import http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import {
  fmt,
  fmtInt,
  makeClient,
  makeGenerator,
  markdownTable,
  memoryOf,
  openFiles,
  parseFlags,
  postEvents,
  spawnAndWait,
  startServer,
  stopChild
} from "./lib.mjs"

const thisFile = fileURLToPath(import.meta.url)

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
 * not care about repeated ids). Returns events/s.
 */
const drive = async (client, bodies, concurrency, maxMs, minMs = 0) => {
  let next = 0
  let events = 0
  let requests = 0
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
  return { events, requests, seconds, eventsPerSecond: events / seconds, requestsPerSecond: requests / seconds }
}

const serialise = (generator, batches, size) =>
  Array.from({ length: batches }, () => {
    const events = generator.nextBatch(size)
    return { body: JSON.stringify({ events }), count: events.length }
  })

export const runIngest = async ({ quick = false, log = console.error } = {}) => {
  const plan = quick
    ? { batched: 60, single: 1_500, warmup: 2, maxMs: 30_000 }
    : { batched: 240, single: 6_000, warmup: 2, maxMs: 60_000 }
  const batchSize = 500
  const singleConcurrency = 4
  const batchedConcurrency = 1
  // Same seed for both targets: the baseline and the server get byte-identical bodies.
  const generate = () => {
    const generator = makeGenerator({ seed: 42, tag: "ing" })
    const warmup = serialise(generator, plan.warmup, batchSize)
    const warmupSingle = serialise(generator, 200, 1)
    const batched = serialise(generator, plan.batched, batchSize)
    const single = serialise(generator, plan.single, 1)
    return { warmup, warmupSingle, batched, single, counters: { ...generator.counters } }
  }
  const bodies = generate()
  const bytes = (list) => list.reduce((sum, b) => sum + Buffer.byteLength(b.body), 0)
  const mix = bodies.counters
  log(
    `ingest: ${fmtInt(plan.batched * batchSize)} events in batches of ${batchSize} (${fmt(bytes(bodies.batched) / plan.batched / 1024)} KiB/request), ` +
      `${fmtInt(plan.single)} single events (${fmtInt(bytes(bodies.single) / plan.single)} B/request, ${singleConcurrency} clients)`
  )

  // Every phase starts on an empty data dir (the warm-up leaves 1,000-1,200 events in it): ingest cost grows with the store
  // (see docs/benchmarks.md), so the batched phase must not slow the single-event phase down. The read benchmark
  // measures ingest into a large store.
  const results = { baseline: {}, server: {} }
  const phases = [
    ["batched", bodies.batched, batchedConcurrency, `batched x${batchSize}`],
    ["single", bodies.single, singleConcurrency, "single x1"]
  ]
  for (const [phase, phaseBodies, concurrency, label] of phases) {
    for (const name of ["baseline", "server"]) {
      const dataDir = mkdtempSync(join(tmpdir(), "opensync-bench-ingest-"))
      try {
        const target = name === "baseline" ? await startBaseline() : await startServer(dataDir)
        const client = makeClient(target.url, { key: target.key, maxSockets: concurrency })
        try {
          await drive(client, bodies.warmup, 1, plan.maxMs)
          if (phase === "single") await drive(client, bodies.warmupSingle, concurrency, plan.maxMs)
          const result = await drive(client, phaseBodies, concurrency, plan.maxMs, name === "baseline" ? 3_000 : 0)
          log(
            `  ${name.padEnd(8)} ${label.padEnd(12)} ${fmtInt(result.eventsPerSecond).padStart(8)} events/s ` +
              `(${fmtInt(result.events)} events in ${fmt(result.seconds, 2)} s, ${concurrency} client${concurrency > 1 ? "s" : ""})`
          )
          results[name][phase] = {
            ...result,
            memory: memoryOf(target.pid),
            // Each open SQLite connection holds a descriptor on the database file.
            dbFileDescriptors: name === "server" ? openFiles(target.pid, "opensync.db") : null,
            writeRequests:
              result.requests + bodies.warmup.length + (phase === "single" ? bodies.warmupSingle.length : 0)
          }
        } finally {
          client.close()
          await target.stop()
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
  }
  const row = (label, key, concurrency) => {
    const server = results.server[key].eventsPerSecond
    const baseline = results.baseline[key].eventsPerSecond
    return { label, concurrency, server, baseline, ratio: server / baseline }
  }
  const rows = [
    row(`batches of ${batchSize}`, "batched", batchedConcurrency),
    row("batches of 1", "single", singleConcurrency)
  ]
  return {
    plan: {
      ...plan,
      batchSize,
      mix: { ...mix, ratioToolCalls: mix.toolCalls / (mix.toolCalls + mix.messages + mix.sessionEvents) }
    },
    results,
    rows,
    targetBatched: 20_000,
    // The server of the single-event phase: many small write transactions.
    server: {
      writeRequests: results.server.single.writeRequests,
      rssMiB: results.server.single.memory.rssMiB,
      dbFileDescriptors: results.server.single.dbFileDescriptors
    }
  }
}

export const ingestMarkdown = (ingest) =>
  [
    markdownTable(
      ["ingest (POST /sync/events)", "clients", "server events/s", "baseline events/s", "server / baseline"],
      ingest.rows.map((r) => [
        r.label,
        String(r.concurrency),
        fmtInt(r.server),
        fmtInt(r.baseline),
        `${fmt(r.ratio * 100, 1)} %`
      ])
    ),
    "",
    `Target: >= ${fmtInt(ingest.targetBatched)} events/s batched — ${
      ingest.rows[0].server >= ingest.targetBatched ? "met" : "**missed**"
    } (${fmtInt(ingest.rows[0].server)} events/s).`,
    `Server at the end of the single-event phase (${fmtInt(ingest.server.writeRequests)} write requests): ` +
      `RSS ${fmtInt(ingest.server.rssMiB)} MiB, ${ingest.server.dbFileDescriptors ?? "n/a"} open file descriptors on opensync.db.`
  ].join("\n")

if (process.argv[1] === thisFile) {
  const flags = parseFlags(process.argv.slice(2))
  if (flags["baseline-server"]) runBaselineServer()
  else {
    const result = await runIngest({ quick: flags.quick === true })
    console.log(flags.json ? JSON.stringify(result, null, 2) : ingestMarkdown(result))
  }
}
