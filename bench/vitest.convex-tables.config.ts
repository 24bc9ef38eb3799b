import { convexTestConfig } from "./convex-test-tables.js"

/**
 * The Convex tests with the data-size measurement's speed-up of convex-test applied (`bench/convex-test-tables.ts`):
 * `npx vitest run --config bench/vitest.convex-tables.config.ts` shows that the speed-up changes no answer.
 */
export default convexTestConfig({
  include: ["convex/tests/**/*.test.ts"],
  testTimeout: 300_000,
  hookTimeout: 300_000,
  poolOptions: { forks: { maxForks: 2, minForks: 1 } }
})
