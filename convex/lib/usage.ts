import { Batch, type Request } from "@opensync/domain"
import type { Doc, Id } from "../_generated/dataModel.js"
import type { MutationCtx } from "../_generated/server.js"

/**
 * The Convex side of reconciliation: the per-request rows (`apiRequests`, one per session document × API request id).
 * The domain (`Batch.apply`) decides what they hold; this module reads and writes them for `lib/ingest.ts`.
 */

export const toRequest = (doc: Doc<"apiRequests">): Request.ApiRequest => {
  const { _id, _creationTime, userId: _u, sessionDoc: _s, ...rest } = doc
  return rest as Request.ApiRequest
}

/** The stored rows of these requests (by `Batch.rowKey`), of sessions that have a document. */
export const loadRequests = async (
  ctx: MutationCtx,
  sessionDocs: ReadonlyMap<string, Id<"sessions">>,
  keys: ReadonlyArray<readonly [string, string]>
) => {
  const docs = new Map<string, Doc<"apiRequests">>()
  for (const [sessionId, id] of keys) {
    const sessionDoc = sessionDocs.get(sessionId)
    if (sessionDoc === undefined) continue
    const found = await ctx.db
      .query("apiRequests")
      .withIndex("by_request", (q) => q.eq("sessionDoc", sessionDoc).eq("id", id))
      .unique()
    if (found !== null) docs.set(Batch.rowKey(sessionId, id), found)
  }
  return docs
}

/** Writes the rows `Batch.apply` changed; a null row is deleted. */
export const writeRequests = async (
  ctx: MutationCtx,
  userId: Id<"users">,
  sessionDocs: ReadonlyMap<string, Id<"sessions">>,
  existing: ReadonlyMap<string, Doc<"apiRequests">>,
  changed: ReadonlyMap<string, Request.ApiRequest | null>
) => {
  for (const [k, row] of changed) {
    const doc = existing.get(k)
    if (row === null) {
      if (doc !== undefined) await ctx.db.delete(doc._id)
      continue
    }
    const sessionDoc = sessionDocs.get(row.sessionId)!
    if (doc !== undefined) await ctx.db.replace(doc._id, { ...row, userId, sessionDoc })
    else await ctx.db.insert("apiRequests", { ...row, userId, sessionDoc })
  }
}
