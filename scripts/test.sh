#!/usr/bin/env bash
# `npm test`: set up, then lint, type-check and run every test (unit, HTTP conformance, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && ! git diff --quiet -- packages/claude-code-sync/dist; then
  echo "note: the build changed packages/claude-code-sync/dist/ (the plugin runs from git): commit it with your change" >&2
fi
echo "== real clients for end-to-end tests"
bash scripts/install-clients.sh
echo "== lint (biome)"
npx biome check .
echo "== type check (tsc)"
npx tsc --noEmit
echo "== tests (vitest)"
mkdir -p test-output
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-output/vitest.json || status=$?
node -e '
  const r = require("./test-output/vitest.json")
  const skipped = r.numPendingTests + r.numTodoTests
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""))
' || true
exit $status
