/**
 * opencode-sync as the agent kit sees it, and where OpenCode keeps its own files. Plain data and functions of the
 * environment (no Effect): the plugin entry imports this module inside OpenCode's process.
 */
import { homedir } from "node:os"
import { isAbsolute, join } from "node:path"
import type { Agent, Env } from "@opensync/client/kit/Agent"
import { get } from "@opensync/domain/Sources"

export const agent: Agent = {
  source: get("opencode"),
  description: "Sync your OpenCode sessions to your OpenSync server.",
  inboxSuffix: ".json",
  inboxNoun: "session snapshot",
  historyNoun: "stored session",
  historyEnv: ["XDG_DATA_HOME", "OPENCODE_DATA_DIR", "OPENCODE_DB"],
  afterLogin: [
    "Next: `opencode-sync setup` registers the plugin in your opencode.json;",
    "      `opencode-sync import` sends the sessions you already have."
  ],
  help: {
    status: "Show the config, test the connection, and report the queue, last sync and plugin setup.",
    setup: "Add the plugin to ~/.config/opencode/opencode.json, keeping everything else.",
    uninstall: "Remove the plugin from the opencode.json files that load it, keeping everything else.",
    verify: "Check that opencode.json(c) loads the plugin and that the server accepts the key.",
    sync: "Turn the sessions the plugin recorded into events and send everything queued.",
    import: "Backfill the sessions OpenCode keeps (opencode.db, or the older storage/ JSON), then send them."
  }
}

const home = (env: Env) => env.HOME || homedir()

/** `$XDG_CONFIG_HOME/opencode` (`~/.config/opencode`): OpenCode's global config directory. */
export const openCodeConfigDir = (env: Env = process.env): string =>
  join(env.XDG_CONFIG_HOME || join(home(env), ".config"), "opencode")

/** `$XDG_DATA_HOME/opencode` (`~/.local/share/opencode`): OpenCode's data directory (`OPENCODE_DATA_DIR` wins). */
export const openCodeDataDir = (env: Env = process.env): string =>
  env.OPENCODE_DATA_DIR || join(env.XDG_DATA_HOME || join(home(env), ".local", "share"), "opencode")

/** OpenCode ≥ 1.2's SQLite store: `OPENCODE_DB` (absolute, or relative to the data dir), else `<data>/opencode.db`. */
export const openCodeDatabase = (env: Env = process.env): string => {
  const configured = env.OPENCODE_DB
  if (configured !== undefined && configured !== "" && configured !== ":memory:") {
    return isAbsolute(configured) ? configured : join(openCodeDataDir(env), configured)
  }
  return join(openCodeDataDir(env), "opencode.db")
}

/** OpenCode ≤ 1.1's JSON store (`storage/session`, `storage/message`, `storage/part`). */
export const openCodeLegacyStorage = (env: Env = process.env): string => join(openCodeDataDir(env), "storage")
