#!/usr/bin/env bash
# The real Gemini CLI for the end-to-end tests: pinned here, installed by scripts/install-agent.sh.
# Usage: bash scripts/install-gemini.sh [VERSION|current]
PINNED="0.61.0"
exec bash "$(dirname "$0")/install-agent.sh" gemini "$PINNED" "$@"
