/**
 * Codex as a session source of the agent kit: hook payloads (stored by `hook.ts`) give the session's start and end
 * and name the session file to re-read after each turn (with the files of the subagents it spawned); `import` reads
 * every session file Codex keeps; the hooks are registered in `$CODEX_HOME/hooks.json`.
 */
import { Kit } from "@opensync/client"
import { agent, inboxVersion } from "./Agent.js"
import * as History from "./History.js"
import * as Hooks from "./Hooks.js"
import * as Registration from "./Registration.js"

/** A stored hook call into its events and the session file to re-read. */
export const decode = Kit.FileAgent.hookDecoder(agent, inboxVersion, Hooks)

/** Codex's session source in the kit's environment. */
export const layer = Kit.FileAgent.sourceLayer(decode, (env) => ({
  files: History.files(env),
  registration: Registration.make(env)
}))
