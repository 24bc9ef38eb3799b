/**
 * The OpenCode plugin entry (`dist/plugin.mjs`). OpenCode calls every export of this module, so it exports only the
 * plugin. It runs inside OpenCode's Bun process and must never slow it down or crash it: event handlers only update
 * in-memory state; at the end of each turn (`session.idle`) the changed messages are written synchronously to the
 * inbox and a detached `opencode-sync sync --background` sends them. While a turn is held in memory only, a marker
 * names it on disk (`OpenTurns`): a turn OpenCode was killed in is re-read from `opencode.db` by the next sync. Every
 * error is caught and reported through `client.app.log` (never the console, which would corrupt the TUI) and the local
 * log file.
 */
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { paths as statePaths } from "@opensync/client/kit/Agent"
import * as HotPath from "@opensync/client/kit/HotPath"
import * as OpenTurns from "@opensync/client/kit/OpenTurns"
import { agent } from "./Agent.js"
import type { SpoolFile } from "./Snapshot.js"
import { Tracker } from "./Tracker.js"

/** The parts of OpenCode's `PluginInput` this plugin uses (the real type lives in `@opencode-ai/plugin`). */
export interface PluginInput {
  readonly client?: {
    readonly app?: {
      readonly log?: (options: {
        readonly body: { readonly service: string; readonly level: string; readonly message: string }
      }) => unknown
    }
  }
  readonly directory?: string
}

/** The hooks this plugin registers. */
export interface Hooks {
  readonly event: (input: { readonly event: unknown }) => Promise<void>
  readonly dispose: () => Promise<void>
}

const SERVICE = "opencode-sync"

/** The event's type for a log line; never throws, whatever the event is. */
const typeOf = (event: unknown): string => {
  try {
    const type = (event as { type?: unknown } | null)?.type
    return typeof type === "string" ? type : "an event"
  } catch {
    return "an event"
  }
}

const cliPath = (): string => {
  const configured = process.env.OPENCODE_SYNC_CLI
  if (configured !== undefined && configured !== "") return configured
  return fileURLToPath(new URL("./cli.mjs", import.meta.url))
}

/** OpenCode's version from the npm package its binary sits in (`opencode-ai`, `opencode-<os>-<arch>`), if any. */
const hostVersionOf = (): string | null => {
  try {
    const manifest = JSON.parse(readFileSync(join(dirname(process.execPath), "..", "package.json"), "utf8"))
    return typeof manifest?.name === "string" &&
      manifest.name.startsWith("opencode") &&
      typeof manifest.version === "string"
      ? manifest.version
      : null
  } catch {
    return null
  }
}

/** The OpenCode version a session event names (`info.version`), if it is one. */
const versionIn = (event: unknown): string | undefined => {
  const { type, properties } = (event ?? {}) as { type?: unknown; properties?: { info?: { version?: unknown } } }
  if (type !== "session.created" && type !== "session.updated") return undefined
  const version = properties?.info?.version
  return typeof version === "string" && version !== "" ? version : undefined
}

/**
 * The ids of sessions an event may change (`properties.sessionID`, `info.sessionID`, `info.id`, `part.sessionID`):
 * the Tracker says which of them it holds changes of. Never throws.
 */
const sessionsIn = (event: unknown): ReadonlyArray<string> => {
  try {
    const { properties } = (event ?? {}) as {
      properties?: {
        sessionID?: unknown
        info?: { id?: unknown; sessionID?: unknown }
        part?: { sessionID?: unknown }
      }
    }
    const ids = [properties?.sessionID, properties?.info?.sessionID, properties?.info?.id, properties?.part?.sessionID]
    return ids.filter((id): id is string => typeof id === "string" && id !== "")
  } catch {
    return []
  }
}

/** The opencode-sync plugin: records every session's messages, tool calls and usage for your OpenSync server. */
export const OpenCodeSync = async (input: PluginInput): Promise<Hooks> => {
  const tracker = new Tracker()
  const env = process.env
  // Read on every call: the environment may change while OpenCode runs.
  const paths = () => statePaths(agent, env)

  const report = (level: "warn" | "error", message: string) => {
    HotPath.log(paths(), `plugin ${level}: ${message}`)
    try {
      const sent = input.client?.app?.log?.({ body: { service: SERVICE, level, message } })
      if (sent instanceof Promise) sent.catch(() => undefined)
    } catch {
      // the log itself failed: the local log file has it
    }
  }

  // Skipped while a sync holds its lock: that one re-checks the inbox after releasing it, so it sends this too.
  const sync = () => {
    const where = paths()
    if (!HotPath.autoSyncEnabled(agent.source.envPrefix, where, env)) return
    HotPath.startBackgroundSync(where, cliPath(), env).catch((error) =>
      report("warn", `could not start the background sync: ${String(error)}`)
    )
  }

  // The sessions whose open turn this instance marked (`OpenTurns`): one marker per turn, not one per event.
  const marked = new Set<string>()
  const markOpen = (sessionId: string) => {
    if (marked.has(sessionId) || !tracker.hasChanges(sessionId)) return
    marked.add(sessionId)
    OpenTurns.open(paths(), sessionId)
  }

  // Its changes are in the inbox: the marker has done its work (one that could not be written keeps it, in case the
  // failure could not be recorded either).
  const closeTurn = (sessionId: string) => {
    if (marked.delete(sessionId)) OpenTurns.close(paths(), sessionId)
  }

  const flush = (sessionId: string) => {
    const snapshot = tracker.take(sessionId)
    if (snapshot === undefined) {
      closeTurn(sessionId)
      return false
    }
    const spooledAt = Date.now()
    const file: SpoolFile = { v: 1, spooledAt, snapshot }
    try {
      HotPath.writeInbox(paths(), HotPath.itemName(spooledAt, agent.inboxSuffix), JSON.stringify(file))
    } catch (error) {
      // A full disk: the next sync re-reads this session from OpenCode's own store.
      tracker.lost(sessionId)
      HotPath.recordFailure(paths(), sessionId, "plugin", error)
      throw error
    }
    closeTurn(sessionId)
    return true
  }

  // The heartbeat `opencode-sync status` reports ("plugin loaded by OpenCode <version> at <time>"); the version is
  // confirmed by the first session event, which names it.
  const entry = fileURLToPath(import.meta.url)
  let hostVersion = hostVersionOf()
  let versionSeen = false
  const beat = () =>
    HotPath.writeHeartbeat(paths(), { at: Date.now(), pid: process.pid, entry, host: "OpenCode", hostVersion })
  beat()

  try {
    // Turns an OpenCode killed mid-turn held in memory: recorded for the sync to re-read from opencode.db.
    const stopped = OpenTurns.recover(paths(), "OpenCode stopped during a turn")
    if (stopped.length > 0) {
      HotPath.log(paths(), `plugin: OpenCode stopped during a turn of ${stopped.join(", ")}; the sync re-reads them`)
    }
    if (stopped.length > 0 || HotPath.hasBacklog(paths(), agent.inboxSuffix)) sync()
  } catch (error) {
    report("warn", `could not check for unsent sessions: ${String(error)}`)
  }

  return {
    event: async ({ event }) => {
      try {
        if (!versionSeen) {
          const version = versionIn(event)
          if (version !== undefined) {
            versionSeen = true
            if (version !== hostVersion) {
              hostVersion = version
              beat()
            }
          }
        }
        const sessionId = tracker.apply(event)
        if (sessionId !== undefined) {
          if (flush(sessionId)) sync()
        } else {
          for (const id of sessionsIn(event)) markOpen(id)
        }
      } catch (error) {
        report("error", `could not record ${typeOf(event)}: ${String(error)}`)
      }
    },
    dispose: async () => {
      // Each session on its own: one that cannot be saved (a full disk) is recorded by `flush` for the next sync to
      // re-read, and the others are still saved or recorded.
      let flushed = false
      for (const sessionId of tracker.pending()) {
        try {
          flushed = flush(sessionId) || flushed
        } catch (error) {
          report("error", `could not save the last changes of ${sessionId}: ${String(error)}`)
        }
      }
      if (flushed) sync()
    }
  }
}
