import { defineConfig } from "vitest/config"
import { convexTestTables } from "./convex-test-tables.js"

/**
 * The Convex tests with the data-size measurement's speed-up of convex-test applied (`bench/convex-test-tables.ts`):
 * `npx vitest run --config bench/vitest.convex-tables.config.ts` shows that the speed-up changes no answer.
 */
export default defineConfig({
  plugins: [convexTestTables()],
  test: {
    include: ["convex/tests/**/*.test.ts"],
    server: { deps: { inline: ["convex-test"] } },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
