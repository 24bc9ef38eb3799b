#!/usr/bin/env bash
# Installs a real Google Gemini CLI for the end-to-end tests into .tools/ at the repo root (git-ignored; cache it in CI),
# next to claude, opencode and codex. Does nothing when that version is already there. Prints the path of the gemini binary on
# its last line.
#
# Usage: bash scripts/install-gemini.sh [VERSION|current]
#   (none)    the pinned version, into .tools/gemini/
#   VERSION   that version, into .tools/gemini-VERSION/
#   current   the registry's newest release (`npm view`), never older than the pinned one; the pinned one when the
#             registry cannot be reached
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED="0.61.0"
package="@google/gemini-cli"
wanted="${1:-$PINNED}"
if [ "$wanted" = "current" ]; then
  wanted="$(node scripts/current-version.mjs "$package" "$PINNED")"
fi
case "$wanted" in
  *[!0-9A-Za-z.+-]* | "") echo "install-gemini: not a version: $wanted" >&2; exit 2 ;;
esac
if [ "$wanted" = "$PINNED" ]; then
  tools="$PWD/.tools/gemini"
else
  tools="$PWD/.tools/gemini-$wanted"
fi
bin="$tools/node_modules/.bin/gemini"
manifest="$tools/node_modules/@google/gemini-cli/package.json"

installed_version() {
  [ -f "$manifest" ] || return 0
  node -e 'process.stdout.write(String(require(process.argv[1]).version ?? ""))' "$manifest" 2>/dev/null || true
}

# `gemini --version` prints the bare version; a fresh HOME keeps it from touching the user's ~/.gemini.
works() {
  local home
  home="$(mktemp -d)"
  local out
  out="$(HOME="$home" timeout 60 "$bin" --version 2>/dev/null || true)"
  rm -rf "$home"
  [ "$(printf '%s' "$out" | tail -n 1 | tr -d '[:space:]')" = "$wanted" ]
}

if [ "$(installed_version)" = "$wanted" ] && works; then
  echo "gemini $wanted already installed" >&2
else
  echo "installing $package@$wanted into ${tools#"$PWD/"}/ (~100 MB)" >&2
  mkdir -p "$tools"
  # A package.json of its own keeps npm from walking up into the workspace root.
  [ -f "$tools/package.json" ] || printf '{\n  "name": "opensync-tools-gemini",\n  "private": true\n}\n' >"$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund "$package@$wanted" >&2
  if [ "$(installed_version)" != "$wanted" ] || ! works; then
    echo "install-gemini: gemini $wanted did not install into $tools" >&2
    exit 1
  fi
fi

echo "$bin"
