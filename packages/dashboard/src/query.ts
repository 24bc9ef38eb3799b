import { useEffect, useReducer } from "react"

/** A small cache of server answers keyed by request: instant back-navigation, refresh on revisit, invalidation. */

interface Entry {
  data?: unknown
  error?: Error
  promise?: Promise<void>
  at: number
}

const cache = new Map<string, Entry>()
const listeners = new Set<() => void>()
const notify = () => {
  for (const listener of listeners) listener()
}
const staleMs = 15_000

const load = (key: string, fetcher: () => Promise<unknown>) => {
  const entry = cache.get(key) ?? { at: 0 }
  if (entry.promise !== undefined) return
  entry.promise = fetcher().then(
    (data) => {
      cache.set(key, { data, at: Date.now() })
    },
    (error: unknown) => {
      cache.set(key, { ...entry, error: error instanceof Error ? error : new Error(String(error)), at: Date.now() })
      delete cache.get(key)?.promise
    }
  )
  cache.set(key, entry)
  entry.promise.finally(notify)
}

export interface Query<T> {
  readonly data: T | undefined
  readonly error: Error | undefined
  readonly loading: boolean
}

/**
 * Data for `key` (null: nothing to load). Shows cached data at once and refreshes it when stale or invalidated; the
 * check runs after every render and costs a map lookup.
 */
export const useQuery = <T>(key: string | null, fetcher: () => Promise<T>): Query<T> => {
  const [, rerender] = useReducer((n: number) => n + 1, 0)
  useEffect(() => {
    listeners.add(rerender)
    return () => {
      listeners.delete(rerender)
    }
  }, [])
  useEffect(() => {
    if (key === null) return
    const entry = cache.get(key)
    if (entry === undefined || (entry.promise === undefined && Date.now() - entry.at > staleMs)) load(key, fetcher)
  })
  if (key === null) return { data: undefined, error: undefined, loading: false }
  const entry = cache.get(key)
  return {
    data: entry?.data as T | undefined,
    error: entry?.data === undefined ? entry?.error : undefined,
    loading: entry === undefined || (entry.data === undefined && entry.error === undefined)
  }
}

/** Forgets every cached answer whose key starts with one of the prefixes (after a change), and refreshes views. */
export const invalidate = (...prefixes: ReadonlyArray<string>) => {
  for (const key of [...cache.keys()]) {
    if (prefixes.length === 0 || prefixes.some((prefix) => key.startsWith(prefix))) cache.delete(key)
  }
  notify()
}
