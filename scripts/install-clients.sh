#!/usr/bin/env bash
# The real Claude Code CLI for the end-to-end tests: pinned here, installed by scripts/install-agent.sh.
# Usage: bash scripts/install-clients.sh [VERSION|current]
PINNED="2.1.197"
exec bash "$(dirname "$0")/install-agent.sh" claude "$PINNED" "$@"
