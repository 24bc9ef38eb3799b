// Preloaded (`node --require bench/peak-rss.cjs …`) into a process a benchmark measures: at exit, writes the process's
// peak resident memory and CPU time (worker threads included) as JSON to $BENCH_USAGE_FILE.
const { writeFileSync } = require("node:fs")

const file = process.env.BENCH_USAGE_FILE
if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage()
    writeFileSync(
      file,
      JSON.stringify({
        maxRssMiB: usage.maxRSS / 1024,
        userMs: usage.userCPUTime / 1000,
        systemMs: usage.systemCPUTime / 1000
      })
    )
  })
}
