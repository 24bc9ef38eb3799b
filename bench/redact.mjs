// Redaction throughput: the current `redactText` (packages/domain/src/Redaction.ts) against the redactor of another git
// ref (default `main`) and against two baselines measured in the same run, on realistic session text.
//
//   node bench/redact.mjs [--ref=main] [--mb=8] [--runs=7] [--seed=1]
//
// 1. Builds ~`--mb` MB of session-like strings from this repository: its TypeScript sources (code as the agent reads and
//    writes it), docs, package-lock.json (integrity hashes), the recorded Claude Code and OpenCode transcripts (tool
//    output, JSON) and synthetic tool output (git log, test runs, ls -la, printenv without secrets). One string in ~40
//    gets a seeded synthetic secret, as in a real session (few secrets). Strings are event-sized (0.2-20 KB).
// 2. Bundles both redactors with esbuild (the old one from `git show <ref>:…`) and times each over all strings,
//    `--runs` times in one process after a warm-up (suites interleaved run by run), reporting the median MB/s of CPU
//    time (process.cpuUsage: robust to other processes competing for the cores).
// 3. Baselines on the same strings: `indexOf` of a character that never occurs (a memchr-speed scan) and one pass of a
//    single combined case-insensitive regex of secret keywords (the cheapest "redactor" there is).
// Also times the same session text as 1 MB strings, dense look-alikes (the negative corpus repeated) and secret-heavy
// text (the positive corpus repeated).
// Prints a Markdown report and writes it to bench/results/redact-latest.md. Plain Node ESM.
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import os from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as esbuild from "esbuild"
import { commandOf, rng } from "./lib.mjs"

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const flags = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, "").split("=")
    return [key, value ?? true]
  })
)
const REF = typeof flags.ref === "string" ? flags.ref : "main"
const TARGET_MB = Number(flags.mb ?? 8)
const RUNS = Number(flags.runs ?? 7)
const SEED = Number(flags.seed ?? 1)
const command = commandOf("redact.mjs")

// ---------- build both redactors ----------

const workDir = mkdtempSync(join(os.tmpdir(), "redact-bench-"))
const bundle = async (entry, resolveDir, name) => {
  const outfile = join(workDir, `${name}.mjs`)
  await esbuild.build({
    stdin: { contents: entry, resolveDir, loader: "ts", sourcefile: `${name}.ts` },
    outfile,
    bundle: true,
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    format: "esm",
    nodePaths: [join(rootDir, "node_modules")],
    logLevel: "warning"
  })
  return import(pathToFileURL(outfile).href)
}

const current = await bundle(
  `export { redactText } from "./packages/domain/src/Redaction.ts"
   export { buildCorpus } from "./packages/client/test/fixtures/secrets-corpus.ts"`,
  rootDir,
  "current"
)
const git = (args, options = {}) => execFileSync("git", args, { cwd: rootDir, ...options })
const gitShow = (path) => git(["show", `${REF}:${path}`], { encoding: "utf8" })
const oldDir = join(workDir, "old")
mkdirSync(join(oldDir, "internal"), { recursive: true })
const refHas = (path) => {
  try {
    git(["cat-file", "-e", `${REF}:${path}`], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}
// Since the rules moved into the domain, the ref's whole domain source tree is extracted and its `Redaction.ts`
// bundled; before that, the client's `Redactor.ts` and its one pattern file.
const oldEntry = refHas("packages/domain/src/Redaction.ts")
  ? "packages/domain/src/Redaction.ts"
  : "packages/client/src/Redactor.ts"
const oldSource = () => {
  if (oldEntry.startsWith("packages/domain")) {
    execFileSync("tar", ["-x", "-C", oldDir], { input: git(["archive", REF, "packages/domain/src"]) })
    return `export { redactText } from "./${oldEntry}"`
  }
  writeFileSync(join(oldDir, "Redactor.ts"), gitShow("packages/client/src/Redactor.ts"))
  writeFileSync(join(oldDir, "internal/secretPatterns.ts"), gitShow("packages/client/src/internal/secretPatterns.ts"))
  return `export { redactText } from "./Redactor.ts"`
}
const old = await bundle(oldSource(), oldDir, "old")

// ---------- realistic session text ----------

const random = rng(SEED).next
const int = (n) => Math.floor(random() * n)
const hex = (n) => Array.from({ length: n }, () => "0123456789abcdef"[int(16)]).join("")

const walk = (dir, ext, out = []) => {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry === "dist" || entry.startsWith(".")) continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) walk(path, ext, out)
    else if (ext.some((e) => path.endsWith(e))) out.push(path)
  }
  return out
}

/** Every string value of a JSON document (what the redactor sees of an event). */
const strings = (value, out) => {
  if (typeof value === "string") {
    if (value.length > 0) out.push(value)
  } else if (Array.isArray(value)) for (const v of value) strings(v, out)
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) strings(v, out)
  return out
}

const sources = []
for (const file of walk(join(rootDir, "packages"), [".ts", ".tsx"])) sources.push(readFileSync(file, "utf8"))
for (const file of walk(join(rootDir, "docs"), [".md"])) sources.push(readFileSync(file, "utf8"))
const lock = readFileSync(join(rootDir, "package-lock.json"), "utf8")
for (let i = 0; i < lock.length; i += 6000) sources.push(lock.slice(i, i + 6000))
for (const file of walk(join(rootDir, "packages"), [".jsonl"])) {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue
    try {
      sources.push(...strings(JSON.parse(line), []))
    } catch {
      sources.push(line)
    }
  }
}
const toolOutput = () => {
  const kind = int(4)
  if (kind === 0)
    return Array.from(
      { length: 30 },
      () => `${hex(7)} ${["Fix", "Add", "Refactor", "Bump"][int(4)]} token handling in sync client`
    ).join("\n")
  if (kind === 1)
    return Array.from(
      { length: 40 },
      (_, i) => ` ✓ packages/client/test/Outbox.test.ts > appends event ${i} (${int(90)} ms)`
    ).join("\n")
  if (kind === 2)
    return Array.from(
      { length: 30 },
      () => `-rw-r--r--  1 dev staff ${int(90000)} Mar 14 09:${int(60)} ${hex(8)}.json`
    ).join("\n")
  return [
    "HOME=/home/dev",
    "PATH=/usr/local/bin:/usr/bin",
    "LANG=en_US.UTF-8",
    `SESSION_ID=${hex(32)}`,
    "TOKEN_LIMIT=4096",
    "EDITOR=vim"
  ].join("\n")
}
for (let i = 0; i < 200; i++) sources.push(toolOutput())

const { positives, negatives } = current.buildCorpus(SEED)
const chunks = []
let bytes = 0
while (bytes < TARGET_MB * 1e6) {
  const source = sources[int(sources.length)]
  const size = 200 + int(20_000)
  const start = source.length > size ? int(source.length - size) : 0
  let chunk = source.slice(start, start + size)
  if (int(40) === 0) chunk = `${chunk}\n${positives[int(positives.length)].text}\n`
  chunks.push(chunk)
  bytes += chunk.length
}
const repeatTo = (texts, target) => {
  const out = []
  let n = 0
  while (n < target) {
    const t = texts[out.length % texts.length]
    out.push(t)
    n += t.length
  }
  return out
}
const lookalikes = repeatTo(
  negatives.map((n) => n.text),
  1e6
)
const secrets = repeatTo(
  positives.map((p) => p.text),
  1e6
)

// ---------- timing ----------

const sizeOf = (texts) => texts.reduce((n, t) => n + t.length, 0)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const KEYWORDS = /password|passwd|secret|token|api[_-]?key|bearer|authorization|-----BEGIN/gi
const suites = {
  indexOf: (t) => t.indexOf("\u0000"),
  regex: (t) => {
    KEYWORDS.lastIndex = 0
    let n = 0
    while (KEYWORDS.exec(t) !== null) n++
    return n
  },
  old: (t) => old.redactText(t).text.length,
  current: (t) => current.redactText(t).text.length
}
/** Times every suite over the same strings, interleaving the suites run by run so that load changes hit all alike. */
const timeAll = (texts) => {
  let sink = 0
  for (const fn of Object.values(suites)) for (const t of texts) sink += fn(t)
  const runs = Object.fromEntries(Object.keys(suites).map((name) => [name, []]))
  for (let r = 0; r < RUNS; r++) {
    for (const [name, fn] of Object.entries(suites)) {
      const start = process.cpuUsage()
      for (const t of texts) sink += fn(t)
      const used = process.cpuUsage(start)
      runs[name].push((used.user + used.system) / 1000)
    }
  }
  if (sink === -1) console.log("")
  const mb = sizeOf(texts) / 1e6
  return Object.fromEntries(
    Object.entries(runs).map(([name, ms]) => {
      const ratios = name === "current" ? ms.map((m, i) => runs.old[i] / m) : []
      return [
        name,
        { ms: median(ms), mbps: mb / (median(ms) / 1000), ratioVsOld: ratios.length > 0 ? median(ratios) : 0 }
      ]
    })
  )
}
/** The same session text as 1 MB strings (a large tool output or file read in one event). */
const large = []
for (let i = 0, current = ""; i < chunks.length; i++) {
  current += chunks[i]
  if (current.length >= 1e6 || i === chunks.length - 1) {
    large.push(current)
    current = ""
  }
}
const inputs = { session: chunks, "session, 1 MB strings": large, lookalikes, secrets }
const results = {}
for (const [input, texts] of Object.entries(inputs)) results[input] = timeAll(texts)

// ---------- report ----------

const fmt = (x, d = 1) => x.toFixed(d)
const cpus = os.cpus()
const rows = Object.entries(results).map(([input, r]) => {
  const mb = sizeOf(inputs[input]) / 1e6
  return `| ${input} (${fmt(mb, 1)} MB, ${inputs[input].length} strings) | ${fmt(r.indexOf.mbps, 0)} | ${fmt(r.regex.mbps, 0)} | ${fmt(r.old.mbps)} | ${fmt(r.current.mbps)} | ${fmt(r.current.ratioVsOld, 2)} | ${fmt(r.current.mbps / r.regex.mbps, 3)} |`
})
const report = [
  "# Redaction throughput",
  "",
  `- Command: \`${command}\``,
  `- Date: ${new Date().toISOString()}; machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? "?"}, Node ${process.version}; load ${os
    .loadavg()
    .map((l) => fmt(l, 2))
    .join(" / ")}`,
  `- \`old\` is \`redactText\` of \`${REF}\` (${oldEntry} there); \`current\` is this tree's. Median of ${RUNS} interleaved runs, MB/s of CPU time (process.cpuUsage, so that other processes on a loaded machine do not skew it); \`current / old\` is the median of the per-run ratios.`,
  "- Baselines: `indexOf` of an absent character (memchr speed); `regex`: one pass of a single combined case-insensitive keyword regex.",
  "",
  "| input | indexOf | regex | old | current | current / old | current / regex |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...rows,
  ""
].join("\n")
process.stdout.write(`${report}\n`)
mkdirSync(join(rootDir, "bench/results"), { recursive: true })
writeFileSync(join(rootDir, "bench/results/redact-latest.md"), report)
rmSync(workDir, { recursive: true, force: true })
