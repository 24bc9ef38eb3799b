import { defineConfig } from "vitest/config"
import { convexTestTables } from "./convex-test-tables.js"

/** The Convex data-size measurement (`node bench/convex-size.mjs`): convex-test needs vitest's edge-runtime. */
export default defineConfig({
  plugins: [convexTestTables()],
  test: {
    include: ["bench/convex-size.test.ts"],
    server: { deps: { inline: ["convex-test"] } },
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true, execArgv: ["--max-old-space-size=6144"] } }
  }
})
