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
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { createClient } from "@libsql/client"
import * as esbuild from "esbuild"
import { commandOf, machineOf } from "./lib.mjs"

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const fixture = join(rootDir, "packages/opencode-sync-plugin/test/fixtures/opencode-session-export.json")

const flags = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, "").split("=")
    return [key, value ?? true]
  })
)
const SESSIONS = Number(flags.sessions ?? 1000)
const RUNS = Number(flags.runs ?? 3)

// ---------- generation ----------

const schema = [
  `CREATE TABLE project (id text PRIMARY KEY, worktree text NOT NULL, vcs text, name text, time_created integer NOT NULL,
    time_updated integer NOT NULL, sandboxes text NOT NULL)`,
  `CREATE TABLE session (id text PRIMARY KEY, project_id text NOT NULL, workspace_id text, parent_id text,
    slug text NOT NULL, directory text NOT NULL, path text, title text NOT NULL, version text NOT NULL, share_url text,
    summary_additions integer, summary_deletions integer, summary_files integer, summary_diffs text, metadata text,
    cost real DEFAULT 0 NOT NULL, tokens_input integer DEFAULT 0 NOT NULL, tokens_output integer DEFAULT 0 NOT NULL,
    tokens_reasoning integer DEFAULT 0 NOT NULL, tokens_cache_read integer DEFAULT 0 NOT NULL,
    tokens_cache_write integer DEFAULT 0 NOT NULL, revert text, permission text, agent text, model text,
    time_created integer NOT NULL, time_updated integer NOT NULL, time_compacting integer, time_archived integer)`,
  `CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, time_created integer NOT NULL,
    time_updated integer NOT NULL, data text NOT NULL)`,
  `CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL,
    time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL)`,
  "CREATE INDEX message_session_time_created_id_idx ON message (session_id, time_created, id)",
  "CREATE INDEX part_message_id_id_idx ON part (message_id, id)",
  "CREATE INDEX part_session_idx ON part (session_id)",
  "CREATE INDEX session_project_idx ON session (project_id)"
]

const without = (record, ...keys) => Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)))

const generate = async (path) => {
  const template = readFileSync(fixture, "utf8")
  const db = createClient({ url: `file:${path}` })
  for (const sql of schema) await db.execute(sql)
  let rows = 0
  for (let batchStart = 0; batchStart < SESSIONS; batchStart += 50) {
    const statements = []
    for (let n = batchStart; n < Math.min(SESSIONS, batchStart + 50); n++) {
      const tag = n.toString(36).padStart(4, "0")
      const shift = (SESSIONS - n) * 3_600_000
      const text = template
        .replace(/"((?:ses|msg|prt|call)_[0-9A-Za-z]+)"/g, (_, id) => `"${id}${tag}"`)
        .replace(/"(created|updated|completed|start|end)":(\d{13})/g, (_, key, t) => `"${key}":${Number(t) - shift}`)
      const session = JSON.parse(text)
      const info = session.info
      statements.push({
        sql: `INSERT INTO session (id, project_id, slug, directory, path, title, version, cost, tokens_input,
                tokens_output, tokens_cache_read, agent, model, permission, time_created, time_updated)
              VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [
          info.id,
          info.projectID,
          info.slug,
          info.directory,
          `${info.title} ${n}`,
          info.version,
          info.cost,
          info.tokens.input,
          info.tokens.output,
          info.tokens.cache.read,
          info.agent,
          JSON.stringify(info.model),
          JSON.stringify(info.permission),
          info.time.created,
          info.time.updated
        ]
      })
      for (const message of session.messages) {
        const m = message.info
        statements.push({
          sql: "INSERT INTO message VALUES (?, ?, ?, ?, ?)",
          args: [
            m.id,
            info.id,
            m.time.created,
            m.time.completed ?? m.time.created,
            JSON.stringify(without(m, "id", "sessionID"))
          ]
        })
        for (const part of message.parts) {
          statements.push({
            sql: "INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)",
            args: [
              part.id,
              m.id,
              info.id,
              m.time.created,
              m.time.created,
              JSON.stringify(without(part, "id", "sessionID", "messageID"))
            ]
          })
          rows++
        }
        rows++
      }
    }
    await db.batch(statements, "write")
  }
  db.close()
  return rows + SESSIONS
}

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
  const rows = await generate(database)
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
