/**
 * What the plugin keeps of a session and writes to the inbox at the end of a turn: the shape `opencode export` and
 * OpenCode's store give (`{info, messages: [{info, parts}]}`), and the inbox file around it. The plugin builds these
 * with plain TypeScript (its bundle carries no Effect); the sync decodes inbox files with these schemas.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** A JSON object as OpenCode sends it; read leniently by the mapping. */
export const Json = Schema.Record({ key: Schema.String, value: Schema.Unknown })
export type Json = typeof Json.Type

/** One message with its parts, as in `opencode export` (parts ordered by id, which OpenCode makes time-ordered). */
export const MessageSnapshot = Schema.Struct({ info: Json, parts: Schema.Array(Json) })
export type MessageSnapshot = typeof MessageSnapshot.Type

/**
 * What a sync needs of one session: its metadata (when seen) and the messages that changed. `part`: the plugin saw the
 * session created, and this is its n-th snapshot since (1, 2, …), so with the n - 1 before it, it holds all of the
 * session; a sync that queued all n knows the session whole (a lost one breaks the count). Without it (an older
 * plugin, a session the plugin met on its way) a snapshot holds what changed, and nothing more is known.
 */
export const SessionSnapshot = Schema.Struct({
  sessionId: Schema.String,
  info: Schema.NullOr(Json),
  messages: Schema.Array(MessageSnapshot),
  part: Schema.optional(Schema.Int.pipe(Schema.positive()))
})
export type SessionSnapshot = typeof SessionSnapshot.Type

/** The inbox file format's version; a newer plugin still reads every version listed in `SpoolFile`. */
export const SPOOL_VERSION = 1

/** One inbox file: `{v, spooledAt, snapshot}`. */
export const SpoolFile = Schema.Struct({
  v: Schema.Literal(SPOOL_VERSION),
  spooledAt: Schema.Number,
  snapshot: SessionSnapshot
})
export type SpoolFile = typeof SpoolFile.Type

const decodeSpool = Schema.decodeUnknownEither(Schema.parseJson(SpoolFile))

/** The snapshot in an inbox file's text, or why it cannot be used. */
export const decodeSpoolFile = (text: string): Either.Either<SpoolFile, string> =>
  Either.mapLeft(
    decodeSpool(text),
    (error) => `not a session snapshot: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
  )
