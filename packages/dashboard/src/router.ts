import { useSyncExternalStore } from "react"

/** A minimal History-API router: the URL is the state, so every view (filters included) can be shared. */

const listeners = new Set<() => void>()
const notify = () => {
  for (const listener of listeners) listener()
}
window.addEventListener("popstate", notify)

const subscribe = (listener: () => void) => {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

const snapshot = () => location.pathname + location.search

/** The current path and query, re-rendering on navigation. */
export const useLocation = (): { readonly path: string; readonly params: URLSearchParams } => {
  const href = useSyncExternalStore(subscribe, snapshot)
  const url = new URL(href, location.origin)
  return { path: url.pathname, params: url.searchParams }
}

/** Goes to a path (pushes history unless `replace`), scrolling to the top for a new page. */
export const navigate = (to: string, options: { readonly replace?: boolean } = {}) => {
  if (to === snapshot()) return
  const samePage = new URL(to, location.origin).pathname === location.pathname
  if (options.replace) history.replaceState(null, "", to)
  else history.pushState(null, "", to)
  if (!samePage) window.scrollTo(0, 0)
  notify()
}

/** Builds `path?query` from a record, dropping empty values, so default views keep clean URLs. */
export const href = (path: string, params: Record<string, string | number | null | undefined>) => {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(key, String(value))
  }
  const text = query.toString()
  return text === "" ? path : `${path}?${text}`
}

/** Replaces some query parameters of the current URL (filters): `null` removes one. */
export const setParams = (
  updates: Record<string, string | number | null>,
  options: { readonly push?: boolean } = {}
) => {
  const params = new URLSearchParams(location.search)
  for (const [key, value] of Object.entries(updates)) {
    if (value === null || value === "") params.delete(key)
    else params.set(key, String(value))
  }
  const text = params.toString()
  navigate(text === "" ? location.pathname : `${location.pathname}?${text}`, { replace: !options.push })
}

/** True when a click should be left to the browser (new tab, download, …). */
export const isModifiedClick = (event: {
  button: number
  metaKey: boolean
  ctrlKey: boolean
  shiftKey: boolean
  altKey: boolean
}) => event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey
