import { convexTestConfig } from "./convex-test-tables.js"

/** The Convex data-size measurement (`node bench/convex-size.mjs`): convex-test needs vitest's edge-runtime. */
export default convexTestConfig({
  include: ["bench/convex-size.test.ts"],
  testTimeout: 3_600_000,
  hookTimeout: 3_600_000,
  poolOptions: { forks: { singleFork: true, execArgv: ["--max-old-space-size=6144"] } }
})
