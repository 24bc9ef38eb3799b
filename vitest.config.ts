import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "convex/tests/**/*.test.ts"],
    // convex-test is ESM that uses import.meta.glob; convex tests set `// @vitest-environment edge-runtime` per file
    server: { deps: { inline: ["convex-test"] } },
    exclude: ["**/node_modules/**", "**/dist/**"],
    globalSetup: ["scripts/vitest-global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
