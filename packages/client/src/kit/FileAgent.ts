/**
 * What an agent whose record is a session file per session (Codex, Gemini CLI) shares: the hook payload
 * (`session_id`, `hook_event_name`, `transcript_path`, …) checked, a stored hook call decoded into its events and the
 * file to re-read, and the `import` side: the files changed since a date, one file as an item of the import loop,
 * and the closing summary. Pure, apart from the Effect a history item carries.
 */
import { Event } from "@opensync/domain"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Lenient from "../Lenient.js"
import type { Env } from "./Agent.js"
import * as CommandHook from "./CommandHook.js"
import * as LocalState from "./LocalState.js"
import {
  type Decoded,
  type HistoryItem,
  type ImportTotals,
  type InboxItem,
  type ItemEvents,
  SessionSource
} from "./SessionSource.js"

export interface HookInput {
  readonly sessionId: string
  readonly event: string
  readonly payload: Lenient.Json
}

/** One hook's stdin: a JSON object with `session_id` and `hook_event_name`; otherwise why it cannot be used. */
export const decodeHookInput = (stdin: string): HookInput | { readonly problem: string } => {
  if (stdin.trim() === "") return { problem: "hook stdin is empty" }
  let json: unknown
  try {
    json = JSON.parse(stdin)
  } catch (cause) {
    return { problem: `hook stdin is not JSON: ${cause instanceof Error ? cause.message : String(cause)}` }
  }
  if (!Lenient.isRecord(json)) return { problem: "hook stdin is not a JSON object" }
  const sessionId = Lenient.field(json, "session_id")
  if (sessionId === undefined) return { problem: "hook payload has no session_id" }
  const event = Lenient.field(json, "hook_event_name")
  if (event === undefined) return { problem: "hook payload has no hook_event_name" }
  return { sessionId, event, payload: json }
}

/** The file a hook's `transcript_path` names, when the hook is one of `rereadAfter` (the file has something new). */
export const transcriptToRead = (rereadAfter: ReadonlySet<string>, input: HookInput): string | undefined =>
  rereadAfter.has(input.event) ? Lenient.field(input.payload, "transcript_path") : undefined

/** A `SessionEnd` hook's event: the session ended at `base.at`, for the payload's `reason` when it gives one. */
export const sessionEndEvent = (
  base: { readonly source: string; readonly sessionId: string; readonly at: number },
  payload: Lenient.Json
): Event.EventEncoded => {
  const reason = Lenient.field(payload, "reason")
  const event: Omit<typeof Event.SessionEvent.Encoded, "id"> = {
    kind: "session",
    ...base,
    ...(reason !== undefined ? { endReason: reason } : {}),
    endedAt: base.at
  }
  return Event.make(event)
}

export interface HookDecoding {
  /** The inbox item format the agent's hook writes, and the agent's command (for the error messages). */
  readonly inboxVersion: number
  readonly cli: string
  /** The file to re-read after this hook, when it names one. */
  readonly fileToRead: (input: HookInput) => string | undefined
  /** The events one hook call yields; `receivedAt` is when the hook stored it. */
  readonly eventsFromHook: (input: HookInput, receivedAt: number) => ReadonlyArray<Event.EventEncoded>
}

/** A stored hook call into its events and the file to re-read. */
export const hookDecoder =
  (decoding: HookDecoding) =>
  (item: InboxItem): Decoded => {
    const parsed = CommandHook.parseItem(item.text, item.mtimeMs, decoding.inboxVersion, decoding.cli)
    if (parsed._tag === "Unreadable") return parsed
    const { hook, receivedAt, stdin } = parsed.stored
    const input = decodeHookInput(stdin)
    if ("problem" in input) return { _tag: "Unreadable", reason: `${hook}: ${input.problem}` }
    const file = decoding.fileToRead(input)
    return {
      _tag: "Decoded",
      events: decoding.eventsFromHook(input, receivedAt),
      followUps: file === undefined ? [] : [{ sessionId: input.sessionId, path: file }]
    }
  }

/** A session file found on disk. */
export interface SessionFile {
  readonly path: string
  readonly sessionId: string
  readonly size: number
  readonly mtimeMs: number
}

/** The files changed since `since` (all of them without it). */
export const filesSince = <F extends { readonly mtimeMs: number }>(
  files: ReadonlyArray<F>,
  since: number | undefined
): ReadonlyArray<F> => files.filter((file) => since === undefined || file.mtimeMs >= since)

/** One session file as an item of the kit's import loop: not read again while its time and size stay the same. */
export const historyItem = <E>(file: SessionFile, read: Effect.Effect<ItemEvents, E>): HistoryItem<never> => ({
  sessionId: file.sessionId,
  label: file.path,
  size: file.size,
  changedAt: file.mtimeMs,
  key: file.path,
  version: `${file.mtimeMs}:${file.size}`,
  read: read.pipe(Effect.catchAll((reason) => Effect.succeed({ ok: false, reason: `unreadable: ${reason}` } as const)))
})

/** What `import` says when it is done. */
export const importSummary = (totals: ImportTotals): string =>
  `Imported ${totals.sessions} session(s) from ${totals.items} file(s) ` +
  `(${(totals.bytes / 1048576).toFixed(1)} MB): ${totals.events} event(s) queued, ` +
  `${totals.skipped.length} file(s) skipped, ${totals.malformed} malformed line(s).`

/** An agent's session source, made from the environment the kit runs it in. */
export const sourceLayer = (make: (env: Env) => Context.Tag.Service<typeof SessionSource>) =>
  Layer.effect(
    SessionSource,
    Effect.map(LocalState.LocalState, ({ env }) => SessionSource.of(make(env)))
  )
