#!/usr/bin/env bash
# `npm test`: set up, then lint, type-check and run every test (unit, HTTP conformance, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
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
