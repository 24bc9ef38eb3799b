import { Event } from "@opensync/domain"
import { ConvexError, v } from "convex/values"
import * as Either from "effect/Either"
import { internalMutation } from "./_generated/server.js"
import { ingest } from "./lib/ingest.js"
import { compile } from "./lib/validators.js"

/** Ingestion mutations: decoded events in, the domain's pure ingestion applied with `ctx.db`, one transaction. */

/** An event as stored and sent (the encoded side of the domain's `Event`). */
export const eventValidator = compile(Event.Event)

const decode = (raw: ReadonlyArray<unknown>) =>
  raw.map((value, index) => {
    const decoded = Event.decodeUnknown(value)
    if (Either.isLeft(decoded)) {
      throw new ConvexError({ _tag: "BadRequest", error: `events[${index}] does not match the Event schema` })
    }
    return decoded.right
  })

const ids = v.array(v.string())
const ingestResult = v.object({ stored: ids, duplicates: ids, stale: ids, deleted: ids, deferred: v.array(v.number()) })

/** Applies a batch of events for a user: `{stored, duplicates, stale, deferred}` (see `lib/ingest.ts`). */
export const recordEvents = internalMutation({
  args: { userId: v.id("users"), events: v.array(eventValidator) },
  returns: ingestResult,
  handler: (ctx, { userId, events }) => ingest(ctx, userId, decode(events))
})

/** Applies one event. */
export const recordEvent = internalMutation({
  args: { userId: v.id("users"), event: eventValidator },
  returns: ingestResult,
  handler: (ctx, { userId, event }) => ingest(ctx, userId, decode([event]))
})
