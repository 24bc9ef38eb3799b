/**
 * OpenCode as a session source of the agent kit: the snapshots the plugin spooled at the end of each turn become
 * events through the same mapping as `import`, which reads OpenCode's own store; the plugin is registered in
 * opencode.json(c).
 */
import { AccountCommands, Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Import from "./Import.js"
import * as Mapping from "./Mapping.js"
import * as Registration from "./Registration.js"
import * as Sessions from "./Sessions.js"
import * as Snapshot from "./Snapshot.js"

const { SessionSource } = Kit.SessionSource

/**
 * The session in OpenCode's database that a numbered snapshot (`part`) brings up to its update time: what `import`
 * would read of it, under the same key and version (`Sessions`). OpenCode keeps live sessions in `opencode.db`; a
 * session of the legacy JSON store has another key, which this never matches.
 */
const readOf = (snapshot: Snapshot.SessionSnapshot): Kit.SessionSource.Decoded.Read | undefined => {
  const updated = (snapshot.info?.time as { readonly updated?: unknown } | undefined)?.updated
  if (snapshot.part === undefined || typeof updated !== "number" || !Number.isFinite(updated)) return undefined
  const ref = { id: snapshot.sessionId, updatedAt: updated, store: "sqlite" } as const
  return {
    sessionId: snapshot.sessionId,
    key: Sessions.keyOf(ref),
    version: Sessions.versionOf(ref),
    part: snapshot.part
  }
}

/** One spooled snapshot: `{v, spooledAt, snapshot}`; it asks for nothing to be re-read. */
export const decode = (
  item: Kit.SessionSource.InboxItem,
  options: Kit.SessionSource.MappingOptions
): Kit.SessionSource.Decoded =>
  Either.match(Snapshot.decodeSpoolFile(item.text), {
    onLeft: (reason) => ({ _tag: "Unreadable", reason }),
    onRight: ({ snapshot }) => {
      const read = readOf(snapshot)
      return {
        _tag: "Decoded",
        events: Mapping.toEvents(snapshot, options),
        followUps: [],
        ...(read === undefined ? {} : { read })
      }
    }
  })

const asCliError = <A, R>(effect: Effect.Effect<A, { readonly message: string }, R>) =>
  Effect.mapError(effect, (error) => new AccountCommands.CliError({ message: error.message }))

/** OpenCode's session source in the kit's environment. */
export const layer = Layer.effect(
  SessionSource,
  Effect.map(Kit.LocalState.LocalState, ({ env }) =>
    SessionSource.of({
      decode,
      followUp: () => Effect.succeed([]),
      history: (options) =>
        asCliError(
          Effect.map(Import.open({ ...options, env }), ({ history }) => ({
            ...history,
            items: history.items.map((item) =>
              Kit.SessionSource.mapItemError(item, (error) => new AccountCommands.CliError({ message: error.message }))
            )
          }))
        ),
      registration: Registration.make(env)
    })
  )
)
