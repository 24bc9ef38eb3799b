import { OpenApi } from "@effect/platform"
import { Api, ApiKey, Batch, type Event, Export, Ids, Legacy, Limits, type Rollup, Stats } from "@opensync/domain"
import { httpRouter } from "convex/server"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { internal } from "./_generated/api.js"
import type { Id } from "./_generated/dataModel.js"
import { type ActionCtx, httpAction } from "./_generated/server.js"
import { newSecret } from "./apiKeys.js"
import { type Caller, classify, generateSessionToken, sha256Hex, unauthorized } from "./lib/auth.js"
import { batches } from "./lib/events.js"
import {
  badRequest,
  corsHeaders,
  decodeOr400,
  defined,
  errorResponse,
  HttpError,
  json,
  notFound,
  readJson,
  searchParams,
  text,
  toErrorResponse
} from "./lib/http.js"
import { tuning } from "./lib/tuning.js"
import { version } from "./lib/version.js"

/**
 * The OpenSync HTTP contract on Convex: the same routes, request decoding and JSON errors as the local server. One
 * catch-all route per method dispatches here, so unknown paths get a JSON 404 and every response carries CORS headers.
 */

type Params = Record<string, string>
type Handler = (ctx: ActionCtx, request: Request, url: URL, params: Params, caller: Caller) => Promise<Response>

interface Route {
  readonly method: string
  readonly pattern: RegExp
  readonly auth: boolean
  readonly handler: Handler
}

const routes: Array<Route> = []
const route = (method: string, path: string, auth: boolean, handler: Handler) => {
  const pattern = new RegExp(`^${path.replace(/\{(\w+)\}/g, "(?<$1>[^/]+)")}$`)
  routes.push({ method, pattern, auth, handler })
}

// ---------- authentication ----------

const bearer = (request: Request): string => {
  const header = request.headers.get("authorization") ?? ""
  const match = /^Bearer(?:\s+(.*))?$/i.exec(header.trim())
  return match === null ? "" : (match[1] ?? "").trim()
}

const authenticateRequest = async (ctx: ActionCtx, request: Request): Promise<Caller> => {
  const classified = await classify(bearer(request))
  if (typeof classified === "string") throw new HttpError("Unauthorized", classified)
  const caller = await ctx.runMutation(internal.apiKeys.authenticateHash, classified)
  if (caller === null) {
    throw new HttpError("Unauthorized", classified.kind === "apiKey" ? unauthorized.key : unauthorized.session)
  }
  return caller
}

// ---------- health and discovery ----------

route("GET", "/health", false, async () => json({ status: "ok", version, timestamp: Date.now() }))

let openApi: unknown
route("GET", "/openapi.json", false, async () => {
  openApi ??= OpenApi.fromApi(Api.OpenSyncApi)
  return json(openApi)
})

// ---------- sync ----------

/** Applies events in mutation-sized batches; events a mutation defers (its read budget ran out) go to the next. */
const ingest = async (
  ctx: ActionCtx,
  userId: Id<"users">,
  events: ReadonlyArray<Event.Event>
): Promise<Batch.Outcome> => {
  const result: Batch.Outcome = { stored: [], duplicates: [], stale: [] }
  const queue = batches(events)
  for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) {
    const sent = batch
    const part = await ctx.runMutation(internal.sync.recordEvents, { userId, events: batch })
    result.stored.push(...part.stored)
    result.duplicates.push(...part.duplicates)
    result.stale.push(...part.stale)
    if (part.deferred.length > 0) queue.unshift(part.deferred.map((index) => sent[index]!))
  }
  return result
}

route("POST", "/sync/events", true, async (ctx, request, _url, _params, caller) => {
  const payload = decodeOr400(Api.SyncEventsRequest, await readJson(request), "payload")
  if (payload.events.length > Limits.maxEventsPerBatch) {
    throw badRequest(
      `Too many events in one request (${payload.events.length}); send at most ${Limits.maxEventsPerBatch} per batch.`
    )
  }
  const { events, rejected } = Batch.decodeEvents(payload.events)
  return json({ ...(await ingest(ctx, caller.userId, events)), rejected, deleted: [] })
})

route("POST", "/sync/session", true, async (ctx, request, _url, _params, caller) => {
  const event = Legacy.sessionEvent(await readJson(request), Date.now())
  if (Either.isLeft(event)) throw badRequest(event.left)
  await ingest(ctx, caller.userId, [event.right])
  return json({ ok: true, sessionId: event.right.sessionId })
})

route("POST", "/sync/message", true, async (ctx, request, _url, _params, caller) => {
  const event = Legacy.messageEvent(await readJson(request), Date.now())
  if (Either.isLeft(event)) throw badRequest(event.left)
  await ingest(ctx, caller.userId, [event.right])
  return json({ ok: true, messageId: event.right.messageId })
})

route("POST", "/sync/batch", true, async (ctx, request, _url, _params, caller) => {
  const body = Legacy.batch(await readJson(request))
  if (Either.isLeft(body)) throw badRequest(body.left)
  const { events, sessions, messages, errors } = Batch.fromLegacyBatch(body.right, Date.now())
  await ingest(ctx, caller.userId, events)
  return json({ ok: true, sessions, messages, errors })
})

route("GET", "/sync/sessions/list", true, async (ctx, _request, _url, _params, caller) => {
  const sessionIds: Array<string> = []
  let cursor: string | null = null
  for (;;) {
    const page: { page: Array<string>; isDone: boolean; continueCursor: string } = await ctx.runQuery(
      internal.sessions.idsPage,
      { userId: caller.userId, paginationOpts: { numItems: tuning.readPage, cursor } }
    )
    sessionIds.push(...page.page)
    if (page.isDone) break
    cursor = page.continueCursor
  }
  return json({ sessionIds })
})

// ---------- read API ----------

const listPage = (ctx: ActionCtx, userId: Id<"users">, params: Api.ListSessionsParams): Promise<Api.SessionPage> =>
  ctx.runQuery(internal.sessions.list, { userId, params: defined({ ...params }) }) as Promise<Api.SessionPage>

const encodePage = Schema.encodeSync(Api.SessionPage)
const encodeDetail = Schema.encodeSync(Api.SessionDetail)

route("GET", "/api/sessions", true, async (ctx, _request, url, _params, caller) => {
  const params = decodeOr400(Api.ListSessionsParams, searchParams(url), "urlParams")
  return json(encodePage(await listPage(ctx, caller.userId, params)))
})

/** Reads every page of a paginated query (each call stays within one function's read limits). */
const allPages = async <T>(
  read: (cursor: string | null) => Promise<{ page: Array<T>; isDone: boolean; continueCursor: string }>
): Promise<Array<T>> => {
  const out: Array<T> = []
  let cursor: string | null = null
  for (;;) {
    const page = await read(cursor)
    out.push(...page.page)
    if (page.isDone) return out
    cursor = page.continueCursor
  }
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

const pathParam = (params: Params, name: string): string => {
  try {
    return decodeURIComponent(params[name] ?? "")
  } catch {
    throw badRequest(`Invalid path.${name}: not a valid percent-encoded string`)
  }
}

const sessionIdOf = (params: Params): string => decodeOr400(Ids.SessionId, pathParam(params, "id"), "path.id")

route("GET", "/api/sessions/{id}", true, async (ctx, _request, _url, params, caller) => {
  const id = sessionIdOf(params)
  const detail = await detailOf(ctx, caller.userId, id)
  if (detail === null) throw notFound(`Session not found: ${id}`)
  return json(encodeDetail(detail))
})

route("DELETE", "/api/sessions/{id}", true, async (ctx, _request, _url, params, caller) => {
  const id = sessionIdOf(params)
  const deleted = await ctx.runMutation(internal.sessions.remove, { userId: caller.userId, id })
  if (deleted === null) throw notFound(`Session not found: ${id}`)
  return json({ deleted: true, sessionId: id, ...deleted })
})

const day = 86_400_000

route("GET", "/api/stats", true, async (ctx, _request, url, _params, caller) => {
  const params = decodeOr400(Api.StatsParams, searchParams(url), "urlParams")
  if (params.q !== undefined) {
    throw badRequest("Stats cannot be filtered by text (q); use source, project, model, from and to.")
  }
  if (params.from !== undefined && params.to !== undefined && params.from > params.to) {
    throw badRequest("from must not be after to")
  }
  const to = params.to ?? Date.now()
  const from = params.from ?? to - 30 * day
  const range = {
    userId: caller.userId,
    first: new Date(from).toISOString().slice(0, 10),
    last: new Date(to).toISOString().slice(0, 10),
    ...(params.source === undefined ? {} : { source: params.source })
  }
  const keep = (row: { project: string; model: string }) =>
    (params.project === undefined || row.project === params.project) &&
    (params.model === undefined || row.model === params.model)
  const usageRows = (table: "usageRollup" | "usageByModel" | "usageByProject") =>
    allPages<Rollup.UsageRow>((cursor) =>
      ctx.runQuery(internal.stats.usagePage, { ...range, table, paginationOpts: { numItems: tuning.readPage, cursor } })
    ).then((rows) => rows.filter(keep))
  // In the order the local server's GROUP BY yields them, so ties in the sorted lists come out the same.
  const byKey = (key: (row: Rollup.UsageRow) => string) => (a: Rollup.UsageRow, b: Rollup.UsageRow) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0
  const usage = (await usageRows(params.project === undefined ? "usageByModel" : "usageRollup")).sort(
    byKey((row) => `${row.day}\u0000${row.source}\u0000${row.model}\u0000${row.project}`)
  )
  const projects = (await usageRows(params.model === undefined ? "usageByProject" : "usageRollup")).sort(
    byKey((row) => `${row.project}\u0000${row.day}\u0000${row.source}\u0000${row.model}`)
  )
  const tools =
    params.model === undefined
      ? (
          await allPages<Rollup.ToolRow>((cursor) =>
            ctx.runQuery(internal.stats.toolPage, { ...range, paginationOpts: { numItems: tuning.readPage, cursor } })
          )
        ).filter((row) => params.project === undefined || row.project === params.project)
      : []
  return json(Stats.fromRows({ from, to, bucket: params.bucket }, usage, tools, projects))
})

route("GET", "/api/export", true, async (ctx, _request, url, _params, caller) => {
  const params = decodeOr400(Api.ExportParams, searchParams(url), "urlParams")
  const format = params.format
  const headers = {
    "content-disposition": `attachment; filename="opensync-${params.id ?? "sessions"}.${Export.extension[format]}"`
  }
  if (params.id !== undefined) {
    const detail = await detailOf(ctx, caller.userId, params.id)
    if (detail === null) throw notFound(`Session not found: ${params.id}`)
    const encoded = encodeDetail(detail)
    const body =
      format === "json"
        ? JSON.stringify(encoded, null, 2)
        : format === "jsonl"
          ? `${JSON.stringify(encoded)}\n`
          : format === "csv"
            ? Export.csvHeader() + Export.csvRow(detail.session)
            : Export.markdown(detail)
    return text(body, Export.contentType[format], headers)
  }
  const parts: Array<string> = format === "csv" ? [Export.csvHeader()] : format === "json" ? ['{"sessions":['] : []
  let cursor: string | undefined
  let index = 0
  for (;;) {
    const { id: _id, format: _format, ...filters } = params
    const page = await listPage(ctx, caller.userId, {
      ...filters,
      sort: "startedAt",
      order: "asc",
      limit: 100,
      ...(cursor === undefined ? {} : { cursor })
    })
    for (const summary of page.sessions) {
      if (format === "csv") {
        parts.push(Export.csvRow(summary as Api.SessionSummary))
        continue
      }
      const detail = await detailOf(ctx, caller.userId, summary.id)
      if (detail === null) continue
      const encoded = JSON.stringify(encodeDetail(detail))
      if (format === "jsonl") parts.push(`${encoded}\n`)
      else if (format === "markdown") parts.push(`${Export.markdown(detail)}\n---\n\n`)
      else parts.push(`${index === 0 ? "" : ","}${encoded}`)
      index++
    }
    if (page.nextCursor === null) break
    cursor = page.nextCursor
  }
  if (format === "json") parts.push("]}\n")
  return text(parts.join(""), Export.contentType[format], headers)
})

// ---------- API keys ----------

const KeyName = Schema.Struct({ name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)) })

route("GET", "/api/keys", true, async (ctx, _request, _url, _params, caller) =>
  json({ keys: await ctx.runQuery(internal.apiKeys.listForUser, { userId: caller.userId }) })
)

route("POST", "/api/keys", true, async (ctx, request, _url, _params, caller) => {
  const { name } = decodeOr400(KeyName, await readJson(request), "payload")
  const secret = await newSecret()
  const stored = await ctx.runMutation(internal.apiKeys.insertKey, {
    userId: caller.userId,
    id: secret.id,
    prefix: secret.prefix,
    hash: secret.hash,
    name
  })
  return json({ ...stored, key: secret.key }, 201)
})

route("DELETE", "/api/keys/{id}", true, async (ctx, _request, _url, params, caller) => {
  const id = decodeOr400(Ids.ApiKeyId, pathParam(params, "id"), "path.id")
  const revoked = await ctx.runMutation(internal.apiKeys.revokeForUser, { userId: caller.userId, id })
  if (revoked === null) throw notFound(`API key not found: ${id}`)
  return json(revoked)
})

// ---------- dashboard sign-in and the caller's data ----------

route("POST", "/auth/session", false, async (ctx, request) => {
  const { apiKey } = decodeOr400(Api.CreateSessionRequest, await readJson(request), "payload")
  const key = apiKey.trim()
  const problem = ApiKey.problem(key)
  if (problem !== undefined) throw new HttpError("Unauthorized", problem)
  const token = generateSessionToken()
  const created = await ctx.runMutation(internal.auth.createSession, {
    keyHash: await sha256Hex(key),
    tokenHash: await sha256Hex(token)
  })
  if (created === null) throw new HttpError("Unauthorized", unauthorized.key)
  return json({ token, ...created }, 201)
})

route("GET", "/auth/me", true, async (ctx, _request, _url, _params, caller) => {
  const user = await ctx.runQuery(internal.users.get, { userId: caller.userId })
  return json({
    user: { id: caller.userId, name: user?.name ?? caller.userId },
    via: caller.via,
    expiresAt: caller.session?.expiresAt ?? null
  })
})

route("DELETE", "/auth/session", true, async (ctx, _request, _url, _params, caller) => {
  if (caller.session !== null) await ctx.runMutation(internal.auth.revokeSession, { tokenHash: caller.session.hash })
  return json({ ok: true })
})

route("DELETE", "/api/data", true, async (ctx, _request, _url, _params, caller) =>
  json(await ctx.runMutation(internal.data.deleteAll, { userId: caller.userId }))
)

// ---------- dispatch ----------

const dispatch = httpAction(async (ctx, request) => {
  const url = new URL(request.url)
  try {
    let pathMatched = false
    for (const candidate of routes) {
      const match = candidate.pattern.exec(url.pathname)
      if (match === null) continue
      pathMatched = true
      if (candidate.method !== request.method) continue
      const caller = candidate.auth ? await authenticateRequest(ctx, request) : (null as unknown as Caller)
      return await candidate.handler(ctx, request, url, match.groups ?? {}, caller)
    }
    return errorResponse(
      "NotFound",
      pathMatched
        ? `Method ${request.method} is not allowed on ${url.pathname}`
        : `No such route: ${request.method} ${url.pathname}`
    )
  } catch (failure) {
    return toErrorResponse(failure)
  }
})

const preflight = httpAction(async () => new Response(null, { status: 204, headers: corsHeaders }))

const http = httpRouter()
for (const method of ["GET", "POST", "DELETE", "PUT", "PATCH"] as const) {
  http.route({ pathPrefix: "/", method, handler: dispatch })
}
http.route({ pathPrefix: "/", method: "OPTIONS", handler: preflight })

export default http
