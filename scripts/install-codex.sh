#!/usr/bin/env bash
# Installs a real OpenAI Codex CLI for the end-to-end tests into .tools/ at the repo root (git-ignored; cache it in CI),
# next to claude and opencode. Does nothing when that version is already there. Prints the path of the codex binary on
# its last line.
#
# Usage: bash scripts/install-codex.sh [VERSION|current]
#   (none)    the pinned version, into .tools/codex/
#   VERSION   that version, into .tools/codex-VERSION/
#   current   the registry's newest release (`npm view`), never older than the pinned one; the pinned one when the
#             registry cannot be reached
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED="0.171.0"
package="@openai/codex"
wanted="${1:-$PINNED}"
if [ "$wanted" = "current" ]; then
  wanted="$(node scripts/current-version.mjs "$package" "$PINNED")"
fi
case "$wanted" in
  *[!0-9A-Za-z.+-]* | "") echo "install-codex: not a version: $wanted" >&2; exit 2 ;;
esac
if [ "$wanted" = "$PINNED" ]; then
  tools="$PWD/.tools/codex"
else
  tools="$PWD/.tools/codex-$wanted"
fi
bin="$tools/node_modules/.bin/codex"
manifest="$tools/node_modules/@openai/codex/package.json"

installed_version() {
  [ -f "$manifest" ] || return 0
  node -e 'process.stdout.write(String(require(process.argv[1]).version ?? ""))' "$manifest" 2>/dev/null || true
}

# `codex --version` prints `codex-cli <version>`; a fresh CODEX_HOME keeps it from touching the user's config.
works() {
  local home
  home="$(mktemp -d)"
  local out
  out="$(HOME="$home" CODEX_HOME="$home/.codex" timeout 60 "$bin" --version 2>/dev/null || true)"
  rm -rf "$home"
  printf '%s' "$out" | grep -q " $wanted\$"
}

if [ "$(installed_version)" = "$wanted" ] && works; then
  echo "codex $wanted already installed" >&2
else
  echo "installing $package@$wanted into ${tools#"$PWD/"}/ (~315 MB)" >&2
  mkdir -p "$tools"
  # A package.json of its own keeps npm from walking up into the workspace root.
  [ -f "$tools/package.json" ] || printf '{\n  "name": "opensync-tools-codex",\n  "private": true\n}\n' >"$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund "$package@$wanted" >&2
  if [ "$(installed_version)" != "$wanted" ] || ! works; then
    echo "install-codex: codex $wanted did not install into $tools" >&2
    exit 1
  fi
fi

echo "$bin"
