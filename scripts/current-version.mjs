// Prints the newest release of an npm package (`npm view <package> version`), never older than `floor`; prints `floor`
// when the registry cannot be reached. Used by the install scripts and the end-to-end tests to find the agent release
// users have today.
//
// Usage: node scripts/current-version.mjs <package> <floor>
import { execFileSync } from "node:child_process"

/** Compares two `x.y.z` versions (a pre-release suffix sorts before its release); negative when a < b. */
export const compareVersions = (a, b) => {
  const parse = (v) => {
    const [core, pre] = v.split("-", 2)
    return { parts: core.split(".").map((n) => Number.parseInt(n, 10) || 0), pre }
  }
  const x = parse(a)
  const y = parse(b)
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0)
    if (d !== 0) return d
  }
  if (x.pre === y.pre) return 0
  if (x.pre === undefined) return 1
  if (y.pre === undefined) return -1
  return x.pre < y.pre ? -1 : 1
}

/** The registry's newest version of `name`, or undefined when npm cannot answer within the timeout. */
export const registryVersion = (name, timeoutMs = 30_000) => {
  try {
    const out = execFileSync("npm", ["view", name, "version"], {
      encoding: "utf8",
      timeout: timeoutMs,
      stdio: ["ignore", "pipe", "ignore"]
    }).trim()
    return /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/.test(out) ? out : undefined
  } catch {
    return undefined
  }
}

/** The newest release of `name`, with `floor` as the floor and the fallback. */
export const currentVersion = (name, floor) => {
  const found = registryVersion(name)
  return found !== undefined && compareVersions(found, floor) > 0 ? found : floor
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [name, floor] = process.argv.slice(2)
  if (name === undefined || floor === undefined) {
    console.error("usage: node scripts/current-version.mjs <package> <floor>")
    process.exit(2)
  }
  process.stdout.write(`${currentVersion(name, floor)}\n`)
}
