/**
 * Whether `time` (a file's modification time, a recorded start) lies within the last `windowMs`. A time more than a few
 * seconds in the future is not recent: the clock went back since it was written (a suspended laptop, a corrected
 * clock), and counted as recent it would stay so until the clock caught up (a dead sync's lock taken for a live one
 * for an hour, and every hook's sync skipped meanwhile).
 */
export const recent = (time: number, windowMs: number, now: number = Date.now()): boolean => {
  const age = now - time
  return age < windowMs && age > -FUTURE_SLACK_MS
}

/** How far in the future a time may be and still count (file systems' and processes' clocks differ a little). */
const FUTURE_SLACK_MS = 5_000
