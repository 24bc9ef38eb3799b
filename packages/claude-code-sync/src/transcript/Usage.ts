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
  readonly sidechain: boolean
}

/** The copies of one response (`message.id`), by `requestId`: the fullest main-thread and sidechain copy of each. */
export interface ResponseCopies {
  /** Whether a main-thread line of the response was seen (with usage or not). */
  readonly hasMain: boolean
  readonly main: Record<string, Copy>
  readonly sidechain: Record<string, Copy>
}

/** The dedup state of one transcript: plain, JSON-serialisable data, carried across chunks. */
export interface Ledger {
  readonly responses: Record<string, ResponseCopies>
}

export const emptyLedger = (): Ledger => ({ responses: {} })

const fuller = (candidate: Usage.UsageFields, current: Copy | undefined): boolean =>
  current === undefined || Usage.total(candidate) > Usage.total(current.usage)

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
  const responses = ledger.responses as Record<
    string,
    { hasMain: boolean; main: Record<string, Copy>; sidechain: Record<string, Copy> }
  >
  let copies = responses[messageId]
  if (copies === undefined) {
    copies = { hasMain: false, main: {}, sidechain: {} }
    responses[messageId] = copies
  }
  const firstMain = !sidechain && !copies.hasMain
  if (!sidechain) copies.hasMain = true
  if (usage === null) return firstMain && Object.keys(copies.sidechain).length > 0
  const side = sidechain ? copies.sidechain : copies.main
  const key = requestId ?? ""
  if (!fuller(usage, side[key])) return firstMain
  side[key] = { usage, sidechain }
  return true
}

/**
 * The usage a response counts, or null when no line of it carried usage. In a main transcript (`dropReplays`), once
 * the response has a main-thread copy its sidechain copies are replays and count nothing; otherwise each request
 * counts its main-thread copy, or its fullest sidechain copy when it has none.
 */
export const counted = (ledger: Ledger, messageId: string, dropReplays: boolean): Usage.UsageFields | null => {
  const copies = ledger.responses[messageId]
  if (copies === undefined) return null
  const main = Object.values(copies.main)
  const chosen =
    dropReplays && copies.hasMain
      ? main
      : [
          ...main,
          ...Object.entries(copies.sidechain)
            .filter(([requestId]) => copies.main[requestId] === undefined)
            .map(([, copy]) => copy)
        ]
  let usage: Usage.UsageFields | null = null
  for (const copy of chosen) usage = usage === null ? copy.usage : Usage.add(usage, copy.usage)
  return usage
}
