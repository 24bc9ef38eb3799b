/**
 * Gemini CLI as a session source of the agent kit: hook payloads (stored by `hook.ts`) give the session's start and
 * end and name the chat file to re-read after each turn (with the chats of the subagents it started); `import` reads
 * every chat file Gemini CLI keeps; the hooks are registered in `~/.gemini/settings.json`; chats Gemini CLI is about
 * to delete are sent first.
 */
import { Kit } from "@opensync/client"
import { agent, inboxVersion } from "./Agent.js"
import * as History from "./History.js"
import * as Hooks from "./Hooks.js"
import * as Registration from "./Registration.js"
import * as Retention from "./Retention.js"

/** A stored hook call into its events and the chat file to re-read. */
export const decode = Kit.FileAgent.hookDecoder(agent, inboxVersion, Hooks)

/** Gemini CLI's session source in the kit's environment. */
export const layer = Kit.FileAgent.sourceLayer(decode, (env) => ({
  files: History.files(env),
  registration: Registration.make(env),
  retention: Retention.retention(Registration.settingsFile(env))
}))
