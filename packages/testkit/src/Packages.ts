/**
 * The publishable packages as a user gets them: each packed with `npm pack` (its `prepack` builds), then all
 * installed into one empty prefix with `npm install -g --prefix`, from the npm registry (or npm's cache) only, no
 * workspace. End-to-end tests run the installed executables from `bin(name)` in a throw-away HOME.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"

export const repoRoot = resolve(__dirname, "../../..")

/** Package name → its folder in the repository. */
export const packages = {
  opensync: "packages/server",
  "claude-code-sync": "packages/claude-code-sync",
  "opencode-sync-plugin": "packages/opencode-sync-plugin",
  "codex-sync": "packages/codex-sync",
  "gemini-sync": "packages/gemini-sync"
} as const
export type PackageName = keyof typeof packages

export interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface InstalledPackages {
  /** The prefix given to `npm install -g --prefix`. */
  readonly prefix: string
  /** The tarball `npm pack` made for each package. */
  readonly tarballs: Record<PackageName, string>
  /** A throw-away HOME (with XDG dirs inside it) for every command run here. */
  readonly home: string
  /** The environment of an installed command: the prefix's bin first on PATH, the throw-away HOME, no npm_* vars. */
  readonly env: NodeJS.ProcessEnv
  /** The path of an installed executable (`opensync`, `claude-code-sync`, `opencode-sync`, …). */
  readonly bin: (name: string) => string
  /** Where an installed package's files are. */
  readonly packageDir: (name: PackageName) => string
  /** Runs an installed executable to completion (with `extra` added to its environment). */
  readonly run: (name: string, args: ReadonlyArray<string>, extra?: NodeJS.ProcessEnv) => Promise<Result>
  /** Removes the prefix, the tarballs and the HOME. */
  readonly remove: () => void
}

/** The caller's environment without what `npm run`/`npm test` adds (npm_config_*, npm_package_*, …). */
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)))

const exec = (file: string, args: ReadonlyArray<string>, options: { cwd?: string; env?: NodeJS.ProcessEnv }) =>
  promisify(execFile)(file, [...args], { ...options, maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : 1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? String(error)
    })
  )

const npm = async (args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv) => {
  const result = await exec("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, env })
  if (result.code !== 0) throw new Error(`npm ${args.join(" ")} failed (${result.code}):\n${result.stderr}`)
  return result.stdout
}

/** Packs each package (in turn: each `prepack` runs the incremental build) into `dir`. */
export const packAll = async (dir: string, env = cleanEnv()): Promise<Record<PackageName, string>> => {
  const tarballs: Partial<Record<PackageName, string>> = {}
  for (const [name, folder] of Object.entries(packages) as Array<[PackageName, string]>) {
    const packed = JSON.parse(await npm(["pack", "--json", "--pack-destination", dir], join(repoRoot, folder), env))
    tarballs[name] = join(dir, packed[0].filename)
  }
  return tarballs as Record<PackageName, string>
}

/** Packs the packages and installs them into one empty prefix. */
export const installPackages = async (): Promise<InstalledPackages> => {
  const root = mkdtempSync(join(tmpdir(), "opensync-packages-"))
  const prefix = join(root, "prefix")
  const packed = join(root, "tarballs")
  const home = join(root, "home")
  for (const dir of [prefix, packed, home]) mkdirSync(dir)
  const bin = (name: string) => (process.platform === "win32" ? join(prefix, `${name}.cmd`) : join(prefix, "bin", name))
  const base = cleanEnv()
  const env: NodeJS.ProcessEnv = {
    ...base,
    HOME: home,
    USERPROFILE: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_STATE_HOME: join(home, ".local", "state"),
    XDG_CACHE_HOME: join(home, ".cache"),
    PATH: [process.platform === "win32" ? prefix : join(prefix, "bin"), base.PATH].join(
      process.platform === "win32" ? ";" : ":"
    )
  }
  try {
    const tarballs = await packAll(packed, base)
    // --prefer-offline: the dependencies (public npm packages) come from npm's cache when it has them.
    await npm(["install", "-g", "--prefix", prefix, "--prefer-offline", ...Object.values(tarballs)], root, base)
    const modules = process.platform === "win32" ? join(prefix, "node_modules") : join(prefix, "lib", "node_modules")
    return {
      prefix,
      tarballs,
      home,
      env,
      bin,
      packageDir: (name) => join(modules, name),
      run: (name, args, extra = {}) => exec(bin(name), args, { cwd: home, env: { ...env, ...extra } }),
      remove: () => rmSync(root, { recursive: true, force: true })
    }
  } catch (error) {
    rmSync(root, { recursive: true, force: true })
    throw error
  }
}

/** An installed package's package.json. */
export const manifestOf = (installed: InstalledPackages, name: PackageName) =>
  JSON.parse(readFileSync(join(installed.packageDir(name), "package.json"), "utf8")) as {
    name: string
    version: string
    dependencies?: Record<string, string>
    bin?: Record<string, string>
    main?: string
  }

export interface RunningInstalledServer {
  readonly url: string
  readonly key: string
  /** Everything the server printed so far. */
  readonly output: () => string
  readonly process: ChildProcess
  readonly stop: () => Promise<void>
}

/** Starts the installed `opensync serve --port 0` on `dataDir` and waits until it prints its URL. */
export const startInstalledServer = async (
  installed: InstalledPackages,
  dataDir: string
): Promise<RunningInstalledServer> => {
  const child = spawn(installed.bin("opensync"), ["serve", "--port", "0", "--data-dir", dataDir], {
    cwd: installed.home,
    env: { ...installed.env, OPENSYNC_PORT: "", OPENSYNC_DATA_DIR: "", OPENSYNC_DASHBOARD_DIR: "" }
  })
  let output = ""
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the installed opensync did not start:\n${output}`)), 60_000)
    const check = () => {
      const found = output.match(/listening on (http:\/\/\S+)/)?.[1]
      if (found !== undefined) {
        clearTimeout(timer)
        done(found)
      }
    }
    child.stdout.on("data", check)
    child.on("exit", (code) => {
      clearTimeout(timer)
      fail(new Error(`the installed opensync exited with ${code}:\n${output}`))
    })
  })
  return {
    url,
    key: output.match(/osk_[0-9A-Za-z]+/)?.[0] ?? "",
    output: () => output,
    process: child,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once("exit", () => done())
        child.kill("SIGTERM")
      })
  }
}
