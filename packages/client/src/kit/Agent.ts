/**
 * What the kit needs to know about an agent to run its plugin: who it is (its entry in the domain's `Sources` table)
 * and the words its CLI uses. Every local path follows from it. Plain data and functions of the environment, no
 * Effect: the hot paths (a Claude Code hook, the OpenCode plugin) import this module.
 */
import { homedir } from "node:os"
import { join } from "node:path"
import type { SourceInfo } from "@opensync/domain/Sources"

export type Env = Readonly<Record<string, string | undefined>>

/** One agent's plugin, as the kit sees it. */
export interface Agent {
  /** The agent's entry in `@opensync/domain/Sources`: id, label, CLI name, environment prefix. */
  readonly source: SourceInfo
  /** One line for the CLI's `--help`. */
  readonly description: string
  /** The file suffix of the items the hot path writes into the inbox (`.hook`, `.json`). */
  readonly inboxSuffix: string
  /** What one inbox item is, for messages ("hook payload", "session snapshot"). */
  readonly inboxNoun: string
  /** What a follow-up is ("transcript"), for agents whose inbox items ask for files to be re-read. */
  readonly followUpNoun?: string
  /** What one item of the agent's history is ("transcript", "stored session"), for `import` and `sync --session`. */
  readonly historyNoun: string
  /**
   * The environment variables besides HOME that decide where the agent's history is (`CLAUDE_CONFIG_DIR`): a quick
   * `import` answers only for the history the last full import read, so these are part of what it checks.
   */
  readonly historyEnv: ReadonlyArray<string>
  /** The environment variable naming the session the CLI runs in, when run from inside the agent. */
  readonly currentSessionEnv?: string
  /** Printed after a successful `login`, one line each. */
  readonly afterLogin: ReadonlyArray<string>
  /**
   * For agents with a telemetry export of their own (Claude Code's OpenTelemetry): what it is called in messages. The
   * CLI then offers `--no-telemetry` on `login` and `setup` and the `telemetry` setting; the `SessionSource` provides
   * the `telemetry` member that writes the agent's settings.
   */
  readonly telemetry?: { readonly name: string }
  /** Install locations that are the agent's own (a plugin cache), tried before the generic clone / package checks. */
  readonly installs?: ReadonlyArray<{ readonly marker: RegExp; readonly kind: string }>
  /** Descriptions of the commands whose wording is the agent's own. */
  readonly help: {
    readonly setup: string
    readonly uninstall: string
    readonly verify: string
    readonly sync: string
    readonly import: string
    readonly status: string
  }
}

/** The plugin's local files: config, inbox, outbox, follow-up queue, log and lock. */
export interface StatePaths {
  /** `$XDG_CONFIG_HOME/<cli>` (`~/.config/<cli>`): the config file's directory. */
  readonly configDir: string
  readonly configFile: string
  /** Local state: the config directory, or `$<PREFIX>_STATE_DIR`; hot path and CLI use the same place on purpose. */
  readonly stateDir: string
  /** Raw items the hot path stored before anything else happens; the sync turns them into events. */
  readonly inbox: string
  /** Inbox items that could not be read, kept for inspection. */
  readonly inboxBad: string
  /** Where the hot path writes an item before renaming it into the inbox. */
  readonly tmp: string
  /** Events waiting to be sent. */
  readonly outbox: string
  /** Files to re-read (transcripts), recorded before the inbox item that asked for them is removed. */
  readonly followUps: string
  /** Problems of the hot path and the background sync (neither ever prints). */
  readonly log: string
  /** Held by the one sync at a time. */
  readonly lock: string
  /** Left by the hot path when the agent loads it (plugin start, session start): which entry ran, in which host. */
  readonly heartbeat: string
}

/** What the hot path leaves in `heartbeat.json`. */
export interface Heartbeat {
  /** When it was written (epoch ms). */
  readonly at: number
  readonly pid: number
  /** The file the agent ran (the plugin bundle, the hook). */
  readonly entry: string
  /** The agent that ran it, and its version when known. */
  readonly host: string
  readonly hostVersion: string | null
  /** Where the agent loaded the plugin from, when it says (`CLAUDE_PLUGIN_ROOT`). */
  readonly pluginRoot?: string | null
}

/** The local paths of an agent's plugin in this environment. */
export const paths = (agent: Agent, env: Env = process.env): StatePaths => {
  const { cli, envPrefix } = agent.source
  const configDir = join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config"), cli)
  const stateDir = env[`${envPrefix}_STATE_DIR`] || configDir
  return {
    configDir,
    configFile: join(configDir, "config.json"),
    stateDir,
    inbox: join(stateDir, "inbox"),
    inboxBad: join(stateDir, "inbox-bad"),
    tmp: join(stateDir, "tmp"),
    outbox: join(stateDir, "outbox"),
    followUps: join(stateDir, "followups"),
    log: join(stateDir, `${cli}.log`),
    lock: join(stateDir, "sync.lock"),
    heartbeat: join(stateDir, "heartbeat.json")
  }
}
