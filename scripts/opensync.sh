#!/usr/bin/env bash
# `npm start` / `npm run opensync -- ARGS`: set up on first use, then run the opensync CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
exec node packages/server/dist/opensync.mjs "$@"
