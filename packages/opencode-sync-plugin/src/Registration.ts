/**
 * How opencode-sync is registered with OpenCode: the `"plugin"` list of an `opencode.json(c)` it reads. What `status`,
 * `verify`, `setup` and `uninstall` say.
 */
import { AccountCommands, type Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as OpenCodeConfig from "./OpenCodeConfig.js"

type Env = Readonly<Record<string, string | undefined>>

const inspect = (env: Env) =>
  Effect.sync((): Kit.SessionSource.RegistrationStatus => {
    const files = OpenCodeConfig.inspect(OpenCodeConfig.configFiles(env))
    const registered = files.filter((file) => file.specs.length > 0)
    const broken = files.filter((file) => file.error !== null)
    return {
      key: "plugin",
      active: registered.length > 0,
      text:
        registered.length > 0
          ? `registered in ${registered.map((file) => `${file.path} (${file.specs.join(", ")})`).join("; ")}`
          : 'not registered: run `opencode-sync setup` (adds "opencode-sync-plugin" to your opencode.json)',
      details: broken.map((file) => `${file.path} ${file.error}`),
      json: { registered: registered.length > 0, files },
      fix: "The plugin is not registered. Run `opencode-sync setup`."
    }
  })

const asCliError = Effect.mapError(
  (error: { readonly message: string }) => new AccountCommands.CliError({ message: error.message })
)

const install = (env: Env) =>
  Effect.gen(function* () {
    const path = OpenCodeConfig.globalConfigFile(env)
    const result = yield* OpenCodeConfig.install(path)
    return !result.changed
      ? [`Already set up: ${path} loads ${OpenCodeConfig.PACKAGE}. Nothing changed.`]
      : [
          `${result.created ? "Created" : "Added the plugin to"} ${path}: "plugin": ["${OpenCodeConfig.PACKAGE}"]` +
            `${result.created ? "" : ` (backup: ${path}.bak; everything else unchanged)`}.`,
          "OpenCode installs the plugin the next time it starts."
        ]
  }).pipe(asCliError)

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
export const make = (env: Env): Kit.SessionSource.Registration => ({
  inspect: inspect(env),
  install: install(env),
  uninstall: uninstall(env)
})
