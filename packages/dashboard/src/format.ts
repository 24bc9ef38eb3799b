/** Number, money, time and size formatting used across the dashboard. */

import * as Sources from "@opensync/domain/Sources"
import type { UsageFields } from "@opensync/domain/Usage"

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 })
const integer = new Intl.NumberFormat("en")

export const tokens = (n: number) => (Math.abs(n) < 10_000 ? integer.format(n) : compact.format(n))
export const count = (n: number) => integer.format(n)
/** `1 session`, `2 sessions`: a count with its noun (`plural` when adding an s is wrong). */
export const counted = (n: number, noun: string, plural = `${noun}s`) =>
  `${integer.format(n)} ${n === 1 ? noun : plural}`

export const usd = (n: number) => {
  if (n === 0) return "$0"
  if (Math.abs(n) < 0.01) return `$${n.toFixed(4)}`
  if (Math.abs(n) < 1000) return `$${n.toFixed(2)}`
  return `$${compact.format(n)}`
}

/**
 * What a token total is made of: `100 in · 200 out · 1,000 cached`, then the cache writes and reasoning when there are
 * any (they are in the total: left out, the parts did not add up to it).
 */
export const tokenParts = (u: UsageFields) => {
  const parts = [`${tokens(u.input)} in`, `${tokens(u.output)} out`, `${tokens(u.cacheRead)} cached`]
  const written = u.cacheWrite5m + u.cacheWrite1h
  if (written !== 0) parts.push(`${tokens(written)} cache write`)
  if (u.reasoning !== 0) parts.push(`${tokens(u.reasoning)} reasoning`)
  return parts.join(" · ")
}

export const percent = (ratio: number) => `${(ratio * 100).toFixed(ratio < 0.1 && ratio > 0 ? 1 : 0)}%`

/** A duration, rounded as a whole before it is split (59.6 s is `1m 0s`, not `60 s`; 119.6 s `2m 0s`, not `1m 60s`). */
export const duration = (ms: number | null | undefined) => {
  if (ms === null || ms === undefined) return "–"
  if (ms < 999.5) return `${Math.round(ms)} ms`
  if (ms < 9_950) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h ${m % 60}m`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" })
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" })
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" })

export const date = (ms: number) => dateOnly.format(ms)
export const dateAndTime = (ms: number) => dateTime.format(ms)
export const time = (ms: number) => timeOnly.format(ms)

export const relative = (ms: number, now = Date.now()) => {
  const diff = now - ms
  if (diff < 60_000) return "just now"
  if (diff < 3_600_000) return `${Math.floor(diff / 60_000)} min ago`
  if (diff < 86_400_000) return `${Math.floor(diff / 3_600_000)} h ago`
  if (diff < 7 * 86_400_000) return `${Math.floor(diff / 86_400_000)} d ago`
  return dateOnly.format(ms)
}

/** `YYYY-MM-DD` of a UTC date: the days stats are kept by (a range's bounds are UTC midnights). */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/** `YYYY-MM-DD` of a local date, for `<input type="date">`. */
export const isoDay = (ms: number) => {
  const d = new Date(ms)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`
}

/** The agent's name for a source id (from the domain's Sources table), else the id. */
export const sourceLabel = (source: string) => Sources.label(source)

/** The project label of a session: its name, else the last segment of its path, else `"(none)"`. */
export { projectOf } from "@opensync/domain/Session"
