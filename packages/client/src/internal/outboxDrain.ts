import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Files from "./outboxFiles.js"
import * as Fs from "./outboxFs.js"

/** One drain's identity and limits. */
export interface DrainContext {
  readonly dirs: Files.Layout
  readonly pid: number
  readonly owner: string
  readonly ownDir: string
  readonly maxEvents: number
  readonly maxBytes: number
  readonly claimTimeout: number
  /** Tries of an event the server fails on before it is set aside. */
  readonly maxAttempts: number
  /** How long to wait before try `attempt + 1` of an event that failed `attempt` times. */
  readonly backoff: (attempt: number) => number
}

/** An event the server failed on (alone in its request) during a drain. */
export interface FailedEvent {
  readonly id: string | null
  /** The server's answer. */
  readonly reason: string
  readonly status: number | null
  /** Requests that failed on it so far, this one included. */
  readonly attempts: number
  /** When it may be sent again; null when it was set aside in `rejected/`. */
  readonly retryAt: number | null
}

/** Counters a drain accumulates. */
export interface Totals {
  delivered: number
  deleted: number
  rejected: number
  retrying: number
  reclaimed: number
  readonly corrupt: Array<{ readonly file: string; readonly reason: string; readonly sessions: ReadonlyArray<string> }>
  readonly failed: Array<FailedEvent>
  /** Events that failed alone while the server accepted nothing, so their failure was not charged to them. */
  uncharged: number
  /** The newest event set aside, for `stats`. */
  lastRejected: { readonly at: number; readonly id: string | null; readonly reason: string } | null
}

export const emptyTotals = (): Totals => ({
  delivered: 0,
  deleted: 0,
  rejected: 0,
  retrying: 0,
  reclaimed: 0,
  corrupt: [],
  failed: [],
  uncharged: 0,
  lastRejected: null
})

export interface Item {
  readonly file: number
  readonly index: number
  readonly event: unknown
}

/** Files claimed by this drain, their events in order, and how they will be sent. */
export interface Claim {
  readonly files: ReadonlyArray<{ readonly name: string; readonly path: string; readonly spool: Files.SpoolName }>
  /** Events small enough to send, in file order. */
  readonly sendable: ReadonlyArray<Item>
  /** Events too large for any request: rejected without being sent. */
  readonly oversize: ReadonlyArray<{ readonly item: Item; readonly reason: string }>
  /** Consecutive [start, end) ranges of `sendable`, one per request. */
  readonly requests: ReadonlyArray<readonly [number, number]>
}

/**
 * A claim whose files were read as bytes only, all of them written by `encodeSpool` and fitting one request: sent as
 * they are (no parsing, no serializing), and parsed only when the answer needs the events (refused or deleted ones, a
 * failure to isolate).
 */
export interface RawClaim {
  readonly files: Claim["files"]
  readonly count: number
  /** The `POST /sync/events` body: `{"events":[…]}` of every file's events, in order. */
  readonly body: Uint8Array
  /** The claim as the events path sees it: its files parsed (an unreadable one quarantined, as `claim` does). */
  readonly decode: Effect.Effect<Claim | undefined, Fs.FsError>
}

export const isRaw = (claim: Claim | RawClaim): claim is RawClaim => "body" in claim

/** What became of one sendable event. */
export type Outcome =
  | { readonly _tag: "Delivered" }
  | { readonly _tag: "Deleted" }
  /** The server refused this event by its index (a 4xx about the event): set aside at once. */
  | { readonly _tag: "Refused"; readonly reason: string }
  /** A request holding this event alone failed: charged one try when the drain shows the server works. */
  | { readonly _tag: "Failed"; readonly reason: string; readonly status: number | null }

/** A session id as the events of a spool file write it. */
const SESSION_ID = /"sessionId":"((?:[^"\\\n]|\\.){1,300})"/g

/**
 * The session ids a damaged spool file names (at most 1,000), read from its text whether or not it parses: what the
 * file held of those sessions may be lost, and their history is read again (the kit's `Failures`).
 */
const sessionsNamedIn = (text: string): ReadonlyArray<string> => {
  const ids = new Set<string>()
  for (const m of text.matchAll(SESSION_ID)) {
    try {
      ids.add(JSON.parse(`"${m[1]}"`) as string)
    } catch {
      // an id cut inside an escape: not one to read again
    }
    if (ids.size >= 1_000) break
  }
  return [...ids]
}

/** The filesystem steps of a drain: recover, claim, settle, release. */
export const makeDrainSteps = (ctx: DrainContext) => {
  const { dirs } = ctx
  const scratch = () => path.join(dirs.tmp, Files.scratchName(ctx.pid))

  const quarantine = (from: string, name: string, reason: string, totals: Totals, text?: string) =>
    Effect.gen(function* () {
      if (!(yield* Fs.move(from, path.join(dirs.corrupt, name)))) return
      totals.corrupt.push({ file: name, reason, sessions: text === undefined ? [] : sessionsNamedIn(text) })
    })

  /**
   * The text of the spool file at `file` and its events (named as `parsed` says), or why they cannot be read;
   * undefined when gone.
   */
  const readSpool = (file: string, parsed: Files.SpoolName | undefined) =>
    Effect.map(Fs.readText(file), (text) => {
      if (text === undefined) return undefined
      const decoded: ReturnType<typeof Files.decodeSpool> =
        parsed === undefined
          ? { error: "not an outbox file name", salvaged: [] }
          : Files.decodeSpool(text, parsed.count)
      return { text, decoded }
    })

  /**
   * Moves an unreadable spool file to `corrupt/`. The complete events it still holds are queued again first, under
   * the same append (`<stem>.<count>.json`, so doing it twice after a crash writes the same file).
   */
  const quarantineSpool = (
    from: string,
    name: string,
    text: string,
    decoded: Files.Unreadable,
    prefix: string,
    totals: Totals
  ) =>
    Effect.gen(function* () {
      const spool = Files.parseName(name)
      if (spool !== undefined && spool.retry === undefined && decoded.salvaged.length > 0) {
        const salvaged = `${spool.stem}.${decoded.salvaged.length}.json`
        yield* Fs.writeAtomic(scratch(), path.join(dirs.pending, salvaged), Files.encodeSpool(decoded.salvaged))
      }
      // (with its text: the sessions it names, even in a part that does not parse, may have lost events with it)
      yield* quarantine(from, name, `${prefix}${decoded.error}`, totals, text)
    })

  /** Takes back claims of drainers silent for `claimTimeout`, and spool files left in `tmp/` by a crashed append. */
  const recover = (now: number, totals: Totals) =>
    Effect.gen(function* () {
      const isStale = (entry: { at: number } | undefined) => entry !== undefined && now - entry.at > ctx.claimTimeout
      for (const owner of yield* Fs.list(dirs.sending)) {
        if (owner === ctx.owner) continue
        const ownerDir = path.join(dirs.sending, owner)
        const info = yield* Fs.modifiedAt(ownerDir)
        if (!isStale(info)) continue
        if (!info?.directory) {
          yield* quarantine(ownerDir, owner, "not a claim directory", totals)
          continue
        }
        for (const name of yield* Fs.list(ownerDir)) {
          if (yield* Fs.move(path.join(ownerDir, name), path.join(dirs.pending, name))) totals.reclaimed += 1
        }
        yield* Fs.removeEmptyDirectory(ownerDir)
      }
      for (const name of yield* Fs.list(dirs.tmp)) {
        const file = path.join(dirs.tmp, name)
        if (!isStale(yield* Fs.modifiedAt(file))) continue
        if (Files.isScratch(name)) {
          yield* Fs.remove(file)
          continue
        }
        const read = yield* readSpool(file, Files.parseName(name))
        if (read === undefined) continue
        if ("error" in read.decoded) {
          yield* quarantineSpool(file, name, read.text, read.decoded, "left by an interrupted append: ", totals)
        } else yield* Fs.move(file, path.join(dirs.pending, name))
      }
    })

  /** Moves a pending file into this drain's directory; undefined when another drainer took it first. */
  const claimFile = (name: string) =>
    Effect.gen(function* () {
      const from = path.join(dirs.pending, name)
      const to = path.join(ctx.ownDir, name)
      if (yield* Fs.move(from, to)) return to
      const ownDirExists = (yield* Fs.modifiedAt(ctx.ownDir)) !== undefined
      if (ownDirExists) return undefined
      yield* Fs.mkdir(ctx.ownDir)
      return (yield* Fs.move(from, to)) ? to : undefined
    })

  /** A claimed file: its events parsed, or (`raw`) only the bytes of its events, as `encodeSpool` wrote them. */
  type Entry = {
    readonly file: { readonly name: string; readonly path: string; readonly spool: Files.SpoolName }
    readonly count: number
    readonly bytes: number
  } & (
    | { readonly raw: Buffer; readonly whole: Buffer }
    | { readonly events: ReadonlyArray<unknown>; readonly sizes: ReadonlyArray<number> }
  )

  /** The events of a claimed spool file's text with their sizes, or undefined once it was quarantined. */
  const parseEntry = (file: Entry["file"], text: string, totals: Totals) =>
    Effect.gen(function* () {
      const decoded = Files.decodeSpool(text, file.spool.count)
      if ("error" in decoded) {
        yield* quarantineSpool(file.path, file.name, text, decoded, "", totals)
        return undefined
      }
      const sizes = decoded.events.map(Files.eventBytes)
      return {
        file,
        events: decoded.events,
        sizes,
        count: decoded.events.length,
        bytes: sizes.reduce((a, b) => a + b, 0)
      }
    })

  /** The claim of `entries` as the events path sees it: every file parsed (an unreadable one quarantined). */
  const toClaim = (entries: ReadonlyArray<Entry>, totals: Totals) =>
    Effect.gen(function* () {
      const files: Array<Claim["files"][number]> = []
      const items: Array<Item> = []
      const sizes: Array<number> = []
      for (const entry of entries) {
        const parsed = "raw" in entry ? yield* parseEntry(entry.file, entry.whole.toString("utf8"), totals) : entry
        if (parsed === undefined) continue
        const file = files.push(parsed.file) - 1
        for (let index = 0; index < parsed.events.length; index++) {
          items.push({ file, index, event: parsed.events[index] })
          sizes.push(parsed.sizes[index])
        }
      }
      if (files.length === 0) return undefined
      const sendable: Array<Item> = []
      const sendableSizes: Array<number> = []
      const oversize: Array<{ item: Item; reason: string }> = []
      items.forEach((item, i) => {
        if (Files.ENVELOPE_BYTES + sizes[i] <= ctx.maxBytes) {
          sendable.push(item)
          sendableSizes.push(sizes[i])
        } else {
          const reason = `the event is ${sizes[i] - 1} bytes of JSON, more than a request may hold (${ctx.maxBytes})`
          oversize.push({ item, reason })
        }
      })
      const requests = Files.planRequests(sendableSizes, ctx.maxEvents, ctx.maxBytes)
      const result: Claim = { files, sendable, oversize, requests }
      return result
    })

  /**
   * Claims the oldest pending files that fit one request (or one file, however large), skipping events that wait for
   * a retry until `now`; undefined when none are left. With `raw`, files in the exact shape `encodeSpool` writes are
   * not parsed: when every file of the claim is, and they fit one request, the claim is a `RawClaim`, its request body
   * made of their bytes.
   */
  const claim = (now: number, totals: Totals, raw = false) =>
    Effect.gen(function* () {
      const entries: Array<Entry> = []
      let count = 0
      let bytes = Files.ENVELOPE_BYTES
      for (const name of yield* Fs.list(dirs.pending)) {
        const parsed = Files.parseName(name)
        if (parsed?.retry !== undefined && parsed.retry.notBefore > now) continue
        if (parsed !== undefined && entries.length > 0 && count + parsed.count > ctx.maxEvents) break
        const claimed = yield* claimFile(name)
        if (claimed === undefined) continue
        const content = yield* Fs.readBytes(claimed)
        if (content === undefined) continue
        if (parsed === undefined) {
          yield* quarantine(claimed, name, "not an outbox file name", totals)
          continue
        }
        const file = { name, path: claimed, spool: parsed }
        const eventBytes = raw ? Files.spoolEventBytes(content) : undefined
        const entry: Entry | undefined =
          eventBytes !== undefined
            ? { file, count: parsed.count, bytes: eventBytes.length + 1, raw: eventBytes, whole: content }
            : yield* parseEntry(file, content.toString("utf8"), totals)
        if (entry === undefined) continue
        if (entries.length > 0 && bytes + entry.bytes > ctx.maxBytes) {
          yield* Fs.move(claimed, path.join(dirs.pending, name))
          break
        }
        entries.push(entry)
        count += entry.count
        bytes += entry.bytes
        if (count >= ctx.maxEvents || bytes >= ctx.maxBytes) break
      }
      if (entries.length === 0) return undefined
      const fits = count <= ctx.maxEvents && bytes <= ctx.maxBytes
      if (raw && fits && entries.every((entry) => "raw" in entry)) {
        const rawClaim: RawClaim = {
          files: entries.map((entry) => entry.file),
          count,
          body: Files.requestBody(entries.flatMap((entry) => ("raw" in entry ? [entry.raw] : []))),
          decode: toClaim(entries, totals)
        }
        return rawClaim
      }
      return yield* toClaim(entries, totals)
    })

  const setAside = (
    file: Claim["files"][number],
    item: Item,
    record: { readonly reason: string; readonly status?: number | null; readonly attempts?: number },
    now: number,
    totals: Totals
  ) =>
    Effect.gen(function* () {
      const index = Files.originalIndex(file.spool, item.index)
      const body = Files.encodeRejected({ rejectedAt: now, ...record, source: file.name, index, event: item.event })
      yield* Fs.writeAtomic(
        scratch(),
        path.join(dirs.rejected, Files.rejectedName(file.spool.stem, index, Files.idOf(item.event))),
        body
      )
      totals.rejected += 1
      totals.lastRejected = { at: now, id: Files.idOf(item.event), reason: record.reason }
    })

  /**
   * Settles each claimed file whose every event has a final outcome: refused events and events failed too often go to
   * `rejected/`, failed events go back to `pending/` one per file with their try count and the time of their next
   * try, then the file is deleted. A `Failed` outcome counts when `charge` (the server worked for other requests) or
   * when the event had already failed alone before; a file with an event that has no final outcome goes back to
   * `pending/` whole.
   */
  const settle = (
    claim: Claim,
    outcomes: ReadonlyArray<Outcome | undefined>,
    charge: boolean,
    now: number,
    totals: Totals
  ) =>
    Effect.gen(function* () {
      const byFile = claim.files.map(() => [] as Array<{ item: Item; outcome: Outcome }>)
      const unresolved = claim.files.map(() => false)
      claim.sendable.forEach((item, i) => {
        const outcome = outcomes[i]
        const suspect = (claim.files[item.file].spool.retry?.attempts ?? 0) > 0
        if (outcome?._tag === "Failed" && !charge && !suspect) totals.uncharged += 1
        if (outcome === undefined || (outcome._tag === "Failed" && !charge && !suspect)) unresolved[item.file] = true
        else byFile[item.file].push({ item, outcome })
      })
      for (const { item, reason } of claim.oversize)
        byFile[item.file].push({ item, outcome: { _tag: "Refused", reason } })
      for (let f = 0; f < claim.files.length; f++) {
        const file = claim.files[f]
        if (unresolved[f]) {
          yield* Fs.move(file.path, path.join(dirs.pending, file.name))
          continue
        }
        let renamed = false
        for (const { item, outcome } of byFile[f]) {
          switch (outcome._tag) {
            case "Delivered":
              totals.delivered += 1
              break
            case "Deleted":
              totals.deleted += 1
              break
            case "Refused":
              yield* setAside(file, item, { reason: outcome.reason }, now, totals)
              break
            case "Failed": {
              const attempts = (file.spool.retry?.attempts ?? 0) + 1
              const final = attempts >= ctx.maxAttempts || (outcome.status !== null && outcome.status < 500)
              const failed = { id: Files.idOf(item.event), reason: outcome.reason, status: outcome.status, attempts }
              if (final) {
                yield* setAside(file, item, { reason: outcome.reason, status: outcome.status, attempts }, now, totals)
                totals.failed.push({ ...failed, retryAt: null })
                break
              }
              const retryAt = now + ctx.backoff(attempts)
              const index = Files.originalIndex(file.spool, item.index)
              const target = path.join(
                dirs.pending,
                Files.retryName(file.spool.stem, { index, attempts, notBefore: retryAt })
              )
              if (file.spool.count === 1) renamed = yield* Fs.move(file.path, target)
              else yield* Fs.writeAtomic(scratch(), target, Files.encodeSpool([item.event]))
              totals.retrying += 1
              totals.failed.push({ ...failed, retryAt })
            }
          }
        }
        if (!renamed) yield* Fs.remove(file.path)
      }
    })

  /** Puts every file this drain still holds back in `pending/`, optionally removing the (then empty) directory. */
  const releaseAll = (removeDirectory: boolean) =>
    Effect.gen(function* () {
      for (const name of yield* Fs.list(ctx.ownDir)) {
        yield* Fs.move(path.join(ctx.ownDir, name), path.join(dirs.pending, name))
      }
      if (removeDirectory) yield* Fs.removeEmptyDirectory(ctx.ownDir)
    })

  return { recover, claim, settle, releaseAll } as const
}
