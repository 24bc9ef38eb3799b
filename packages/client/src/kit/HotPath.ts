/**
 * What runs inside the agent, on every hook call or plugin event: store the raw item durably (temp file + rename,
 * mode 0600) and, at the end of a turn, start the background sync detached. No Effect and no dependency beyond Node's
 * built-ins: a Claude Code hook must start within a few milliseconds of a bare `node`, and the OpenCode plugin bundle
 * runs inside OpenCode's process. Nothing here prints; failures go to the log.
 */
import {
  accessSync,
  appendFileSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { delimiter, join } from "node:path"
import { recent } from "../internal/recent.js"
import type { Env, Heartbeat, StatePaths } from "./Agent.js"
import * as Failures from "./Failures.js"
import { privateDirectory } from "./PrivateDir.js"

let counter = 0

/**
 * A new inbox item's name: receive time (13 digits), pid, a per-process counter and a random part, so names sort by
 * time and two processes never collide. The sync orders items by the leading number, whatever its width.
 */
export const itemName = (now: number, suffix: string): string => {
  counter = (counter + 1) % 1_000_000
  const random = Math.random().toString(36).slice(2, 10)
  return `${String(now).padStart(13, "0")}-${process.pid}-${String(counter).padStart(6, "0")}-${random}${suffix}`
}

/**
 * Writes one item into the inbox (temp file, then rename); returns its path. Creates the directories when missing
 * (and the failures file, while there is room for it). When the write fails (a full disk), the partial temp file is
 * removed and the error thrown: the caller records it with `Failures.record`.
 */
export const writeInbox = (paths: StatePaths, name: string, body: string): string => {
  const temp = join(paths.tmp, name)
  const target = join(paths.inbox, name)
  const write = () => {
    try {
      writeFileSync(temp, body, { mode: 0o600 })
      renameSync(temp, target)
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "ENOENT") rmSync(temp, { force: true })
      throw cause
    }
  }
  // The directories exist after the first item; creating them only when missing saves two syscalls per item.
  try {
    write()
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw cause
    prepareState(paths)
    write()
  }
  return target
}

/**
 * Makes the inbox, the temp folder and the failures file (`Failures.preallocate`): what a hook needs, the failures file
 * while the disk still has room for it (on a full disk a hook can record what it lost only in a file made before).
 * Throws when they cannot be made.
 */
export const prepareState = (paths: StatePaths): void => {
  // The state folder holds prompts and replies (queued, logged): its owner's only, also when made before under 022
  // (a folder of the user's own choosing, `<PREFIX>_STATE_DIR`, keeps its mode)
  if (paths.stateDir === paths.configDir) privateDirectory(paths.stateDir)
  mkdirSync(paths.inbox, { recursive: true, mode: 0o700 })
  mkdirSync(paths.tmp, { recursive: true, mode: 0o700 })
  Failures.preallocate(paths)
}

/**
 * Records an item of `sessionId` that could not be stored, in the preallocated failures file (and the log, if the disk
 * takes it), with the item itself when it is small (`Failures.ITEM_MAX_BYTES`). Never throws.
 */
export const recordFailure = (
  paths: StatePaths,
  sessionId: string | undefined,
  what: string,
  cause: unknown,
  item?: Failures.KeptItem
): void => {
  const error = cause instanceof Error ? cause.message : String(cause)
  Failures.record(paths, sessionId, error, Date.now(), item)
  log(paths, `${what}: could not store it (${error}); the next sync re-reads session ${sessionId ?? "(unknown)"}`)
}

/** Writes `heartbeat.json` (temp file + rename); never throws: a heartbeat is worth less than the agent's time. */
export const writeHeartbeat = (paths: StatePaths, heartbeat: Heartbeat): void => {
  try {
    mkdirSync(paths.tmp, { recursive: true, mode: 0o700 })
    const temp = join(paths.tmp, `heartbeat-${process.pid}.json`)
    writeFileSync(temp, JSON.stringify(heartbeat), { mode: 0o600 })
    renameSync(temp, paths.heartbeat)
  } catch {
    // status will say the plugin was never seen; the log would say no more
  }
}

/** Appends one line to the local log; never throws. */
export const log = (paths: StatePaths, message: string): void => {
  try {
    mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 })
    appendFileSync(paths.log, `${new Date().toISOString()} ${message}\n`, { mode: 0o600 })
  } catch {
    // nowhere left to report; never disturb the agent
  }
}

const falsy = ["0", "false", "no", "off"]

/** Automatic sending is on unless `<PREFIX>_AUTO_SYNC` or the config file's `autoSync` turns it off. */
export const autoSyncEnabled = (envPrefix: string, paths: StatePaths, env: Env = process.env): boolean => {
  const raw = env[`${envPrefix}_AUTO_SYNC`]?.trim().toLowerCase()
  if (raw !== undefined && raw !== "") return !falsy.includes(raw)
  try {
    return (JSON.parse(readFileSync(paths.configFile, "utf8")) as { autoSync?: unknown }).autoSync !== false
  } catch {
    return true
  }
}

/** Whether a sync started moments ago still holds the lock (it re-checks the inbox before it exits). */
export const syncRunning = (paths: StatePaths): boolean => {
  try {
    return recent(statSync(paths.lock).mtimeMs, 2_000)
  } catch {
    return false // no lock: nobody is syncing
  }
}

const countFiles = (dir: string, suffix: string): number => {
  try {
    return readdirSync(dir).filter((name) => name.endsWith(suffix)).length
  } catch {
    return 0
  }
}

/** True when items or events from earlier runs wait to be sent. */
export const hasBacklog = (paths: StatePaths, suffix: string): boolean =>
  countFiles(paths.inbox, suffix) > 0 || countFiles(join(paths.outbox, "pending"), "") > 0

/** How long hooks wait after one started a sync for the backlog before another may (while the server stays down). */
export const BACKLOG_RETRY_MS = 60_000

/** `<state>/sync-attempt`: its modification time is when a hot path last started a sync for the backlog. */
const attemptFile = (paths: StatePaths) => join(paths.stateDir, "sync-attempt")

/**
 * After an outage: starts a background sync when events wait in the outbox (or transcripts to re-read), at most once
 * per `BACKLOG_RETRY_MS` across all processes. Costs one `stat` (and one `readdir` when the last attempt is older) on
 * the hot path; reads the config only when it would start a sync.
 */
export const syncIfBacklog = async (
  paths: StatePaths,
  envPrefix: string,
  cli: string,
  env: Env = process.env
): Promise<boolean> => {
  try {
    if (recent(statSync(attemptFile(paths)).mtimeMs, BACKLOG_RETRY_MS)) return false
  } catch {
    // never attempted
  }
  if (countFiles(join(paths.outbox, "pending"), "") === 0 && countFiles(paths.followUps, ".json") === 0) return false
  if (!autoSyncEnabled(envPrefix, paths, env)) return false
  writeFileSync(attemptFile(paths), "")
  return startBackgroundSync(paths, cli, env)
}

/** `node` on the PATH, if any. */
const findNode = (env: Env): string | undefined => {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue
    const candidate = join(dir, "node")
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * `node:child_process`, loaded on first use. `process.getBuiltinModule` (Node ≥ 20.16) where there is one: a CLI bundle
 * run through the code cache is a `vm` script, where Node 20 refuses `import()` ("A dynamic import callback was invoked
 * without --experimental-vm-modules"); elsewhere (older Node, Bun without it) `import()`.
 */
const childProcess = async (): Promise<typeof import("node:child_process")> => {
  const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule
  return typeof builtin === "function"
    ? (builtin("node:child_process") as typeof import("node:child_process"))
    : await import("node:child_process")
}

/**
 * Starts `<cli> sync --background` detached, unless a sync started moments ago still holds the lock. Under Node it
 * runs with the same `node`; inside Bun (OpenCode) with `node` from the PATH, else with Bun itself (`BUN_BE_BUN=1`).
 * `node:child_process` is loaded only here: it pulls in net and streams, about 2.5 ms of start-up that most hook
 * calls do not need. Resolves to whether a process was started.
 */
export const startBackgroundSync = async (paths: StatePaths, cli: string, env: Env = process.env): Promise<boolean> => {
  if (syncRunning(paths)) return false
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined"
  const node = isBun ? findNode(env) : process.execPath
  if (node === undefined && !isBun) return false
  const command = node ?? process.execPath
  const childEnv = node === undefined ? { ...env, BUN_BE_BUN: "1" } : { ...env }
  const { spawn } = await childProcess()
  const child = spawn(command, [cli, "sync", "--background"], { detached: true, stdio: "ignore", env: childEnv })
  child.on("error", (error) => log(paths, `cannot start the background sync (${command}): ${error.message}`))
  child.unref()
  return true
}
