// Runs the ingest and read benchmarks and writes a Markdown report to stdout and bench/results/latest.md.
//
//   node bench/run.mjs            full size (read store: 100,000 sessions / ~2,000,000 messages, cached)
//   node bench/run.mjs --quick    small read store (10,000 sessions / ~200,000 messages) and shorter runs
//   flags: --only=ingest|read, --regenerate (rebuild the cached read store), and for ingest --runs=N, --grow=EVENTS,
//   --compare=path/to/another/opensync.mjs (see bench/ingest.mjs)
import { mkdirSync, writeFileSync } from "node:fs"
import os from "node:os"
import { join } from "node:path"
import { ingestMarkdown, runIngest } from "./ingest.mjs"
import { benchDir, binPath, fmt, parseFlags } from "./lib.mjs"
import { readMarkdown, runRead } from "./read.mjs"

const flags = parseFlags(process.argv.slice(2))
const quick = flags.quick === true
const only = typeof flags.only === "string" ? flags.only : null
const command = `node bench/run.mjs${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(" ")}` : ""}`
const started = Date.now()

const cpus = os.cpus()
const machine =
  `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, ` +
  `${os.type()} ${os.release()}, Node ${process.version}`

const load = () =>
  os
    .loadavg()
    .map((l) => fmt(l, 2))
    .join(" / ")
const loadAtStart = load()
const sections = []
const results = { command, machine, startedAt: new Date(started).toISOString(), loadAtStart }
if (only === null || only === "ingest") {
  results.ingest = await runIngest({
    quick,
    runs: flags.runs === undefined ? undefined : Number(flags.runs),
    growTo: flags.grow === undefined ? undefined : Number(flags.grow),
    compare: typeof flags.compare === "string" ? flags.compare : undefined
  })
  sections.push("## Ingest", "", ingestMarkdown(results.ingest), "")
}
if (only === null || only === "read") {
  results.read = await runRead({ quick, regenerate: flags.regenerate === true })
  sections.push("## Read", "", readMarkdown(results.read), "")
}
results.seconds = (Date.now() - started) / 1000
results.loadAtEnd = load()

const report = [
  `# OpenSync benchmarks${quick ? " (--quick)" : ""}`,
  "",
  `- Command: \`${command}\``,
  `- Date: ${results.startedAt}, ${fmt(results.seconds, 0)} s`,
  `- Machine: ${machine}; load average (1/5/15 min) ${results.loadAtStart} at the start, ${results.loadAtEnd} at the end ` +
    "(other processes compete for the cores: compare the ratios, not only the absolute figures)",
  `- Server: \`${binPath.slice(binPath.indexOf("packages/"))}\``,
  "- Ratios compare with a baseline measured in the same run: ingest against a node:http server that only reads and " +
    "JSON.parse()s the body (interleaved rounds, min / median / max); reads against `GET /health` (interleaved " +
    "rounds). Server CPU per event (from /proc) is given beside throughput: it is what the work costs, and varies " +
    "less with other processes' load.",
  "",
  ...sections
].join("\n")

const resultsDir = join(benchDir, "results")
mkdirSync(resultsDir, { recursive: true })
writeFileSync(join(resultsDir, quick ? "latest-quick.md" : "latest.md"), report)
writeFileSync(join(resultsDir, quick ? "latest-quick.json" : "latest.json"), `${JSON.stringify(results, null, 2)}\n`)
if (quick) writeFileSync(join(resultsDir, "latest.md"), report)
console.log(report)
