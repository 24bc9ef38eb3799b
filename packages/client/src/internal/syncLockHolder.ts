import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { hostname } from "node:os"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/** Who holds (or held) a sync lock: written into the lock file by the process that takes it. */
export const Holder = Schema.Struct({
  pid: Schema.Number,
  /**
   * The process's start as the OS reports it (Linux: field 22 of `/proc/<pid>/stat`, clock ticks since boot;
   * elsewhere `ps -o lstart=`). With the pid it names one process: a pid reused by another process does not match.
   */
  processStart: Schema.NullOr(Schema.String),
  /** When that process started (ms since the epoch). */
  startedAt: Schema.NullOr(Schema.Number),
  hostname: Schema.String,
  acquiredAt: Schema.Number,
  command: Schema.String,
  /** Unique per acquisition: which lock file this is. */
  nonce: Schema.String
})
export type Holder = typeof Holder.Type

export const encode = (holder: Holder) => JSON.stringify(holder)

const decodeOption = Schema.decodeUnknownOption(Schema.parseJson(Holder))

/** The holder in a lock file's text; null for an empty or foreign lock (older versions wrote empty files). */
export const decode = (text: string): Holder | null => Option.getOrNull(decodeOption(text))

/** `/proc/<pid>/stat` after the command name (which may hold spaces and parentheses): fields 3 onwards. */
const procFields = (pid: number): ReadonlyArray<string> | undefined => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8")
    return text.slice(text.lastIndexOf(")") + 2).split(" ")
  } catch {
    return undefined
  }
}

const hasProc = (() => {
  let known: boolean | undefined
  return () => {
    if (known === undefined) known = procFields(process.pid) !== undefined
    return known
  }
})()

/** What identifies the start of process `pid` (see `Holder.processStart`), or null when the OS will not say. */
export const processStart = (pid: number): string | null => {
  if (hasProc()) {
    const fields = procFields(pid)
    return fields === undefined || fields.length < 20 ? null : `ticks:${fields[19]}`
  }
  try {
    const started = execFileSync("ps", ["-o", "lstart=", "-p", String(pid)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 2_000
    }).trim()
    return started === "" ? null : `lstart:${started}`
  } catch {
    return null
  }
}

/** Whether the process that wrote `holder` (on this host) still runs: alive, not a zombie, and not a reused pid. */
export const isRunning = (holder: Holder): boolean => {
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    if ((error as { code?: string }).code !== "EPERM") return false
  }
  if (hasProc()) {
    const fields = procFields(holder.pid)
    if (fields === undefined) return false
    if (fields[0] === "Z" || fields[0] === "X") return false
  }
  const start = processStart(holder.pid)
  return start === null || holder.processStart === null || start === holder.processStart
}

/** This process as the holder of a lock taken at `now`. */
export const self = (now: number, command: string): Holder => ({
  pid: process.pid,
  processStart: processStart(process.pid),
  startedAt: Math.round(performance.timeOrigin),
  hostname: hostname(),
  acquiredAt: now,
  command: command.length > 300 ? `${command.slice(0, 300)}…` : command,
  nonce: randomBytes(8).toString("hex")
})
