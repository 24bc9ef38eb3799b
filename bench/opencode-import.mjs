// Throughput of `opencode-sync import` (packages/opencode-sync-plugin/src/Import.ts) on a generated OpenCode 1.18.33
// opencode.db, against a baseline that only reads the same rows with the same queries and JSON.parse()s them.
//
//   node bench/opencode-import.mjs [--sessions=1000] [--runs=3] [--keep]
//
// 1. Generates `--sessions` sessions into a fresh opencode.db (OpenCode's own tables and indexes) by replaying the real
//    `opencode export` fixture (packages/opencode-sync-plugin/test/fixtures: 8 messages, 31 parts, 4 tool calls) with
//    fresh session/message/part/call ids and shifted times.
// 2. Bundles a small entry with esbuild and times, each in a fresh Node process:
//    "read" (baseline: list sessions, then per session the message and part rows, JSON.parse of every data column),
//    "map" (Storage.openSqlite + load + Mapping.toEvents: what import computes) and
//    "import" (importAll: the same, plus redaction and outbox appends, the outbox on the same disk).
// Prints a Markdown report. Plain Node ESM; esbuild and @libsql/client come from the project's node_modules.
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"
import { commandOf, machineOf } from "./lib.mjs"
import { generate } from "./opencode-db.mjs"

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")

const flags = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, "").split("=")
    return [key, value ?? true]
  })
)
const SESSIONS = Number(flags.sessions ?? 1000)
const RUNS = Number(flags.runs ?? 3)

// ---------- the timed entry ----------

const ENTRY = `
import { createClient } from "@libsql/client"
import { Outbox, Redactor } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { importAll } from "./packages/opencode-sync-plugin/src/Import.ts"
import * as Mapping from "./packages/opencode-sync-plugin/src/Mapping.ts"
import * as Storage from "./packages/opencode-sync-plugin/src/Storage.ts"

const [mode, database, outboxDir] = process.argv.slice(2)
const options = { syncToolCalls: true, syncThinking: false }
const started = performance.now()
let sessions = 0
let events = 0
if (mode === "read") {
  const db = createClient({ url: "file:" + database })
  const list = await db.execute({ sql: "SELECT id, time_updated FROM session WHERE time_updated >= ? ORDER BY time_updated, id", args: [0] })
  for (const row of list.rows) {
    await db.execute({ sql: "SELECT * FROM session WHERE id = ?", args: [row.id] })
    const messages = await db.execute({ sql: "SELECT id, session_id, data FROM message WHERE session_id = ? ORDER BY id", args: [row.id] })
    const parts = await db.execute({ sql: "SELECT id, message_id, session_id, data FROM part WHERE session_id = ? ORDER BY id", args: [row.id] })
    for (const r of messages.rows) JSON.parse(r.data)
    for (const r of parts.rows) JSON.parse(r.data)
    sessions++
  }
  db.close()
} else if (mode === "map") {
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const store = yield* Storage.openSqlite(database)
    for (const ref of yield* store.list(undefined)) {
      const snapshot = yield* store.load(ref.id)
      events += Mapping.toEvents(snapshot, options).length
      sessions++
    }
  })))
} else {
  const env = { OPENCODE_DB: database, HOME: outboxDir }
  const summary = await Effect.runPromise(
    importAll({ ...options, env }).pipe(
      Effect.provide(Layer.mergeAll(Outbox.layer(outboxDir), Redactor.Redactor.Default))
    )
  )
  sessions = summary.sessions
  events = summary.events
}
const ms = performance.now() - started
process.stdout.write(JSON.stringify({ mode, ms, sessions, events, rssMb: process.memoryUsage().rss / 2 ** 20 }))
`

const bundle = async (workDir) => {
  const outfile = join(workDir, "opencode-import-bench.mjs")
  await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: rootDir, loader: "ts", sourcefile: "opencode-import-bench.ts" },
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    external: ["@libsql/*", "libsql"],
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: "warning"
  })
  return outfile
}

// ---------- run ----------

mkdirSync(join(rootDir, "bench/.cache"), { recursive: true })
const workDir = mkdtempSync(join(rootDir, "bench/.cache/opencode-import-"))
try {
  const database = join(workDir, "opencode.db")
  const genStarted = performance.now()
  const rows = await generate(database, SESSIONS)
  const genSeconds = (performance.now() - genStarted) / 1000
  const entry = await bundle(workDir)
  const run = (mode) => {
    const outbox = join(workDir, `outbox-${mode}-${Math.random().toString(36).slice(2)}`)
    mkdirSync(outbox, { recursive: true })
    const child = spawnSync(process.execPath, [entry, mode, database, outbox], {
      encoding: "utf8",
      maxBuffer: 64 * 2 ** 20
    })
    rmSync(outbox, { recursive: true, force: true })
    if (child.status !== 0) throw new Error(`${mode} failed: ${child.stderr}`)
    return JSON.parse(child.stdout)
  }
  const results = { read: [], map: [], import: [] }
  for (let i = 0; i < RUNS; i++) for (const mode of ["read", "map", "import"]) results[mode].push(run(mode))
  const median = (items) => [...items].sort((a, b) => a.ms - b.ms)[Math.floor(items.length / 2)]
  const read = median(results.read)
  const lines = [
    "# opencode-sync import throughput",
    "",
    `- Command: \`${commandOf("opencode-import.mjs")}\``,
    `- Machine: ${machineOf()}, Node ${process.version}`,
    `- Data: ${SESSIONS} sessions, ${rows} rows in a generated opencode.db (${genSeconds.toFixed(1)} s to generate); ` +
      `median of ${RUNS} runs, each in a fresh process`,
    "",
    "| run | time | sessions/s | events | events/s | peak RSS | vs read baseline |",
    "|---|---:|---:|---:|---:|---:|---:|"
  ]
  for (const mode of ["read", "map", "import"]) {
    const r = median(results[mode])
    lines.push(
      `| ${mode} | ${(r.ms / 1000).toFixed(2)} s | ${Math.round(r.sessions / (r.ms / 1000))} | ${r.events} | ` +
        `${r.events === 0 ? "–" : Math.round(r.events / (r.ms / 1000))} | ${r.rssMb.toFixed(0)} MiB | ${(r.ms / read.ms).toFixed(2)}× |`
    )
  }
  console.log(lines.join("\n"))
} finally {
  if (flags.keep !== true) rmSync(workDir, { recursive: true, force: true })
  else console.log(`kept ${workDir}`)
}
