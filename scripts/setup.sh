#!/usr/bin/env bash
# Installs dependencies (when missing or out of date) and builds the executables. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1; then
  echo "OpenSync needs Node.js 20 or newer: https://nodejs.org" >&2
  exit 1
fi
version=$(node --version)
major=${version#v}
major=${major%%.*}
if [ "$major" -lt 20 ]; then
  echo "OpenSync needs Node.js 20 or newer (found $(node --version))." >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Exactly the locked versions; the lock holds every platform's optional binaries (scripts/check-lock.mjs checks it).
  npm ci --no-audit --no-fund --loglevel=error
fi
node scripts/build.mjs
