/**
 * Gemini CLI as a session source of the agent kit: hook payloads (stored by `hook.ts`) give the session's start and
 * end and name the chat file to re-read after each turn; `import` reads every chat file Gemini CLI keeps; the hooks
 * are registered in `~/.gemini/settings.json`; chats Gemini CLI is about to delete are sent first.
 */
import { join } from "node:path"
import { Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import { agent, geminiDir, inboxVersion } from "./Agent.js"
import * as History from "./History.js"
import * as Hooks from "./Hooks.js"
import * as Registration from "./Registration.js"
import * as Retention from "./Retention.js"

const { FollowUpFailed } = Kit.SessionSource

/** A stored hook call into its events and the chat file to re-read. */
export const decode = Kit.FileAgent.hookDecoder({
  inboxVersion,
  cli: agent.source.cli,
  fileToRead: Hooks.chatFileToRead,
  eventsFromHook: Hooks.eventsFromHook
})

/** Gemini CLI's session source in the kit's environment. */
export const layer = Kit.FileAgent.sourceLayer((env) => {
  const retention = Retention.retention(Registration.settingsFile(env))
  return {
    decode,
    followUp: (followUp, options) =>
      Effect.gen(function* () {
        const read = yield* History.readChatFile(followUp.path, followUp.sessionId, options, env).pipe(
          Effect.mapError((reason) => new FollowUpFailed({ path: followUp.path, reason }))
        )
        // The session's subagents write chats of their own, which no hook names.
        const subagents = yield* History.subagentChatsOf(followUp.path, read.session.id ?? followUp.sessionId)
        const theirs = yield* Effect.forEach(subagents, (path) =>
          History.readChatFile(path, path, options, env).pipe(
            Effect.map((sub) => sub.events),
            Effect.mapError((reason) => new FollowUpFailed({ path, reason }))
          )
        )
        return [...read.events, ...theirs.flat()]
      }),
    history: (options) =>
      Effect.map(History.discover(env), (files) => ({
        items: Kit.FileAgent.filesSince(files, options.since).map((file) => History.historyItem(file, options, env)),
        where: join(geminiDir(env), "tmp"),
        summary: Kit.FileAgent.importSummary
      })),
    registration: Registration.make(env),
    retention
  }
})
