/**
 * Claude Code as a session source of the agent kit: hook payloads (stored by `hook.ts`) become events and name the
 * transcripts to re-read at the end of a turn; `import` reads every transcript Claude Code keeps; the hooks are
 * registered by the plugin or in settings.json.
 */
import { stat } from "node:fs/promises"
import { resolve } from "node:path"
import { Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { agent, inboxVersion } from "./Agent.js"
import * as Discover from "./Discover.js"
import * as Hooks from "./Hooks.js"
import * as Import from "./Import.js"
import * as Registration from "./Registration.js"
import * as SessionEndBudget from "./SessionEndBudget.js"
import * as Settings from "./Settings.js"
import * as Telemetry from "./Telemetry.js"
import * as Transcript from "./transcript/index.js"

const { FollowUpFailed, SessionSource } = Kit.SessionSource
type Decoded = Kit.SessionSource.Decoded

/** A stored payload: a header line (`{hook, receivedAt}`), then the hook's stdin as Claude Code sent it. */
export const decode = (item: Kit.SessionSource.InboxItem, options: Kit.SessionSource.MappingOptions): Decoded => {
  const parsed = Kit.CommandHook.parseItem(item.text, item.mtimeMs, inboxVersion, agent.source.cli)
  if (parsed._tag === "Unreadable") return parsed
  const { hook, receivedAt, stdin } = parsed.stored
  const input = Hooks.decodeHookInput(stdin)
  if (Either.isLeft(input)) return { _tag: "Unreadable", reason: `${hook}: ${input.left.message}` }
  const events = Hooks.eventsFromHook(input.right, { now: receivedAt, syncToolCalls: options.syncToolCalls })
  const transcript = Hooks.transcriptToRead(input.right)
  const followUps = transcript === undefined ? [] : [{ ...transcript, sessionId: input.right.session_id }]
  return { _tag: "Decoded", events, followUps }
}

/** Re-reads a transcript (a subagent's when the follow-up names one) into the session's events. */
const followUp = (followUp: Kit.SessionSource.FollowUp, options: Kit.SessionSource.MappingOptions) =>
  Transcript.readTranscriptFile(followUp.path).pipe(
    Effect.mapError((error) => new FollowUpFailed({ path: followUp.path, reason: error.message })),
    Effect.map((parsed) => {
      const agentId = followUp.agentId
      const session = Transcript.readSession(parsed.lines, {
        syncThinking: options.syncThinking,
        ...(agentId === undefined ? {} : { source: "subagent" as const, agentId })
      })
      return Transcript.toEvents(session, {
        sessionId: followUp.sessionId,
        source: agent.source.id,
        syncToolCalls: options.syncToolCalls,
        ...(agentId === undefined ? {} : { agentId })
      })
    })
  )

/** A follow-up as an item of the kit's import loop, so a turn's sync reads only what the turn appended. */
const followUpItem = (followUp: Kit.SessionSource.FollowUp, options: Kit.SessionSource.MappingOptions) =>
  Effect.tryPromise({
    try: () => stat(followUp.path),
    catch: (cause) =>
      new FollowUpFailed({ path: followUp.path, reason: cause instanceof Error ? cause.message : String(cause) })
  }).pipe(
    Effect.map((stats) =>
      Import.historyItem(
        {
          path: resolve(followUp.path),
          kind: followUp.agentId === undefined ? "main" : "subagent",
          sessionId: followUp.sessionId,
          agentId: followUp.agentId ?? null,
          size: stats.size,
          mtimeMs: stats.mtimeMs
        },
        options
      )
    )
  )

/** Claude Code's session source in the kit's environment. */
export const layer = Layer.effect(
  SessionSource,
  Effect.map(Kit.LocalState.LocalState, ({ env }) =>
    SessionSource.of({
      decode,
      followUp,
      followUpItem,
      history: (options) =>
        Effect.map(Import.discover(env), (files) => {
          const kept = Import.filesSince(files, options.since)
          const older = Kit.ImportText.olderThan(files.length, kept.length, options.since)
          return {
            items: kept.map((file) => Import.historyItem(file, options)),
            where: Discover.where(env),
            summary: (totals: Kit.SessionSource.ImportTotals) => Discover.summary(totals, env, older)
          }
        }),
      registration: Registration.make(env),
      telemetry: Telemetry.make(env),
      hostSettings: SessionEndBudget.make(env),
      retention: Effect.sync(() => {
        const path = Settings.settingsPath(env)
        return { days: Settings.cleanupPeriodDays(path), setting: `cleanupPeriodDays in ${path}` }
      })
    })
  )
)
