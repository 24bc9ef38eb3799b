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

/**
 * Hook payloads above this size are not stored (a hook payload is a few KB; a huge one is not worth a full disk): the
 * failure is recorded instead, and the next sync re-reads the session from the agent's history.
 */
export const maxStdinBytes = 32 * 1024 * 1024

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

/**
 * The payload, read synchronously: cheaper than setting up a stdin stream, and the agents always close stdin. One over
 * `maxStdinBytes` comes back as its size and its first bytes (where the session id is), not as a payload.
 */
const readStdin = (): string | { readonly oversized: number; readonly head: string } => {
  try {
    const stat = fstatSync(0)
    if (!stat.isFIFO() && !stat.isFile() && !stat.isSocket()) return ""
    const bytes = readFileSync(0)
    if (bytes.length > maxStdinBytes) return { oversized: bytes.length, head: bytes.subarray(0, 64 * 1024).toString() }
    return bytes.toString("utf8")
  } catch (cause) {
    throw new Error(`cannot read the hook payload from stdin: ${String(cause)}`)
  }
}

/**
 * The session a payload belongs to, for recovering it from the agent's history when the payload could not be stored;
 * from the first `"session_id"` of a payload's start when it is not whole.
 */
const sessionIdOf = (stdin: string, whole = true): string | undefined => {
  try {
    const id = whole
      ? (JSON.parse(stdin) as { session_id?: unknown }).session_id
      : JSON.parse(/"session_id"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(stdin)?.[1] ?? "null")
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
    if (typeof stdin !== "string") {
      // Not stored (cut, it would be no JSON, and the item set aside for nothing): said where `status` looks, and the
      // next sync re-reads the session from the history. The sync this hook starts still runs.
      const size = `${(stdin.oversized / 1024 / 1024).toFixed(1)} MiB`
      const cause = new Error(`the payload is ${size}, over the ${maxStdinBytes / 1024 / 1024} MiB a hook stores`)
      try {
        HotPath.prepareState(paths)
      } catch {
        // a failures file made before (or none: the log still says it)
      }
      HotPath.recordFailure(paths, sessionIdOf(stdin.head, false), `hook ${hookName}`, cause)
    } else {
      const text = `${JSON.stringify({ v: options.inboxVersion, hook: hookName, receivedAt })}\n${stdin}`
      try {
        HotPath.writeInbox(paths, name, text)
      } catch (cause) {
        // A full disk: say so where `status` looks (with the item when small: a session's start or end is not in its
        // history), and let the next sync re-read the session from the history.
        HotPath.recordFailure(paths, sessionIdOf(stdin), `hook ${hookName}`, cause, { name, text })
        return
      }
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
 * versioning and read as version 1; another version is unreadable (`cli` names the tool to upgrade), and one of a
 * newer format is to be kept where it is (`keep`: a newer CLI, after an upgrade or before a downgrade, reads it).
 */
export const parseItem = (
  text: string,
  mtimeMs: number,
  inboxVersion: number,
  cli: string
):
  | { readonly _tag: "Stored"; readonly stored: StoredHook }
  | { readonly _tag: "Unreadable"; readonly reason: string; readonly keep?: true } => {
  const newline = text.indexOf("\n")
  let header: unknown
  try {
    header = JSON.parse(newline < 0 ? text : text.slice(0, newline))
  } catch (cause) {
    return { _tag: "Unreadable", reason: `unreadable hook payload: ${cause instanceof Error ? cause.message : cause}` }
  }
  if (!isObject(header)) return { _tag: "Unreadable", reason: "unreadable hook payload: no header" }
  const version = header.v ?? 1
  if (typeof version === "number" && version > inboxVersion) {
    return {
      _tag: "Unreadable",
      reason: `written by a newer ${cli} (inbox format ${version}): left in the inbox for it; upgrade ${cli} to send it`,
      keep: true
    }
  }
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
