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
}

/** Counters a drain accumulates. */
export interface Totals {
  delivered: number
  rejected: number
  requests: number
  reclaimed: number
  readonly corrupt: Array<{ readonly file: string; readonly reason: string }>
}

interface Item {
  readonly file: number
  readonly index: number
  readonly event: unknown
}

/** Files claimed by this drain, their events in order, and how they will be sent. */
export interface Claim {
  readonly files: ReadonlyArray<{ readonly name: string; readonly path: string }>
  /** Events small enough to send, in file order. */
  readonly sendable: ReadonlyArray<Item>
  /** Events too large for any request: rejected without being sent. */
  readonly oversize: ReadonlyArray<{ readonly item: Item; readonly reason: string }>
  /** Consecutive [start, end) ranges of `sendable`, one per request. */
  readonly requests: ReadonlyArray<readonly [number, number]>
}

/** The filesystem steps of a drain: recover, claim, settle, release. */
export const makeDrainSteps = (ctx: DrainContext) => {
  const { dirs } = ctx

  const quarantine = (from: string, name: string, reason: string, totals: Totals) =>
    Effect.gen(function* () {
      if (!(yield* Fs.move(from, path.join(dirs.corrupt, name)))) return
      totals.corrupt.push({ file: name, reason })
      yield* Effect.logWarning(`Outbox: moved ${name} to corrupt/: ${reason}`)
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
        const parsed = Files.parseName(name)
        const text = yield* Fs.readText(file)
        if (text === undefined) continue
        const decoded =
          parsed === undefined ? { error: "not an outbox file name" } : Files.decodeSpool(text, parsed.count)
        if ("error" in decoded) yield* quarantine(file, name, `left by an interrupted append: ${decoded.error}`, totals)
        else yield* Fs.move(file, path.join(dirs.pending, name))
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

  /** Claims the oldest pending files that fit one request (or one file, however large); undefined when none are left. */
  const claim = (totals: Totals) =>
    Effect.gen(function* () {
      const files: Array<{ name: string; path: string }> = []
      const items: Array<Item> = []
      const sizes: Array<number> = []
      let bytes = Files.ENVELOPE_BYTES
      for (const name of yield* Fs.list(dirs.pending)) {
        const parsed = Files.parseName(name)
        if (parsed !== undefined && files.length > 0 && items.length + parsed.count > ctx.maxEvents) break
        const claimed = yield* claimFile(name)
        if (claimed === undefined) continue
        const text = yield* Fs.readText(claimed)
        if (text === undefined) continue
        const decoded =
          parsed === undefined ? { error: "not an outbox file name" } : Files.decodeSpool(text, parsed.count)
        if ("error" in decoded) {
          yield* quarantine(claimed, name, decoded.error, totals)
          continue
        }
        const fileSizes = decoded.events.map(Files.eventBytes)
        const fileBytes = fileSizes.reduce((a, b) => a + b, 0)
        if (files.length > 0 && bytes + fileBytes > ctx.maxBytes) {
          yield* Fs.move(claimed, path.join(dirs.pending, name))
          break
        }
        const file = files.push({ name, path: claimed }) - 1
        for (let index = 0; index < decoded.events.length; index++) {
          items.push({ file, index, event: decoded.events[index] })
          sizes.push(fileSizes[index])
        }
        bytes += fileBytes
        if (items.length >= ctx.maxEvents || bytes >= ctx.maxBytes) break
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

  /** After every request of a claim was answered: records rejected events, then deletes the claimed files. */
  const settle = (claim: Claim, answers: ReadonlyArray<Files.Answer>, now: number, totals: Totals) =>
    Effect.gen(function* () {
      const rejected = claim.oversize.map(({ item, reason }) => ({ item, reason }))
      answers.forEach((answer, k) => {
        const [start] = claim.requests[k]
        for (const r of answer.rejected) rejected.push({ item: claim.sendable[start + r.index], reason: r.error })
      })
      for (const { item, reason } of rejected) {
        const source = claim.files[item.file].name
        const name = Files.rejectedName(source, item.index)
        const body = Files.encodeRejected({ rejectedAt: now, reason, source, index: item.index, event: item.event })
        yield* Fs.writeAtomic(path.join(dirs.tmp, Files.scratchName(ctx.pid)), path.join(dirs.rejected, name), body)
      }
      for (const file of claim.files) yield* Fs.remove(file.path)
      totals.requests += answers.length
      totals.rejected += rejected.length
      totals.delivered += claim.sendable.length + claim.oversize.length - rejected.length
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
