/**
 * Codex as a session source of the agent kit: hook payloads (stored by `hook.ts`) give the session's start and end
 * and name the session file to re-read after each turn; `import` reads every session file Codex keeps; the hooks are
 * registered in `$CODEX_HOME/hooks.json`.
 */
import { join } from "node:path"
import { Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import { agent, codexHome, inboxVersion } from "./Agent.js"
import * as History from "./History.js"
import * as Hooks from "./Hooks.js"
import * as Registration from "./Registration.js"

const { FollowUpFailed } = Kit.SessionSource

/** A stored hook call into its events and the session file to re-read. */
export const decode = Kit.FileAgent.hookDecoder({
  inboxVersion,
  cli: agent.source.cli,
  fileToRead: Hooks.sessionFileToRead,
  eventsFromHook: Hooks.eventsFromHook
})

/** Re-reads a session file into its session's events, and the files of the subagents it spawned. */
const followUp = (followUp: Kit.SessionSource.FollowUp, options: Kit.SessionSource.MappingOptions) =>
  Effect.gen(function* () {
    const read = yield* History.readSessionFile(followUp.path, followUp.sessionId, options).pipe(
      Effect.mapError((reason) => new FollowUpFailed({ path: followUp.path, reason }))
    )
    if (read.session.id === null) return read.events
    const theirs = yield* History.subagentEvents(followUp.path, read.session.id, options)
    return [...read.events, ...theirs]
  })

/** Codex's session source in the kit's environment. */
export const layer = Kit.FileAgent.sourceLayer((env) => ({
  decode,
  followUp,
  history: (options) =>
    Effect.map(History.discover(env), (files) => ({
      items: Kit.FileAgent.filesSince(files, options.since).map((file) => History.historyItem(file, options)),
      where: `${join(codexHome(env), "sessions")}, ${join(codexHome(env), "archived_sessions")}`,
      summary: Kit.FileAgent.importSummary
    })),
  registration: Registration.make(env)
}))
