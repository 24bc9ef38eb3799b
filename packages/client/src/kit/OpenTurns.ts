/**
 * Turns a hot path holds only in memory, marked on disk. The OpenCode plugin writes a session to the inbox at the end
 * of its turn (`session.idle`); until then the turn (many API calls and tool calls) lives only in its Tracker. When
 * OpenCode is killed mid-turn, a restarted OpenCode sends events only for new changes, so those of the killed turn
 * were never seen again. So the hot path leaves `<state>/open-turns/<session id>` (URI-encoded), holding
 * `<pid> <performance.timeOrigin>`, while it holds unsent changes of that session, and removes it once they are in the
 * inbox. A marker whose process is gone (or that cannot be read) is turned into a failure record (`Failures`): the
 * sync re-reads that session from the agent's history, as after an item that could not be stored. The plugin does this
 * at its start, and every sync before each round (`Sync`). No Effect: the plugin bundle imports it; nothing here throws
 * or prints.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { StatePaths } from "./Agent.js"
import * as Failures from "./Failures.js"

/** `<state>/open-turns`. */
export const dirOf = (paths: StatePaths): string => join(paths.stateDir, "open-turns")

const fileOf = (paths: StatePaths, sessionId: string): string => join(dirOf(paths), encodeURIComponent(sessionId))

/**
 * What a marker of this process holds: its id, and when it started (a process of an earlier boot or container may have
 * had the same id; plugin instances of one process share the time).
 */
const content = (): string => `${process.pid} ${performance.timeOrigin}\n`

/** Marks the session's turn open (temp file + rename: a reader never sees it half written); false when it could not. */
export const open = (paths: StatePaths, sessionId: string): boolean => {
  const dir = dirOf(paths)
  const temp = join(dir, `.${process.pid}-${Date.now()}.tmp`)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    writeFileSync(temp, content(), { mode: 0o600 })
    renameSync(temp, fileOf(paths, sessionId))
    return true
  } catch {
    try {
      rmSync(temp, { force: true })
    } catch {
      // nothing more to do: a leftover temp file is skipped by `recover`
    }
    return false
  }
}

/** Removes the session's marker (its changes are in the inbox, or recorded as a failure). */
export const close = (paths: StatePaths, sessionId: string): void => {
  try {
    rmSync(fileOf(paths, sessionId), { force: true })
  } catch {
    // a marker left behind names a live process, or is turned into one extra re-read of the session
  }
}

/**
 * Whether the process a marker's text names has stopped: unreadable text, a process that does not exist (`ESRCH`), or
 * this process's id with another start time (an earlier process had it). A process of another user (`EPERM`) runs.
 */
export const stopped = (text: string | undefined): boolean => {
  const [pidText, origin] = (text ?? "").trim().split(/\s+/)
  const pid = Number(pidText)
  if (!Number.isSafeInteger(pid) || pid <= 0) return true
  if (pid === process.pid) return origin !== String(performance.timeOrigin)
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH"
  }
}

/**
 * Turns every marker whose process stopped into a failure record of its session, saying `reason` (the next sync
 * re-reads it from the agent's history), and removes it; returns those sessions. A marker that cannot be recorded
 * stays, for the next try. Agents that leave none cost one failed `readdir`.
 */
export const recover = (paths: StatePaths, reason: string, now: number = Date.now()): ReadonlyArray<string> => {
  let names: ReadonlyArray<string>
  try {
    names = readdirSync(dirOf(paths))
  } catch {
    return []
  }
  const recorded: Array<string> = []
  for (const name of names) {
    if (name.startsWith(".")) continue
    const file = join(dirOf(paths), name)
    let text: string | undefined
    try {
      text = readFileSync(file, "utf8")
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue
      text = undefined
    }
    if (!stopped(text)) continue
    let sessionId = name
    try {
      sessionId = decodeURIComponent(name)
    } catch {
      // not one this plugin wrote: its name as it is
    }
    try {
      // (the failures file is written by every sync; before the first one, here)
      Failures.preallocate(paths)
    } catch {
      // a full disk: `record` says whether it can still be written
    }
    if (!Failures.record(paths, sessionId, reason, now)) continue
    try {
      // Unless a new turn of the session marked it again meanwhile
      if (text === undefined || readFileSync(file, "utf8") === text) rmSync(file, { force: true, recursive: true })
    } catch {
      // gone meanwhile
    }
    recorded.push(sessionId)
  }
  return recorded
}
