#!/usr/bin/env bash
# Installs a real agent CLI for the end-to-end tests into .tools/ at the repo root (git-ignored; cache it in CI). Does
# nothing when that version is already there. Prints the path of the agent's binary on its last line. Each agent has a
# thin script that states its pinned version (install-clients.sh for Claude Code, install-opencode.sh, install-codex.sh,
# install-gemini.sh; @opensync/testkit's Agents reads the PINNED line there) and calls this one.
#
# Usage: bash scripts/install-agent.sh AGENT PINNED [VERSION|current]
#   AGENT     claude | opencode | codex | gemini
#   (none)    the pinned version, into .tools/ for claude (what the tests have always used), .tools/AGENT/ for the others
#   VERSION   that version, into .tools/AGENT-VERSION/
#   current   the registry's newest release (`npm view`), never older than the pinned one; the pinned one when the
#             registry cannot be reached
set -euo pipefail
cd "$(dirname "$0")/.."

agent="${1:?usage: install-agent.sh AGENT PINNED [VERSION|current]}"
pinned="${2:?usage: install-agent.sh AGENT PINNED [VERSION|current]}"
case "$agent" in
  claude) package="@anthropic-ai/claude-code" pinned_dir=".tools" size="~235 MB" ;;
  opencode) package="opencode-ai" pinned_dir=".tools/opencode" size="~177 MB" ;;
  codex) package="@openai/codex" pinned_dir=".tools/codex" size="~315 MB" ;;
  gemini) package="@google/gemini-cli" pinned_dir=".tools/gemini" size="~100 MB" ;;
  *) echo "install-agent: unknown agent: $agent" >&2; exit 2 ;;
esac

wanted="${3:-$pinned}"
if [ "$wanted" = "current" ]; then
  wanted="$(node scripts/current-version.mjs "$package" "$pinned")"
fi
case "$wanted" in
  *[!0-9A-Za-z.+-]* | "") echo "install-agent: not a version: $wanted" >&2; exit 2 ;;
esac

if [ "$wanted" = "$pinned" ]; then
  tools="$PWD/$pinned_dir"
else
  tools="$PWD/.tools/$agent-$wanted"
fi
bin="$tools/node_modules/.bin/$agent"
package_dir="$tools/node_modules/$package"

installed_version() {
  [ -f "$package_dir/package.json" ] || return 0
  node -e 'process.stdout.write(String(require(process.argv[1]).version ?? ""))' "$package_dir/package.json" 2>/dev/null || true
}

# `--version` prints the version alone or next to a name (`2.1.197 (Claude Code)`, `codex-cli 0.171.0`); a fresh HOME
# (and config dirs) keeps the agent from touching the user's own configuration.
works() {
  local home out
  home="$(mktemp -d)"
  out="$(HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" XDG_CACHE_HOME="$home/.cache" \
    XDG_STATE_HOME="$home/.local/state" CODEX_HOME="$home/.codex" OPENCODE_DISABLE_AUTOUPDATE=1 \
    OPENCODE_DISABLE_MODELS_FETCH=1 timeout 60 "$bin" --version 2>/dev/null || true)"
  rm -rf "$home"
  printf '%s\n' "$out" | tr -s '[:space:]' '\n' | grep -qxF "$wanted"
}

if [ "$(installed_version)" = "$wanted" ] && works; then
  echo "$agent $wanted already installed" >&2
else
  echo "installing $package@$wanted into ${tools#"$PWD/"}/ ($size)" >&2
  mkdir -p "$tools"
  # A package.json of its own keeps npm from walking up into the workspace root.
  [ -f "$tools/package.json" ] || printf '{\n  "name": "opensync-tools-%s",\n  "private": true\n}\n' "$agent" >"$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund "$package@$wanted" >&2
  # Some agents fetch or link their native binary in a postinstall script; npm policies that skip install scripts leave
  # a launcher that does not work, so run the package's postinstall then (only then).
  works || (cd "$package_dir" && npm run --if-present postinstall >&2) || true
  if [ "$(installed_version)" != "$wanted" ] || ! works; then
    echo "install-agent: $agent $wanted did not install into $tools" >&2
    exit 1
  fi
fi

echo "$bin"
