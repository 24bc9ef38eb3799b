/**
 * How opencode-sync is registered with OpenCode: a spec in the `"plugin"` list of an `opencode.json(c)` OpenCode
 * reads. `setup` registers what OpenCode can load (the `file://` URL of the plugin bundle installed next to this CLI;
 * the npm name only when there is no bundle and the name resolves on the registry), `verify` proves each registered
 * spec loads, and `status` reports the heartbeat the plugin leaves when OpenCode loads it.
 */
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { AccountCommands, Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import { agent } from "./Agent.js"
import * as OpenCodeConfig from "./OpenCodeConfig.js"

type Env = Readonly<Record<string, string | undefined>>

/** Whether OpenCode can load a spec, and why (not). */
export type Loadable = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly reason: string }

const notLoadable = (reason: string): Loadable => ({ ok: false, reason })

/** The plugin bundle installed next to this CLI (`dist/plugin.mjs`). */
export const localEntry = (): string => fileURLToPath(new URL("./plugin.mjs", import.meta.url))

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** Prints the exports of the module at the URL `argv[1]` as `[name, typeof value]` pairs, or why it does not load. */
const listExports = `
import(process.argv[1]).then(
  (module) => console.log(JSON.stringify({ exports: Object.entries(module).map(([name, value]) => [name, typeof value]) })),
  (error) => console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }))
)`

/** What a listing of a module's exports says of it as a plugin (OpenCode calls every export). */
const asPlugin = (
  file: string,
  answer: { exports?: ReadonlyArray<readonly [string, string]>; error?: string }
): Loadable => {
  const exports = answer.exports
  if (exports === undefined) return notLoadable(`${file} does not load: ${answer.error ?? "no answer"}`)
  if (exports.length === 0) return notLoadable(`${file} exports nothing`)
  const other = exports.find(([, type]) => type !== "function")
  if (other !== undefined) return notLoadable(`${file} exports ${other[0]}, which is not a plugin`)
  return { ok: true, detail: `${file} loads (exports ${exports.map(([name]) => name).join(", ")})` }
}

/**
 * Imports the bundle in a Node process of its own, as a fresh OpenCode does, and checks it exports only the plugin
 * function. (This CLI runs through V8's code cache, a `vm` script, where Node 20 refuses an `import()` of a file.)
 */
const importsAsPlugin = (file: string): Effect.Effect<Loadable> =>
  Effect.async<Loadable>((resume) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", listExports, pathToFileURL(file).href],
      { timeout: 30_000, maxBuffer: 1024 * 1024 },
      (error, stdout) => {
        let answer: { exports?: ReadonlyArray<readonly [string, string]>; error?: string }
        try {
          answer = JSON.parse(stdout)
        } catch {
          answer = { error: error === null ? "no answer" : describe(error) }
        }
        resume(Effect.succeed(asPlugin(file, answer)))
      }
    )
  })

/** The npm registry `npm` would ask (`npm_config_registry`), without a trailing slash. */
const registry = (env: Env) => (env.npm_config_registry || "https://registry.npmjs.org").replace(/\/+$/, "")

/** Whether an npm name (with an optional version) resolves on the registry. */
export const onRegistry = (spec: string, env: Env): Effect.Effect<Loadable> => {
  const at = spec.lastIndexOf("@")
  const name = at > 0 ? spec.slice(0, at) : spec
  const url = `${registry(env)}/${name.replace("/", "%2f")}`
  return Effect.tryPromise(() => fetch(url, { signal: AbortSignal.timeout(5_000) })).pipe(
    Effect.map(
      (response): Loadable =>
        response.ok
          ? { ok: true, detail: `${name} is on the npm registry: OpenCode installs it when it starts` }
          : {
              ok: false,
              reason: `${name} is not on the npm registry (${url}: HTTP ${response.status}), so OpenCode cannot install it`
            }
    ),
    Effect.catchAll((error) =>
      Effect.succeed(notLoadable(`cannot check ${name} on the npm registry (${describe(error.error)})`))
    )
  )
}

/** Whether OpenCode can load `spec`: a `file://` URL or path must exist and import; an npm name must be installable. */
export const loadable = (spec: string, env: Env): Effect.Effect<Loadable> => {
  if (spec.startsWith("file:") || spec.startsWith("/")) {
    const file = spec.startsWith("file:") ? fileURLToPath(spec) : spec
    return existsSync(file) ? importsAsPlugin(file) : Effect.succeed(notLoadable(`${file} does not exist`))
  }
  const cache = join(env.XDG_CACHE_HOME || join(env.HOME || "~", ".cache"), "opencode", "node_modules")
  const at = spec.lastIndexOf("@")
  const installed = join(cache, at > 0 ? spec.slice(0, at) : spec)
  return existsSync(join(installed, "package.json"))
    ? Effect.succeed({ ok: true, detail: `OpenCode installed ${spec} in ${installed}` })
    : onRegistry(spec, env)
}

/** The spec `setup` registers: the bundle next to this CLI, else the npm name when it resolves on the registry. */
const chooseSpec = (env: Env) =>
  Effect.gen(function* () {
    const entry = localEntry()
    if (existsSync(entry)) return pathToFileURL(entry).href
    const npm = yield* onRegistry(OpenCodeConfig.PACKAGE, env)
    if (npm.ok) return OpenCodeConfig.PACKAGE
    return yield* AccountCommands.fail(
      `Cannot find the plugin bundle ${entry}, and ${npm.reason}. Reinstall opencode-sync-plugin ` +
        "(or run `npm run build` in a clone), then run `opencode-sync setup` again."
    )
  })

const heartbeatText = (paths: Kit.Agent.StatePaths, registered: ReadonlyArray<string>) => {
  const beat = Kit.Install.heartbeat(paths)
  if (beat === undefined) {
    return (
      "never loaded: start OpenCode (it loads plugins when it starts); if this stays, see OpenCode's log " +
      "(~/.local/share/opencode/log/) and `opencode-sync verify`"
    )
  }
  const version = beat.hostVersion === null ? "" : ` ${beat.hostVersion}`
  const elsewhere = registered.some((file) => file === beat.entry) ? "" : ` from ${beat.entry}`
  return `loaded by OpenCode${version}${elsewhere} at ${AccountCommands.ago(beat.at)}`
}

const inspect = (env: Env, paths: Kit.Agent.StatePaths) =>
  Effect.gen(function* () {
    const files = OpenCodeConfig.inspect(OpenCodeConfig.configFiles(env))
    const registered = files.filter((file) => file.specs.length > 0)
    const broken = files.filter((file) => file.error !== null)
    const specs = [...new Set(registered.flatMap((file) => file.specs))]
    const checks = yield* Effect.forEach(specs, (spec) => Effect.map(loadable(spec, env), (load) => ({ spec, load })))
    const loads = checks.filter((check) => check.load.ok)
    const problems = checks.flatMap((check) => (check.load.ok ? [] : [`${check.spec}: ${check.load.reason}`]))
    const registeredFiles = specs.flatMap((spec) =>
      spec.startsWith("file:") ? [fileURLToPath(spec)] : spec.startsWith("/") ? [spec] : []
    )
    const text =
      registered.length === 0
        ? "not registered: run `opencode-sync setup` (adds this plugin to your opencode.json)"
        : `registered in ${registered.map((file) => `${file.path} (${file.specs.join(", ")})`).join("; ")}; ` +
          (loads.length > 0 ? heartbeatText(paths, registeredFiles) : "OpenCode cannot load it")
    const status: Kit.SessionSource.RegistrationStatus = {
      key: "plugin",
      active: loads.length > 0,
      text,
      details: [...problems, ...broken.map((file) => `${file.path} ${file.error}`)],
      json: {
        registered: registered.length > 0,
        loadable: loads.length > 0,
        files,
        checks: checks.map((check) => ({ spec: check.spec, ...check.load })),
        heartbeat: Kit.Install.heartbeat(paths) ?? null
      },
      fix:
        registered.length === 0
          ? "The plugin is not registered. Run `opencode-sync setup`."
          : "OpenCode cannot load the registered plugin. Run `opencode-sync setup` to register the one this CLI came with."
    }
    return status
  })

const asCliError = Effect.mapError(
  (error: { readonly message: string }) => new AccountCommands.CliError({ message: error.message })
)

const install = (env: Env) =>
  Effect.gen(function* () {
    const path = OpenCodeConfig.globalConfigFile(env)
    const spec = yield* chooseSpec(env)
    const present = OpenCodeConfig.inspect([path])[0]?.specs ?? []
    const checks = yield* Effect.forEach(present, (other) =>
      Effect.map(loadable(other, env), (load) => ({ other, load }))
    )
    const stale = checks.filter((check) => !check.load.ok)
    const result = yield* OpenCodeConfig.install(
      path,
      spec,
      stale.map((check) => check.other)
    ).pipe(asCliError)
    // Entries of ours OpenCode cannot load in the other files it reads (a project's opencode.json naming the npm
    // package, as the original plugin was installed): removed, the global file loads this install
    const elsewhere: Array<string> = []
    for (const other of OpenCodeConfig.inspect(OpenCodeConfig.configFiles(env))) {
      if (other.path === path) continue
      const ours = other.specs.filter(OpenCodeConfig.isOurSpec)
      const unloadable: Array<string> = []
      for (const candidate of ours) {
        const load = yield* loadable(candidate, env)
        if (!load.ok) unloadable.push(candidate)
      }
      if (unloadable.length === 0) continue
      const removed = yield* OpenCodeConfig.uninstall(other.path, (candidate) => unloadable.includes(candidate)).pipe(
        asCliError
      )
      if (removed.removed.length > 0) {
        elsewhere.push(
          `Removed ${removed.removed.join(", ")} from ${other.path}: OpenCode cannot load it, and ${path} loads this ` +
            `install${removed.deleted ? " (the file held nothing else: removed)" : ` (backup: ${other.path}.bak)`}.`
        )
      }
    }
    if (!result.changed) {
      return [
        `Already set up: ${path} loads ${present.join(", ")}.${elsewhere.length > 0 ? "" : " Nothing changed."}`,
        ...elsewhere
      ]
    }
    const replaced = stale.map((check) => `Replaced ${check.other} (${check.load.ok ? "" : check.load.reason}).`)
    return [
      result.created
        ? `Created ${path}: "plugin": ["${spec}"].`
        : `Added "${spec}" to the "plugin" list of ${path} (backup: ${path}.bak; everything else unchanged).`,
      ...replaced,
      ...elsewhere,
      'OpenCode loads it the next time it starts; `opencode-sync status` then says "loaded by OpenCode".'
    ]
  })

const uninstall = (env: Env) =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    for (const path of OpenCodeConfig.configFiles(env)) {
      const result = yield* OpenCodeConfig.uninstall(path)
      if (result.deleted) lines.push(`Removed ${path}: setup had created it and nothing else was in it.`)
      else if (result.removed.length > 0) {
        lines.push(
          `Removed ${result.removed.join(", ")} from ${path} (backup: ${path}.bak; everything else unchanged).`
        )
      }
    }
    return lines.length > 0 ? lines : ["Nothing to remove: no opencode.json(c) OpenCode reads loads the plugin."]
  }).pipe(asCliError)

/** The registration in the OpenCode config files of `env` (and the current directory's project). */
export const make = (env: Env): Kit.SessionSource.Registration => {
  const paths = Kit.Agent.paths(agent, env)
  return { inspect: inspect(env, paths), install: install(env), uninstall: uninstall(env) }
}
