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

/** Whether a character ends a run a secret could be part of: no token, key or password is split by one of these. */
const endsRun = (code: number): boolean =>
  code <= 0x20 || // spaces, line breaks, control characters
  code === 0x22 || // "
  code === 0x27 || // '
  code === 0x60 || // `
  code === 0x2c || // ,
  code === 0x3b || // ;
  code === 0x28 || // (
  code === 0x29 || // )
  code === 0x5b || // [
  code === 0x5d || // ]
  code === 0x7b || // {
  code === 0x7d || // }
  code === 0x3c || // <
  code === 0x3e || // >
  code === 0x7c || // |
  code === 0x26 || // &
  code === 0x85 ||
  code === 0xa0 ||
  code === 0x2028 ||
  code === 0x2029 ||
  code === 0x3000

/**
 * The first `max` characters of a string or fewer, never ending inside a run of characters a secret could be made of
 * (letters, digits, `=+/-_.:@!…`): when `max` falls inside one, the run is left out whole. A cut through a token left
 * its start behind, too short for any rule to know it, when redaction runs after the cut (it does: fields are cut where
 * they are read, and redacted when their events are queued). One run longer than `max` gives "".
 */
export const cutWhole = (text: string, max: number): string => {
  if (text.length <= max) return text
  const head = cut(text, max)
  if (head.length === 0 || endsRun(text.charCodeAt(head.length)) || endsRun(head.charCodeAt(head.length - 1)))
    return head
  let end = head.length - 1
  while (end > 0 && !endsRun(head.charCodeAt(end - 1))) end--
  return head.slice(0, end)
}

/**
 * Cuts a string to `max` characters, marking the cut; returns it unchanged when it fits. The cut is whole code points,
 * and by default never ends inside a run a secret could be made of (`cutWhole`): what is cut before it is redacted
 * needs that. Text cut after redaction (a message's, as a server stores it) may pass `cut` and keep the most.
 */
export const truncate = (
  text: string,
  max: number,
  cutter: (text: string, max: number) => string = cutWhole
): string => {
  if (text.length <= max) return text
  const suffix = `… [truncated ${text.length} chars]`
  return cutter(text, Math.max(0, max - suffix.length)) + suffix
}

const TRUNCATED = /… \[truncated \d+ chars\]$/

/** Whether a text ends with the mark `truncate` leaves (it was cut, here or before it was sent). */
export const isTruncated = (text: string): boolean => TRUNCATED.test(text)
