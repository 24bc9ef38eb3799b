#!/usr/bin/env bash
# `npm test`: set up, then lint, type-check and run every test (unit, HTTP conformance, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && ! git diff --quiet -- packages/claude-code-sync/dist; then
  echo "note: the build changed packages/claude-code-sync/dist/ (the plugin runs from git): commit it with your change" >&2
fi
echo "== real clients for end-to-end tests (pinned and the registry's current releases)"
bash scripts/install-clients.sh
bash scripts/install-clients.sh current
bash scripts/install-opencode.sh
bash scripts/install-opencode.sh current
bash scripts/install-codex.sh
bash scripts/install-codex.sh current
bash scripts/install-gemini.sh
bash scripts/install-gemini.sh current
echo "== lock file: every platform's optional binaries (npm ci on Linux, macOS, Windows)"
node scripts/check-lock.mjs
echo "== lint (biome)"
npx biome check .
echo "== convex/_generated is current (regenerated offline and type-checked with convex/tsconfig.json, compared)"
generated_before="$(mktemp -d)"
cp -r convex/_generated "$generated_before/"
npm run --silent convex:codegen >/dev/null
if ! diff -r "$generated_before/_generated" convex/_generated; then
  echo "convex/_generated was stale: it is now regenerated; commit it with your change" >&2
  exit 1
fi
rm -rf "$generated_before"
echo "== type check (tsc)"
npx tsc --noEmit
echo "== tests (vitest)"
mkdir -p test-output
rm -rf test-output/compatibility
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-output/vitest.json || status=$?
echo "== compatibility matrix (docs/compatibility.md)"
node scripts/compatibility.mjs || status=1
node -e '
  const r = require("./test-output/vitest.json")
  const skipped = r.numPendingTests + r.numTodoTests
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""))
  // End-to-end suites skip themselves when a real client or the browser is missing; CI must not pass that way.
  if (skipped > 0 && process.env.OPENSYNC_NO_SKIPS === "1") {
    console.error("tests were skipped (a real client or chromium missing?) and OPENSYNC_NO_SKIPS=1 forbids it")
    process.exit(1)
  }
' || status=1
echo "== Convex: the exact upload of npx convex deploy (bundled offline), its conformance and Convex tests with production limits"
node scripts/convex-bundle.mjs >/dev/null
OPENSYNC_CONVEX_BUNDLE=test-output/convex-bundle npx vitest run convex/tests --reporter=dot || status=1
exit $status
