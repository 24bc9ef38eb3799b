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
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type Agent, type Env, paths as pathsOf, type StatePaths } from "./Agent.js"
import * as Checkpoints from "./Checkpoints.js"
import * as Failures from "./Failures.js"
import * as ImportText from "./ImportText.js"

/** What a successful full import recorded: the digest of its settings' sources, and what they resolved to. */
export interface Stamp {
  readonly v: 1
  readonly inputs: string
  /** The server the import sent to (the bookkeeping's). */
  readonly server: string
  /** The mapping options' fingerprint (`History.fingerprintOf`). */
  readonly options: string
}

/** One history file as the agent lists it. */
export interface HistoryFile {
  readonly path: string
  readonly sessionId: string
  readonly size: number
  readonly mtimeMs: number
}

export const stampFile = (paths: StatePaths): string => join(Checkpoints.directory(paths.stateDir), "quick.json")

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
  const names = Object.keys(env)
    .filter((name) => name.startsWith(prefix) || name === "HOME" || name === "XDG_CONFIG_HOME")
    .sort()
  const vars = names.map((name) => [name, env[name] ?? null])
  return createHash("sha256")
    .update(JSON.stringify([version, agent.source.id, config, vars]))
    .digest("base64url")
}

/** Records the stamp after a successful full import; never throws (without it the next import is a full one). */
export const record = (paths: StatePaths, stamp: Omit<Stamp, "v">): void => {
  const file = stampFile(paths)
  const temp = `${file}.${process.pid}.tmp`
  try {
    mkdirSync(Checkpoints.directory(paths.stateDir), { recursive: true, mode: 0o700 })
    writeFileSync(temp, JSON.stringify({ v: 1, ...stamp } satisfies Stamp), { mode: 0o600 })
    renameSync(temp, file)
  } catch {
    rmSync(temp, { force: true })
  }
}

const readStamp = (paths: StatePaths): Stamp | undefined => {
  try {
    const stamp = JSON.parse(readFileSync(stampFile(paths), "utf8")) as Partial<Stamp> | null
    if (stamp?.v !== 1) return undefined
    const { inputs, server, options } = stamp
    if (typeof inputs !== "string" || typeof server !== "string" || typeof options !== "string") return undefined
    return { v: 1, inputs, server, options }
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

/** Why the quick check fell through to the full import (for tests and `--debug`-free diagnosis); "" when it answered. */
export type Outcome = { readonly lines: ReadonlyArray<string> } | { readonly fallThrough: string }

export interface CheckOptions {
  readonly agent: Agent
  readonly version: string
  /** The command line after `node <cli>`. */
  readonly args: ReadonlyArray<string>
  readonly env: Env
  /** The agent's history files, listed and `stat`ed now. */
  readonly files: () => ReadonlyArray<HistoryFile>
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
  const store = Checkpoints.open(paths.stateDir, stamp.server)
  const files = options.files()
  if (files.length === 0) return { fallThrough: "no history" }
  const sessions = new Set<string>()
  for (const file of files) {
    const known = store.get(file.path)
    if (
      known === undefined ||
      known.options !== stamp.options ||
      known.size !== file.size ||
      known.mtimeMs !== file.mtimeMs
    ) {
      return { fallThrough: `${file.path} changed` }
    }
    sessions.add(file.sessionId)
  }
  const found = { sessions: sessions.size, new: 0, updated: 0, unchanged: sessions.size }
  const report = {
    recovered: 0,
    saved: 0,
    inboxItems: 0,
    unreadable: 0,
    followUps: 0,
    eventsQueued: 0,
    delivered: 0,
    rejected: 0,
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
  process.stdout.write(`${outcome.lines.join("\n")}\n`)
  return true
}
