/**
 * The quick answer of `<cli> import` when nothing changed since the last import: before the CLI bundle is even loaded,
 * the agent's small entry point lists and `stat`s its history files, compares them with the bookkeeping
 * (`Checkpoints`) and, when every file is known with the same size and modification time and nothing else waits (no
 * inbox item, follow-up, outbox file, lost hook item, running sync), prints the lines the full import would print
 * ("800 sessions (0 new, 0 updated, 800 unchanged): …") and exits. On any doubt (a file added, grown, rewritten or
 * truncated, a backlog, a bookkeeping or stamp it cannot read, a flag, a changed setting) it answers nothing and the
 * full import runs. No Effect: this runs before the CLI bundle is loaded.
 *
 * The settings the full import ran with are not read here (the config file, the environment, the server URL's
 * normalization): a successful full import leaves a stamp, `<state>/imported/quick.json`, with a digest of what they
 * are resolved from (the config file's text, the plugin's `<PREFIX>_*` variables, HOME, XDG_CONFIG_HOME, the CLI's
 * version) and what they resolved to (the server, the mapping options). The same digest now means the same settings.
 */
import * as Fs from "node:fs"
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { isAbsolute, join } from "node:path"
import { type Agent, type Env, paths as pathsOf, type StatePaths } from "./Agent.js"
import * as Checkpoints from "./Checkpoints.js"
import * as Digest from "./Digest.js"
import * as Failures from "./Failures.js"
import * as ImportText from "./ImportText.js"

/** What a successful full import recorded: the digest of its settings' sources, and what they resolved to. */
export interface Stamp {
  /** 2 since `inputs` is a `Digest.fingerprint` (a SHA-256 before): a stamp of 1 makes the next import a full one. */
  readonly v: 2
  readonly inputs: string
  /** The server the import sent to (the bookkeeping's). */
  readonly server: string
  /** The mapping options' fingerprint (`History.fingerprintOf`). */
  readonly options: string
}

/** One history file as the agent lists it. */
export interface HistoryFile {
  readonly path: string
  /** Its session, when the path tells; else the bookkeeping's (an agent that names it inside the file). */
  readonly sessionId?: string | undefined
  readonly size: number
  readonly mtimeMs: number
}

/**
 * One history item that is not a file the agent lists (a session in a database): its bookkeeping key and its version
 * now, both as the import's items have them (`SessionSource.HistoryItem`).
 */
export interface HistoryItem {
  readonly key: string
  readonly version: string
  readonly sessionId: string
}

/** What the agent listed: its history files and, when it can tell, every directory it read; or its other items. */
export interface Listing {
  readonly files: ReadonlyArray<HistoryFile>
  /** Items known by a version (not remembered between checks: only files and directories are). */
  readonly items?: ReadonlyArray<HistoryItem>
  /**
   * The directories read, each with its modification time taken before it was read; undefined when the listing
   * cannot be told unchanged by them (a directory it could not read, a root that does not exist).
   */
  readonly dirs?: ReadonlyArray<{ readonly path: string; readonly mtimeMs: number }>
}

export const stampFile = (paths: StatePaths): string => join(Checkpoints.directory(paths.stateDir), "quick.json")

/**
 * `<state>/imported/quick-list.tsv`: what the last quick answer checked, so the next one need not list the directories
 * or parse the bookkeeping's index again: when the index file and every directory listed are unchanged (and were
 * already older than the listing by a margin, against coarse file times), the files are the same and the index holds
 * what the list says; only the files are `stat`ed. Anything else: the full check.
 */
export const listFile = (paths: StatePaths): string => join(Checkpoints.directory(paths.stateDir), "quick-list.tsv")

/** A directory or index modified less than this before a listing may change again within the same file time. */
const RACY_MS = 2_000

/**
 * The digest of what the CLI's settings are resolved from in `env`, or undefined when the config file cannot be read
 * (the full run says why).
 */
export const inputsOf = (agent: Agent, env: Env, version: string): string | undefined => {
  const paths = pathsOf(agent, env)
  let config: string | null
  try {
    config = readFileSync(paths.configFile, "utf8")
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== "ENOENT") return undefined
    config = null
  }
  const prefix = `${agent.source.envPrefix}_`
  const where = new Set(["HOME", "XDG_CONFIG_HOME", ...agent.historyEnv])
  const names = Object.keys(env)
    .filter((name) => name.startsWith(prefix) || where.has(name))
    .sort()
  const vars = names.map((name) => [name, env[name] ?? null])
  // A relative location is read from the working directory
  const relative = agent.historyEnv.some((name) =>
    (env[name] ?? "").split(",").some((dir) => dir.trim() !== "" && !isAbsolute(dir.trim()))
  )
  return Digest.fingerprint(JSON.stringify([version, agent.source.id, config, vars, relative ? process.cwd() : null]))
}

/** Records the stamp after a successful full import; never throws (without it the next import is a full one). */
export const record = (paths: StatePaths, stamp: Omit<Stamp, "v">): void => {
  const file = stampFile(paths)
  const temp = `${file}.${process.pid}.tmp`
  try {
    mkdirSync(Checkpoints.directory(paths.stateDir), { recursive: true, mode: 0o700 })
    writeFileSync(temp, JSON.stringify({ v: 2, ...stamp } satisfies Stamp), { mode: 0o600 })
    renameSync(temp, file)
  } catch {
    rmSync(temp, { force: true })
  }
}

const readStamp = (paths: StatePaths): Stamp | undefined => {
  try {
    const stamp = JSON.parse(readFileSync(stampFile(paths), "utf8")) as Partial<Stamp> | null
    if (stamp?.v !== 2) return undefined
    const { inputs, server, options } = stamp
    if (typeof inputs !== "string" || typeof server !== "string" || typeof options !== "string") return undefined
    return { v: 2, inputs, server, options }
  } catch {
    return undefined
  }
}

/** Whether a directory has any entry; a directory that cannot be listed for another reason than missing counts as one. */
const hasEntries = (dir: string): boolean => {
  try {
    return readdirSync(dir).length > 0
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code !== "ENOENT"
  }
}

/** The index file's identity (inode, size, modification time), or undefined when it is missing. */
const indexSignature = (paths: StatePaths): string | undefined => {
  try {
    const stats = statSync(join(Checkpoints.directory(paths.stateDir), "index.json"), { throwIfNoEntry: false })
    return stats === undefined ? undefined : `${stats.ino}:${stats.size}:${stats.mtimeMs}`
  } catch {
    return undefined
  }
}

const LIST_HEADER = "opensync-quick-list 1"

/** The session a listed file is recorded with when the import left it out as not a session (it counts as none). */
const NOT_A_SESSION = ""

/** Writes the list (temp file + rename); never throws. Names with a tab or line break are not listed. */
const writeList = (
  paths: StatePaths,
  list: {
    readonly key: string
    readonly index: string
    readonly listedAt: number
    readonly dirs: ReadonlyArray<{ readonly path: string; readonly mtimeMs: number }>
    readonly files: ReadonlyArray<HistoryFile & { readonly sessionId: string }>
  }
): void => {
  const plain = (text: string) => !/[\t\n\r]/.test(text)
  const index = list.index
  const [, , indexMtime] = index.split(":")
  // An index written moments ago may be written again within the same file time: not worth remembering.
  if (Number(indexMtime) >= list.listedAt - RACY_MS) return
  const lines = [`${LIST_HEADER}\t${list.listedAt}\t${index}\t${list.key}`]
  for (const dir of list.dirs) {
    if (!plain(dir.path) || dir.mtimeMs >= list.listedAt - RACY_MS) return
    lines.push(`D\t${dir.mtimeMs}\t${dir.path}`)
  }
  for (const file of list.files) {
    if (!plain(file.path) || !plain(file.sessionId)) return
    lines.push(`F\t${file.size}\t${file.mtimeMs}\t${file.sessionId}\t${file.path}`)
  }
  const target = listFile(paths)
  const temp = `${target}.${process.pid}.tmp`
  try {
    writeFileSync(temp, `${lines.join("\n")}\n`, { mode: 0o600 })
    renameSync(temp, target)
  } catch {
    rmSync(temp, { force: true })
  }
}

/**
 * The files of the last list when it still holds: written for the same stamp and the same index file, and every
 * directory it names unchanged since; undefined otherwise.
 */
const readList = (
  paths: StatePaths,
  key: string,
  index: string | undefined
): ReadonlyArray<HistoryFile & { readonly sessionId: string }> | undefined => {
  if (index === undefined) return undefined
  let text: string
  try {
    text = readFileSync(listFile(paths), "utf8")
  } catch {
    return undefined
  }
  const lines = text.split("\n")
  const [header, listedAt, listedIndex, listedKey] = (lines[0] ?? "").split("\t")
  if (header !== LIST_HEADER || listedIndex !== index || listedKey !== key) return undefined
  const at = Number(listedAt)
  if (!Number.isFinite(at) || !text.endsWith("\n")) return undefined
  const files: Array<HistoryFile & { readonly sessionId: string }> = []
  for (let i = 1; i < lines.length - 1; i++) {
    const fields = lines[i].split("\t")
    if (fields[0] === "D" && fields.length === 3) {
      const mtimeMs = Number(fields[1])
      if (!(mtimeMs < at - RACY_MS)) return undefined
      const stats = statSync(fields[2], { throwIfNoEntry: false })
      if (stats === undefined || stats.mtimeMs !== mtimeMs) return undefined
    } else if (fields[0] === "F" && fields.length === 5) {
      files.push({ size: Number(fields[1]), mtimeMs: Number(fields[2]), sessionId: fields[3], path: fields[4] })
    } else {
      return undefined
    }
  }
  return files.length === 0 ? undefined : files
}

/** Why the quick check fell through to the full import (for tests and `--debug`-free diagnosis); "" when it answered. */
export type Outcome = { readonly lines: ReadonlyArray<string> } | { readonly fallThrough: string }

export interface CheckOptions {
  readonly agent: Agent
  readonly version: string
  /** The command line after `node <cli>`. */
  readonly args: ReadonlyArray<string>
  readonly env: Env
  /** The agent's history files, listed and `stat`ed now. */
  readonly list: () => Listing
  /** The import's summary line for an archive found unchanged. */
  readonly summary: (found: ImportText.Found) => string
}

/** The lines `import` prints when nothing changed, or why the full import must run. */
export const check = (options: CheckOptions): Outcome => {
  const { agent, env } = options
  if (options.args.length !== 1 || options.args[0] !== "import") return { fallThrough: "not a bare import" }
  const paths = pathsOf(agent, env)
  const stamp = readStamp(paths)
  if (stamp === undefined) return { fallThrough: "no stamp" }
  if (inputsOf(agent, env, options.version) !== stamp.inputs) return { fallThrough: "settings changed" }
  if (existsSync(paths.lock)) return { fallThrough: "a sync is running" }
  for (const dir of [paths.inbox, paths.followUps, paths.inboxBad, paths.tmp]) {
    if (hasEntries(dir)) return { fallThrough: `${dir} is not empty` }
  }
  for (const dir of ["pending", "sending", "tmp"].map((name) => join(paths.outbox, name))) {
    if (hasEntries(dir)) return { fallThrough: `${dir} is not empty` }
  }
  try {
    if (statSync(Failures.failuresFile(paths)).size < Failures.SIZE) return { fallThrough: "no failures file" }
  } catch {
    return { fallThrough: "no failures file" }
  }
  if (Failures.read(paths).sessions.length > 0) return { fallThrough: "hook items to recover" }
  const key = `${stamp.inputs} ${stamp.server} ${stamp.options}`
  const index = indexSignature(paths)
  const listed = readList(paths, key, index)
  let sessions: Set<string>
  // Files found that hold no session (yet), as the import said: counted for its summary, not as sessions
  let waiting = 0
  if (listed !== undefined) {
    // The same files as last time, with what the index holds for them: only their sizes and times are checked.
    sessions = new Set<string>()
    for (const file of listed) {
      const stats = statSync(file.path, { throwIfNoEntry: false })
      if (stats?.isFile() !== true || stats.size !== file.size || stats.mtimeMs !== file.mtimeMs) {
        return { fallThrough: `${file.path} changed` }
      }
      if (file.sessionId !== NOT_A_SESSION) sessions.add(file.sessionId)
      else waiting++
    }
  } else {
    const listedAt = Date.now()
    const listing = options.list()
    const store = Checkpoints.open(paths.stateDir, stamp.server)
    const items = listing.items ?? []
    if (listing.files.length === 0 && items.length === 0) return { fallThrough: "no history" }
    sessions = new Set<string>()
    for (const item of items) {
      const known = store.get(item.key)
      if (known === undefined || known.options !== stamp.options || known.version !== item.version) {
        return { fallThrough: `${item.key} changed` }
      }
      if (known.skipped === undefined) sessions.add(item.sessionId)
      else waiting++
    }
    const files: Array<HistoryFile & { readonly sessionId: string }> = []
    for (const file of listing.files) {
      const known = store.get(file.path)
      if (known === undefined || known.options !== stamp.options || !Checkpoints.holdsFile(known, file)) {
        return { fallThrough: `${file.path} changed` }
      }
      // A file the import left out as not a session is listed (a change is looked for) but not counted.
      const sessionId = known.skipped !== undefined ? NOT_A_SESSION : (file.sessionId ?? known.sessionId)
      if (sessionId !== NOT_A_SESSION) sessions.add(sessionId)
      else waiting++
      files.push({ ...file, sessionId })
    }
    if (listing.dirs !== undefined && items.length === 0 && index !== undefined && index === indexSignature(paths)) {
      writeList(paths, { key, index, listedAt, dirs: listing.dirs, files })
    }
  }
  const found = { sessions: sessions.size, new: 0, updated: 0, unchanged: sessions.size, waiting }
  const report = {
    recovered: 0,
    saved: 0,
    inboxItems: 0,
    unreadable: 0,
    followUps: 0,
    eventsQueued: 0,
    delivered: 0,
    rejected: 0,
    deleted: 0,
    pending: 0
  }
  return { lines: [options.summary(found), ...ImportText.reportLines(agent, paths.log, report)] }
}

/**
 * Runs the check for the CLI's entry point: prints the lines and returns true when it answered; returns false (the
 * caller loads the full CLI) when it did not, or when anything went wrong.
 */
export const answer = (options: CheckOptions): boolean => {
  let outcome: Outcome
  try {
    outcome = check(options)
  } catch {
    return false
  }
  if (!("lines" in outcome)) return false
  write(`${outcome.lines.join("\n")}\n`)
  return true
}

/**
 * Writes the answer straight to file descriptor 1: creating `process.stdout` loads Node's stream and socket modules
 * (~5 ms of a ~90 ms run). A descriptor that takes less than all of it at once (a full non-blocking pipe) gets the rest
 * through `process.stdout`, which waits for it.
 */
const write = (text: string): void => {
  const bytes = Buffer.from(text)
  let done = 0
  try {
    while (done < bytes.length) done += Fs.writeSync(1, bytes, done)
  } catch {
    process.stdout.write(bytes.subarray(done))
  }
}
