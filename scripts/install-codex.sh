#!/usr/bin/env bash
# The real Codex CLI for the end-to-end tests: pinned here, installed by scripts/install-agent.sh.
# Usage: bash scripts/install-codex.sh [VERSION|current]
PINNED="0.171.0"
exec bash "$(dirname "$0")/install-agent.sh" codex "$PINNED" "$@"
