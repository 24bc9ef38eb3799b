import { defineConfig } from "vitest/config"
import { scannedDocuments } from "./scripts/convex-test-scanned.js"

export default defineConfig({
  // Convex tests count the documents a filter drops as production does (see the file)
  plugins: [scannedDocuments()],
  test: {
    include: ["packages/*/test/**/*.test.ts", "convex/tests/**/*.test.ts"],
    // convex-test is ESM that uses import.meta.glob; convex tests set `// @vitest-environment edge-runtime` per file
    server: { deps: { inline: ["convex-test"] } },
    exclude: ["**/node_modules/**", "**/dist/**"],
    globalSetup: ["scripts/vitest-global-setup.ts"],
    // After each test the worker's event loop turns once (see the file: a long file of synchronous tests failed a run)
    setupFiles: ["scripts/vitest-setup.ts"],
    // Generous: a timeout is for a hang, not a speed limit (speed is measured in bench/); on a shared 2-core machine at
    // load 20 the heaviest Convex conformance tests (1,000 events, long exports, DELETE /api/data) took over 30 s.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
