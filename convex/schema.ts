import { ApiKey, Message, Request, Rollup, Session, ToolCall } from "@opensync/domain"
import { defineSchema, defineTable } from "convex/server"
import { v } from "convex/values"
import { fields } from "./lib/validators.js"

/**
 * Tables derived from the domain schemas (their encoded side) by `lib/validators.ts`. Every row carries `userId`, and
 * every index starts with it (or with a session document id), so one user's queries never touch another's rows.
 */

const { source: _source, ...sessionFields } = fields(Session.Session)
const { userId: _keyUser, scope: _scope, ...apiKeyFields } = fields(ApiKey.ApiKeyInfo)

/**
 * The sort fields of `GET /api/sessions`; each gets an index per filter (none, source, project, model), and pairs of
 * filters one index each by `updatedAt` (`lib/list.ts` chooses among them).
 */
export const sortFields = ["updatedAt", "startedAt", "costUsd", "totalTokens", "messageCount", "durationMs"] as const

const sessions = defineTable({
  ...sessionFields,
  /** Optional only for documents written before `source` existed; `migrations:addSourceToExisting` fills it. */
  source: v.optional(v.string()),
  userId: v.id("users"),
  /** `Session.projectOf(session)`: the project label the filters and rollups use. */
  project: v.string(),
  /** The title, or "" when there is none: what the title search index reads (a null would not be indexed). */
  titleText: v.optional(v.string())
})
  .index("by_session_id", ["userId", "id"])
  .index("by_parent", ["userId", "parentSessionId", "startedAt", "id"])
  .index("by_user", ["userId", "updatedAt", "id"])
  .index("by_user_startedAt", ["userId", "startedAt", "id"])
  .index("by_user_costUsd", ["userId", "costUsd", "id"])
  .index("by_user_totalTokens", ["userId", "totalTokens", "id"])
  .index("by_user_messageCount", ["userId", "messageCount", "id"])
  .index("by_user_durationMs", ["userId", "durationMs", "id"])
  .index("by_source", ["userId", "source", "updatedAt", "id"])
  .index("by_source_startedAt", ["userId", "source", "startedAt", "id"])
  .index("by_source_costUsd", ["userId", "source", "costUsd", "id"])
  .index("by_source_totalTokens", ["userId", "source", "totalTokens", "id"])
  .index("by_source_messageCount", ["userId", "source", "messageCount", "id"])
  .index("by_source_durationMs", ["userId", "source", "durationMs", "id"])
  .index("by_project", ["userId", "project", "updatedAt", "id"])
  .index("by_project_startedAt", ["userId", "project", "startedAt", "id"])
  .index("by_project_costUsd", ["userId", "project", "costUsd", "id"])
  .index("by_project_totalTokens", ["userId", "project", "totalTokens", "id"])
  .index("by_project_messageCount", ["userId", "project", "messageCount", "id"])
  .index("by_project_durationMs", ["userId", "project", "durationMs", "id"])
  .index("by_model", ["userId", "model", "updatedAt", "id"])
  .index("by_model_startedAt", ["userId", "model", "startedAt", "id"])
  .index("by_model_costUsd", ["userId", "model", "costUsd", "id"])
  .index("by_model_totalTokens", ["userId", "model", "totalTokens", "id"])
  .index("by_model_messageCount", ["userId", "model", "messageCount", "id"])
  .index("by_model_durationMs", ["userId", "model", "durationMs", "id"])
  /** Two filters at once, by `updatedAt` (the default order): other orders sort such a range in memory. */
  .index("by_source_project", ["userId", "source", "project", "updatedAt", "id"])
  .index("by_source_model", ["userId", "source", "model", "updatedAt", "id"])
  .index("by_project_model", ["userId", "project", "model", "updatedAt", "id"])
  .searchIndex("search_title", { searchField: "titleText", filterFields: ["userId"] })

/** Messages and tool calls hang off the session *document*: a deleted session's rows are unreachable at once. */
const messages = defineTable({
  ...fields(Message.Message),
  userId: v.id("users"),
  sessionDoc: v.id("sessions")
})
  .index("by_session_doc", ["sessionDoc", "createdAt"])
  .index("by_message", ["sessionDoc", "id"])
  .index("by_user", ["userId"])

/**
 * Full-text search entries: message text in chunks of at most `lib/search.ts` `chunkChars` characters, so a search
 * reads a bounded number of bytes whatever the size of the messages it hits.
 */
const searchChunks = defineTable({
  userId: v.id("users"),
  sessionDoc: v.id("sessions"),
  messageId: v.string(),
  text: v.string(),
  /** What the search index reads (`lib/search.ts` `termsOf`); missing on entries stored before it existed. */
  terms: v.optional(v.string())
})
  .index("by_message", ["sessionDoc", "messageId"])
  .index("by_user", ["userId"])
  .searchIndex("search_terms", { searchField: "terms", filterFields: ["userId"] })

const toolCalls = defineTable({
  ...fields(ToolCall.ToolCall),
  userId: v.id("users"),
  sessionDoc: v.id("sessions")
})
  .index("by_session_doc", ["sessionDoc", "startedAt", "id"])
  .index("by_call", ["sessionDoc", "id"])
  .index("by_user", ["userId"])

/**
 * One row per session × API request (telemetry and transcript reconciled, see `@opensync/domain/Request`): a long
 * session has thousands, so they stay out of the session document, which keeps only aggregates.
 */
const apiRequests = defineTable({
  ...fields(Request.ApiRequest),
  userId: v.id("users"),
  sessionDoc: v.id("sessions")
})
  .index("by_request", ["sessionDoc", "id"])
  .index("by_user", ["userId"])

/** Event ids already applied, per user and session document (idempotency of `/sync/events`). */
const events = defineTable({ userId: v.id("users"), eventId: v.string(), sessionDoc: v.id("sessions") })
  .index("by_event", ["userId", "eventId"])
  .index("by_session_doc", ["sessionDoc"])
  .index("by_user", ["userId"])

/**
 * Daily rollups are written insert-only: each mutation adds its increments as new rows (several rows may share a key),
 * so concurrent batches of one user never write the same rollup document; `rollups:compact`, scheduled by each
 * writer, sums the rows of a key into one. Readers sum the rows of each key.
 */
const usageTable = () =>
  defineTable({ userId: v.id("users"), ...fields(Rollup.UsageRow) })
    .index("by_key", ["userId", "day", "source", "model", "project"])
    .index("by_source_day", ["userId", "source", "day"])
    .index("by_project_day", ["userId", "project", "day"])
    .index("by_model_day", ["userId", "model", "day"])

export default defineSchema({
  users: defineTable({
    name: v.string(),
    createdAt: v.number(),
    /**
     * Sessions the user has, as of the last `rollups:compact`; the `sessionCounts` rows not yet folded in add to it.
     * Only the compaction writes it, so no batch of ingestion writes the user's document.
     */
    sessionCount: v.optional(v.number()),
    /** When the user's telemetry (OTLP) last reached the server, as of the last sweep (see `usage.ts`). */
    lastTelemetryAt: v.optional(v.number()),
    /** True once `toolByDay` holds all of the user's tool use: from the start, or once `migrations:addToolByDay` ran. */
    toolsByDay: v.optional(v.boolean())
  }),
  /** Changes of a user's session count (+created, −deleted), inserted by ingestion and deletion, folded by compaction. */
  sessionCounts: defineTable({ userId: v.id("users"), delta: v.number() }).index("by_user", ["userId"]),
  /**
   * One small row per session (its id only), written and deleted with the session: `/sync/sessions/list` reads these
   * instead of whole session documents.
   */
  sessionIds: defineTable({ userId: v.id("users"), id: v.string() }).index("by_user", ["userId", "id"]),
  /**
   * Last uses of API keys and sign-ins, inserted (never read and patched) at most once a minute per key or sign-in;
   * `maintenance:sweep` folds them into the key's `lastUsedAt` (the sign-in's `lastSeenAt`) and deletes them.
   */
  lastUses: defineTable({ doc: v.string(), at: v.number() }).index("by_doc", ["doc", "at"]).index("by_at", ["at"]),
  /** The user's `DELETE /api/data`: its progress, read by `GET /api/data`, and restarted by the sweeper when stalled. */
  dataDeletions: defineTable({
    userId: v.id("users"),
    status: v.union(v.literal("scheduled"), v.literal("running"), v.literal("done")),
    startedAt: v.number(),
    updatedAt: v.number(),
    deleted: v.number()
  })
    .index("by_user", ["userId"])
    .index("by_status", ["status", "updatedAt"]),
  apiKeys: defineTable({
    ...apiKeyFields,
    userId: v.id("users"),
    hash: v.string(),
    /** Missing on keys made before scopes existed: those keep the powers they had (`full`). */
    scope: v.optional(fields(ApiKey.ApiKeyInfo).scope),
    /** What keys made before scopes carried; no longer read. */
    scopes: v.optional(v.array(v.string()))
  })
    .index("by_hash", ["hash"])
    .index("by_key_id", ["id"])
    .index("by_user", ["userId", "createdAt"]),
  /** Dashboard sign-ins (`oss_…` tokens), stored as SHA-256 digests, listed by a public id. */
  authSessions: defineTable({
    userId: v.id("users"),
    hash: v.string(),
    keyId: v.string(),
    createdAt: v.number(),
    expiresAt: v.number(),
    revokedAt: v.union(v.number(), v.null()),
    /** Missing on sign-ins made before Settings listed them. */
    publicId: v.optional(v.string()),
    userAgent: v.optional(v.string()),
    lastSeenAt: v.optional(v.number())
  })
    .index("by_hash", ["hash"])
    .index("by_public_id", ["userId", "publicId"])
    .index("by_key", ["keyId"])
    .index("by_user", ["userId", "expiresAt"])
    /** The live ones: the sign-ins list reads no revoked one (a revoked key's thousands live on until they expire). */
    .index("by_user_live", ["userId", "revokedAt", "expiresAt"]),
  /** Sessions the user deleted: their events are answered as `deleted` and never stored again. */
  tombstones: defineTable({ userId: v.id("users"), sessionId: v.string(), deletedAt: v.number() }).index("by_session", [
    "userId",
    "sessionId"
  ]),
  sessions,
  messages,
  searchChunks,
  toolCalls,
  apiRequests,
  events,
  /** Daily usage per user × day × source × model × project. */
  usageRollup: usageTable(),
  /** The same with the project summed out (`project: "*"`): unfiltered stats read few rows. */
  usageByModel: usageTable(),
  /** The same with the model summed out (`model: "*"`). */
  usageByProject: usageTable(),
  toolRollup: defineTable({ userId: v.id("users"), ...fields(Rollup.ToolRow) })
    .index("by_key", ["userId", "day", "source", "project", "tool"])
    .index("by_source_day", ["userId", "source", "day"])
    .index("by_project_day", ["userId", "project", "day"]),
  /**
   * The tool rollup with the project summed out (`project: "*"`): the tools of a period unfiltered or by source read
   * one row per day, source and tool instead of one per project too. Complete for a user once `users.toolsByDay` is
   * set (users made before it existed: `migrations:addToolByDay`).
   */
  toolByDay: defineTable({ userId: v.id("users"), ...fields(Rollup.ToolRow) })
    .index("by_key", ["userId", "day", "source", "project", "tool"])
    .index("by_source_day", ["userId", "source", "day"]),
  /** Stored parts of exports too large for one HTTP response (`exports.ts`), deleted once expired. */
  exportFiles: defineTable({ userId: v.id("users"), storageId: v.id("_storage"), expiresAt: v.number() })
    .index("by_user", ["userId"])
    .index("by_expiry", ["expiresAt"]),
  /** Progress of batched, resumable migrations (see `migrations.ts`). */
  migrations: defineTable({
    name: v.string(),
    cursor: v.union(v.string(), v.null()),
    processed: v.number(),
    done: v.boolean(),
    updatedAt: v.number()
  }).index("by_name", ["name"])
})
