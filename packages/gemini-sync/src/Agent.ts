/**
 * gemini-sync as the agent kit sees it, and where Gemini CLI keeps its files. Plain data (the hook imports it).
 */
import { homedir } from "node:os"
import { join } from "node:path"
import type { Agent, Env } from "@opensync/client/kit/Agent"
import { get } from "@opensync/domain/Sources"

export const agent: Agent = {
  source: get("gemini-cli"),
  description: "Sync your Google Gemini CLI sessions to your OpenSync server.",
  inboxSuffix: ".hook",
  inboxNoun: "hook payload",
  followUpNoun: "chat file",
  historyNoun: "chat file",
  historyEnv: ["GEMINI_CLI_HOME"],
  currentSessionEnv: "GEMINI_SESSION_ID",
  afterLogin: [
    "Next: run `gemini-sync setup` to register the hooks in ~/.gemini/settings.json;",
    "      `gemini-sync import` sends the sessions you already have."
  ],
  help: {
    status: "Show the config, test the connection, and report the outbox, last sync and hook setup.",
    setup: "Register the hooks in ~/.gemini/settings.json (comments and other settings are kept).",
    uninstall: "Remove our hooks from ~/.gemini/settings.json, leaving everything else as it was.",
    verify: "Check that Gemini CLI runs the hooks and that the server accepts the key.",
    sync: "Turn the recorded hook events into session data and send everything queued.",
    import: "Backfill the sessions Gemini CLI keeps (~/.gemini/tmp/<project>/chats), then send them."
  }
}

/** The version of the inbox item format the hook writes (`{v, hook, receivedAt}` then the payload). */
export const inboxVersion = 1

/** `~/.gemini` (the home is `$GEMINI_CLI_HOME` when set, as Gemini CLI reads it). */
export const geminiDir = (env: Env = process.env): string =>
  join(env.GEMINI_CLI_HOME || env.HOME || homedir(), ".gemini")
