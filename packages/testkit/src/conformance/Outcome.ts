/** What `POST /sync/events` answers (outside its `rejected` details): an id list per outcome. */
export type Lists = Partial<Record<"stored" | "duplicates" | "stale" | "rejected" | "deleted", ReadonlyArray<unknown>>>

/** The whole answer of `POST /sync/events` with the lists named and every other list empty, for `toEqual`. */
export const outcome = (lists: Lists) => ({
  stored: [],
  duplicates: [],
  stale: [],
  rejected: [],
  deleted: [],
  ...lists
})

/** The ids of events, in order. */
export const ids = (events: ReadonlyArray<Readonly<Record<string, unknown>>>): Array<unknown> => events.map((e) => e.id)
