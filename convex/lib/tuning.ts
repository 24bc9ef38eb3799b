/**
 * How work is split so that every function call stays far inside Convex's per-call limits (documents and bytes
 * read and written, index ranges, scheduled functions), however much data a user has. Tests lower these, and the
 * transaction limits with them, to prove that the splitting works with more data than one call may read.
 */
export const tuning = {
  /** Session documents, and bytes, one list call reads at most; a selective filter may then return a short page. */
  listScanDocuments: 2_000,
  listScanBytes: 8 * 1024 * 1024,
  /** Search entries and titles one search reads at most. */
  searchHits: 256,
  /** Rows per page when an HTTP action reads a whole result (stats rollups, session ids). */
  readPage: 2_000,
  /** Messages, tool calls or children per page of a session detail (also bounded to 8 MiB per page). */
  detailPage: 500,
  /** Rows per table one cleanup step of a deleted session removes. */
  cleanupBatch: 256,
  /** Sessions one step of `DELETE /api/data` deletes. */
  sessionsPerDeleteStep: 64,
  /** Most events, and encoded bytes, per ingestion mutation. */
  mutationEvents: 200,
  mutationBytes: 2 * 1024 * 1024
}
