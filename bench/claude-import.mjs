// Throughput of `claude-code-sync import` (packages/claude-code-sync/src/Import.ts) against `ccusage session --offline
// --json` on the same generated Claude Code transcripts, and agreement of their per-session token totals.
//
//   node bench/claude-import.mjs [--sessions=200] [--mb=100] [--runs=3] [--seed=1] [--ccusage=20.0.26] [--keep]
//
// 1. Generates `--sessions` transcripts (about `--mb` MB in all) into a temporary CLAUDE_CONFIG_DIR by replaying the
//    real fixture (packages/claude-code-sync/test/fixtures) with fresh uuids, message/request/tool ids, timestamps,
//    token counts and tool outputs; about 30 % of turns also write a subagent transcript. As in real streams, the
//    first line of a multi-line response carries a partial output count (1-9), the later ones the full count.
// 2. Bundles a small entry with esbuild and times, each in a fresh Node process: "parse" (read + parseLines +
//    readSession + toEvents, the pure reader) and "import" (importAll: the same, plus redaction and outbox appends).
// 3. Installs ccusage into a temporary prefix (never into the project) and times `ccusage session --offline --json`
//    with the same CLAUDE_CONFIG_DIR (and an empty HOME, so it finds nothing else).
// 4. Compares per-session input / output / cache-write / cache-read totals: ours summed from the events in the outbox.
// Prints a Markdown report. Plain Node ESM; esbuild comes from the project's node_modules.
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import os from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const fixtures = join(rootDir, "packages/claude-code-sync/test/fixtures")

const flags = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, "").split("=")
    return [key, value ?? true]
  })
)
const SESSIONS = Number(flags.sessions ?? 200)
const TARGET_MB = Number(flags.mb ?? 100)
const RUNS = Number(flags.runs ?? 3)
const SEED = Number(flags.seed ?? 1)
const CCUSAGE_VERSIONS = typeof flags.ccusage === "string" ? [flags.ccusage] : ["20.0.26", "20.0.24"]
const MB = 1e6

// ---------- seeded generation ----------

const mulberry32 = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const random = mulberry32(SEED)
const pick = (items) => items[Math.floor(random() * items.length)]
const hex = (n) => {
  let s = ""
  for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(random() * 16)]
  return s
}
const alnum = (n) => {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789"
  let s = ""
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)]
  return s
}
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`

const mainLines = readFileSync(join(fixtures, "claude-transcript.jsonl"), "utf8").trimEnd().split("\n")
const subagentLines = readFileSync(join(fixtures, "claude-subagent-transcript.jsonl"), "utf8").trimEnd().split("\n")
const fixtureStart = Date.parse("2026-11-21T09:28:28.072Z")
/** How many lines of the fixtures each response (`message.id`) spans. */
const linesPerResponse = new Map()
for (const text of [...mainLines, ...subagentLines]) {
  const id = JSON.parse(text).message?.id
  if (typeof id === "string") linesPerResponse.set(id, (linesPerResponse.get(id) ?? 0) + 1)
}

const WORDS = ["worker", "batch", "request", "cache", "index", "build", "test", "deploy", "query", "render", "parse"]
const LEVELS = ["INFO ", "INFO ", "INFO ", "DEBUG", "WARN "]
/** A tool output of `lines` log-like lines (what Bash results mostly look like). */
const toolOutput = (lines, at) => {
  const out = []
  for (let i = 0; i < lines; i++) {
    const word = pick(WORDS)
    out.push(
      `${new Date(at + i * 17).toISOString()} ${pick(LEVELS)} ${word}-${Math.floor(random() * 16)} ` +
        `processed ${word} ${Math.floor(random() * 10_000)} in ${Math.floor(random() * 900)} ms ` +
        `(items=${Math.floor(random() * 500)}, path=src/${pick(WORDS)}/${pick(WORDS)}.ts)`
    )
  }
  return out.join("\n")
}

/**
 * Replays fixture lines as one turn: every id remapped (consistently within the turn), times shifted, usage scaled by
 * one factor per turn (identical on every copy of a response, as Claude Code writes them), Bash outputs regenerated.
 */
const replay = (lines, turn) => {
  const ids = new Map()
  const remap = (old, make) => {
    if (typeof old !== "string") return old
    let id = ids.get(old)
    if (id === undefined) {
      id = make()
      ids.set(old, id)
    }
    return id
  }
  const scale = (n) => (typeof n === "number" ? Math.max(0, Math.round(n * turn.factor)) : n)
  const seenResponses = new Set()
  const out = []
  for (const text of lines) {
    const line = JSON.parse(text)
    for (const key of ["uuid", "parentUuid", "logicalParentUuid", "leafUuid", "promptId", "sourceToolAssistantUUID"]) {
      if (typeof line[key] === "string") line[key] = remap(line[key], uuid)
    }
    if (line.parentUuid === null && turn.previous !== undefined && line.type !== "system") {
      line.parentUuid = turn.previous
    }
    if ("sessionId" in line) line.sessionId = turn.sessionId
    if ("cwd" in line) line.cwd = turn.cwd
    if ("agentId" in line && turn.agentId !== undefined) line.agentId = turn.agentId
    if (typeof line.timestamp === "string") {
      line.timestamp = new Date(Date.parse(line.timestamp) - fixtureStart + turn.at).toISOString()
    }
    if (typeof line.requestId === "string") line.requestId = remap(line.requestId, () => `req_${alnum(24)}`)
    const message = line.message
    if (message !== null && typeof message === "object") {
      // Real streams log the first lines of a response with a partial output count (reference section 8.5).
      const partial =
        typeof message.id === "string" && linesPerResponse.get(message.id) > 1 && !seenResponses.has(message.id)
      if (typeof message.id === "string") {
        seenResponses.add(message.id)
        message.id = remap(message.id, () => `msg_${alnum(24)}`)
      }
      if (line.type === "user" && typeof message.content === "string" && line.promptId !== undefined) {
        if (!message.content.startsWith("<") && !message.content.startsWith("This session")) {
          message.content = `${message.content} (${turn.label})`
        }
      }
      if (Array.isArray(message.content)) {
        for (const block of message.content) {
          if (block?.type === "tool_use") block.id = remap(block.id, () => `toolu_${alnum(24)}`)
          if (block?.type === "tool_result") {
            block.tool_use_id = remap(block.tool_use_id, () => `toolu_${alnum(24)}`)
            const result = line.toolUseResult
            if (typeof block.content === "string" && block.is_error !== true && typeof result?.stdout === "string") {
              const output = toolOutput(turn.outputLines, turn.at)
              block.content = output
              result.stdout = output
            }
          }
        }
      }
      const usage = message.usage
      if (usage !== null && typeof usage === "object") {
        usage.input_tokens = scale(usage.input_tokens)
        usage.output_tokens = partial ? 1 + Math.floor(random() * 9) : scale(usage.output_tokens)
        usage.cache_read_input_tokens = scale(usage.cache_read_input_tokens)
        usage.cache_creation_input_tokens = scale(usage.cache_creation_input_tokens)
        if (usage.cache_creation !== null && typeof usage.cache_creation === "object") {
          usage.cache_creation.ephemeral_1h_input_tokens = 0
          usage.cache_creation.ephemeral_5m_input_tokens = usage.cache_creation_input_tokens
        }
      }
    }
    out.push(JSON.stringify(line))
  }
  return { text: `${out.join("\n")}\n`, last: out.length > 0 ? JSON.parse(out.at(-1)).uuid : undefined }
}

/** Writes the transcripts; returns the file count and total bytes. */
const generate = (claudeDir) => {
  const projects = Array.from({ length: 12 }, (_, i) => `/home/dev/projects/app-${String(i).padStart(2, "0")}`)
  const meanBytes = (TARGET_MB * MB) / SESSIONS
  const now = Date.now()
  const spanMs = 25 * 24 * 3600 * 1000
  let files = 0
  let bytes = 0
  for (let s = 0; s < SESSIONS; s++) {
    const sessionId = uuid()
    const cwd = projects[s % projects.length]
    const projectDir = join(claudeDir, "projects", cwd.replace(/[^A-Za-z0-9]/g, "-"))
    mkdirSync(projectDir, { recursive: true })
    const target = meanBytes * (0.25 + 1.5 * random())
    let at = now - spanMs + Math.floor((spanMs * s) / SESSIONS)
    const chunks = []
    let size = 0
    let previous
    let turnNo = 0
    const subagents = []
    while (size < target) {
      turnNo++
      const turn = {
        sessionId,
        cwd,
        at,
        previous,
        label: `turn ${turnNo}`,
        factor: 0.5 + 2.5 * random(),
        outputLines: Math.floor(random() * 120)
      }
      const main = replay(mainLines, turn)
      chunks.push(main.text)
      size += Buffer.byteLength(main.text)
      previous = main.last
      if (random() < 0.3) {
        const agentId = hex(17)
        const sub = replay(subagentLines, { ...turn, agentId, previous: undefined, factor: 0.5 + 2.5 * random() })
        subagents.push({ agentId, text: sub.text, at })
        size += Buffer.byteLength(sub.text)
      }
      at += 60_000 + Math.floor(random() * 240_000)
    }
    const mainPath = join(projectDir, `${sessionId}.jsonl`)
    writeFileSync(mainPath, chunks.join(""))
    const mtime = new Date(Math.min(at, now))
    utimesSync(mainPath, mtime, mtime)
    files++
    for (const sub of subagents) {
      const dir = join(projectDir, sessionId, "subagents")
      mkdirSync(dir, { recursive: true })
      const path = join(dir, `agent-${sub.agentId}.jsonl`)
      writeFileSync(path, sub.text)
      utimesSync(path, new Date(sub.at + 2_000), new Date(sub.at + 2_000))
      files++
    }
    bytes += size
  }
  return { files, bytes }
}

// ---------- our side ----------

const ENTRY = `
import { readFileSync } from "node:fs"
import { Outbox, Redactor } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Import from "./packages/claude-code-sync/src/Import.ts"
import * as Transcript from "./packages/claude-code-sync/src/transcript/index.ts"

const [mode, outboxDir] = process.argv.slice(2)
const started = performance.now()
let result
if (mode === "parse") {
  const files = await Effect.runPromise(Import.discover(process.env))
  let events = 0
  let bytes = 0
  for (const file of files) {
    const parsed = Transcript.parseLines(readFileSync(file.path, "utf8"))
    const agent = file.agentId !== null ? { agentId: file.agentId } : {}
    const session = Transcript.readSession(parsed.lines, { syncThinking: false, source: file.kind, ...agent })
    events += Transcript.toEvents(session, {
      sessionId: file.sessionId, source: "claude-code", syncToolCalls: true, ...agent
    }).length
    bytes += file.size
  }
  result = { files: files.length, bytes, events }
} else {
  const layer = Layer.merge(Outbox.layer(outboxDir), Redactor.Redactor.Default)
  const summary = await Effect.runPromise(
    Effect.provide(Import.importAll({ syncThinking: false, syncToolCalls: true }), layer)
  )
  result = { ...summary, skippedFiles: summary.skippedFiles.length }
}
const ms = performance.now() - started
process.stdout.write(JSON.stringify({ ...result, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 }))
`

const bundle = async (workDir) => {
  const outfile = join(workDir, "import-bench.mjs")
  await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: rootDir, loader: "ts", sourcefile: "import-bench.ts" },
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: "warning"
  })
  return outfile
}

const run = (command, args, env) => {
  const started = performance.now()
  const child = spawnSync(command, args, { env, encoding: "utf8", maxBuffer: 512 * 2 ** 20 })
  const wallMs = performance.now() - started
  if (child.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${child.status ?? child.signal}: ${child.stderr.slice(-2000)}`)
  }
  return { wallMs, stdout: child.stdout }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Per-session token totals from the message events in an outbox (`pending/*.json` spool files). */
const outboxTotals = (outboxDir) => {
  const totals = new Map()
  const pending = join(outboxDir, "pending")
  for (const name of readdirSync(pending)) {
    const { events } = JSON.parse(readFileSync(join(pending, name), "utf8"))
    for (const event of events) {
      if (event.kind !== "message" || event.usage === undefined) continue
      const t = totals.get(event.sessionId) ?? { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 }
      t.input += event.usage.input
      t.output += event.usage.output
      t.cacheWrite += event.usage.cacheWrite5m + event.usage.cacheWrite1h
      t.cacheRead += event.usage.cacheRead
      totals.set(event.sessionId, t)
    }
  }
  return totals
}

// ---------- ccusage ----------

/** Installs ccusage into `prefix` and returns its bin and version, or the reasons it could not. */
const installCcusage = (prefix) => {
  const problems = []
  for (const version of CCUSAGE_VERSIONS) {
    rmSync(prefix, { recursive: true, force: true })
    mkdirSync(prefix, { recursive: true })
    const install = spawnSync(
      "npm",
      ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `ccusage@${version}`],
      { encoding: "utf8" }
    )
    if (install.status !== 0) {
      problems.push(`ccusage@${version}: npm install failed: ${install.stderr.trim().split("\n").at(-1)}`)
      continue
    }
    const bin = join(prefix, "node_modules/ccusage/src/cli.js")
    const probe = spawnSync(process.execPath, [bin, "--version"], { encoding: "utf8" })
    if (probe.status === 0) return { bin, version, problems }
    problems.push(
      `ccusage@${version} does not run: ${(probe.stderr || probe.stdout).trim().split("\n")[0].replace(/\.$/, "")}`
    )
  }
  return { bin: null, version: null, problems }
}

// ---------- main ----------

const workDir = mkdtempSync(join(os.tmpdir(), "claude-import-bench-"))
const claudeDir = join(workDir, "claude")
const homeDir = join(workDir, "home")
mkdirSync(homeDir, { recursive: true })
const env = { ...process.env, CLAUDE_CONFIG_DIR: claudeDir, HOME: homeDir, NO_COLOR: "1" }

try {
  const genStarted = performance.now()
  const generated = generate(claudeDir)
  const genMs = performance.now() - genStarted
  // Warm the page cache so every tool reads from memory.
  let onDisk = 0
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith(".jsonl")) onDisk += readFileSync(path).length
    }
  }
  walk(claudeDir)

  const entry = await bundle(workDir)
  const parseRuns = []
  const importRuns = []
  let lastImport
  let totals
  for (let i = 0; i < RUNS; i++) {
    const parse = run(process.execPath, [entry, "parse"], env)
    parseRuns.push({ wallMs: parse.wallMs, ...JSON.parse(parse.stdout) })
    const outboxDir = join(workDir, `outbox-${i}`)
    const imported = run(process.execPath, [entry, "import", outboxDir], env)
    lastImport = JSON.parse(imported.stdout)
    importRuns.push({ wallMs: imported.wallMs, ...lastImport })
    if (i === 0) totals = outboxTotals(outboxDir)
    rmSync(outboxDir, { recursive: true, force: true })
  }

  const ccusage = installCcusage(join(workDir, "ccusage"))
  const ccRuns = []
  let ccSessions = null
  if (ccusage.bin !== null) {
    for (let i = 0; i < RUNS; i++) {
      const result = run(process.execPath, [ccusage.bin, "session", "--offline", "--json"], env)
      ccRuns.push(result.wallMs)
      if (i === 0) ccSessions = JSON.parse(result.stdout).session
    }
  }

  // Token agreement, session by session.
  const mismatches = []
  let compared = 0
  if (ccSessions !== null) {
    const theirs = new Map(ccSessions.map((s) => [s.period ?? s.sessionId, s]))
    for (const [sessionId, ours] of totals) {
      const cc = theirs.get(sessionId)
      if (cc === undefined) {
        mismatches.push(`${sessionId}: missing from ccusage`)
        continue
      }
      compared++
      const pairs = [
        ["input", ours.input, cc.inputTokens],
        ["output", ours.output, cc.outputTokens],
        ["cacheWrite", ours.cacheWrite, cc.cacheCreationTokens],
        ["cacheRead", ours.cacheRead, cc.cacheReadTokens]
      ]
      for (const [name, a, b] of pairs) if (a !== b) mismatches.push(`${sessionId} ${name}: ours ${a}, ccusage ${b}`)
    }
    for (const sessionId of theirs.keys()) if (!totals.has(sessionId)) mismatches.push(`${sessionId}: only in ccusage`)
  }

  const fmt = (n, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 })
  const parseWall = median(parseRuns.map((r) => r.wallMs))
  const parseInner = median(parseRuns.map((r) => r.ms))
  const importWall = median(importRuns.map((r) => r.wallMs))
  const importInner = median(importRuns.map((r) => r.ms))
  const ccWall = ccRuns.length > 0 ? median(ccRuns) : null
  const mbps = (ms) => generated.bytes / MB / (ms / 1000)
  const ratio = (ms) => (ccWall === null ? "n/a" : `${fmt(ms / ccWall, 1)}×`)
  const sum = (key) => [...totals.values()].reduce((n, t) => n + t[key], 0)
  const agreement = mismatches.length === 0 ? "**all match** ccusage" : `**${mismatches.length} mismatches**`
  const cpus = os.cpus()
  const lines = [
    `Command: \`node bench/claude-import.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(" ")}` : ""}\``,
    "",
    `Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? "CPU"}, Node ${process.version}, load average ` +
      `${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" / ")} at the end.`,
    "",
    `Data: ${SESSIONS} sessions, ${generated.files} files (${generated.files - SESSIONS} subagent transcripts), ` +
      `${fmt(generated.bytes / MB)} MB (generated in ${fmt(genMs / 1000)} s, seed ${SEED}); page cache warm ` +
      `(${fmt(onDisk / MB)} MB read first). Median of ${RUNS} runs, each in a fresh process; MB = 10^6 bytes.`,
    "",
    "| tool | wall s | MB/s (wall) | in-process s | MB/s (in-process) | wall time / ccusage's |",
    "| --- | --- | --- | --- | --- | --- |",
    `| ours: parse (read + parseLines + readSession + toEvents) | ${fmt(parseWall / 1000, 2)} | ` +
      `${fmt(mbps(parseWall))} | ${fmt(parseInner / 1000, 2)} | ${fmt(mbps(parseInner))} | ${ratio(parseWall)} |`,
    `| ours: import (importAll: + redaction + outbox) | ${fmt(importWall / 1000, 2)} | ${fmt(mbps(importWall))} ` +
      `| ${fmt(importInner / 1000, 2)} | ${fmt(mbps(importInner))} | ${ratio(importWall)} |`,
    ccWall === null
      ? "| ccusage session --offline --json | n/a | n/a | | | |"
      : `| ccusage ${ccusage.version} session --offline --json | ${fmt(ccWall / 1000, 2)} | ` +
        `${fmt(mbps(ccWall))} | | | 1× |`,
    "",
    `Import: ${lastImport.files} files, ${lastImport.sessions} sessions, ${fmt(lastImport.events, 0)} events, ` +
      `${lastImport.malformedLines} malformed lines, ${lastImport.skippedFiles} skipped files; peak RSS ` +
      `${fmt(lastImport.maxRssMiB, 0)} MiB (parse: ${fmt(parseRuns[0].maxRssMiB, 0)} MiB).`,
    "",
    ccSessions === null
      ? `ccusage could not be run: ${ccusage.problems.join("; ")}. Our figures alone.`
      : `Token totals: ${compared} sessions compared (ours summed from the outbox's message events; input ` +
        `${fmt(sum("input"), 0)}, output ${fmt(sum("output"), 0)}, cache write ${fmt(sum("cacheWrite"), 0)}, ` +
        `cache read ${fmt(sum("cacheRead"), 0)}): ${agreement}.`
  ]
  if (ccusage.problems.length > 0 && ccSessions !== null) lines.push("", `Note: ${ccusage.problems.join("; ")}.`)
  for (const mismatch of mismatches.slice(0, 20)) lines.push(`- ${mismatch}`)
  console.log(lines.join("\n"))
} finally {
  if (flags.keep === true) console.error(`kept ${workDir}`)
  else rmSync(workDir, { recursive: true, force: true })
}
