#!/usr/bin/env bash
# Installs dependencies (when missing or out of date) and builds the executables. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1; then
  echo "OpenSync needs Node.js 20 or newer: https://nodejs.org" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "OpenSync needs Node.js 20 or newer (found $(node --version))." >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm ci` installs exactly the lock file. It refuses when the lock lacks another platform's optional binaries
  # (esbuild, biome, rollup ship one package per OS/CPU, and a registry mirror may serve only this machine's), so
  # fall back to `npm install --no-save`, which installs the same locked versions and leaves the lock file untouched.
  if ! npm ci --no-audit --no-fund --loglevel=error 2>/tmp/opensync-npm-ci.log; then
    echo "npm ci refused the lock file ($(grep -m1 -o 'Missing: [^ ]*' /tmp/opensync-npm-ci.log || echo 'see /tmp/opensync-npm-ci.log')); installing the locked versions with npm install --no-save" >&2
    npm install --no-save --no-audit --no-fund --loglevel=error
  fi
fi
node scripts/build.mjs
