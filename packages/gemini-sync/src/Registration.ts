/**
 * How gemini-sync is registered with Gemini CLI: command hooks in the user settings, `~/.gemini/settings.json`, which
 * may hold comments: edited in place (JSONC), every other setting and comment kept. Gemini CLI runs user-level hooks
 * in every project; it reads the file when it starts.
 */
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Kit } from "@opensync/client"
import * as JsoncFile from "@opensync/client/kit/JsoncFile"
import { agent, geminiDir } from "./Agent.js"
import * as Hooks from "./Hooks.js"

type Env = Readonly<Record<string, string | undefined>>

/** `dist/hook.cjs`, next to the CLI bundle. */
export const hookPath = () => fileURLToPath(new URL("./hook.cjs", import.meta.url))

/** `~/.gemini/settings.json`. */
export const settingsFile = (env: Env) => join(geminiDir(env), "settings.json")

/** The registration in the Gemini CLI settings of `env`. */
export const make = (env: Env): Kit.SessionSource.Registration =>
  Kit.HookRegistration.make({
    agent,
    paths: Kit.Agent.paths(agent, env),
    hookPath: hookPath(),
    settingsPath: settingsFile(env),
    events: Hooks.events,
    // Gemini CLI's hook timeouts are in milliseconds.
    handler: (_event, command) => ({ type: "command", command, timeout: 10_000 }),
    file: { load: JsoncFile.load, apply: JsoncFile.apply },
    afterInstall: ["Start a new Gemini CLI session to pick up the hooks (it reads settings.json when it starts)."]
  })
