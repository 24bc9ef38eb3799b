// Read latency of the session list and the stats on a generated store, against GET /health in the same run.
//
//   node bench/read.mjs [--quick] [--json] [--regenerate]
//
// The store (full: 100,000 sessions / ~2,000,000 messages; --quick: 10,000 / ~200,000) is generated through the
// real API in batches of 1,000 events and cached under bench/.cache/ keyed by STORE_VERSION, so re-runs reuse it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import Database from "libsql"
import {
  benchDir,
  cpuMsOf,
  fmt,
  fmtInt,
  makeClient,
  makeGenerator,
  markdownTable,
  memoryOf,
  parseFlags,
  postEvents,
  startServer,
  summarize
} from "./lib.mjs"

/** Bump when the generator or the server's storage format changes: cached stores of another version are ignored. */
export const STORE_VERSION = "v5"

const day = 86_400_000
/** The generated data ends here (fixed, so every query sees the same data whatever the date of the run). */
const endAt = Date.UTC(2026, 0, 1)

const sizes = {
  quick: { sessions: 10_000, messagesPerSession: 20 },
  full: { sessions: 100_000, messagesPerSession: 20 }
}

const storeDir = (name) => join(benchDir, ".cache", `store-${STORE_VERSION}-${name}`)

/** Generates the store through POST /sync/events in batches of 1,000; returns its metadata (also saved as meta.json). */
const generate = async (name, size, log) => {
  const dir = storeDir(name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, "data"), { recursive: true })
  const server = await startServer(join(dir, "data"))
  if (server.key === null) throw new Error("the fresh server printed no API key")
  const client = makeClient(server.url, { key: server.key, maxSockets: 1 })
  const generator = makeGenerator({ seed: 7, tag: "rd", endAt, days: 180, messagesPerSession: size.messagesPerSession })
  const batchSize = 1_000
  const counts = { sessions: 0, messages: 0, toolCalls: 0, events: 0, requests: 0 }
  const progress = []
  let buffer = []
  const started = performance.now()
  let mark = { at: started, events: 0 }
  const flush = async (events) => {
    await postEvents(client, JSON.stringify({ events }), events.length)
    counts.events += events.length
    counts.requests++
  }
  try {
    log(`read: generating the ${name} store (${fmtInt(size.sessions)} sessions) in ${dir}`)
    const step = size.sessions / 20
    for (let s = 0; s < size.sessions; s++) {
      const session = generator.nextSession()
      counts.sessions++
      counts.messages += session.messages
      counts.toolCalls += session.events.filter((e) => e.kind === "tool_call").length
      buffer.push(...session.events)
      while (buffer.length >= batchSize) {
        await flush(buffer.slice(0, batchSize))
        buffer = buffer.slice(batchSize)
      }
      if ((s + 1) % step === 0) {
        const now = performance.now()
        const point = {
          sessions: s + 1,
          events: counts.events,
          seconds: (now - started) / 1000,
          intervalEventsPerSecond: ((counts.events - mark.events) / (now - mark.at)) * 1000,
          rssMiB: memoryOf(server.pid).rssMiB
        }
        progress.push(point)
        mark = { at: now, events: counts.events }
        log(
          `  ${fmtInt(point.sessions)} sessions, ${fmtInt(point.events)} events, ${fmt(point.seconds)} s, ` +
            `${fmtInt(point.intervalEventsPerSecond)} events/s in the last interval, server RSS ${fmtInt(point.rssMiB)} MiB`
        )
      }
    }
    if (buffer.length > 0) await flush(buffer)
    const seconds = (performance.now() - started) / 1000
    const memory = memoryOf(server.pid)
    const meta = {
      version: STORE_VERSION,
      name,
      key: server.key,
      endAt,
      generatedOn: new Date().toISOString(),
      counts,
      generation: {
        seconds,
        eventsPerSecond: counts.events / seconds,
        batchSize,
        firstInterval: progress[0]?.intervalEventsPerSecond ?? null,
        lastInterval: progress[progress.length - 1]?.intervalEventsPerSecond ?? null,
        progress,
        serverRssMiB: memory.rssMiB,
        serverPeakRssMiB: memory.peakMiB
      }
    }
    log(
      `  generated ${fmtInt(counts.events)} events (${fmtInt(counts.messages)} messages, ${fmtInt(counts.toolCalls)} tool calls) ` +
        `in ${fmt(seconds)} s = ${fmtInt(meta.generation.eventsPerSecond)} events/s; server RSS ${fmtInt(memory.rssMiB)} MiB`
    )
    writeFileSync(join(dir, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`)
    return meta
  } finally {
    client.close()
    await server.stop()
  }
}

const loadOrGenerate = async (name, regenerate, log) => {
  const metaFile = join(storeDir(name), "meta.json")
  if (!regenerate && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, "utf8"))
    if (meta.version === STORE_VERSION) {
      log(`read: reusing the cached ${name} store generated on ${meta.generatedOn} (${storeDir(name)})`)
      return { ...meta, cached: true }
    }
  }
  return { ...(await generate(name, sizes[name], log)), cached: false }
}

const searchTimeoutMs = 30_000
/** A search slower than this on its first try is not repeated in rounds (each try holds up the whole server). */
const slowSearchMs = 3_000
const searchPlan = (plan) => ({ rounds: Math.min(plan.rounds, 60), warmup: 1, maxMs: plan.maxMs / 2 })

const timedOnce = async (client, path, timeoutMs) => {
  const t0 = performance.now()
  try {
    const res = await client.request("GET", path, undefined, { timeoutMs })
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 300)}`)
    return { path, ms: performance.now() - t0, timedOut: false }
  } catch (error) {
    if (error.timeout === true) return { path, ms: null, timedOut: true, timeoutMs }
    throw error
  }
}

/**
 * Latency of single-event POSTs on the big store: each re-sends an older copy of an existing message (a retry), which
 * goes through the same lookups as a new message but leaves the stored data unchanged (the event is "stale"), so the
 * cached store stays the same from run to run (only its events table grows by a few rows).
 */
const singleEventIngest = async (client, log, count = 10) => {
  const page = JSON.parse((await client.request("GET", "/api/sessions?limit=3")).body)
  const messages = []
  for (const session of page.sessions) {
    const detail = JSON.parse((await client.request("GET", `/api/sessions/${encodeURIComponent(session.id)}`)).body)
    for (const m of detail.messages) messages.push({ session, message: m })
  }
  const runTag = Date.now().toString(36)
  const times = []
  for (let i = 0; i < count && i < messages.length; i++) {
    const { session, message } = messages[i]
    const event = {
      kind: "message",
      id: `evt_single_${runTag}_${i}`,
      source: session.source,
      sessionId: session.id,
      at: message.updatedAt - 1_000,
      messageId: message.id,
      role: message.role,
      text: message.text,
      model: message.model,
      createdAt: message.createdAt
    }
    const t0 = performance.now()
    const res = await postEvents(client, JSON.stringify({ events: [event] }), 1)
    times.push(performance.now() - t0)
    if (JSON.parse(res.body).stale.length !== 1) throw new Error(`expected a stale event: ${res.body}`)
  }
  const result = summarize(times)
  log(
    `  single-event POST on this store: p50 ${fmt(result.p50, 1)} ms, max ${fmt(result.max, 1)} ms (${result.n} requests)`
  )
  return result
}

/**
 * Latency of each path, one request at a time, in rounds: every round requests every path once (the /health baseline
 * included), so a burst of load from other processes hits all of them alike instead of skewing one. `warmup` rounds
 * are not measured; measuring stops after `rounds` rounds or `maxMs`.
 */
const measureRounds = async (client, paths, { rounds, warmup, maxMs }) => {
  const once = async (path) => {
    const t0 = performance.now()
    const res = await client.request("GET", path)
    const ms = performance.now() - t0
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 300)}`)
    return { ms, body: res.body }
  }
  const times = paths.map(() => [])
  const bodies = []
  for (let w = 0; w < warmup; w++) {
    for (const [i, path] of paths.entries()) bodies[i] = (await once(path)).body
  }
  const started = performance.now()
  let done = 0
  while (done < rounds && performance.now() - started < maxMs) {
    for (const [i, path] of paths.entries()) times[i].push((await once(path)).ms)
    done++
  }
  return paths.map((_, i) => ({ ...summarize(times[i]), bytes: bodies[i]?.length ?? 0, body: bodies[i] }))
}

/** How long the search index may take to catch up with a store before the benchmark gives up (a full rebuild: ~9 min). */
const indexWaitMs = 30 * 60_000

/**
 * Waits until the server's search indexer has indexed every message queued in the store (`search_state.applied` of
 * `search.db` up to the last position of `opensync.db`'s `search_queue`). A freshly generated store has a backlog of
 * minutes; measured meanwhile, searches would run on part of the index and every read would share the machine with
 * the indexer. Throws when it does not catch up in `indexWaitMs`.
 */
const waitForSearchIndex = async (dataDir, log) => {
  const store = new Database(join(dataDir, "opensync.db"), { readonly: true })
  const started = performance.now()
  let lastLog = started
  try {
    for (;;) {
      const queued = Number(
        store.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'search_queue'").get()?.seq ?? 0
      )
      let applied = 0
      if (existsSync(join(dataDir, "search.db"))) {
        const search = new Database(join(dataDir, "search.db"), { readonly: true })
        try {
          applied = Number(search.prepare("SELECT applied FROM search_state WHERE id = 1").get()?.applied ?? 0)
        } catch {
          // The indexer has not made its tables yet.
        } finally {
          search.close()
        }
      }
      if (applied >= queued) {
        if (performance.now() - started > 1_000)
          log(`  search index caught up in ${fmt((performance.now() - started) / 1000)} s`)
        return
      }
      const now = performance.now()
      if (now - started > indexWaitMs) {
        throw new Error(
          `read: the search index did not catch up in ${indexWaitMs / 60_000} min (${applied} of ${queued})`
        )
      }
      if (now - lastLog > 30_000 || lastLog === started) {
        log(`  waiting for the search index: ${fmtInt(applied)} of ${fmtInt(queued)} queue positions indexed`)
        lastLog = now
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000))
    }
  } finally {
    store.close()
  }
}

/**
 * Waits until the server is idle: its search indexer merges the index's segments once nothing is queued
 * (`SearchIndex.mergeStep`), a minute and a half of one core on a freshly generated store. Measured meanwhile, reads
 * would share the machine with that merging and search a half-merged index; a user's dashboard meets the settled one.
 * Idle is under 2 % of a core over 2 s. Throws when it does not settle in `indexWaitMs`.
 */
const waitForIdleServer = async (pid, log) => {
  const started = performance.now()
  let before = cpuMsOf(pid)
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    const now = cpuMsOf(pid)
    if (now === null || before === null) throw new Error("read: the server stopped while its index settled")
    if (now - before < 40) {
      if (performance.now() - started > 3_000)
        log(`  server idle (search index merged) after ${fmt((performance.now() - started) / 1000)} s`)
      return
    }
    if (performance.now() - started > indexWaitMs) {
      throw new Error(`read: the server did not go idle in ${indexWaitMs / 60_000} min`)
    }
    before = now
  }
}

export const runRead = async ({ quick = false, regenerate = false, log = console.error } = {}) => {
  const name = quick ? "quick" : "full"
  const meta = await loadOrGenerate(name, regenerate, log)
  const plan = quick ? { rounds: 60, warmup: 2, maxMs: 60_000 } : { rounds: 200, warmup: 3, maxMs: 240_000 }
  const from90 = meta.endAt - 90 * day
  const server = await startServer(join(storeDir(name), "data"))
  const client = makeClient(server.url, { key: meta.key, maxSockets: 1 })
  try {
    await waitForSearchIndex(join(storeDir(name), "data"), log)
    await waitForIdleServer(server.pid, log)
    const rssAtStart = memoryOf(server.pid)
    // A cursor for the second page of the default listing.
    const first = JSON.parse((await client.request("GET", "/api/sessions?limit=50")).body)
    const variants = [
      ["sessions", "/api/sessions?limit=50", "default (updatedAt desc)"],
      ["sessions", "/api/sessions?limit=50&sort=costUsd", "sort=costUsd"],
      ["sessions", "/api/sessions?limit=50&sort=startedAt&order=asc", "sort=startedAt asc"],
      ["sessions", "/api/sessions?limit=50&sort=messageCount", "sort=messageCount"],
      ["sessions", "/api/sessions?limit=50&source=opencode", "source=opencode"],
      ["sessions", "/api/sessions?limit=50&source=claude-code&sort=costUsd", "source=claude-code, sort=costUsd"],
      [
        "sessions",
        "/api/sessions?limit=50&project=project-07&sort=totalTokens",
        "project=project-07, sort=totalTokens"
      ],
      // project-39 is one of the smallest projects (about 1.4 % of the sessions).
      [
        "sessions",
        "/api/sessions?limit=50&project=project-39&sort=costUsd",
        "project=project-39 (small), sort=costUsd"
      ],
      ["sessions", "/api/sessions?limit=50&model=gpt-5", "model=gpt-5"],
      // claude-3-7-sonnet is the least used model (about 6.5 % of the sessions) and a cheap one: the costliest
      // sessions come from other models, so walking the cost index finds its rows late.
      [
        "sessions",
        "/api/sessions?limit=50&model=claude-3-7-sonnet&sort=costUsd",
        "model=claude-3-7-sonnet, sort=costUsd"
      ],
      ["sessions", `/api/sessions?limit=50&from=${meta.endAt - 7 * day}`, "from=last 7 days"],
      ["sessions", `/api/sessions?limit=50&cursor=${first.nextCursor}`, "page 2 (cursor)"],
      ["stats", `/api/stats?from=${from90}&to=${meta.endAt}&bucket=day`, "90 days, bucket=day"],
      ["stats", `/api/stats?from=${from90}&to=${meta.endAt}&bucket=week`, "90 days, bucket=week"],
      [
        "stats",
        `/api/stats?from=${from90}&to=${meta.endAt}&bucket=day&source=claude-code`,
        "90 days, source=claude-code"
      ],
      [
        "stats",
        `/api/stats?from=${from90}&to=${meta.endAt}&bucket=day&project=project-07`,
        "90 days, project=project-07"
      ],
      ["facets", "/api/facets", "(the filter menus' values)"],
      ["stats", `/api/stats?from=0&to=${meta.endAt + day}&bucket=month`, "all time, bucket=month (what the menus used)"]
    ]
    const measured = await measureRounds(client, ["/health", ...variants.map(([, path]) => path)], plan)
    const health = measured[0]
    delete health.body
    log(`  /health p50 ${fmt(health.p50, 2)} ms, p95 ${fmt(health.p95, 2)} ms (${health.n} rounds)`)
    const rows = variants.map(([group, path, label], i) => {
      const { body, ...result } = measured[i + 1]
      const row = { group, label, path, ...result, ratio: result.p95 / health.p95 }
      if (group === "sessions") row.rows = JSON.parse(body).sessions.length
      log(
        `  ${group} ${label}: p50 ${fmt(row.p50, 2)} ms, p95 ${fmt(row.p95, 2)} ms, p99 ${fmt(row.p99, 2)} ms (${fmtInt(row.bytes)} B)`
      )
      return row
    })
    const singleIngest = await singleEventIngest(client, log)
    // Full-text search last, in its own rounds: a slow query blocks the server (SQLite calls are synchronous on its event
    // loop). Each query is first tried once with a timeout; those slower than `slowSearchMs` are reported from that one
    // try and left out of the rounds. Word frequencies are those of the generated messages.
    const searchVariants = [
      // How many of the store's 2,000,697 messages each query matches (the last word is a prefix, as in the dashboard's
      // search-as-you-type): counted on the generated store, which every run generates alike.
      ["/api/sessions?limit=50&q=tomendra%20the", "q=tomendra the (11 messages)"],
      ["/api/sessions?limit=50&q=fanitlin%20the", "q=fanitlin the (90 messages)"],
      ["/api/sessions?limit=50&q=sultokafa", "q=sultokafa (20,912 messages, 1 %)"],
      ["/api/sessions?limit=50&q=fanitlin", "q=fanitlin (95,503 messages: fanitlin*, 5 %)"],
      ["/api/sessions?limit=50&q=pexqua", "q=pexqua (335,448 messages, 17 %)"],
      ["/api/sessions?limit=50&q=the", "q=the (1,991,940 messages, nearly all)"],
      ["/api/sessions?limit=50&q=kani", "q=kani (451,414 messages: 69 words start with it)"],
      ["/api/sessions?limit=50&q=the%20pexqua", "q=the pexqua (334,931 messages)"],
      ["/api/sessions?limit=50&q=sultokafa&sort=costUsd", "q=sultokafa, sort=costUsd"],
      ["/api/sessions?limit=50&q=fanitlin%20the&project=project-07", "q=fanitlin the, project=project-07"]
    ]
    const probes = []
    for (const [path, label] of searchVariants) {
      const once = await timedOnce(client, path, searchTimeoutMs)
      probes.push({ path, label, once })
      log(
        `  search ${label}: first try ${once.timedOut ? `timed out after ${fmt(searchTimeoutMs / 1000, 0)} s` : `${fmt(once.ms, 1)} ms`}`
      )
    }
    const repeated = probes.filter((p) => !p.once.timedOut && p.once.ms < slowSearchMs)
    const searchMeasured = await measureRounds(client, ["/health", ...repeated.map((p) => p.path)], searchPlan(plan))
    const searchHealth = searchMeasured[0]
    const search = probes.map((p) => {
      const i = repeated.indexOf(p)
      if (i < 0) return { label: p.label, path: p.path, once: p.once, rounds: null }
      const { body, ...result } = searchMeasured[i + 1]
      const rows = JSON.parse(body).sessions.length
      log(`  search ${p.label}: p50 ${fmt(result.p50, 2)} ms, p95 ${fmt(result.p95, 2)} ms (${rows} rows)`)
      return {
        label: p.label,
        path: p.path,
        once: p.once,
        rows,
        rounds: { ...result, ratio: result.p95 / searchHealth.p95 }
      }
    })
    const memory = memoryOf(server.pid)
    return {
      singleIngest,
      search,
      searchHealth: { p50: searchHealth.p50, p95: searchHealth.p95, n: searchHealth.n },
      store: {
        name,
        version: STORE_VERSION,
        cached: meta.cached,
        generatedOn: meta.generatedOn,
        counts: meta.counts,
        generation: meta.generation
      },
      plan,
      health,
      rows,
      target: { p95Ms: 50 },
      serverRss: { atStartMiB: rssAtStart.rssMiB, afterLoadMiB: memory.rssMiB, peakMiB: memory.peakMiB }
    }
  } finally {
    client.close()
    await server.stop()
  }
}

export const readMarkdown = (read) => {
  const c = read.store.counts
  const g = read.store.generation
  const missed = read.rows.filter((r) => r.p95 >= read.target.p95Ms)
  return [
    `Store \`${read.store.name}\` (${STORE_VERSION}): ${fmtInt(c.sessions)} sessions, ${fmtInt(c.messages)} messages, ` +
      `${fmtInt(c.toolCalls)} tool calls, ${fmtInt(c.events)} events over 180 days` +
      (read.store.cached ? ` (cached, generated on ${read.store.generatedOn})` : "") +
      ".",
    "",
    `Generation through the API (batches of ${g.batchSize}, 1 client): ${fmt(g.seconds)} s, ${fmtInt(g.eventsPerSecond)} events/s on average; ` +
      `${fmtInt(g.firstInterval)} events/s in the first 5 % of sessions, ${fmtInt(g.lastInterval)} events/s in the last 5 %. ` +
      `Server RSS at the end of generation: ${fmtInt(g.serverRssMiB)} MiB.`,
    "",
    markdownTable(
      [
        "read (1 client, one request at a time, round-robin)",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "p95 / health p95",
        "target p95 < 50 ms"
      ],
      [
        [
          "GET /health (baseline)",
          fmt(read.health.p50, 2),
          fmt(read.health.p95, 2),
          fmt(read.health.p99, 2),
          "1.0",
          ""
        ],
        ...read.rows.map((r) => [
          `GET /api/${r.group} ${r.label}`,
          fmt(r.p50, 2),
          fmt(r.p95, 2),
          fmt(r.p99, 2),
          fmt(r.ratio, 1),
          r.p95 < read.target.p95Ms ? "met" : "**missed**"
        ])
      ]
    ),
    "",
    missed.length === 0
      ? `Every targeted read has p95 < ${read.target.p95Ms} ms.`
      : `**Missed** p95 < ${read.target.p95Ms} ms: ${missed.map((r) => `${r.group} ${r.label} (${fmt(r.p95, 1)} ms)`).join("; ")}.`,
    "",
    markdownTable(
      [
        "full-text search (own rounds, after the rest)",
        "first try ms",
        "p50 ms",
        "p95 ms",
        "p95 / health p95",
        "target p95 < 50 ms"
      ],
      read.search.map((r) => [
        `GET /api/sessions ${r.label}`,
        r.once.timedOut ? `timed out (${fmt(r.once.timeoutMs / 1000, 0)} s)` : fmt(r.once.ms, 1),
        r.rounds === null ? "not repeated" : fmt(r.rounds.p50, 2),
        r.rounds === null ? "" : fmt(r.rounds.p95, 2),
        r.rounds === null ? "" : fmt(r.rounds.ratio, 1),
        r.rounds !== null && r.rounds.p95 < read.target.p95Ms ? "met" : "**missed**"
      ])
    ),
    `(Health p95 in the search rounds: ${fmt(read.searchHealth.p95, 2)} ms, ${read.searchHealth.n} rounds. A search ` +
      `slower than ${fmt(slowSearchMs / 1000, 0)} s on its first try is not repeated: SQLite runs on the server's event ` +
      "loop, so every other request waits meanwhile.)",
    "",
    `Single-event \`POST /sync/events\` on this store (a message re-sent, ${read.singleIngest.n} sequential requests): ` +
      `p50 ${fmt(read.singleIngest.p50, 1)} ms, max ${fmt(read.singleIngest.max, 1)} ms = ${fmt(1000 / read.singleIngest.p50, 1)} events/s.`,
    `Server RSS: ${fmtInt(read.serverRss.atStartMiB)} MiB after start, ${fmtInt(read.serverRss.afterLoadMiB)} MiB after the read load (peak ${fmtInt(read.serverRss.peakMiB)} MiB).`
  ].join("\n")
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flags = parseFlags(process.argv.slice(2))
  const result = await runRead({ quick: flags.quick === true, regenerate: flags.regenerate === true })
  console.log(flags.json ? JSON.stringify(result, null, 2) : readMarkdown(result))
}
