/**
 * claude-code-sync as the agent kit sees it. Plain data (the hook imports it): Claude Code's own directories too.
 */
import { homedir } from "node:os"
import { join } from "node:path"
import type { Agent, Env } from "@opensync/client/kit/Agent"
import { get } from "@opensync/domain/Sources"

export const agent: Agent = {
  source: get("claude-code"),
  description: "Sync your Claude Code sessions to your OpenSync server.",
  inboxSuffix: ".hook",
  inboxNoun: "hook payload",
  followUpNoun: "transcript",
  historyNoun: "transcript",
  historyEnv: ["CLAUDE_CONFIG_DIR"],
  currentSessionEnv: "CLAUDE_CODE_SESSION_ID",
  telemetry: { name: "Claude Code's OpenTelemetry export" },
  installs: [{ marker: /[\\/]\.claude[\\/]plugins[\\/]/, kind: "Claude Code plugin (marketplace)" }],
  afterLogin: [
    "Next: install the Claude Code plugin, or run `claude-code-sync setup` to register the hooks in settings.json;",
    "      `claude-code-sync import` sends the sessions you already have."
  ],
  help: {
    status: "Show the config, test the connection, and report the outbox, last sync and hook setup.",
    setup:
      "Register the hooks in ~/.claude/settings.json (for npm installs; the plugin needs none) and point Claude Code's " +
      "telemetry export at the server.",
    uninstall:
      "Remove our hooks and telemetry settings from ~/.claude/settings.json, leaving everything else as it was.",
    verify: "Check that Claude Code runs the hooks (plugin or settings.json) and that the server accepts the key.",
    sync: "Turn the recorded hook events into session data and send everything queued.",
    import: "Backfill the sessions Claude Code still keeps (~/.claude/projects), then send them."
  }
}

/** The version of the inbox item format the hook writes (`{v, hook, receivedAt}` then the payload); items without `v`
 * come from versions before it and read the same. */
export const inboxVersion = 1

/** `$CLAUDE_CONFIG_DIR` (comma-separated list allowed) or `~/.claude`: where Claude Code keeps settings and projects. */
export const claudeDirs = (env: Env = process.env): ReadonlyArray<string> =>
  (env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), ".claude"))
    .split(",")
    .map((dir) => dir.trim())
    .filter((dir) => dir.length > 0)
