import { readFileSync } from "node:fs"

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

/** The keys `config.toml`'s text records as trusted (tables `[hooks.state."…"]` that hold a `trusted_hash`). */
export const trustedKeys = (configToml: string): ReadonlySet<string> => {
  const trusted = new Set<string>()
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
    if (current !== undefined && /^\s*trusted_hash\s*=\s*"[^"]+"/.test(line)) trusted.add(current)
  }
  return trusted
}

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
