import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi
} from "@effect/platform"
import * as Context from "effect/Context"
import * as Schema from "effect/Schema"
import { ApiKeyInfo, CreatedApiKey, defaultScope, Scope } from "./ApiKey.js"
import {
  BadRequest,
  Forbidden,
  InsufficientStorage,
  InternalError,
  NotFound,
  PayloadTooLarge,
  TooManyRequests,
  Unauthorized
} from "./Errors.js"
import { ApiKeyId, EpochMillis, EventId, SessionId, UserId } from "./Ids.js"
import { Message } from "./Message.js"
import { Session } from "./Session.js"
import { SignInInfo } from "./SignIn.js"
import { ToolCall } from "./ToolCall.js"
import { UsageRecord } from "./Usage.js"

/**
 * The caller, as established from a bearer API key (`osk_…`), a dashboard sign-in token (`oss_…`), or a same-origin
 * sign-in's cookie plus its per-origin secret header. For a sign-in, `keyId` is the key it was made with and `session`
 * identifies the sign-in and when it expires. Sign-ins always have the `full` scope.
 */
export class CurrentUser extends Context.Tag("@opensync/domain/CurrentUser")<
  CurrentUser,
  {
    readonly userId: UserId
    readonly keyId: string
    readonly scope: Scope
    readonly via: "apiKey" | "session"
    readonly session?: { readonly id: string; readonly expiresAt: number }
  }
>() {}

/** What authentication may answer: who is calling, may they, and is their body acceptable (read only once they may). */
const authFailures = Schema.Union(
  Unauthorized,
  Forbidden,
  TooManyRequests,
  BadRequest,
  PayloadTooLarge,
  InsufficientStorage,
  InternalError
)

/**
 * Authentication for what an `ingest` key may do (and anything more): `Authorization: Bearer osk_…` (API key) or
 * `Authorization: Bearer oss_…` (sign-in token). Failed attempts are rate-limited per client (429).
 */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("Authentication", {
  failure: authFailures,
  provides: CurrentUser,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/**
 * Authentication for what needs the `full` scope: a `full` API key or a dashboard sign-in (a bearer `oss_…` token, or
 * the same-origin cookie with its `X-OpenSync-Session` header). An `ingest` key gets 403 naming the scope it needs.
 */
export class FullAccess extends HttpApiMiddleware.Tag<FullAccess>()("FullAccess", {
  failure: authFailures,
  provides: CurrentUser,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/**
 * Authentication of the OTLP receiver: an API key of any scope in `Authorization: Bearer osk_…` (what
 * `OTEL_EXPORTER_OTLP_HEADERS` sends). Unlike `Authentication` it leaves the body unread: OTLP bodies are binary
 * (protobuf, gzip) and the handler reads them as bytes within their limits.
 */
export class OtlpAuthentication extends HttpApiMiddleware.Tag<OtlpAuthentication>()("OtlpAuthentication", {
  failure: authFailures,
  provides: CurrentUser,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/**
 * Limits of the unauthenticated sign-in request, checked before its body is parsed: a small body, shallow JSON, and
 * the client's failed attempts (429).
 */
export class SignInGuard extends HttpApiMiddleware.Tag<SignInGuard>()("SignInGuard", {
  failure: Schema.Union(BadRequest, PayloadTooLarge, TooManyRequests)
}) {}

// ---------- health ----------

export const Health = Schema.Struct({
  status: Schema.Literal("ok"),
  version: Schema.String,
  timestamp: EpochMillis,
  /** The local server only: the command that runs its CLI where it is installed, for help texts. */
  cli: Schema.optional(
    Schema.String.annotations({
      description: "How to run this server's CLI: `opensync`, `npx opensync`, or `npm run opensync --` in a clone."
    })
  )
})

export class HealthGroup extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("health", "/health").addSuccess(Health))
  .annotate(OpenApi.Description, "Liveness; needs no key.") {}

// ---------- sync (the plugins' batch protocol) ----------

/** Why an event of a batch was not stored. */
export const Rejection = Schema.Struct({
  index: Schema.Number,
  id: Schema.NullOr(Schema.String),
  error: Schema.String
})

/** Events (see the Event schema) are validated one by one, so one bad event does not stop the rest. */
export const SyncEventsRequest = Schema.Struct({
  events: Schema.Array(Schema.Unknown)
}).annotations({ identifier: "SyncEventsRequest" })

export const SyncEventsResult = Schema.Struct({
  stored: Schema.Array(EventId),
  duplicates: Schema.Array(EventId),
  stale: Schema.Array(EventId),
  rejected: Schema.Array(Rejection),
  /** Events of sessions the user deleted: not stored, and never to be sent again (the server keeps a tombstone). */
  deleted: Schema.optionalWith(Schema.Array(EventId), { default: () => [] })
}).annotations({ identifier: "SyncEventsResult" })
export type SyncEventsResult = typeof SyncEventsResult.Type

export class SyncGroup extends HttpApiGroup.make("sync")
  .add(HttpApiEndpoint.post("events", "/sync/events").setPayload(SyncEventsRequest).addSuccess(SyncEventsResult))
  .addError(BadRequest)
  .addError(PayloadTooLarge)
  .addError(InsufficientStorage)
  .middleware(Authentication) {}

// ---------- OTLP/HTTP receiver (Claude Code's OpenTelemetry export) ----------

/**
 * What an OTLP/HTTP export gets back (JSON requests; protobuf requests get the same message as protobuf):
 * `partialSuccess` only when some records OpenSync uses were refused.
 */
export const OtlpResponse = Schema.Struct({
  partialSuccess: Schema.optional(
    Schema.Struct({
      rejectedLogRecords: Schema.optional(Schema.String),
      rejectedDataPoints: Schema.optional(Schema.String),
      errorMessage: Schema.optional(Schema.String)
    })
  )
}).annotations({ identifier: "OtlpResponse" })

const otlpBody = Schema.Union(
  Schema.Unknown.annotations({ description: "OTLP JSON (ExportLogsServiceRequest / ExportMetricsServiceRequest)" }),
  HttpApiSchema.Uint8Array({ contentType: "application/x-protobuf" })
)

export class OtlpGroup extends HttpApiGroup.make("otlp")
  .add(HttpApiEndpoint.post("logs", "/v1/logs").setPayload(otlpBody).addSuccess(OtlpResponse))
  .add(HttpApiEndpoint.post("metrics", "/v1/metrics").setPayload(otlpBody).addSuccess(OtlpResponse))
  .addError(BadRequest)
  .addError(PayloadTooLarge)
  .addError(InsufficientStorage)
  .middleware(OtlpAuthentication)
  .annotate(
    OpenApi.Description,
    "OTLP/HTTP receiver for Claude Code's telemetry (JSON or protobuf, optionally gzip). `api_request` and " +
      "`tool_result` log events and the `active_time` metric are stored; everything else is accepted and ignored."
  ) {}

// ---------- the existing OpenSync plugin protocol ----------

export const LegacyOk = Schema.Struct({ ok: Schema.Literal(true) })

export class LegacyGroup extends HttpApiGroup.make("legacy")
  .add(
    HttpApiEndpoint.post("session", "/sync/session")
      .setPayload(Schema.Unknown)
      .addSuccess(Schema.Struct({ ok: Schema.Literal(true), sessionId: Schema.String }))
  )
  .add(
    HttpApiEndpoint.post("message", "/sync/message")
      .setPayload(Schema.Unknown)
      .addSuccess(Schema.Struct({ ok: Schema.Literal(true), messageId: Schema.String }))
  )
  .add(
    HttpApiEndpoint.post("batch", "/sync/batch")
      .setPayload(Schema.Unknown)
      .addSuccess(
        Schema.Struct({
          ok: Schema.Literal(true),
          sessions: Schema.Number,
          messages: Schema.Number,
          errors: Schema.Array(Schema.String)
        })
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/sync/sessions/list").addSuccess(
      Schema.Struct({ sessionIds: Schema.Array(Schema.String) })
    )
  )
  .addError(BadRequest)
  .addError(PayloadTooLarge)
  .addError(InsufficientStorage)
  .middleware(Authentication)
  .annotate(
    OpenApi.Description,
    "Compatibility with the existing OpenSync plugins (claude-code-sync 0.1.x, opencode-sync-plugin 0.3.x, …)."
  ) {}

// ---------- read API ----------

/** A session as listed: everything but the per-day slices the rollups are built from. */
export const SessionSummary = Session.pipe(Schema.omit("usageSlices", "toolSlices")).annotations({
  identifier: "SessionSummary"
})
export type SessionSummary = typeof SessionSummary.Type

export const SortField = Schema.Literal(
  "updatedAt",
  "startedAt",
  "costUsd",
  "totalTokens",
  "messageCount",
  "durationMs"
)
export type SortField = typeof SortField.Type

const IntFromString = Schema.NumberFromString.pipe(Schema.int())

/** A timestamp in a query string: epoch milliseconds within the range a date can hold. */
const EpochMillisFromString = Schema.compose(Schema.NumberFromString, EpochMillis)

/** Filters shared by the session list, export and stats. */
export const SessionFilters = Schema.Struct({
  source: Schema.optional(Schema.String),
  project: Schema.optional(Schema.String),
  model: Schema.optional(Schema.String),
  // (a NUL ends a LIKE pattern in SQLite: the rest of the text was not searched for, and "\0" matched every title)
  q: Schema.optional(
    Schema.String.pipe(
      Schema.maxLength(500),
      Schema.filter((q) => !q.includes("\u0000"), { message: () => "the search text must not contain NUL characters" })
    )
  ),
  from: Schema.optional(EpochMillisFromString),
  to: Schema.optional(EpochMillisFromString)
})
export type SessionFilters = typeof SessionFilters.Type

export const ListSessionsParams = Schema.Struct({
  ...SessionFilters.fields,
  sort: Schema.optionalWith(SortField, { default: () => "updatedAt" as const }),
  order: Schema.optionalWith(Schema.Literal("asc", "desc"), { default: () => "desc" as const }),
  cursor: Schema.optional(Schema.String),
  limit: Schema.optionalWith(IntFromString.pipe(Schema.between(1, 200)), { default: () => 50 })
})
export type ListSessionsParams = typeof ListSessionsParams.Type

export const SessionPage = Schema.Struct({
  sessions: Schema.Array(SessionSummary),
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "SessionPage" })
export type SessionPage = typeof SessionPage.Type

export const SessionDetail = Schema.Struct({
  session: SessionSummary,
  messages: Schema.Array(Message),
  toolCalls: Schema.Array(ToolCall),
  children: Schema.Array(SessionSummary)
}).annotations({ identifier: "SessionDetail" })
export type SessionDetail = typeof SessionDetail.Type

export const Bucket = Schema.Literal("day", "week", "month")
export type Bucket = typeof Bucket.Type

export const StatsParams = Schema.Struct({
  ...SessionFilters.fields,
  bucket: Schema.optionalWith(Bucket, { default: () => "day" as const })
})
export type StatsParams = typeof StatsParams.Type

/** Aggregated usage: token breakdown, cost, sessions, messages, time. */
export const Totals = Schema.Struct({
  sessions: Schema.Number,
  messages: Schema.Number,
  durationMs: Schema.Number,
  ...UsageRecord.fields,
  totalTokens: Schema.Number,
  costUsd: Schema.Number,
  unpriced: Schema.Number
}).annotations({ identifier: "Totals" })
export type Totals = typeof Totals.Type

export const ToolStats = Schema.Struct({
  tool: Schema.String,
  calls: Schema.Number,
  errors: Schema.Number,
  failureRate: Schema.Number,
  totalDurationMs: Schema.Number,
  avgDurationMs: Schema.NullOr(Schema.Number)
}).annotations({ identifier: "ToolStats" })
export type ToolStats = typeof ToolStats.Type

export const Stats = Schema.Struct({
  from: EpochMillis,
  to: EpochMillis,
  bucket: Bucket,
  totals: Totals,
  /**
   * Where the range's usage figures come from, in counted units: requests counted with the agent's telemetry,
   * messages or requests with the transcript's figures, totals the agent reported (see docs/telemetry.md).
   */
  provenance: Schema.optional(
    Schema.Struct({ fromTelemetry: Schema.Number, fromTranscript: Schema.Number, fromReported: Schema.Number })
  ),
  series: Schema.Array(
    Schema.Struct({ period: Schema.String, source: Schema.String, model: Schema.String, ...Totals.fields })
  ),
  bySource: Schema.Array(Schema.Struct({ source: Schema.String, ...Totals.fields })),
  byModel: Schema.Array(Schema.Struct({ model: Schema.String, ...Totals.fields })),
  byProject: Schema.Array(Schema.Struct({ project: Schema.String, ...Totals.fields })),
  tools: Schema.Array(ToolStats),
  toolSeries: Schema.Array(
    Schema.Struct({ period: Schema.String, tool: Schema.String, calls: Schema.Number, errors: Schema.Number })
  )
}).annotations({ identifier: "Stats" })
export type Stats = typeof Stats.Type

export const ExportFormat = Schema.Literal("json", "jsonl", "csv", "markdown")
export type ExportFormat = typeof ExportFormat.Type

export const ExportParams = Schema.Struct({
  ...SessionFilters.fields,
  id: Schema.optional(Schema.String),
  format: Schema.optionalWith(ExportFormat, { default: () => "json" as const })
})
export type ExportParams = typeof ExportParams.Type

/** The media type of an `ExportFiles` answer: how a client tells it from the export itself. */
export const exportFilesType = "application/vnd.opensync.export-files+json"

/**
 * What `GET /api/export` answers, with media type `exportFilesType`, when the export is larger than the backend sends
 * in one response (Convex: 20 MiB per HTTP response): the export written as files, its bytes cut into `parts` in order.
 * Download every part (no credentials: each URL is a capability, valid until `expiresAt`) and concatenate them: the
 * result is byte for byte the body the export would have had (media type `contentType`). The local server never
 * answers this; it streams every export.
 */
export const ExportFiles = Schema.Struct({
  format: ExportFormat,
  contentType: Schema.String,
  filename: Schema.String,
  bytes: Schema.NonNegativeInt,
  expiresAt: EpochMillis,
  parts: Schema.Array(Schema.Struct({ url: Schema.String, bytes: Schema.NonNegativeInt }))
}).annotations({ identifier: "ExportFiles" })
export type ExportFiles = typeof ExportFiles.Type

export const Deleted = Schema.Struct({
  deleted: Schema.Literal(true),
  sessionId: Schema.String,
  messages: Schema.Number,
  toolCalls: Schema.Number
})

/** One value of a filter (a source, a project or a model) and how many sessions have it. */
export const Facet = Schema.Struct({ value: Schema.String, sessions: Schema.Number }).annotations({
  identifier: "Facet"
})
export type Facet = typeof Facet.Type

/**
 * What the session filters can be set to: every source, project and model the caller has data for, most sessions
 * first (a model only seen in messages counts 0 sessions), at most `Limits.maxFacetValues` of each; `truncated` says
 * whether a list was cut.
 */
export const Facets = Schema.Struct({
  sources: Schema.Array(Facet),
  projects: Schema.Array(Facet),
  models: Schema.Array(Facet),
  truncated: Schema.Boolean
}).annotations({ identifier: "Facets" })
export type Facets = typeof Facets.Type

const sessionIdPath = HttpApiSchema.param("id", SessionId)

export class SessionsGroup extends HttpApiGroup.make("sessions")
  .add(HttpApiEndpoint.get("list", "/api/sessions").setUrlParams(ListSessionsParams).addSuccess(SessionPage))
  .add(HttpApiEndpoint.get("get")`/api/sessions/${sessionIdPath}`.addSuccess(SessionDetail).addError(NotFound))
  .add(HttpApiEndpoint.del("delete")`/api/sessions/${sessionIdPath}`.addSuccess(Deleted).addError(NotFound))
  .add(HttpApiEndpoint.get("stats", "/api/stats").setUrlParams(StatsParams).addSuccess(Stats))
  .add(
    HttpApiEndpoint.get("facets", "/api/facets")
      .addSuccess(Facets)
      .annotate(
        OpenApi.Description,
        "The values the session filters can take (sources, projects, models) with their session counts, from the rollups: cheap whatever the number of sessions."
      )
  )
  .add(
    HttpApiEndpoint.get("export", "/api/export")
      .setUrlParams(ExportParams)
      .addSuccess(HttpApiSchema.Text({ contentType: "text/plain" }))
      .addSuccess(HttpApiSchema.withEncoding(ExportFiles, { kind: "Json", contentType: exportFilesType }))
      .addError(NotFound)
      .annotate(
        OpenApi.Description,
        "One session (`id`) or every session matching the filters, in `format`, as an attachment. A backend that cannot " +
          `send the export in one response answers an ExportFiles (${exportFilesType}) instead: download its parts.`
      )
  )
  .addError(BadRequest)
  .addError(InsufficientStorage)
  .middleware(FullAccess) {}

// ---------- API keys ----------

/** `scope` defaults to `ingest`: what the plugins need. */
export const CreateKeyRequest = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)),
  scope: Schema.optionalWith(Scope, { default: () => defaultScope })
}).annotations({ identifier: "CreateKeyRequest" })

export class KeysGroup extends HttpApiGroup.make("keys")
  .add(HttpApiEndpoint.get("list", "/api/keys").addSuccess(Schema.Struct({ keys: Schema.Array(ApiKeyInfo) })))
  .add(
    HttpApiEndpoint.post("create", "/api/keys").setPayload(CreateKeyRequest).addSuccess(CreatedApiKey, { status: 201 })
  )
  .add(
    HttpApiEndpoint.del("revoke")`/api/keys/${HttpApiSchema.param("id", ApiKeyId)}`
      .addSuccess(ApiKeyInfo)
      .addError(NotFound)
  )
  .addError(BadRequest)
  .addError(InsufficientStorage)
  .middleware(FullAccess) {}

// ---------- dashboard sign-ins ----------

export class SignInsGroup extends HttpApiGroup.make("signIns")
  .add(HttpApiEndpoint.get("list", "/api/sign-ins").addSuccess(Schema.Struct({ signIns: Schema.Array(SignInInfo) })))
  .add(
    HttpApiEndpoint.del(
      "revoke"
    )`/api/sign-ins/${HttpApiSchema.param("id", Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64)))}`
      .addSuccess(SignInInfo)
      .addError(NotFound)
  )
  .addError(BadRequest)
  .addError(InsufficientStorage)
  .middleware(FullAccess)
  .annotate(
    OpenApi.Description,
    "The active dashboard sign-ins of the caller; ending one signs that browser out at once."
  ) {}

// ---------- dashboard sign-in ----------

export const AuthUser = Schema.Struct({ id: UserId, name: Schema.String }).annotations({ identifier: "AuthUser" })
export type AuthUser = typeof AuthUser.Type

export const CreateSessionRequest = Schema.Struct({ apiKey: Schema.String }).annotations({
  identifier: "CreateSessionRequest"
})

export const CreatedSession = Schema.Struct({
  token: Schema.String,
  expiresAt: EpochMillis,
  user: AuthUser
}).annotations({ identifier: "CreatedSession" })
export type CreatedSession = typeof CreatedSession.Type

export const Me = Schema.Struct({
  user: AuthUser,
  via: Schema.Literal("apiKey", "session"),
  scope: Scope,
  expiresAt: Schema.NullOr(EpochMillis),
  /** When the server last received telemetry (OTLP) from this user, by the server's clock; null: never. */
  telemetry: Schema.optional(Schema.Struct({ lastReceivedAt: Schema.NullOr(EpochMillis) }))
}).annotations({ identifier: "Me" })
export type Me = typeof Me.Type

export class AuthGroup extends HttpApiGroup.make("auth")
  .add(
    HttpApiEndpoint.post("createSession", "/auth/session")
      .setPayload(CreateSessionRequest)
      .addSuccess(CreatedSession, { status: 201 })
      .middleware(SignInGuard)
      .addError(Unauthorized)
      .addError(Forbidden)
      .addError(TooManyRequests)
      .addError(InsufficientStorage)
      .annotate(
        OpenApi.Description,
        "Exchange a `full` API key for a 7-day dashboard sign-in token (`oss_…`); also sets the same-origin cookie half."
      )
  )
  .add(HttpApiEndpoint.get("me", "/auth/me").addSuccess(Me).middleware(Authentication))
  .add(
    HttpApiEndpoint.del("deleteSession", "/auth/session")
      .addSuccess(Schema.Struct({ ok: Schema.Literal(true) }))
      .middleware(Authentication)
      .annotate(OpenApi.Description, "Sign out: ends the calling sign-in.")
  )
  .addError(BadRequest) {}

// ---------- the caller's data ----------

export const DataDeleted = Schema.Struct({
  status: Schema.Literal("deleted", "scheduled"),
  sessions: Schema.Number
}).annotations({ identifier: "DataDeleted" })
export type DataDeleted = typeof DataDeleted.Type

/**
 * The caller's last `DELETE /api/data`: `scheduled` (accepted, no step run yet), `running` (steps under way), or `done`
 * (finished, or none ever asked); `sessions` is how many sessions are left to delete (0 when done).
 */
export const DataStatus = Schema.Struct({
  status: Schema.Literal("scheduled", "running", "done"),
  sessions: Schema.Number
}).annotations({ identifier: "DataStatus" })
export type DataStatus = typeof DataStatus.Type

export class DataGroup extends HttpApiGroup.make("data")
  .add(
    HttpApiEndpoint.get("status", "/api/data")
      .addSuccess(DataStatus)
      .annotate(
        OpenApi.Description,
        "Progress of the caller's last DELETE /api/data: scheduled, running or done, and the sessions it has left."
      )
  )
  .add(
    HttpApiEndpoint.del("deleteAll", "/api/data")
      .addSuccess(DataDeleted)
      .annotate(
        OpenApi.Description,
        "Deletes all of the caller's sessions, messages, tool calls, rollups, search entries and event ids; API keys and the user stay."
      )
  )
  .addError(BadRequest)
  .addError(InsufficientStorage)
  .middleware(FullAccess) {}

/** The OpenSync HTTP contract. The local server, the typed client and the OpenAPI document derive from it. */
export class OpenSyncApi extends HttpApi.make("opensync")
  .add(HealthGroup)
  .add(SyncGroup)
  .add(OtlpGroup)
  .add(LegacyGroup)
  .add(SessionsGroup)
  .add(KeysGroup)
  .add(AuthGroup)
  .add(SignInsGroup)
  .add(DataGroup)
  .addError(InternalError)
  .annotate(OpenApi.Title, "OpenSync")
  .annotate(
    OpenApi.Description,
    "Sync and read AI coding-agent sessions: prompts, replies, tool calls, tokens and cost."
  ) {}
