import { Lenient } from "@opensync/client"
import { Usage } from "@opensync/domain"
import type { RawUsage } from "./Lines.js"

/*
 * Usage deduplication. Claude Code logs one line per content block of an API response, each repeating the response's
 * `usage`; a response is counted once per `message.id` + `requestId`, keeping the fullest copy (streamed lines carry
 * partial output counts), and in a main transcript a sidechain copy of a main-thread response (a `/btw` replay) is
 * dropped. The ledger holds every response's candidate copies as plain data, so it can be carried from one chunk of a
 * transcript to the next (and saved between reads): the totals never depend on where a file was cut.
 */

/** Claude usage → domain usage; without a `cache_creation` split every cache write is a 5-minute write. */
export const usageOf = (raw: RawUsage): Usage.UsageFields => {
  const cacheWrite = Lenient.count(raw.cache_creation_input_tokens)
  let cacheWrite5m = cacheWrite
  let cacheWrite1h = 0
  if (raw.cache_creation !== undefined) {
    cacheWrite1h = Lenient.count(raw.cache_creation.ephemeral_1h_input_tokens)
    cacheWrite5m = Lenient.count(raw.cache_creation.ephemeral_5m_input_tokens)
    if (cacheWrite5m + cacheWrite1h < cacheWrite) cacheWrite5m = cacheWrite - cacheWrite1h
  }
  return {
    input: Lenient.count(raw.input_tokens),
    output: Lenient.count(raw.output_tokens),
    cacheRead: Lenient.count(raw.cache_read_input_tokens),
    cacheWrite5m,
    cacheWrite1h,
    reasoning: 0
  }
}

/** One copy of a response's usage, as one line logged it. */
export interface Copy {
  readonly usage: Usage.UsageFields
  readonly total: number
}

/** The copies of one response (`message.id`), by `requestId`: the fullest main-thread and sidechain copy of each. */
export interface ResponseCopies {
  /** Whether a main-thread line of the response was seen (with usage or not). */
  hasMain: boolean
  readonly main: Map<string, Copy>
  readonly sidechain: Map<string, Copy>
}

/** The dedup state of one transcript, carried from one chunk to the next (`toJson` / `fromJson` to keep it). */
export interface Ledger {
  readonly responses: Map<string, ResponseCopies>
}

export const emptyLedger = (): Ledger => ({ responses: new Map() })

/**
 * Records one line of a response (mutates the ledger): its copy of the usage, or null for a line without usable usage
 * (which still marks the response as seen on the main thread). Returns whether the response's counted usage may have
 * changed, i.e. whether its message must be sent again.
 */
export const record = (
  ledger: Ledger,
  messageId: string,
  requestId: string | undefined,
  usage: Usage.UsageFields | null,
  sidechain: boolean
): boolean => {
  let copies = ledger.responses.get(messageId)
  if (copies === undefined) {
    copies = { hasMain: false, main: new Map(), sidechain: new Map() }
    ledger.responses.set(messageId, copies)
  }
  const firstMain = !sidechain && !copies.hasMain
  if (!sidechain) copies.hasMain = true
  if (usage === null) return firstMain && copies.sidechain.size > 0
  const side = sidechain ? copies.sidechain : copies.main
  const key = requestId ?? ""
  const total = Usage.total(usage)
  const current = side.get(key)
  if (current !== undefined && total <= current.total) return firstMain
  side.set(key, { usage, total })
  return true
}

/**
 * The usage a response counts, or null when no line of it carried usage. In a main transcript (`dropReplays`), once
 * the response has a main-thread copy its sidechain copies are replays and count nothing; otherwise each request
 * counts its main-thread copy, or its fullest sidechain copy when it has none.
 */
export const counted = (ledger: Ledger, messageId: string, dropReplays: boolean): Usage.UsageFields | null => {
  const copies = ledger.responses.get(messageId)
  if (copies === undefined) return null
  let usage: Usage.UsageFields | null = null
  for (const copy of copies.main.values()) usage = usage === null ? copy.usage : Usage.add(usage, copy.usage)
  if (dropReplays && copies.hasMain) return usage
  for (const [requestId, copy] of copies.sidechain) {
    if (copies.main.has(requestId)) continue
    usage = usage === null ? copy.usage : Usage.add(usage, copy.usage)
  }
  return usage
}

/**
 * The API request a response's counted usage comes from (its `requestId`), when it comes from exactly one request that
 * has an id; undefined when it comes from several (a response logged under two request ids), from lines without one,
 * or when nothing is counted. Telemetry reports usage per request, so only such a response can be matched with it.
 */
export const requestIdOf = (ledger: Ledger, messageId: string, dropReplays: boolean): string | undefined => {
  const copies = ledger.responses.get(messageId)
  if (copies === undefined) return undefined
  const ids = new Set(copies.main.keys())
  if (!(dropReplays && copies.hasMain)) for (const requestId of copies.sidechain.keys()) ids.add(requestId)
  if (ids.size !== 1) return undefined
  const [only] = ids
  return only === "" ? undefined : only
}

/** The ledger as plain JSON, to keep between two reads of a growing transcript. */
export const toJson = (ledger: Ledger): unknown =>
  [...ledger.responses].map(([messageId, copies]) => [
    messageId,
    copies.hasMain,
    [...copies.main].map(([requestId, copy]) => [requestId, copy.usage]),
    [...copies.sidechain].map(([requestId, copy]) => [requestId, copy.usage])
  ])

type JsonEntry = [string, boolean, Array<[string, Usage.UsageFields]>, Array<[string, Usage.UsageFields]>]

/** The ledger `toJson` saved. */
export const fromJson = (json: unknown): Ledger => {
  const copiesOf = (entries: Array<[string, Usage.UsageFields]>) =>
    new Map(entries.map(([requestId, usage]): [string, Copy] => [requestId, { usage, total: Usage.total(usage) }]))
  return {
    responses: new Map(
      (json as Array<JsonEntry>).map(([messageId, hasMain, main, sidechain]): [string, ResponseCopies] => [
        messageId,
        { hasMain, main: copiesOf(main), sidechain: copiesOf(sidechain) }
      ])
    )
  }
}
