import { Api, Message, ToolCall } from "@opensync/domain"
import { type PaginationOptions, type PaginationResult, paginationOptsValidator } from "convex/server"
import { v } from "convex/values"
import type * as Schema from "effect/Schema"
import { internal } from "./_generated/api.js"
import type { Id } from "./_generated/dataModel.js"
import { internalMutation, internalQuery, type QueryCtx } from "./_generated/server.js"
import { cleanupStep, deleteSessionDoc } from "./lib/deletion.js"
import { toMessage, toSummary, toToolCall } from "./lib/docs.js"
import { checkParams, ListParams, listSessions } from "./lib/list.js"
import { tuning } from "./lib/tuning.js"
import { compile, paginated } from "./lib/validators.js"

/** Session reads and deletion. Every function takes the caller's user id, established by `http.ts` or `lib/auth.ts`. */

const maxPageBytes = 8 * 1024 * 1024

export const listParams = compile(ListParams)

const summary = compile(Api.SessionSummary)
const sessionPage = v.object({ sessions: v.array(summary), nextCursor: v.union(v.string(), v.null()) })

type PaginationOpts = { readonly numItems: number; readonly cursor: string | null }

/** A page as Convex pages it, at most `tuning.detailPage` items (whatever a client asks) and 8 MiB. */
const pageOpts = (opts: PaginationOpts) => ({
  ...opts,
  numItems: Math.max(1, Math.min(Math.floor(opts.numItems), tuning.detailPage)),
  maximumBytesRead: maxPageBytes
})

/** One of the user's sessions by its id, or null. */
const findSession = (ctx: QueryCtx, userId: Id<"users">, id: string) =>
  ctx.db
    .query("sessions")
    .withIndex("by_session_id", (q) => q.eq("userId", userId).eq("id", id))
    .unique()

/**
 * The query of a page of a session's rows (messages, tool calls): of `rows`, bounded by `pageOpts`, each as `read`
 * reads it.
 */
const sessionRowsPage = <D, A extends I, I>(
  row: Schema.Schema<A, I>,
  read: (doc: D) => A,
  rows: (
    ctx: QueryCtx,
    sessionDoc: Id<"sessions">
  ) => { readonly paginate: (opts: PaginationOptions) => Promise<PaginationResult<D>> }
) =>
  internalQuery({
    args: { sessionDoc: v.id("sessions"), paginationOpts: paginationOptsValidator },
    returns: paginated(compile(row)),
    handler: async (ctx, { sessionDoc, paginationOpts }) => {
      const page = await rows(ctx, sessionDoc).paginate(pageOpts(paginationOpts))
      return { ...page, page: page.page.map(read) }
    }
  })

/** One page of the caller's sessions (see `lib/list.ts`). */
export const list = internalQuery({
  args: { userId: v.id("users"), params: listParams },
  returns: sessionPage,
  handler: (ctx, { userId, params }) => listSessions(ctx, userId, checkParams(params))
})

/** A session's summary and its document id, or null. */
export const head = internalQuery({
  args: { userId: v.id("users"), id: v.string() },
  returns: v.union(v.null(), v.object({ sessionDoc: v.id("sessions"), session: summary })),
  handler: async (ctx, { userId, id }) => {
    const doc = await findSession(ctx, userId, id)
    return doc === null ? null : { sessionDoc: doc._id, session: toSummary(doc) }
  }
})

/** A page of a session's messages, in order (created, then first stored). */
export const messagesPage = sessionRowsPage(Message.Message, toMessage, (ctx, sessionDoc) =>
  ctx.db.query("messages").withIndex("by_session_doc", (q) => q.eq("sessionDoc", sessionDoc))
)

/** A page of a session's tool calls, by start time then id. */
export const toolCallsPage = sessionRowsPage(ToolCall.ToolCall, toToolCall, (ctx, sessionDoc) =>
  ctx.db.query("toolCalls").withIndex("by_session_doc", (q) => q.eq("sessionDoc", sessionDoc))
)

/** A page of the sessions whose parent is `id`, by start time then id. */
export const childrenPage = internalQuery({
  args: { userId: v.id("users"), id: v.string(), paginationOpts: paginationOptsValidator },
  returns: paginated(summary),
  handler: async (ctx, { userId, id, paginationOpts }) => {
    const page = await ctx.db
      .query("sessions")
      .withIndex("by_parent", (q) => q.eq("userId", userId).eq("parentSessionId", id))
      .paginate(pageOpts(paginationOpts))
    return { ...page, page: page.page.map(toSummary) }
  }
})

/**
 * A page of the caller's session ids, by id (`GET /sync/sessions/list`): read from the one-id rows of `sessionIds`,
 * about 100 bytes each, not from the session documents.
 */
export const idsPage = internalQuery({
  args: { userId: v.id("users"), paginationOpts: paginationOptsValidator },
  returns: paginated(v.string()),
  handler: async (ctx, { userId, paginationOpts }) => {
    const page = await ctx.db
      .query("sessionIds")
      .withIndex("by_user", (q) => q.eq("userId", userId))
      .paginate({ ...paginationOpts, maximumBytesRead: maxPageBytes })
    return { ...page, page: page.page.map((doc) => doc.id) }
  }
})

/** Deletes one of the caller's sessions now (it disappears from every read and from the stats); rows follow. */
export const remove = internalMutation({
  args: { userId: v.id("users"), id: v.string() },
  returns: v.union(v.null(), v.object({ messages: v.number(), toolCalls: v.number() })),
  handler: async (ctx, { userId, id }) => {
    const doc = await findSession(ctx, userId, id)
    return doc === null ? null : await deleteSessionDoc(ctx, doc)
  }
})

/** Deletes a batch of a deleted session's rows, and schedules itself again until none are left. */
export const cleanup = internalMutation({
  args: { sessionDoc: v.id("sessions") },
  returns: v.null(),
  handler: async (ctx, { sessionDoc }) => {
    if (await cleanupStep(ctx, sessionDoc)) await ctx.scheduler.runAfter(0, internal.sessions.cleanup, { sessionDoc })
    return null
  }
})
