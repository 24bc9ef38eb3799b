#!/usr/bin/env bash
# Installs a real OpenCode CLI for the end-to-end tests into .tools/ at the repo root (git-ignored; cache it in CI), next
# to claude (scripts/install-clients.sh). Does nothing when that version is already there. Prints the path of the
# opencode binary on its last line.
#
# Usage: bash scripts/install-opencode.sh [VERSION|current]
#   (none)    the pinned version, into .tools/opencode/ (what the tests have always used)
#   VERSION   that version, into .tools/opencode-VERSION/
#   current   the registry's newest release (`npm view`), never older than the pinned one; the pinned one when the
#             registry cannot be reached
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED="1.18.33"
OPENCODE_VERSION="${1:-$PINNED}"
if [ "$OPENCODE_VERSION" = "current" ]; then
  OPENCODE_VERSION="$(node scripts/current-version.mjs opencode-ai "$PINNED")"
fi
case "$OPENCODE_VERSION" in
  *[!0-9A-Za-z.+-]* | "") echo "install-opencode: not a version: $OPENCODE_VERSION" >&2; exit 2 ;;
esac
if [ "$OPENCODE_VERSION" = "$PINNED" ]; then
  tools="$PWD/.tools/opencode"
else
  tools="$PWD/.tools/opencode-$OPENCODE_VERSION"
fi
bin="$tools/node_modules/.bin/opencode"
manifest="$tools/node_modules/opencode-ai/package.json"

installed_version() {
  [ -f "$manifest" ] || return 0
  node -e 'process.stdout.write(String(require(process.argv[1]).version ?? ""))' "$manifest" 2>/dev/null || true
}

# `opencode --version` prints the bare version; a fresh HOME keeps it from touching the user's config.
works() {
  local home
  home="$(mktemp -d)"
  local out
  out="$(HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" XDG_CACHE_HOME="$home/.cache" \
    XDG_STATE_HOME="$home/.local/state" OPENCODE_DISABLE_AUTOUPDATE=1 OPENCODE_DISABLE_MODELS_FETCH=1 \
    timeout 60 "$bin" --version 2>/dev/null || true)"
  rm -rf "$home"
  [ "$(printf '%s' "$out" | tail -n 1 | tr -d '[:space:]')" = "$OPENCODE_VERSION" ]
}

if [ "$(installed_version)" = "$OPENCODE_VERSION" ] && works; then
  echo "opencode $OPENCODE_VERSION already installed" >&2
else
  echo "installing opencode-ai@$OPENCODE_VERSION into ${tools#"$PWD/"}/ (~177 MB)" >&2
  mkdir -p "$tools"
  # A package.json of its own keeps npm from walking up into the workspace root.
  [ -f "$tools/package.json" ] || printf '{\n  "name": "opensync-tools-opencode",\n  "private": true\n}\n' >"$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund "opencode-ai@$OPENCODE_VERSION" >&2
  # The postinstall links the platform binary; npm policies that skip install scripts leave the JS launcher, which
  # finds the binary itself, so run the postinstall only when the launcher does not work.
  works || (cd "$tools/node_modules/opencode-ai" && [ -f postinstall.mjs ] && node postinstall.mjs >&2) || true
  if [ "$(installed_version)" != "$OPENCODE_VERSION" ] || ! works; then
    echo "install-opencode: opencode $OPENCODE_VERSION did not install into $tools" >&2
    exit 1
  fi
fi

echo "$bin"
