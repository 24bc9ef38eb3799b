import { homedir } from "node:os"
import { isAbsolute, join } from "node:path"

/*
 * Where opencode-sync keeps its files and where OpenCode keeps its own. Plain functions of the environment (no Effect):
 * the plugin entry imports this module inside OpenCode's process.
 */

type Env = Readonly<Record<string, string | undefined>>

const home = (env: Env) => env.HOME || homedir()

/** `$XDG_CONFIG_HOME/opencode-sync` (`~/.config/opencode-sync`): the config file's directory. */
export const configDir = (env: Env = process.env): string =>
  join(env.XDG_CONFIG_HOME || join(home(env), ".config"), "opencode-sync")

/** The settings file (the ConfigStore of `@opensync/client` with `Tool.openCode` reads and writes the same file). */
export const configFile = (env: Env = process.env): string => join(configDir(env), "config.json")

/** Local state (inbox, outbox, lock, log): next to the config, or `$OPENCODE_SYNC_STATE_DIR`. */
export const stateDir = (env: Env = process.env): string => env.OPENCODE_SYNC_STATE_DIR || configDir(env)

/** Session snapshots the plugin spooled, waiting to be turned into events. */
export const inboxDir = (env: Env = process.env): string => join(stateDir(env), "inbox")

/** The outbox of events waiting to be sent. */
export const outboxDir = (env: Env = process.env): string => join(stateDir(env), "outbox")

/** The log of plugin and background-sync problems (nothing is ever printed inside OpenCode). */
export const logFile = (env: Env = process.env): string => join(stateDir(env), "opencode-sync.log")

/** Held by the one sync process at a time. */
export const syncLockFile = (env: Env = process.env): string => join(stateDir(env), "sync.lock")

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
