import { Event } from "@opensync/domain"
import * as Schema from "effect/Schema"
import { approximateBytes } from "./docs.js"
import { tuning } from "./tuning.js"

/** Splitting decoded events into mutation-sized batches (decoding itself is `Batch.decodeEvents`). */

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
