import { utcDay } from "../format.js"

/**
 * The time range of stats views: the last 7/30/90 days or a custom one, read from the URL. Days are UTC days, the days
 * the stats are kept by, in the URL and the pickers alike (the picker's days were local ones, read back as UTC: in
 * Los Angeles, "Custom" after "7 days" moved the range a day back and changed the totals).
 */
export const rangeOf = (params: URLSearchParams, now = Date.now()) => {
  const range = params.get("range") ?? "30"
  if (range === "custom") {
    const from = params.get("from") ?? utcDay(now - 29 * 86_400_000)
    const to = params.get("to") ?? utcDay(now)
    return {
      range,
      fromDay: from,
      toDay: to,
      from: Date.UTC(Number(from.slice(0, 4)), Number(from.slice(5, 7)) - 1, Number(from.slice(8, 10))),
      to: Date.UTC(Number(to.slice(0, 4)), Number(to.slice(5, 7)) - 1, Number(to.slice(8, 10))) + 86_400_000 - 1
    }
  }
  const days = range === "7" ? 7 : range === "90" ? 90 : 30
  const today = new Date(now)
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) + 86_400_000 - 1
  const from = end + 1 - days * 86_400_000
  return { range: String(days), fromDay: utcDay(from), toDay: utcDay(end), from, to: end }
}
