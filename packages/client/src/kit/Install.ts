/**
 * Which install of a plugin is running (a clone of the repository, a global npm package, a project's package, an
 * agent's plugin cache) and what its hot path last reported (`heartbeat.json`), for `status` and `verify`.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs"
import { dirname, join, sep } from "node:path"
import type { Agent, Heartbeat, StatePaths } from "./Agent.js"

/** Where the running CLI comes from. */
export interface Install {
  /** `clone`, `global package`, `package`, an agent's own kind (`Claude Code plugin`), or `unknown`. */
  readonly kind: string
  /** The clone's or the package's root directory. */
  readonly root: string
  /** The package's version there, when it has one. */
  readonly version: string | null
  /** The running CLI bundle. */
  readonly entry: string
}

const readJson = (file: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(readFileSync(file, "utf8"))
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The nearest directory at or above `dir` holding a package.json named `name`. */
const packageRoot = (dir: string, name: string): string | undefined => {
  for (let current = dir; ; current = dirname(current)) {
    if (readJson(join(current, "package.json"))?.name === name) return current
    if (dirname(current) === current) return undefined
  }
}

/** The nearest directory at or above `dir` that is a git checkout with npm workspaces (this repository). */
const cloneRoot = (dir: string): string | undefined => {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, ".git")) && Array.isArray(readJson(join(current, "package.json"))?.workspaces)) {
      return current
    }
    if (dirname(current) === current) return undefined
  }
}

/** Describes the install `entry` (the running CLI file, symlinks resolved) belongs to. */
export const describe = (agent: Agent, entry: string): Install => {
  let file = entry
  try {
    file = realpathSync(entry)
  } catch {
    // a path that is gone still says where it was
  }
  const root = packageRoot(dirname(file), agent.source.npmPackage) ?? dirname(file)
  const version = readJson(join(root, "package.json"))?.version
  const base = { root, version: typeof version === "string" ? version : null, entry: file }
  const own = agent.installs?.find((install) => install.marker.test(file))
  if (own !== undefined) return { kind: own.kind, ...base }
  const modules = `${sep}node_modules${sep}`
  if (file.includes(modules)) {
    const global = file.includes(`${sep}lib${modules}`) || /[\\/]npm[\\/]node_modules[\\/]/.test(file)
    return { kind: global ? "global package" : "package", ...base }
  }
  const clone = cloneRoot(dirname(file))
  return clone !== undefined ? { kind: "clone", ...base, root: clone } : { kind: "unknown", ...base }
}

/** One line: `clone at /src/opensync (claude-code-sync 0.2.0)`. */
export const line = (agent: Agent, install: Install): string =>
  `${install.kind} at ${install.root} (${agent.source.npmPackage}${install.version === null ? "" : ` ${install.version}`})`

/** What the hot path last reported, if it ever ran. */
export const heartbeat = (paths: StatePaths): Heartbeat | undefined => {
  const value = readJson(paths.heartbeat)
  return typeof value?.at === "number" && typeof value.entry === "string" ? (value as unknown as Heartbeat) : undefined
}
