// Checks that package-lock.json lets `npm ci` install on every platform: each optional dependency a locked package
// declares (esbuild, biome, rollup, rolldown, lightningcss, libsql, … ship one package per OS/CPU) has its own lock
// entry with an integrity digest. `npm ci` refuses a lock that lacks one ("Missing: … from lock file"), on every
// machine, whatever its platform.
//
//   node scripts/check-lock.mjs                 check package-lock.json; exit 1 and list the gaps
//   node scripts/check-lock.mjs --lock FILE     check another lock file
//   node scripts/check-lock.mjs --fix           let npm add the missing entries, then check again
//
// Why entries go missing: npm records an optional dependency only if the registry serves its manifest when the lock is
// written (a mirror that lacks another platform's package makes npm skip it silently), and `npm install` never
// revisits packages reached only through a workspace (its lock-repair walk does not descend into workspace links), so
// the gap stays. `--fix` makes each such package a temporary root devDependency so that npm resolves its optional
// dependencies, then restores package.json.
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")

/**
 * Platform packages the registry does not serve at the version their parent names. `npm ci` skips an optional package
 * it cannot fetch, so an entry without integrity (version, os, cpu) keeps the lock complete without inventing a digest;
 * `--fix` writes these entries. Remove one once the registry has the package (then `--fix` records its digest).
 */
const notOnRegistry = ["darwin-arm64", "darwin-x64", "linux-arm64", "win32-arm64", "win32-x64"].map((platform) => ({
  name: `@ccusage/ccusage-${platform}`,
  version: "20.0.24",
  os: platform.split("-")[0],
  cpu: platform.split("-")[1],
  why: "ccusage 20.0.24 names it, but registry.npmjs.org has only @ccusage/ccusage-linux-x64 at 20.0.24"
}))
const unpublished = (name, version) => notOnRegistry.find((p) => p.name === name && p.version === version)

/** The lock path that Node's resolution finds for `name` required from the package at `from` ("" is the root). */
const resolveIn = (packages, from, name) => {
  let base = from
  for (;;) {
    const candidate = `${base === "" ? "" : `${base}/`}node_modules/${name}`
    if (packages[candidate] !== undefined) return candidate
    if (base === "") return undefined
    const cut = base.lastIndexOf("/node_modules/")
    base = cut < 0 ? "" : base.slice(0, cut)
  }
}

/** Every optional dependency without a usable lock entry: `{ from, name, spec, problem }`. */
export const lockGaps = (lock) => {
  const packages = lock.packages ?? {}
  const gaps = []
  for (const [from, entry] of Object.entries(packages)) {
    for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
      const at = resolveIn(packages, from, name)
      const found = at === undefined ? undefined : packages[at]
      if (found === undefined) {
        gaps.push({ from, name, spec, problem: "no lock entry" })
      } else if (found.integrity === undefined && !found.link && unpublished(name, found.version) === undefined) {
        gaps.push({ from, name, spec, problem: `${at} has no integrity` })
      }
    }
  }
  return gaps
}

const report = (gaps, lockPath) => {
  if (gaps.length === 0) {
    console.log(`${lockPath}: every optional (per-platform) dependency has a lock entry`)
    return 0
  }
  console.error(`${lockPath}: ${gaps.length} optional dependencies are missing, so \`npm ci\` refuses this lock file:`)
  for (const gap of gaps) console.error(`  ${gap.name}@${gap.spec} (of ${gap.from || "the root"}): ${gap.problem}`)
  console.error("Fix: node scripts/check-lock.mjs --fix (needs the registry), then commit package-lock.json.")
  return 1
}

const npm = (args) =>
  execFileSync("npm", [...args, "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    shell: process.platform === "win32"
  })

const fix = () => {
  npm(["install"])
  const lockPath = join(root, "package-lock.json")
  const packages = JSON.parse(readFileSync(lockPath, "utf8")).packages
  const parents = new Map()
  for (const gap of lockGaps({ packages })) {
    const entry = packages[gap.from]
    const name = gap.from.slice(gap.from.lastIndexOf("node_modules/") + "node_modules/".length)
    if (gap.from === `node_modules/${name}` && entry.version !== undefined) parents.set(name, entry.version)
    else console.error(`cannot fix ${gap.name} of ${gap.from} automatically (not a hoisted package)`)
  }
  const manifestPath = join(root, "package.json")
  const manifest = readFileSync(manifestPath, "utf8")
  const temporary = JSON.parse(manifest)
  temporary.devDependencies = { ...temporary.devDependencies, ...Object.fromEntries(parents) }
  try {
    writeFileSync(manifestPath, `${JSON.stringify(temporary, null, 2)}\n`)
    npm(["install"])
  } finally {
    writeFileSync(manifestPath, manifest)
  }
  const lock = JSON.parse(readFileSync(lockPath, "utf8"))
  for (const gap of lockGaps(lock)) {
    const known = unpublished(gap.name, gap.spec)
    const at = `node_modules/${gap.name}`
    if (known === undefined || lock.packages[at] !== undefined) continue
    const { dev, license } = lock.packages[gap.from]
    lock.packages[at] = { version: known.version, cpu: [known.cpu], dev, license, optional: true, os: [known.os] }
  }
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
  npm(["install"])
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const lockAt = args.indexOf("--lock")
  const lockPath = lockAt >= 0 ? args[lockAt + 1] : join(root, "package-lock.json")
  if (args.includes("--fix")) fix()
  process.exit(report(lockGaps(JSON.parse(readFileSync(lockPath, "utf8"))), lockPath))
}
