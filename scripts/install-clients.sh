#!/usr/bin/env bash
# Installs a real Claude Code CLI for the end-to-end tests into .tools/ at the repo root (git-ignored; cache it in CI).
# Does nothing when that version is already there. Prints the path of the claude binary on its last line.
#
# Usage: bash scripts/install-clients.sh [VERSION|current]
#   (none)    the pinned version, into .tools/ (what the tests have always used)
#   VERSION   that version, into .tools/claude-VERSION/
#   current   the registry's newest release (`npm view`), never older than the pinned one; the pinned one when the
#             registry cannot be reached
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED="2.1.197"
package="@anthropic-ai/claude-code"
wanted="${1:-$PINNED}"

if [ "$wanted" = "current" ]; then
  wanted="$(node scripts/current-version.mjs "$package" "$PINNED")"
fi
case "$wanted" in
  *[!0-9A-Za-z.+-]* | "") echo "install-clients: not a version: $wanted" >&2; exit 2 ;;
esac

if [ "$wanted" = "$PINNED" ]; then
  tools="$PWD/.tools"
else
  tools="$PWD/.tools/claude-$wanted"
fi
bin="$tools/node_modules/.bin/claude"
manifest="$tools/node_modules/@anthropic-ai/claude-code/package.json"

installed_version() {
  [ -f "$manifest" ] || return 0
  node -e 'process.stdout.write(String(require(process.argv[1]).version ?? ""))' "$manifest" 2>/dev/null || true
}

works() { "$bin" --version 2>/dev/null | grep -q "^$wanted "; }

if [ "$(installed_version)" = "$wanted" ] && works; then
  echo "claude-code $wanted already installed" >&2
else
  echo "installing $package@$wanted into ${tools#"$PWD/"}/ (~235 MB)" >&2
  mkdir -p "$tools"
  # A package.json of its own keeps npm from walking up into the workspace root.
  [ -f "$tools/package.json" ] || printf '{\n  "name": "opensync-tools",\n  "private": true\n}\n' >"$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund "$package@$wanted" >&2
  # The postinstall copies the native binary over bin/claude.exe; npm policies that skip install scripts leave a stub.
  works || (cd "$tools/node_modules/@anthropic-ai/claude-code" && node install.cjs >&2) || true
  if [ "$(installed_version)" != "$wanted" ] || ! works; then
    echo "install-clients: claude-code $wanted did not install into $tools" >&2
    exit 1
  fi
fi

echo "$bin"
