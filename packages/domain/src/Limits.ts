/** Size policy shared by both backends: stored documents stay far below Convex's 1 MiB per document. */

/** Longest stored message text or thinking; longer text is cut and the message marked `truncated`. */
export const maxTextChars = 200_000
/** Longest stored tool-call summary (a command line, a pattern, a URL). */
export const maxSummaryChars = 2_000
/** Longest stored tool error message. */
export const maxErrorChars = 4_000
/** Most paths kept per tool call, and most parts kept per message. */
export const maxPaths = 50
export const maxParts = 500
/** Most events in one `POST /sync/events` request. */
export const maxEventsPerBatch = 1_000
/** Most values of each list of `GET /api/facets` (sources, projects, models). */
export const maxFacetValues = 500
/** Largest accepted request body. */
export const maxBodyBytes = 8 * 1024 * 1024

/**
 * The first `max` UTF-16 code units of a string, one fewer when the cut would split a surrogate pair (an emoji): the
 * result is always whole code points, which every store accepts.
 */
export const cut = (text: string, max: number): string => {
  if (text.length <= max) return text
  if (max <= 0) return ""
  const last = text.charCodeAt(max - 1)
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max)
}

/** Cuts a string to `max` characters on a code-point boundary, marking the cut; returns it unchanged when it fits. */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text
  const suffix = `… [truncated ${text.length} chars]`
  return cut(text, Math.max(0, max - suffix.length)) + suffix
}
