#!/usr/bin/env bash
# The real OpenCode CLI for the end-to-end tests: pinned here, installed by scripts/install-agent.sh.
# Usage: bash scripts/install-opencode.sh [VERSION|current]
PINNED="1.18.33"
exec bash "$(dirname "$0")/install-agent.sh" opencode "$PINNED" "$@"
