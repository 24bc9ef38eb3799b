import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Api, Errors, Export, Stats } from "@opensync/domain"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as ExportFiles from "../ExportFiles.js"
import { caller, type InvalidCursor, type SessionStore } from "../SessionStore.js"
import { orStorageFailure } from "../Storage.js"

const badCursor = (e: InvalidCursor) =>
  Effect.fail(
    new Errors.BadRequest({
      error: `Invalid cursor ${JSON.stringify(e.cursor.slice(0, 40))}: pass back the nextCursor of a previous page unchanged.`
    })
  )

const notFound = (id: string) => new Errors.NotFound({ error: `Session not found: ${id}` })

/**
 * `Content-Disposition` of a download named `name` (a session id is part of it, whatever the client sent): an ASCII
 * `filename` with anything else, quotes, slashes and backslashes as `_`, and the name itself as `filename*` (RFC 6266,
 * 8187).
 * Quoted as it was, a `"` in an id added parameters to the header, and a character past U+00FF made Node refuse the
 * header (an empty 500).
 */
export const attachment = (name: string): string => {
  // (path separators too: a client that takes the name as given must not write outside its downloads folder)
  const ascii = name.replace(/[^\x20-\x7e]|["\\/]/g, "_")
  if (ascii === name) return `attachment; filename="${name}"`
  // Ids are whole code points (lone surrogates are refused on ingest), so this does not throw.
  const utf8 = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`
}

/** Sessions per page an export reads: one page's details are held in memory at a time. */
export const exportPageSize = 100

/** The sessions of an export (summaries), oldest first, page by page. */
const exportSummaries = (
  store: SessionStore["Type"],
  userId: Api.CurrentUser["Type"]["userId"],
  filters: Api.SessionFilters
): Stream.Stream<Api.SessionSummary, Errors.InsufficientStorage | Errors.InternalError> =>
  Stream.paginateChunkEffect(null as string | null, (after) =>
    orStorageFailure(store.exportPage(userId, filters, after, exportPageSize)).pipe(
      Effect.catchTag("InvalidCursor", () => Effect.dieMessage("an export page position did not parse")),
      Effect.map(
        (page) =>
          [
            Chunk.fromIterable(page.sessions),
            page.next === null ? Option.none<string | null>() : Option.some<string | null>(page.next)
          ] as const
      )
    )
  )

/** The body of an export of many sessions, in `format`, one session at a time. */
export const exportBody = (
  store: SessionStore["Type"],
  userId: Api.CurrentUser["Type"]["userId"],
  filters: Api.SessionFilters,
  format: Api.ExportFormat
): Stream.Stream<string, Errors.InsufficientStorage | Errors.InternalError> => {
  const summaries = exportSummaries(store, userId, filters)
  if (format === "csv") return Stream.concat(Stream.make(Export.csvHeader()), Stream.map(summaries, Export.csvRow))
  const details = summaries.pipe(
    Stream.mapEffect((s) => orStorageFailure(store.get(userId, s.id))),
    Stream.filterMap((detail) => detail)
  )
  if (format === "jsonl") return Stream.map(details, (d) => `${JSON.stringify(d)}\n`)
  if (format === "markdown") return Stream.map(details, (d) => `${Export.markdown(d)}\n---\n\n`)
  return Stream.make('{"sessions":[').pipe(
    Stream.concat(Stream.map(Stream.zipWithIndex(details), ([d, i]) => `${i === 0 ? "" : ","}${JSON.stringify(d)}`)),
    Stream.concat(Stream.make("]}\n"))
  )
}

/** A range whose `from` is after its `to` is a mistake (400, as for stats), not an empty answer. */
const inOrder = (params: { readonly from?: number | undefined; readonly to?: number | undefined }) =>
  params.from !== undefined && params.to !== undefined && params.from > params.to
    ? Effect.fail(new Errors.BadRequest({ error: "from must not be after to" }))
    : Effect.void

/** The read API: session lists, one session, deletion, stats and exports. */
export const SessionsLive = HttpApiBuilder.group(Api.OpenSyncApi, "sessions", (handlers) =>
  handlers
    .handle("list", ({ urlParams }) =>
      Effect.gen(function* () {
        const { user, store } = yield* caller
        yield* inOrder(urlParams)
        return yield* orStorageFailure(store.list(user.userId, urlParams)).pipe(
          Effect.catchTag("InvalidCursor", badCursor)
        )
      })
    )
    .handle("get", ({ path }) =>
      Effect.gen(function* () {
        const { user, store } = yield* caller
        const detail = yield* orStorageFailure(store.get(user.userId, path.id))
        if (Option.isNone(detail)) return yield* notFound(path.id)
        return detail.value
      })
    )
    .handle("delete", ({ path }) =>
      Effect.gen(function* () {
        const { user, store } = yield* caller
        const deleted = yield* orStorageFailure(store.remove(user.userId, path.id))
        if (Option.isNone(deleted)) return yield* notFound(path.id)
        return { deleted: true as const, sessionId: path.id, ...deleted.value }
      })
    )
    .handle("stats", ({ urlParams }) =>
      Effect.gen(function* () {
        const { user, store } = yield* caller
        if (urlParams.q !== undefined) {
          return yield* new Errors.BadRequest({
            error: "Stats cannot be filtered by text (q); use source, project, model, from and to."
          })
        }
        const range = Stats.rangeOf(urlParams, Date.now())
        if (typeof range === "string") return yield* new Errors.BadRequest({ error: range })
        const stats = yield* orStorageFailure(store.stats(user.userId, range, urlParams))
        // Built by Stats.fromRows, so already in the schema's shape: skip re-validating thousands of series points.
        return HttpServerResponse.unsafeJson(stats)
      })
    )
    .handle("facets", () =>
      Effect.gen(function* () {
        const { user, store } = yield* caller
        return yield* orStorageFailure(store.facets(user.userId))
      })
    )
    .handle("export", ({ urlParams }) =>
      Effect.gen(function* () {
        const { user, store } = yield* caller
        yield* inOrder(urlParams)
        const format = urlParams.format
        const filename = `opensync-${urlParams.id ?? "sessions"}.${Export.extension[format]}`
        const meta = {
          format,
          contentType: Export.contentType[format],
          filename,
          headers: { "content-disposition": attachment(filename) }
        }
        // A backend whose responses are capped (Convex) writes big exports to files; the local server streams.
        const files = yield* Effect.serviceOption(ExportFiles.ExportFiles)
        if (urlParams.id !== undefined) {
          const detail = yield* orStorageFailure(store.get(user.userId, urlParams.id))
          if (Option.isNone(detail)) return yield* notFound(urlParams.id)
          const text = Export.render(detail.value, format)
          if (Option.isSome(files)) {
            return yield* orStorageFailure(ExportFiles.answer(files.value, user.userId, Stream.make(text), meta))
          }
          return HttpServerResponse.text(text, { contentType: meta.contentType, headers: meta.headers })
        }
        const { id: _id, format: _format, ...filters } = urlParams
        const body = exportBody(store, user.userId, filters, format)
        if (Option.isSome(files))
          return yield* orStorageFailure(ExportFiles.answer(files.value, user.userId, body, meta))
        // The body is read after this handler returns: it keeps the request's services.
        const context = yield* Effect.context<never>()
        return HttpServerResponse.stream(Stream.encodeText(Stream.provideSomeContext(body, context)), {
          contentType: meta.contentType,
          headers: meta.headers
        })
      })
    )
)
