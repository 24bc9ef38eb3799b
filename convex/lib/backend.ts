import * as Cursor from "@opensync/backend/Cursor"
import { ExportFiles } from "@opensync/backend/ExportFiles"
import type { KeyOwner } from "@opensync/backend/Keys"
import { Keys } from "@opensync/backend/Keys"
import { ServerInfo } from "@opensync/backend/ServerInfo"
import { type IngestResult, InvalidCursor, SessionStore, StorageError } from "@opensync/backend/SessionStore"
import { SignIns } from "@opensync/backend/SignIns"
import * as Throttle from "@opensync/backend/Throttle"
import { type Api, type Event, type Ids, type Rollup, SignIn, Stats } from "@opensync/domain"
import { ConvexError } from "convex/values"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { internal } from "../_generated/api.js"
import type { Id } from "../_generated/dataModel.js"
import type { ActionCtx } from "../_generated/server.js"
import { lastUsedResolutionMs } from "../apiKeys.js"
import { batches } from "./events.js"
import { sumToolRows, sumUsageRows } from "./rollups.js"
import { tuning } from "./tuning.js"
import { version } from "./version.js"

/**
 * The Convex adapters of the backend's ports (`@opensync/backend`): each method runs Convex queries and mutations
 * through the action context of the HTTP request being answered, which `http.ts` passes with the request.
 */

/** The action context of the current HTTP request. */
export class ConvexCtx extends Context.Tag("@opensync/convex/ConvexCtx")<ConvexCtx, ActionCtx>() {}

/** A ConvexError the functions throw for a client's input, with the contract's error tag. */
const clientTags = new Set(["BadRequest", "PayloadTooLarge"])
const clientError = (cause: unknown): string | undefined => {
  if (!(cause instanceof ConvexError)) return undefined
  const data = cause.data as { _tag?: unknown; error?: unknown }
  return typeof data?._tag === "string" && clientTags.has(data._tag) && typeof data.error === "string"
    ? data.error
    : undefined
}

const isFull = (cause: unknown) => /storage (quota|limit)|disk is full|ENOSPC/i.test(String(cause))

/** Runs `f` with the request's action context; a thrown error is a `StorageError`. */
const run = <A>(f: (ctx: ActionCtx) => Promise<A>): Effect.Effect<A, StorageError> =>
  Effect.flatMap(Effect.serviceOption(ConvexCtx), (ctx) =>
    Option.isNone(ctx)
      ? Effect.dieMessage("a Convex adapter was used outside an HTTP action")
      : Effect.tryPromise({
          try: () => f(ctx.value),
          catch: (cause) => new StorageError({ reason: isFull(cause) ? "full" : "failure", cause })
        })
  )

const asUser = (userId: Ids.UserId) => userId as unknown as Id<"users">

interface Page<T> {
  readonly page: Array<T>
  readonly isDone: boolean
  readonly continueCursor: string
}

/** Reads every page of a paginated query (each call stays within one function's read limits). */
const allPages = async <T>(read: (cursor: string | null) => Promise<Page<T>>): Promise<Array<T>> => {
  const out: Array<T> = []
  let cursor: string | null = null
  for (;;) {
    const page: Page<T> = await read(cursor)
    out.push(...page.page)
    if (page.isDone) return out
    cursor = page.continueCursor
  }
}

/** Drops `undefined` members, which are not Convex values. */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T

/**
 * Applies events in mutation-sized batches; events a mutation defers (its read budget ran out) go to the next. A batch
 * a mutation refuses for a client's input (a session past Convex's per-document limits) is split until the refused
 * event is alone, so the others are stored.
 */
const ingest = async (ctx: ActionCtx, userId: Id<"users">, events: ReadonlyArray<Event.Event>) => {
  const result = {
    stored: [] as Array<Ids.EventId>,
    duplicates: [] as Array<Ids.EventId>,
    stale: [] as Array<Ids.EventId>,
    deleted: [] as Array<Ids.EventId>,
    refused: [] as Array<{ id: Ids.EventId; error: string }>
  }
  const queue = batches(events)
  for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) {
    const sent = batch
    const part = await ctx.runMutation(internal.sync.recordEvents, { userId, events: sent }).catch((cause) => {
      const error = clientError(cause)
      if (error === undefined) throw cause
      return error
    })
    if (typeof part === "string") {
      if (sent.length === 1) result.refused.push({ id: sent[0]!.id as Ids.EventId, error: part })
      else queue.unshift(sent.slice(0, sent.length >> 1), sent.slice(sent.length >> 1))
      continue
    }
    result.stored.push(...part.stored)
    result.duplicates.push(...part.duplicates)
    result.stale.push(...part.stale)
    result.deleted.push(...part.deleted)
    if (part.deferred.length > 0) queue.unshift(part.deferred.map((index) => sent[index]!))
  }
  return result satisfies IngestResult
}

const detailOf = async (ctx: ActionCtx, userId: Id<"users">, id: string): Promise<Api.SessionDetail | null> => {
  const head = await ctx.runQuery(internal.sessions.head, { userId, id })
  if (head === null) return null
  const pageSize = tuning.detailPage
  const messages = await allPages((cursor) =>
    ctx.runQuery(internal.sessions.messagesPage, {
      sessionDoc: head.sessionDoc,
      paginationOpts: { numItems: pageSize, cursor }
    })
  )
  const toolCalls = await allPages((cursor) =>
    ctx.runQuery(internal.sessions.toolCallsPage, {
      sessionDoc: head.sessionDoc,
      paginationOpts: { numItems: pageSize, cursor }
    })
  )
  const children = await allPages((cursor) =>
    ctx.runQuery(internal.sessions.childrenPage, { userId, id, paginationOpts: { numItems: pageSize, cursor } })
  )
  return { session: head.session, messages, toolCalls, children } as Api.SessionDetail
}

const listPage = (ctx: ActionCtx, userId: Id<"users">, params: Api.ListSessionsParams): Promise<Api.SessionPage> =>
  ctx.runQuery(internal.sessions.list, { userId, params: defined({ ...params }) }) as Promise<Api.SessionPage>

type StatsFilter = { by: "day" } | { by: "source" | "project" | "model"; value: string }

/**
 * Stats from the rollups: each table read through the index of the most selective filter (project, then model, then
 * source) with the day range, so only rows that can match are read; rows of one key are summed (see `rollups.ts`).
 */
const stats = async (ctx: ActionCtx, userId: Id<"users">, range: Stats.Range, filters: Api.SessionFilters) => {
  const bounds = { userId, first: range.firstDay, last: range.lastDay }
  const keep = (row: { source: string; project: string; model?: string }) =>
    (filters.source === undefined || row.source === filters.source) &&
    (filters.project === undefined || row.project === filters.project) &&
    (filters.model === undefined || row.model === undefined || row.model === filters.model)
  const by = (order: ReadonlyArray<"project" | "model" | "source">): StatsFilter => {
    for (const name of order) {
      const value = filters[name]
      if (value !== undefined) return { by: name, value }
    }
    return { by: "day" }
  }
  const usageRows = (table: "usageRollup" | "usageByModel" | "usageByProject", filter: StatsFilter) =>
    allPages<Rollup.UsageRow>((cursor) =>
      ctx.runQuery(internal.stats.usagePage, {
        ...bounds,
        table,
        filter,
        paginationOpts: { numItems: tuning.readPage, cursor }
      })
    ).then((rows) => sumUsageRows(rows).filter(keep))
  // In the order the local server's GROUP BY yields them, so ties in the sorted lists come out the same.
  const byKey = (key: (row: Rollup.UsageRow) => string) => (a: Rollup.UsageRow, b: Rollup.UsageRow) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0
  const usage = (
    await usageRows(
      filters.project === undefined ? "usageByModel" : "usageRollup",
      by(filters.project === undefined ? ["model", "source"] : ["project", "model", "source"])
    )
  ).sort(byKey((row) => `${row.day}\u0000${row.source}\u0000${row.model}\u0000${row.project}`))
  const projects = (
    await usageRows(
      filters.model === undefined ? "usageByProject" : "usageRollup",
      by(filters.model === undefined ? ["project", "source"] : ["project", "model", "source"])
    )
  ).sort(byKey((row) => `${row.project}\u0000${row.day}\u0000${row.source}\u0000${row.model}`))
  // The first page chooses the table (`stats.toolPage`); the others are read from it.
  let toolTable: "toolRollup" | "toolByDay" | undefined
  const tools =
    filters.model === undefined
      ? sumToolRows(
          await allPages<Rollup.ToolRow>(async (cursor) => {
            const page = await ctx.runQuery(internal.stats.toolPage, {
              ...bounds,
              ...(toolTable === undefined ? {} : { table: toolTable }),
              filter: by(["project", "source"]),
              paginationOpts: { numItems: tuning.readPage, cursor }
            })
            toolTable = page.table
            return page
          })
        ).filter(keep)
      : []
  return Stats.fromRows(range, usage, tools, projects)
}

/** `GET /api/facets`: the coarse rollups of all time, page by page (each page summed by the query), then `Stats.facets`. */
const facets = async (ctx: ActionCtx, userId: Id<"users">) => {
  const rows = (table: "usageByModel" | "usageByProject") =>
    allPages<Rollup.UsageRow>((cursor) =>
      ctx.runQuery(internal.stats.facetsPage, { userId, table, paginationOpts: { numItems: tuning.readPage, cursor } })
    )
  return Stats.facets(await rows("usageByModel"), await rows("usageByProject"))
}

const store = SessionStore.of({
  ingest: (userId, events) => run((ctx) => ingest(ctx, asUser(userId), events)),
  list: (userId, params) =>
    params.cursor !== undefined && Cursor.decode(params.cursor) === undefined
      ? Effect.fail(new InvalidCursor({ cursor: params.cursor }))
      : run((ctx) => listPage(ctx, asUser(userId), params)),
  get: (userId, id) =>
    Effect.map(
      run((ctx) => detailOf(ctx, asUser(userId), id)),
      Option.fromNullable
    ),
  remove: (userId, id) =>
    Effect.map(
      run((ctx) => ctx.runMutation(internal.sessions.remove, { userId: asUser(userId), id })),
      Option.fromNullable
    ),
  removeAll: (userId) => run((ctx) => ctx.runMutation(internal.data.deleteAll, { userId: asUser(userId) })),
  removal: (userId) => run((ctx) => ctx.runQuery(internal.data.status, { userId: asUser(userId) })),
  ids: (userId) =>
    run((ctx) =>
      allPages((cursor) =>
        ctx.runQuery(internal.sessions.idsPage, {
          userId: asUser(userId),
          paginationOpts: { numItems: tuning.readPage, cursor }
        })
      )
    ),
  stats: (userId, range, filters) => run((ctx) => stats(ctx, asUser(userId), range, filters)),
  facets: (userId) => run((ctx) => facets(ctx, asUser(userId))),
  noteTelemetry: (userId, at) =>
    Effect.gen(function* () {
      const last = yield* run((ctx) => ctx.runQuery(internal.usage.lastTelemetry, { userId: asUser(userId) }))
      if (at - (last ?? 0) < lastUsedResolutionMs) return
      yield* run((ctx) => ctx.runMutation(internal.apiKeys.touch, { doc: userId, at }))
    }),
  lastTelemetry: (userId) => run((ctx) => ctx.runQuery(internal.usage.lastTelemetry, { userId: asUser(userId) })),
  exportPage: (userId, filters, after, size) =>
    after !== null && Cursor.decode(after) === undefined
      ? Effect.fail(new InvalidCursor({ cursor: after }))
      : Effect.map(
          run((ctx) =>
            listPage(ctx, asUser(userId), {
              ...filters,
              sort: "startedAt",
              order: "asc",
              limit: size,
              ...(after === null ? {} : { cursor: after })
            })
          ),
          (page) => ({ sessions: page.sessions, next: page.nextCursor })
        )
})

const keys = Keys.of({
  authenticate: (hash) =>
    Effect.gen(function* () {
      const owner = yield* run((ctx) => ctx.runQuery(internal.apiKeys.byHash, { hash }))
      if (owner === null) return Option.none<KeyOwner>()
      const now = Date.now()
      if (now - (owner.lastUsedAt ?? 0) >= lastUsedResolutionMs) {
        yield* run((ctx) => ctx.runMutation(internal.apiKeys.touch, { doc: owner.doc, at: now })).pipe(
          Effect.catchAll((e) => Effect.logWarning("could not record a key's last use", e.cause))
        )
      }
      return Option.some<KeyOwner>({
        userId: owner.userId as unknown as Ids.UserId,
        keyId: owner.keyId,
        scope: owner.scope
      })
    }),
  create: (userId, name, scope, secret) =>
    Effect.map(
      run((ctx) =>
        ctx.runMutation(internal.apiKeys.insertKey, {
          userId: asUser(userId),
          id: secret.id,
          prefix: secret.prefix,
          hash: secret.hash,
          name,
          scope
        })
      ),
      Option.fromNullable
    ),
  list: (userId) => run((ctx) => ctx.runQuery(internal.apiKeys.listForUser, { userId: asUser(userId) })),
  revoke: (userId, id) =>
    Effect.map(
      run((ctx) => ctx.runMutation(internal.apiKeys.revokeForUser, { userId: asUser(userId), id })),
      Option.fromNullable
    ),
  userName: (userId) =>
    Effect.map(
      run((ctx) => ctx.runQuery(internal.users.get, { userId: asUser(userId) })),
      (user) => user?.name ?? userId
    )
})

const signIns = SignIns.of({
  create: (signIn) =>
    run((ctx) => ctx.runMutation(internal.signIns.create, { ...signIn, userId: asUser(signIn.userId) })),
  authenticate: (tokenHash, now) =>
    Effect.gen(function* () {
      const owner = yield* run((ctx) => ctx.runQuery(internal.signIns.byHash, { hash: tokenHash, now }))
      if (owner === null) return Option.none()
      if (now - owner.lastSeenAt >= SignIn.lastSeenResolutionMs) {
        yield* run((ctx) => ctx.runMutation(internal.apiKeys.touch, { doc: owner.doc, at: now })).pipe(
          Effect.catchAll((e) => Effect.logWarning("could not record a sign-in's last use", e.cause))
        )
      }
      return Option.some({ id: owner.id, userId: owner.userId, keyId: owner.keyId, expiresAt: owner.expiresAt })
    }),
  list: (userId, now) => run((ctx) => ctx.runQuery(internal.signIns.list, { userId: asUser(userId), now })),
  revoke: (userId, id, now) =>
    Effect.map(
      run((ctx) => ctx.runMutation(internal.signIns.revoke, { userId: asUser(userId), id, now })),
      Option.fromNullable
    )
})

/**
 * Exports past `tuning.exportInlineBytes` go to file storage in parts of `tuning.exportPartBytes` (see
 * `@opensync/backend/ExportFiles`), each recorded in `exportFiles` so the sweeper deletes it once expired.
 */
const exportFiles = ExportFiles.of({
  get inlineBytes() {
    return tuning.exportInlineBytes
  },
  get partBytes() {
    return tuning.exportPartBytes
  },
  store: (userId, pieces, contentType) =>
    run(async (ctx) => {
      const storageId = await ctx.storage.store(
        new Blob(pieces as Array<Uint8Array<ArrayBuffer>>, { type: contentType })
      )
      const expiresAt = Date.now() + tuning.exportFileTtlMs
      await ctx.runMutation(internal.exports.record, { userId: asUser(userId), storageId, expiresAt })
      const url = await ctx.storage.getUrl(storageId)
      if (url === null) throw new Error(`the export part ${storageId} was stored but has no URL`)
      return { url, expiresAt }
    })
})

/** Every port on Convex, plus what this backend tells its users. */
export const ports = Layer.mergeAll(
  Layer.succeed(SessionStore, store),
  Layer.succeed(ExportFiles, exportFiles),
  Layer.succeed(Keys, keys),
  Layer.succeed(SignIns, signIns),
  Throttle.memory(),
  Layer.succeed(ServerInfo, {
    version,
    createKey: "Settings → Generate API Key in the dashboard, or `npx convex run users:createKey`",
    createFullKey: '`npx convex run users:createKey \'{"userId":"…","name":"…","scope":"full"}\'`'
  })
)
