/**
 * Loads a CommonJS bundle through `node:vm` with V8's code cache, so a CLI's later runs do not compile its bundle
 * again (Node 20 has no module compile cache; `module.enableCompileCache` came with Node 22.1). The cache is written
 * after the first run, once the code that run needed is compiled, to `<dir>/<name>.<key>.v8`, where the key is a
 * digest of the bundle's text and of Node's version: another bundle or another Node never reads it. V8 checks what it
 * is given (its own version, flags, the source's length, the data's checksum) and rejects a cache that does not fit;
 * the bundle is then compiled as if there were none and the cache written again. No Effect: the CLI's entry point uses it.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { homedir } from "node:os"
import { basename, dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Script } from "node:vm"
import * as Digest from "./Digest.js"

/** Days another bundle's cache (another version) is kept after its last write. */
export const OTHER_CACHE_DAYS = 14

/**
 * The cache file's bytes, when it is the user's own and nobody else can write it (V8 checks what it is given, not
 * who wrote it); undefined otherwise.
 */
const readOwnCache = (file: string): Buffer | undefined => {
  try {
    const stats = statSync(file)
    const ownUid = process.getuid?.()
    if ((ownUid !== undefined && stats.uid !== ownUid) || (stats.mode & 0o022) !== 0) return undefined
    return readFileSync(file)
  } catch {
    return undefined
  }
}

/** What became of a bundle's code cache: none there, used, or rejected by V8 (then written again). */
export type CacheUse = "none" | "used" | "rejected"

const cacheFileOf = (dir: string, file: string, source: string): string => {
  const key = Digest.sha256().update(source).update(`\0${process.version}\0${process.arch}`).digest("base64url")
  return join(dir, `${basename(file)}.${key.slice(0, 24)}.v8`)
}

/** Writes the cache of `script` (temp file + rename) and removes the caches of other versions; never throws. */
const writeCache = (script: Script, dir: string, target: string, prefix: string): void => {
  const temp = `${target}.${process.pid}.tmp`
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    writeFileSync(temp, script.createCachedData(), { mode: 0o600 })
    renameSync(temp, target)
    // Other bundles' caches go once they are old: two installed versions run in turn keep both caches meanwhile
    const unusedSince = Date.now() - OTHER_CACHE_DAYS * 86_400_000
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(prefix) || name === basename(target) || name.endsWith(".tmp")) continue
      if (statSync(join(dir, name)).mtimeMs < unusedSince) rmSync(join(dir, name))
    }
  } catch {
    rmSync(temp, { force: true })
  }
}

/** A bundle run with the code cache. */
export interface Loaded {
  readonly exports: unknown
  /** What became of the cache: none there, used, or rejected by V8. */
  readonly cache: CacheUse
  /** Writes the cache now (what `load` does at exit when the cache was missing or rejected); never throws. */
  readonly save: () => void
}

/**
 * Runs the CommonJS file `file` (a bundle without a shebang line) as Node's loader would, with the code cache kept in
 * `cacheDir`; a cache missing or rejected is written when the process exits (unless `saveAtExit` is false).
 */
export const load = (file: string, cacheDir: string, saveAtExit = true): Loaded => {
  const source = readFileSync(file, "utf8")
  const target = cacheFileOf(cacheDir, file, source)
  const cachedData = readOwnCache(target)
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`
  const script = new Script(wrapped, {
    filename: file,
    // Node 20 runs this only under --experimental-vm-modules (without it, `import()` in the bundle throws "A dynamic
    // import callback was invoked without --experimental-vm-modules"), and esbuild leaves a bundle's `import()` as it
    // is: a bundle run this way must not `import()` (the hot path loads node:child_process on first use with
    // `process.getBuiltinModule`, opencode-sync's `verify` imports the plugin bundle in a child process, its importer
    // `require`s `@libsql/client`; a test runs the background sync's start in such a bundle).
    importModuleDynamically: ((specifier: string) => import(specifier)) as never,
    ...(cachedData === undefined ? {} : { cachedData })
  })
  const cache: CacheUse = cachedData === undefined ? "none" : script.cachedDataRejected === true ? "rejected" : "used"
  const save = () => writeCache(script, cacheDir, target, `${basename(file)}.`)
  if (cache !== "used" && saveAtExit) process.once("exit", save)
  const module = { exports: {} as unknown, filename: file, id: file, loaded: false }
  const run = script.runInThisContext() as (...args: ReadonlyArray<unknown>) => void
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file))
  module.loaded = true
  return { exports: module.exports, cache, save }
}

/**
 * A CLI's entry point: runs its bundle `main` (a URL beside the entry, e.g. `new URL("./cli-main.cjs",
 * import.meta.url)`) with the code cache in `$XDG_CACHE_HOME/<cli>` (else `~/.cache/<cli>`).
 */
export const runCli = (
  main: URL,
  cli: string,
  env: Readonly<Record<string, string | undefined>> = process.env
): void => {
  load(fileURLToPath(main), join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache"), cli))
}
