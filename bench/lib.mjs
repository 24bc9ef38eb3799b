// Shared helpers of the benchmarks: starting the real server, a keep-alive HTTP client, a seeded event generator,
// percentiles and process memory. Plain Node ESM, no dependencies.
import { spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs"
import http from "node:http"
import os from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const benchDir = dirname(fileURLToPath(import.meta.url))
export const rootDir = resolve(benchDir, "..")
/** The server under test: the built bundle, or `OPENSYNC_BENCH_BIN` (e.g. a saved copy of an older build to compare). */
export const binPath = process.env.OPENSYNC_BENCH_BIN
  ? resolve(process.env.OPENSYNC_BENCH_BIN)
  : join(rootDir, "packages/server/dist/opensync.mjs")

// ---------- processes ----------

/** Spawns a node process and resolves once its output matches `ready` (a regex); rejects on timeout or exit. */
export const spawnAndWait = (args, ready, { timeoutMs = 30_000, env = {} } = {}) =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    let settled = false
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      child.kill("SIGKILL")
      fail(new Error(`process did not become ready within ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    const onData = (chunk) => {
      output += chunk.toString()
      if (output.length > 1_000_000) output = output.slice(-100_000)
      const match = output.match(ready)
      if (match !== null && !settled) {
        settled = true
        clearTimeout(timer)
        done({ child, match, output: () => output })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("exit", (code, signal) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fail(new Error(`process exited (${code ?? signal}) before it was ready:\n${output}`))
    })
  })

/** Stops a child process we started (SIGTERM, then SIGKILL after a grace period). */
export const stopChild = (child, graceMs = 10_000) =>
  new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done()
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
    child.once("exit", () => {
      clearTimeout(timer)
      done()
    })
    child.kill("SIGTERM")
  })

/**
 * Starts `opensync serve` (`bin`: the build under test by default) on 127.0.0.1 with an ephemeral port. The key is
 * only printed on a fresh data dir.
 */
export const startServer = async (dataDir, { bin = binPath } = {}) => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`node scripts/build.mjs\` first`)
  const { child, match, output } = await spawnAndWait(
    [resolve(bin), "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir],
    /listening on (http:\/\/\S+)/,
    { env: { OPENSYNC_PORT: "", OPENSYNC_DATA_DIR: "" } }
  )
  // The first-start banner (with the key) is printed before the URL line.
  const key = output().match(/osk_[0-9A-Za-z]+/)?.[0] ?? null
  return { url: match[1], key, child, pid: child.pid, stop: () => stopChild(child) }
}

/**
 * The environment a plugin's CLI or hook runs in, alone, in `home`: configured for `server` by its settings' `prefix`
 * (`CODEX_SYNC`), with no background sync started (the benchmark runs what it measures itself).
 */
export const pluginEnv = (home, prefix, server) => ({
  PATH: process.env.PATH,
  HOME: home,
  XDG_CACHE_HOME: join(home, ".cache"),
  [`${prefix}_CONVEX_URL`]: server.url,
  [`${prefix}_API_KEY`]: server.key,
  [`${prefix}_AUTO_SYNC`]: "0"
})

/** CPU time (user + system, all threads) a process has used so far, in ms, from /proc; null where it is unavailable. */
export const cpuMsOf = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return null
  }
}

/**
 * CPU time (user + system) of a process's main thread (the one whose id is the process id: the event loop that parses,
 * validates and, unless moved to a worker, stores) in ms; null off Linux. The server's other threads (WAL checkpoints,
 * libuv, GC helpers) use the second core; this is the share that bounds one client's throughput.
 */
export const mainThreadCpuMsOf = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return null
  }
}

/** Resident memory of a process in MiB from /proc (VmRSS now, VmHWM peak); null where /proc is unavailable. */
export const memoryOf = (pid) => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const field = (name) => {
      const kb = status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1]
      return kb === undefined ? null : Number(kb) / 1024
    }
    return { rssMiB: field("VmRSS"), peakMiB: field("VmHWM") }
  } catch {
    return { rssMiB: null, peakMiB: null }
  }
}

/** How many file descriptors of a process point at a path ending with `suffix` (e.g. SQLite connections); null off Linux. */
export const openFiles = (pid, suffix) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).endsWith(suffix)
      } catch {
        return false
      }
    }).length
  } catch {
    return null
  }
}

// ---------- HTTP ----------

/** A keep-alive client for one base URL; `request` resolves `{ status, body }` (body as a string). */
export const makeClient = (baseUrl, { key = null, maxSockets = 8 } = {}) => {
  const url = new URL(baseUrl)
  const agent = new http.Agent({ keepAlive: true, maxSockets })
  const request = (method, path, body, { timeoutMs = 120_000 } = {}) =>
    new Promise((done, fail) => {
      const headers = {}
      if (key !== null) headers.authorization = `Bearer ${key}`
      if (body !== undefined) {
        headers["content-type"] = "application/json"
        headers["content-length"] = Buffer.byteLength(body)
      }
      const req = http.request({ host: url.hostname, port: url.port, method, path, headers, agent }, (res) => {
        const chunks = []
        res.on("data", (chunk) => chunks.push(chunk))
        res.on("end", () => done({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }))
        res.on("error", fail)
      })
      req.setTimeout(timeoutMs, () =>
        req.destroy(Object.assign(new Error(`${method} ${path} timed out`), { timeout: true }))
      )
      req.on("error", fail)
      if (body !== undefined) req.write(body)
      req.end()
    })
  return { request, close: () => agent.destroy() }
}

/** POSTs one pre-serialised batch to /sync/events and checks that every event was stored. */
export const postEvents = async (client, body, expected, path = "/sync/events") => {
  const res = await client.request("POST", path, body)
  if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${res.body.slice(0, 500)}`)
  if (expected !== undefined && path === "/sync/events") {
    const result = JSON.parse(res.body)
    if (result.rejected.length > 0) throw new Error(`events rejected: ${JSON.stringify(result.rejected.slice(0, 3))}`)
    if (result.stored.length + result.duplicates.length + result.stale.length !== expected) {
      throw new Error(`expected ${expected} events accounted for, got ${res.body.slice(0, 300)}`)
    }
  }
  return res
}

// ---------- statistics and formatting ----------

/** Nearest-rank percentile of an ascending array. */
export const percentile = (sorted, p) => {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export const summarize = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]
  }
}

/** Minimum, median and maximum of a list of numbers. */
export const spread = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return { n: sorted.length, min: sorted[0], median: sorted[Math.floor((sorted.length - 1) / 2)], max: sorted.at(-1) }
}

/** The load average (1, 5, 15 min) as "a / b / c". */
export const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ")

/** How a bench was started, for its report: `node bench/<script> <arguments>`. */
export const commandOf = (script) =>
  `node bench/${script}${process.argv.length > 2 ? ` ${process.argv.slice(2).join(" ")}` : ""}`

/** The machine, for a report: cores × model, and the load average. */
export const machineOf = () => `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, load ${loadAverage()}`

export const fmt = (value, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value)
    ? "n/a"
    : value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

export const fmtInt = (value) => fmt(value, 0)

export const markdownTable = (header, rows) =>
  [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`)
  ].join("\n")

export const parseFlags = (argv) => {
  const flags = {}
  for (const arg of argv) {
    const match = arg.match(/^--([a-z-]+)(?:=(.*))?$/)
    if (match !== null) flags[match[1]] = match[2] ?? true
  }
  return flags
}

// ---------- seeded data generation ----------

/** mulberry32: a small, fast, seeded PRNG so every run generates the same data. */
export const rng = (seed) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = (items) => items[Math.floor(next() * items.length)]
  /** Index in [0, n) with a Zipf-like skew (low indexes are the most frequent). */
  const skewed = (n, s = 1.1) => Math.min(n - 1, Math.floor(n * next() ** (1 + s)))
  return { next, int, pick, skewed }
}

export const sources = ["claude-code", "opencode"]
/** Eight models: six priced by the offline table, two the table does not know (they count as unpriced). */
export const models = [
  "claude-sonnet-4-5-20250929",
  "claude-opus-4-5",
  "claude-haiku-4-5",
  "claude-sonnet-4",
  "claude-opus-4-1",
  "claude-3-7-sonnet",
  "gpt-5",
  "gemini-2.5-pro"
]
export const projects = Array.from({ length: 40 }, (_, i) => `project-${String(i).padStart(2, "0")}`)
export const tools = [
  "Read",
  "Edit",
  "Bash",
  "Grep",
  "Glob",
  "Write",
  "TodoWrite",
  "Task",
  "WebFetch",
  "WebSearch",
  "MultiEdit",
  "NotebookEdit",
  "LS",
  "list",
  "patch"
]

const baseWords = (
  "the a to of and in is it that for this with on be function file test error type value return const import " +
  "export class interface module server client request response session message tool call event batch index query " +
  "database table column schema migration effect layer service handler route cursor page limit sort filter stats " +
  "token usage cost model source project branch commit diff patch build lint typecheck bench latency throughput " +
  "async await promise stream buffer json parse stringify string number boolean array object map set undefined null " +
  "refactor rename extract inline fix bug feature add remove update check verify run debug log trace warn info " +
  "component state props render hook effect context store reducer action dispatch selector memo callback ref"
).split(" ")

/** A fixed corpus of words (common ones repeated, plus rarer generated ones) that message texts are sliced from. */
const makeCorpus = (seed, chars) => {
  const r = rng(seed)
  const syllables = ["ka", "to", "ri", "men", "sul", "dra", "vo", "pex", "lin", "qua", "zor", "bel", "nit", "fa", "gro"]
  const rare = Array.from({ length: 4000 }, () => {
    let word = ""
    const n = r.int(2, 4)
    for (let i = 0; i < n; i++) word += r.pick(syllables)
    return word
  })
  const parts = []
  let length = 0
  while (length < chars) {
    const word = r.next() < 0.75 ? baseWords[r.skewed(baseWords.length)] : rare[r.skewed(rare.length, 0.5)]
    const sep = r.next() < 0.08 ? ".\n" : r.next() < 0.05 ? ", " : " "
    parts.push(word, sep)
    length += word.length + sep.length
  }
  return parts.join("")
}

/**
 * Deterministic stream of realistic events (sessions, messages, tool calls), session after session. With
 * `realisticIds`, event ids are 32 hex digits of a digest (as `Event.makeId` makes them) and Claude Code session ids
 * are UUIDs, so they land all over the indexes as real ones do; otherwise ids count up (the cached read store).
 */
export const makeGenerator = ({
  seed = 1,
  tag = "bench",
  realisticIds = false,
  endAt = Date.UTC(2026, 0, 1),
  days = 180,
  messagesPerSession = 20,
  minText = 200,
  maxText = 2000
} = {}) => {
  const r = rng(seed)
  const corpus = makeCorpus(seed + 1, 4_000_000)
  const text = () => {
    const length = r.int(minText, maxText)
    let start = r.int(0, corpus.length - length - 1)
    const space = corpus.indexOf(" ", start)
    if (space >= 0 && space < start + 40 && space + length < corpus.length) start = space + 1
    return corpus.slice(start, start + length)
  }
  let eventCounter = 0
  let sessionCounter = 0
  const digest = (text) => createHash("sha256").update(text).digest("hex").slice(0, 32)
  const eventId = () =>
    realisticIds ? `evt_${digest(`${tag}/${eventCounter++}`)}` : `evt_${tag}_${(eventCounter++).toString(36)}`
  const uuid = (n) => {
    const h = digest(`${tag}/session/${n}`)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
  }

  /** All events of the next session, in the order an agent would send them. */
  const nextSession = () => {
    const n = sessionCounter++
    const source = r.next() < 0.6 ? sources[0] : sources[1]
    const sessionId =
      source === "claude-code"
        ? realisticIds
          ? uuid(n)
          : `${tag}-${n.toString(16).padStart(8, "0")}-cc`
        : `ses_${tag}_${n}`
    const model = models[source === "claude-code" ? r.skewed(6, 0.6) : r.pick([0, 1, 6, 7, 2])]
    const project = projects[r.skewed(projects.length, 0.8)]
    const startedAt = endAt - Math.floor(r.next() * days * 86_400_000)
    const messageCount = Math.max(2, Math.round(messagesPerSession * (0.2 + 1.6 * r.next())))
    const events = []
    events.push({
      kind: "session",
      id: eventId(),
      source,
      sessionId,
      at: startedAt,
      title: text().slice(0, r.int(20, 80)),
      projectPath: `/home/dev/code/${project}`,
      projectName: project,
      gitBranch: r.next() < 0.5 ? "main" : `feature/${n % 97}`,
      model,
      provider: source === "claude-code" ? "anthropic" : model.startsWith("claude") ? "anthropic" : "other",
      startType: "startup",
      agentVersion: source === "claude-code" ? "2.0.31" : "0.15.2",
      startedAt
    })
    let t = startedAt
    let call = 0
    for (let m = 0; m < messageCount; m++) {
      t += r.int(2_000, 90_000)
      const role = m % 2 === 0 ? "user" : "assistant"
      const assistant = role === "assistant"
      events.push({
        kind: "message",
        id: eventId(),
        source,
        sessionId,
        at: t,
        messageId: `msg_${n}_${m}`,
        role,
        text: text(),
        model: assistant ? model : null,
        createdAt: t,
        ...(assistant
          ? {
              completedAt: t + r.int(500, 20_000),
              usage: {
                input: r.int(5, 3_000),
                output: r.int(50, 4_000),
                cacheRead: r.int(0, 80_000),
                cacheWrite5m: r.int(0, 6_000),
                cacheWrite1h: r.next() < 0.1 ? r.int(0, 4_000) : 0,
                reasoning: r.next() < 0.3 ? r.int(0, 2_000) : 0
              }
            }
          : {})
      })
      // About 30 % of all events are tool calls: 0.87 per assistant message on average (0: 42 %, 1: 42 %, 2: 11 %,
      // 3-6: 5 %), i.e. about 0.43 per message, next to 1 message event and 0.05 session events.
      if (assistant) {
        const roll = r.next()
        let calls = roll < 0.42 ? 0 : roll < 0.84 ? 1 : roll < 0.95 ? 2 : r.int(3, 6)
        while (calls-- > 0) {
          const name = tools[r.skewed(tools.length, 0.7)]
          const durationMs = r.int(20, 30_000)
          const error = r.next() < 0.05
          events.push({
            kind: "tool_call",
            id: eventId(),
            source,
            sessionId,
            at: t + durationMs,
            callId: `toolu_${n}_${call++}`,
            messageId: `msg_${n}_${m}`,
            name,
            status: error ? "error" : "completed",
            startedAt: t,
            durationMs,
            input: {
              summary: name === "Bash" ? `npm run test -- ${project}` : `${name} ${project}/src/file${call}.ts`,
              paths: [`/home/dev/code/${project}/src/file${call}.ts`],
              bytes: r.int(10, 20_000)
            },
            output: { bytes: r.int(0, 50_000), exitCode: error ? 1 : 0, error: error ? "command failed" : null }
          })
          t += durationMs
        }
      }
    }
    return { sessionId, source, events, messages: messageCount }
  }

  /** The next `size` events (sessions are split across batches as an agent's queue would be). */
  let pending = []
  const counters = { sessions: 0, messages: 0, toolCalls: 0, sessionEvents: 0 }
  const nextBatch = (size) => {
    while (pending.length < size) {
      const s = nextSession()
      counters.sessions++
      counters.messages += s.messages
      for (const e of s.events) {
        if (e.kind === "tool_call") counters.toolCalls++
        else if (e.kind === "session") counters.sessionEvents++
      }
      pending = pending.length === 0 ? s.events : pending.concat(s.events)
    }
    const batch = pending.slice(0, size)
    pending = pending.slice(size)
    return batch
  }
  return { nextSession, nextBatch, counters, text }
}

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms))
