/**
 * The hot path of an agent that runs command hooks (Claude Code, Codex, Gemini CLI): `node <hook> <EVENT>` with the
 * event's JSON on stdin. `run` stores the payload in the inbox (a header line `{v, hook, receivedAt}` then stdin as
 * the agent sent it), leaves the heartbeat at session start, and starts the background sync after the events that
 * close a turn (or, after an outage, when a backlog waits). It prints nothing and always exits 0: a hook must never
 * slow the agent down or change what it does. `parseItem` is the sync's side: a stored item back into its parts.
 * No Effect, nothing beyond Node's built-ins.
 */
import { fstatSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { type Agent, type Env, paths as statePaths } from "./Agent.js"
import * as HotPath from "./HotPath.js"

/** Hook payloads above this size are cut (a hook payload is a few KB; a huge one is not worth a full disk). */
const maxStdinBytes = 32 * 1024 * 1024

export interface CommandHookOptions {
  readonly agent: Agent
  /** The inbox item format this hook writes (the header's `v`). */
  readonly inboxVersion: number
  /** Events after which the session has something new worth sending: a background sync starts. */
  readonly triggers: ReadonlySet<string>
  /** The event at which the heartbeat is written (once per session). */
  readonly heartbeatOn: string
  /** The agent's name for the heartbeat (`Claude Code`). */
  readonly host: string
  /** Where the agent loaded the hook from, when it says (`CLAUDE_PLUGIN_ROOT`). */
  readonly pluginRoot?: (env: Env) => string | null
  /** The CLI bundle the background sync runs (default: `cli.mjs` next to the hook). */
  readonly cli?: string
}

/** The payload, read synchronously: cheaper than setting up a stdin stream, and the agents always close stdin. */
const readStdin = (): string => {
  try {
    const stat = fstatSync(0)
    if (!stat.isFIFO() && !stat.isFile() && !stat.isSocket()) return ""
    const text = readFileSync(0)
    return (text.length > maxStdinBytes ? text.subarray(0, maxStdinBytes) : text).toString("utf8")
  } catch (cause) {
    throw new Error(`cannot read the hook payload from stdin: ${String(cause)}`)
  }
}

/** The session a payload belongs to, for recovering it from the agent's history when the payload could not be stored. */
const sessionIdOf = (stdin: string): string | undefined => {
  try {
    const id = (JSON.parse(stdin) as { session_id?: unknown }).session_id
    return typeof id === "string" && id !== "" ? id : undefined
  } catch {
    return undefined
  }
}

/** The event name: the argument after `hook` (`<cli> hook Stop`) or the first one (`node hook.cjs Stop`). */
export const eventOf = (argv: ReadonlyArray<string>): string => {
  const hookArg = argv.indexOf("hook")
  return (hookArg >= 0 ? argv[hookArg + 1] : argv[2]) ?? "unknown"
}

/** Stores one hook call and starts a sync when due; resolves when done (the caller exits). Never throws. */
export const handle = async (options: CommandHookOptions, env: Env = process.env): Promise<void> => {
  const { agent } = options
  const paths = statePaths(agent, env)
  const hookName = eventOf(process.argv)
  try {
    const receivedAt = Date.now()
    const stdin = readStdin()
    const name = HotPath.itemName(receivedAt, agent.inboxSuffix)
    const text = `${JSON.stringify({ v: options.inboxVersion, hook: hookName, receivedAt })}\n${stdin}`
    try {
      HotPath.writeInbox(paths, name, text)
    } catch (cause) {
      // A full disk: say so where `status` looks (with the item when small: a session's start or end is not in its
      // history), and let the next sync re-read the session from the history.
      HotPath.recordFailure(paths, sessionIdOf(stdin), `hook ${hookName}`, cause, { name, text })
      return
    }
    if (hookName === options.heartbeatOn) {
      // Once per session: which hook file the agent runs (`<cli> status` shows it).
      HotPath.writeHeartbeat(paths, {
        at: receivedAt,
        pid: process.pid,
        entry: process.argv[1] ?? "",
        host: options.host,
        hostVersion: null,
        pluginRoot: options.pluginRoot?.(env) ?? null
      })
    }
    const cli = options.cli ?? join(dirname(process.argv[1] ?? "."), "cli.mjs")
    if (!options.triggers.has(hookName)) await HotPath.syncIfBacklog(paths, agent.source.envPrefix, cli, env)
    else if (HotPath.autoSyncEnabled(agent.source.envPrefix, paths, env))
      await HotPath.startBackgroundSync(paths, cli, env)
  } catch (cause) {
    HotPath.log(paths, `hook ${hookName}: ${String(cause)}`)
  }
}

/** The hook entry point: `handle`, then exit 0 whatever happened. */
export const run = (options: CommandHookOptions): void => {
  handle(options).then(
    () => process.exit(0),
    () => process.exit(0)
  )
}

/** A stored hook call, read back. */
export interface StoredHook {
  readonly hook: string
  /** When the hook ran (epoch ms); the item's modification time for items without one. */
  readonly receivedAt: number
  /** The hook's stdin as the agent sent it. */
  readonly stdin: string
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Splits a stored item into its header and the agent's stdin. Items without a version come from releases before
 * versioning and read as version 1; another version is unreadable (`cli` names the tool to upgrade).
 */
export const parseItem = (
  text: string,
  mtimeMs: number,
  inboxVersion: number,
  cli: string
):
  | { readonly _tag: "Stored"; readonly stored: StoredHook }
  | { readonly _tag: "Unreadable"; readonly reason: string } => {
  const newline = text.indexOf("\n")
  let header: unknown
  try {
    header = JSON.parse(newline < 0 ? text : text.slice(0, newline))
  } catch (cause) {
    return { _tag: "Unreadable", reason: `unreadable hook payload: ${cause instanceof Error ? cause.message : cause}` }
  }
  if (!isObject(header)) return { _tag: "Unreadable", reason: "unreadable hook payload: no header" }
  const version = header.v ?? 1
  if (version !== inboxVersion) {
    return { _tag: "Unreadable", reason: `written by another ${cli} (inbox format ${String(version)}); upgrade` }
  }
  return {
    _tag: "Stored",
    stored: {
      hook: typeof header.hook === "string" ? header.hook : "unknown",
      receivedAt: typeof header.receivedAt === "number" ? header.receivedAt : mtimeMs,
      stdin: newline < 0 ? "" : text.slice(newline + 1)
    }
  }
}
