import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"

/*
 * What Codex's `config.toml` says about our hooks. Codex runs a hook from `hooks.json` only once the user trusted it:
 * the TUI asks ("Hooks need review" → "Trust all and continue", or `/hooks`) and records
 * `[hooks.state."<hooks.json path>:<event_in_snake_case>:<group>:<handler>"]` with a `trusted_hash` of the handler.
 * We only read it (the hash is Codex's business: a changed handler needs review again), and never write it: trusting
 * a hook is the user's decision. A line scan, not a TOML parser: the table names are all we look for.
 */

/** `SessionStart` → `session_start`, as Codex names events in trust keys. */
export const snakeCase = (event: string): string => event.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()

/** The trust key Codex records for the handler at `group`/`handler` of `event` in `hooksFile`. */
export const trustKey = (hooksFile: string, event: string, group: number, handler: number): string =>
  `${hooksFile}:${snakeCase(event)}:${group}:${handler}`

const unquote = (raw: string): string => {
  try {
    return JSON.parse(raw) as string
  } catch {
    return raw.slice(1, -1)
  }
}

/** The `trusted_hash` `config.toml`'s text records for each trusted key (tables `[hooks.state."…"]`). */
export const trustedHashes = (configToml: string): ReadonlyMap<string, string> => {
  const trusted = new Map<string, string>()
  let current: string | undefined
  for (const line of configToml.split(/\r?\n/)) {
    const table = /^\s*\[\s*hooks\s*\.\s*state\s*\.\s*("(?:[^"\\]|\\.)*")\s*\]\s*(#.*)?$/.exec(line)
    if (table !== null) {
      current = unquote(table[1]!)
      continue
    }
    if (/^\s*\[/.test(line)) {
      current = undefined
      continue
    }
    const hash = current === undefined ? null : /^\s*trusted_hash\s*=\s*"([^"]+)"/.exec(line)
    if (current !== undefined && hash !== null) trusted.set(current, hash[1]!)
  }
  return trusted
}

/**
 * Trust that no longer holds: Codex hashes a handler's content, so a handler `setup` rewrote in place (another install
 * path, another timeout) needs review again, while `config.toml` still records the old hash under its key. `setup`
 * writes the hashes it made stale to `<state>/codex-stale-trust.json`; a key counts as trusted only when Codex
 * records another hash for it since (the user trusted the new handler).
 */
export const staleTrustFile = (stateDir: string) => join(stateDir, "codex-stale-trust.json")

export const readStale = (file: string): Record<string, string> => {
  try {
    const json = JSON.parse(readFileSync(file, "utf8")) as unknown
    return typeof json === "object" && json !== null ? (json as Record<string, string>) : {}
  } catch {
    return {}
  }
}

/** Records the hashes `config.toml` holds for `keys` as stale (their handlers were just rewritten). */
export const markStale = (file: string, configToml: string, keys: ReadonlyArray<string>): void => {
  const hashes = trustedHashes(configToml)
  const stale = { ...readStale(file) }
  for (const key of keys) {
    const hash = hashes.get(key)
    if (hash !== undefined) stale[key] = hash
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  writeFileSync(file, JSON.stringify(stale), { mode: 0o600 })
}

/** When `setup` last made trust stale (the record's time), or undefined. */
export const staleSince = (file: string): number | undefined => {
  try {
    return statSync(file).mtimeMs
  } catch {
    return undefined
  }
}

/** The keys Codex trusts with a hash that is not a stale one. */
export const currentlyTrusted = (configToml: string, stale: Readonly<Record<string, string>>): ReadonlySet<string> =>
  new Set([...trustedHashes(configToml)].filter(([key, hash]) => stale[key] !== hash).map(([key]) => key))

/** Whether `config.toml` turns the hooks feature off (`[features]` `hooks = false`). */
export const hooksDisabled = (configToml: string): boolean => {
  let inFeatures = false
  for (const line of configToml.split(/\r?\n/)) {
    if (/^\s*\[/.test(line)) inFeatures = /^\s*\[\s*features\s*\]/.test(line)
    else if (inFeatures && /^\s*hooks\s*=\s*false\b/.test(line)) return true
  }
  return /^\s*features\s*\.\s*hooks\s*=\s*false\b/m.test(configToml)
}

/** The text of `config.toml`, or "" when it is missing or unreadable. */
export const readConfig = (path: string): string => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return ""
  }
}
