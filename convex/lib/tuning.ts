/**
 * How work is split so that every function call stays far inside Convex's per-call limits (documents and bytes
 * read and written, index ranges, scheduled functions), however much data a user has. Tests lower these, and the
 * transaction limits with them, to prove that the splitting works with more data than one call may read.
 */
export const tuning = {
  /** Session documents, and bytes, one list call reads at most; a selective filter may then return a short page. */
  listScanDocuments: 2_000,
  listScanBytes: 8 * 1024 * 1024,
  /**
   * Of that budget (and never more than half of it), what a list may spend reading a narrower range whole (two filters, or `from` with another sort
   * field) to sort it in memory; a larger range is left for the scan in the requested order.
   */
  listProbeDocuments: 1_000,
  listProbeBytes: 4 * 1024 * 1024,
  /** Search entries and titles one search reads at most. */
  searchHits: 256,
  /** Rows per page when an HTTP action reads a whole result (stats rollups, session ids). */
  readPage: 2_000,
  /** Messages, tool calls or children per page of a session detail (also bounded to 8 MiB per page). */
  detailPage: 500,
  /** Rows (messages, tool calls, event ids, search entries together), and bytes, one cleanup step removes at most. */
  cleanupBatch: 512,
  cleanupBytes: 4 * 1024 * 1024,
  /** Sessions, session bytes and rollup rows one step of `DELETE /api/data` deletes or updates at most. */
  sessionsPerDeleteStep: 64,
  deleteStepBytes: 4 * 1024 * 1024,
  deleteStepRollupRows: 1_500,
  /** Most events, and encoded bytes, per ingestion mutation. */
  mutationEvents: 200,
  mutationBytes: 2 * 1024 * 1024,
  /** Stored session bytes one ingestion mutation reads (and rewrites) at most; the rest go to the next mutation. */
  mutationSessionBytes: 4 * 1024 * 1024,
  /** Rollup keys one `rollups:compact` call sums at most, and rows of one key (or session count changes) it reads. */
  compactKeys: 200,
  compactGroupRows: 64,
  /** Session count changes not yet compacted that a count reads at most. */
  sessionCountReads: 1_000,
  /** Documents (and bytes) one migration step reads at most, whatever its batch size. */
  migrationStepBytes: 4 * 1024 * 1024,
  /** Tool rollup rows one step of rebuilding a user's `toolByDay` reads (past it, the step ends after its day). */
  toolRebuildRows: 2_000,
  /** Last uses one sweep folds at most per call; deletions restarted when they made no progress for this long. */
  sweepUses: 500,
  stalledDeletionMs: 10 * 60_000,
  /**
   * Largest export answered in the HTTP response itself, and bytes per stored part of a larger one (Convex answers at
   * most 20 MiB per HTTP response and gives an action 64 MiB of memory: one part is held at a time); parts stay
   * downloadable for `exportFileTtlMs`, and the sweeper deletes at most `sweepExportFiles` expired ones per call.
   */
  exportInlineBytes: 8 * 1024 * 1024,
  exportPartBytes: 8 * 1024 * 1024,
  exportFileTtlMs: 60 * 60_000,
  sweepExportFiles: 100,
  /**
   * Sign-ins one step of revoking a key marks revoked (the key itself is revoked in the first step, which already ends
   * them all: every use of a sign-in checks its key), and expired sign-ins a new sign-in deletes of its user's.
   */
  revokeSignInsPerStep: 500,
  expiredSignInsPerCreate: 100
}
