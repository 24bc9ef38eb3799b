/**
 * codex-sync as the agent kit sees it, and where Codex keeps its files. Plain data (the hook imports it).
 */
import { homedir } from "node:os"
import { join } from "node:path"
import type { Agent, Env } from "@opensync/client/kit/Agent"
import { get } from "@opensync/domain/Sources"

export const agent: Agent = {
  source: get("codex-cli"),
  description: "Sync your OpenAI Codex CLI sessions to your OpenSync server.",
  inboxSuffix: ".hook",
  inboxNoun: "hook payload",
  followUpNoun: "session file",
  historyNoun: "session file",
  historyEnv: ["CODEX_HOME"],
  afterLogin: [
    "Next: run `codex-sync setup` to register the hooks in $CODEX_HOME/hooks.json, then trust them in Codex;",
    "      `codex-sync import` sends the sessions you already have."
  ],
  help: {
    status: "Show the config, test the connection, and report the outbox, last sync and hook setup.",
    setup: "Register the hooks in $CODEX_HOME/hooks.json (~/.codex); Codex asks you to trust them once.",
    uninstall: "Remove our hooks from $CODEX_HOME/hooks.json, leaving everything else as it was.",
    verify: "Check that Codex runs the hooks (registered and trusted) and that the server accepts the key.",
    sync: "Turn the recorded hook events into session data and send everything queued.",
    import: "Backfill the sessions Codex keeps ($CODEX_HOME/sessions and archived_sessions), then send them."
  }
}

/** The version of the inbox item format the hook writes (`{v, hook, receivedAt}` then the payload). */
export const inboxVersion = 1

/** `$CODEX_HOME`, else `~/.codex`: Codex's config, hooks and sessions. */
export const codexHome = (env: Env = process.env): string => env.CODEX_HOME || join(env.HOME || homedir(), ".codex")
