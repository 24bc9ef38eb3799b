/**
 * What a read of a session file on from its memo (`Kit.Memo`) may leave out: the events of the records it took from the
 * memo unchanged (`part.changed` holds the others). Those must be events the read that left the memo made: that read's
 * events were all queued when its memo counts (`Kit.History`), so what is left out now was queued then. Feed every read
 * of one file, in order, to `check`.
 */
import { expect } from "@effect/vitest"

interface Read {
  readonly events: ReadonlyArray<{ readonly id: string }>
  readonly part: {
    readonly changed?: { readonly since: string; readonly events: ReadonlyArray<{ readonly id: string }> }
    readonly saved?: string
  }
}

export const leftOutChecker = () => {
  /** The ids of the events of the read that left each memo. */
  const byMemo = new Map<string, ReadonlySet<string>>()
  let partial = 0
  let leftOut = 0
  const check = (read: Read) => {
    const all = new Set(read.events.map((event) => event.id))
    const changed = read.part.changed
    if (changed !== undefined) {
      partial++
      const made = byMemo.get(changed.since)
      expect(made, `no read left the memo ${changed.since}`).toBeDefined()
      const kept = new Set(changed.events.map((event) => event.id))
      for (const id of kept) expect(all.has(id), `${id} is not among the read's events`).toBe(true)
      for (const id of all) {
        if (kept.has(id)) continue
        leftOut++
        expect(made?.has(id), `${id} left out, but the read that left the memo did not make it`).toBe(true)
      }
    }
    const saved = read.part.saved
    if (saved !== undefined && !byMemo.has(saved)) byMemo.set(saved, all)
  }
  /** How many reads went on from a memo, and how many events they left out in all. */
  const counts = () => ({ partial, leftOut })
  return { check, counts }
}
