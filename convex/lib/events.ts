import { Event } from "@opensync/domain"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { approximateBytes } from "./docs.js"
import { describe } from "./http.js"
import { tuning } from "./tuning.js"

/** Request-side handling of `/sync/events`: per-event decoding and splitting into mutation-sized batches. */

export interface Rejection {
  readonly index: number
  readonly id: string | null
  readonly error: string
}

/** Decodes each event on its own: a bad one is rejected with a reason, the rest go on (as the local server). */
export const decodeEvents = (raw: ReadonlyArray<unknown>) => {
  const events: Array<Event.Event> = []
  const rejected: Array<Rejection> = []
  for (const [index, value] of raw.entries()) {
    const record =
      typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null
    const id = typeof record?.id === "string" ? record.id : null
    if (record === null) {
      rejected.push({ index, id, error: "event must be a JSON object" })
      continue
    }
    if (!Event.kinds.includes(record.kind as never)) {
      const error = `unknown event kind ${JSON.stringify(record.kind ?? null)}; expected one of ${Event.kinds.join(", ")}`
      rejected.push({ index, id, error })
      continue
    }
    const decoded = Event.decodeUnknown(value)
    if (Either.isLeft(decoded)) {
      const issue = describe(decoded.left)
      rejected.push({ index, id, error: issue.where.length === 0 ? issue.message : `${issue.where}: ${issue.message}` })
    } else events.push(decoded.right)
  }
  return { events, rejected }
}

const encode = Schema.encodeSync(Event.Event)

/** Encoded events, split in order into batches of at most `tuning.mutationEvents` events and `tuning.mutationBytes` bytes. */
export const batches = (events: ReadonlyArray<Event.Event>): Array<Array<Event.EventEncoded>> => {
  const out: Array<Array<Event.EventEncoded>> = []
  let current: Array<Event.EventEncoded> = []
  let bytes = 0
  for (const event of events) {
    const encoded = encode(event)
    const size = approximateBytes(encoded)
    if (current.length > 0 && (current.length >= tuning.mutationEvents || bytes + size > tuning.mutationBytes)) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(encoded)
    bytes += size
  }
  if (current.length > 0) out.push(current)
  return out
}
