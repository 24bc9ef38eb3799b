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
/** Largest accepted request body. */
export const maxBodyBytes = 8 * 1024 * 1024

/** Cuts a string to `max` characters, marking the cut; returns the input unchanged when it fits. */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text
  const suffix = `… [truncated ${text.length} chars]`
  return text.slice(0, Math.max(0, max - suffix.length)) + suffix
}
