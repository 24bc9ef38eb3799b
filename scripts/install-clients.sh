#!/usr/bin/env bash
# Installs the pinned real agent clients the end-to-end tests drive into .tools/ at the repo root (git-ignored; cache
# it in CI). Does nothing when the pinned version is already there. Prints the path of the claude binary.
#
# Usage: bash scripts/install-clients.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CLAUDE_CODE_VERSION="2.1.197"
tools="$PWD/.tools"
bin="$tools/node_modules/.bin/claude"
manifest="$tools/node_modules/@anthropic-ai/claude-code/package.json"

installed_version() {
  [ -f "$manifest" ] || return 0
  node -e 'process.stdout.write(String(require(process.argv[1]).version ?? ""))' "$manifest" 2>/dev/null || true
}

works() { "$bin" --version 2>/dev/null | grep -q "^$CLAUDE_CODE_VERSION "; }

if [ "$(installed_version)" = "$CLAUDE_CODE_VERSION" ] && works; then
  echo "claude-code $CLAUDE_CODE_VERSION already installed" >&2
else
  echo "installing @anthropic-ai/claude-code@$CLAUDE_CODE_VERSION into .tools/ (~235 MB)" >&2
  mkdir -p "$tools"
  # A package.json of its own keeps npm from walking up into the workspace root.
  [ -f "$tools/package.json" ] || printf '{\n  "name": "opensync-tools",\n  "private": true\n}\n' >"$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" >&2
  # The postinstall copies the native binary over bin/claude.exe; npm policies that skip install scripts leave a stub.
  works || (cd "$tools/node_modules/@anthropic-ai/claude-code" && node install.cjs >&2) || true
  if [ "$(installed_version)" != "$CLAUDE_CODE_VERSION" ] || ! works; then
    echo "install-clients: claude-code $CLAUDE_CODE_VERSION did not install into $tools" >&2
    exit 1
  fi
fi

echo "$bin"
