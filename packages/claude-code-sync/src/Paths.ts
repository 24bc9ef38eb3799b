import { homedir } from "node:os"
import { join } from "node:path"

type Env = Readonly<Record<string, string | undefined>>

/** `$XDG_CONFIG_HOME/claude-code-sync` (`~/.config/claude-code-sync`): the config file's directory. */
export const configDir = (env: Env = process.env): string =>
  join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config"), "claude-code-sync")

/** The settings file the ConfigStore reads and writes. */
export const configFile = (env: Env = process.env): string => join(configDir(env), "config.json")

/**
 * Where claude-code-sync keeps its local state: `$XDG_CONFIG_HOME/claude-code-sync` (`~/.config/claude-code-sync`),
 * next to its config, or `$CLAUDE_SYNC_STATE_DIR`. Plugin hooks and the terminal CLI use the same place on purpose
 * (not `$CLAUDE_PLUGIN_DATA`), so `claude-code-sync status` and `sync` see what the hooks queued.
 */
export const stateDir = (env: Env = process.env): string => env.CLAUDE_SYNC_STATE_DIR || configDir(env)

/** Raw hook payloads, written by the hook before anything else happens; the background sync turns them into events. */
export const inboxDir = (env: Env = process.env): string => join(stateDir(env), "inbox")

/** The outbox of events waiting to be sent. */
export const outboxDir = (env: Env = process.env): string => join(stateDir(env), "outbox")

/** The queue of transcripts to (re-)read: Stop, SubagentStop, PreCompact and SessionEnd add one each. */
export const transcriptQueueDir = (env: Env = process.env): string => join(stateDir(env), "transcripts")

/** The log of hook and background-sync problems (hooks never print to stdout). */
export const logFile = (env: Env = process.env): string => join(stateDir(env), "claude-code-sync.log")

/** Held by the one background sync process at a time. */
export const syncLockFile = (env: Env = process.env): string => join(stateDir(env), "sync.lock")

/** `$CLAUDE_CONFIG_DIR` (comma-separated list allowed) or `~/.claude`: where Claude Code keeps settings and projects. */
export const claudeDirs = (env: Env = process.env): ReadonlyArray<string> =>
  (env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), ".claude"))
    .split(",")
    .map((dir) => dir.trim())
    .filter((dir) => dir.length > 0)
