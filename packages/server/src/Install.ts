import { existsSync, readFileSync } from "node:fs"
import { basename, dirname, join, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"

/**
 * How this server was installed, which decides the command a user types to run its CLI:
 * - `clone`: a clone of the repository (`packages/server/{dist,src}` under a root whose package.json lists the
 *   workspace): `npm run opensync -- …`;
 * - `global`: `npm install -g opensync` (the `opensync` executable sits in the prefix): `opensync …`;
 * - `npx`: `npx opensync` or a project's own node_modules: `npx opensync …`.
 */
export type Install = "clone" | "global" | "npx"

const isCloneRoot = (root: string) => {
  try {
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces?: unknown }
    // The workspace lists the server's folder itself or a glob over the packages (`packages/*`).
    return (
      Array.isArray(manifest.workspaces) &&
      manifest.workspaces.some((entry) => entry === "packages/server" || entry === "packages/*")
    )
  } catch {
    return false
  }
}

/** Where the server whose code lives in `moduleDir` (its bundle's or source's folder) is installed. */
export const detect = (moduleDir: string): Install => {
  const packageDir = dirname(resolve(moduleDir))
  if (isCloneRoot(resolve(packageDir, "../.."))) return "clone"
  const nodeModules = dirname(packageDir)
  if (basename(nodeModules) !== "node_modules") return "global"
  if (nodeModules.split(sep).includes("_npx")) return "npx"
  // A global prefix: <prefix>/lib/node_modules with <prefix>/bin/opensync, or on Windows <prefix>/node_modules with
  // <prefix>/opensync.cmd.
  const globalBin = [join(nodeModules, "..", "..", "bin", "opensync"), join(nodeModules, "..", "opensync.cmd")]
  return globalBin.some((file) => existsSync(file)) ? "global" : "npx"
}

/** The words that run the `opensync` CLI for an install, before its arguments. */
export const cliFor = (install: Install): string =>
  install === "clone" ? "npm run opensync --" : install === "npx" ? "npx opensync" : "opensync"

let current: Install | undefined

/** How the running server was installed (decided once, from where its code is). */
const installed = (): Install => {
  current ??= detect(dirname(fileURLToPath(import.meta.url)))
  return current
}

/** The CLI command of the running server. */
export const cli = (): string => cliFor(installed())

/** A full command line for the running server's CLI, e.g. `command("keys create")`. */
export const command = (args: string): string => `${cli()} ${args}`

/**
 * How to run an agent's sync CLI (`npmPackage` ships `cli`) next to this server: in a clone, the package's built CLI
 * by its path from the clone's root (`node packages/codex-sync/dist/cli.mjs`: nothing is on the PATH there); else the
 * command its package installs.
 */
export const pluginCommand = (source: { readonly cli: string; readonly npmPackage: string }): string => {
  if (installed() !== "clone") return source.cli
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")
  const built = ["cli.cjs", "cli.mjs"].find((file) =>
    existsSync(join(root, "packages", source.npmPackage, "dist", file))
  )
  return built === undefined ? source.cli : `node packages/${source.npmPackage}/dist/${built}`
}
