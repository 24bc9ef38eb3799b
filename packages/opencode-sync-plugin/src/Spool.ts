import { spawn } from "node:child_process"
import {
  accessSync,
  appendFileSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync
} from "node:fs"
import { delimiter, join } from "node:path"
import * as Paths from "./Paths.js"
import type { SessionSnapshot } from "./Tracker.js"

/*
 * The plugin's only I/O: session snapshots are written synchronously into the inbox (temp file + rename, mode 0600),
 * so they survive OpenCode exiting right after `session.idle`; a detached `opencode-sync sync --background` process
 * turns them into events and sends them. No Effect here: this module loads inside OpenCode.
 */

type Env = Readonly<Record<string, string | undefined>>

/** One spooled snapshot on disk. */
export interface SpoolFile {
  readonly v: 1
  readonly spooledAt: number
  readonly snapshot: SessionSnapshot
}

let counter = 0

/** Writes one snapshot into the inbox; returns the file's path. */
export const write = (snapshot: SessionSnapshot, now: number, env: Env = process.env): string => {
  const inbox = Paths.inboxDir(env)
  const tmp = join(Paths.stateDir(env), "tmp")
  mkdirSync(inbox, { recursive: true, mode: 0o700 })
  mkdirSync(tmp, { recursive: true, mode: 0o700 })
  counter = (counter + 1) % 1_000_000
  const name = `${String(now).padStart(14, "0")}-${process.pid}-${String(counter).padStart(6, "0")}.json`
  const body: SpoolFile = { v: 1, spooledAt: now, snapshot }
  writeFileSync(join(tmp, name), JSON.stringify(body), { mode: 0o600 })
  const target = join(inbox, name)
  renameSync(join(tmp, name), target)
  return target
}

/** Appends one line to the local log; never throws. */
export const log = (message: string, env: Env = process.env): void => {
  try {
    mkdirSync(Paths.stateDir(env), { recursive: true, mode: 0o700 })
    appendFileSync(Paths.logFile(env), `${new Date().toISOString()} ${message}\n`)
  } catch {
    // nowhere left to report
  }
}

const countFiles = (dir: string, suffix: string): number => {
  try {
    return readdirSync(dir).filter((name) => name.endsWith(suffix)).length
  } catch {
    return 0
  }
}

/** True when snapshots or events from earlier runs wait to be sent. */
export const hasBacklog = (env: Env = process.env): boolean =>
  countFiles(Paths.inboxDir(env), ".json") > 0 || countFiles(join(Paths.outboxDir(env), "pending"), "") > 0

/** Automatic sending is on unless `OPENCODE_SYNC_AUTO_SYNC` or the config file's `autoSync` turns it off. */
export const autoSyncEnabled = (env: Env = process.env): boolean => {
  const raw = env.OPENCODE_SYNC_AUTO_SYNC?.trim().toLowerCase()
  if (raw !== undefined && raw !== "") return !["0", "false", "no", "off"].includes(raw)
  try {
    return (JSON.parse(readFileSync(Paths.configFile(env), "utf8")) as { autoSync?: unknown }).autoSync !== false
  } catch {
    return true
  }
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
 * Starts `<cli> sync --background` detached (with Node, else with OpenCode's own Bun via `BUN_BE_BUN=1`), unless a
 * sync started moments ago still holds the lock; that one re-checks the inbox before it exits.
 */
export const startBackgroundSync = (cli: string, env: Env = process.env): boolean => {
  try {
    if (Date.now() - statSync(Paths.syncLockFile(env)).mtimeMs < 2_000) return false
  } catch {
    // no lock: nobody is syncing
  }
  const node = findNode(env)
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined"
  if (node === undefined && !isBun) return false
  const command = node ?? process.execPath
  const childEnv = node === undefined ? { ...env, BUN_BE_BUN: "1" } : { ...env }
  const child = spawn(command, [cli, "sync", "--background"], { detached: true, stdio: "ignore", env: childEnv })
  child.on("error", (error) => log(`cannot start the background sync (${command}): ${error.message}`, env))
  child.unref()
  return true
}
