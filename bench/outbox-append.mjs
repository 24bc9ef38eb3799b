// Latency of `Outbox.append` (packages/client/src/Outbox.ts) for one 2 KB event, against the bare file work an append
// cannot avoid, measured in the same run: JSON.stringify the spool body, write it to tmp/, rename it into pending/
// (durable: plus an fsync of the file and of pending/). The ratio is what the outbox adds on top (naming, encoding,
// Effect); the absolute figures follow the disk and the machine's load.
//
//   node bench/outbox-append.mjs [--appends=1000] [--rounds=5]
//
// Bundles the Outbox with esbuild, then runs interleaved rounds (the order alternates each round): per round and per
// mode (plain, durable), `--appends` appends through the Outbox and as many bare writes, each timed on its own.
// Reports the median and p99 of every sample of all rounds, and the median of the per-round ratios of medians.
// Prints a Markdown report and writes it to bench/results/outbox-append-latest.md. Plain Node ESM.
import * as fs from "node:fs"
import os from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import * as esbuild from "esbuild"
import { commandOf, fmt, machineOf, markdownTable, parseFlags, percentile, rootDir, spread } from "./lib.mjs"

const flags = parseFlags(process.argv.slice(2))
const APPENDS = Number(flags.appends ?? 1000)
const ROUNDS = Number(flags.rounds ?? 5)
const command = commandOf("outbox-append.mjs")
const machineAtStart = machineOf()

const work = fs.mkdtempSync(join(os.tmpdir(), "outbox-append-bench-"))
const outfile = join(work, "outbox.mjs")
await esbuild.build({
  stdin: {
    contents: `export * as Outbox from "./packages/client/src/Outbox.ts"
      export * as Effect from "effect/Effect"`,
    resolveDir: rootDir,
    loader: "ts",
    sourcefile: "outbox-entry.ts"
  },
  outfile,
  bundle: true,
  platform: "node",
  target: "es2022",
  format: "esm",
  nodePaths: [join(rootDir, "node_modules")],
  logLevel: "warning"
})
const { Outbox, Effect } = await import(pathToFileURL(outfile).href)

/** A 2 KB event, as the latency test had it: an id and padding. */
const event = { id: "latency", pad: "x".repeat(2048 - 20) }

const timeOutbox = (dir, durable) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const outbox = yield* Effect.provide(Outbox.Outbox, Outbox.layer(dir, { durable }))
      const times = []
      for (let i = 0; i < APPENDS; i++) {
        const start = performance.now()
        yield* outbox.append([event])
        times.push(performance.now() - start)
      }
      return times
    })
  )

const timeBare = (dir, durable) => {
  const tmp = join(dir, "tmp")
  const pending = join(dir, "pending")
  fs.mkdirSync(tmp, { recursive: true })
  fs.mkdirSync(pending, { recursive: true })
  const times = []
  for (let i = 0; i < APPENDS; i++) {
    const start = performance.now()
    const name = `${Date.now()}-${i}.1.json`
    const fd = fs.openSync(join(tmp, name), "w")
    fs.writeFileSync(fd, JSON.stringify({ v: 1, events: [event] }))
    if (durable) fs.fsyncSync(fd)
    fs.closeSync(fd)
    fs.renameSync(join(tmp, name), join(pending, name))
    if (durable) {
      const dirFd = fs.openSync(pending, "r")
      fs.fsyncSync(dirFd)
      fs.closeSync(dirFd)
    }
    times.push(performance.now() - start)
  }
  return times
}

const median = (xs) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50
  )
const modes = { plain: false, durable: true }
const samples = Object.fromEntries(Object.keys(modes).map((mode) => [mode, { outbox: [], bare: [], ratios: [] }]))
let dirs = 0
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [mode, durable] of Object.entries(modes)) {
      const run = { outbox: [], bare: [] }
      const targets = round % 2 === 0 ? ["outbox", "bare"] : ["bare", "outbox"]
      for (const target of targets) {
        const dir = join(work, String(dirs++))
        run[target] = target === "outbox" ? await timeOutbox(dir, durable) : timeBare(dir, durable)
        fs.rmSync(dir, { recursive: true, force: true })
      }
      samples[mode].outbox.push(...run.outbox)
      samples[mode].bare.push(...run.bare)
      samples[mode].ratios.push(median(run.outbox) / median(run.bare))
    }
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}

const ms = (x) => fmt(x, 3)
const rows = Object.entries(samples).map(([mode, s]) => {
  const outbox = [...s.outbox].sort((a, b) => a - b)
  const bare = [...s.bare].sort((a, b) => a - b)
  const ratio = spread(s.ratios)
  return [
    mode,
    ms(percentile(outbox, 50)),
    ms(percentile(outbox, 99)),
    ms(percentile(bare, 50)),
    ms(percentile(bare, 99)),
    `**${fmt(ratio.median, 2)}×** (${fmt(ratio.min, 2)}–${fmt(ratio.max, 2)})`
  ]
})
const report = [
  "# Outbox.append latency, one 2 KB event",
  "",
  `- Command: \`${command}\``,
  `- Machine: ${machineAtStart} at the start, ${machineOf().replace(/^.*load /, "load ")} at the end`,
  `- ${ROUNDS} interleaved rounds of ${APPENDS} appends per mode; baseline: the bare write + rename (+ fsyncs)`,
  "",
  markdownTable(
    [
      "mode",
      "append p50 ms",
      "append p99 ms",
      "bare write p50 ms",
      "bare write p99 ms",
      "append / bare (median of rounds, min–max)"
    ],
    rows
  ),
  ""
].join("\n")
process.stdout.write(report)
fs.mkdirSync(join(rootDir, "bench/results"), { recursive: true })
fs.writeFileSync(join(rootDir, "bench/results/outbox-append-latest.md"), report)
