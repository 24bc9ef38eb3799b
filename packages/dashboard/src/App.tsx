import { lazy, type ReactNode, Suspense, useCallback, useEffect, useMemo, useState } from "react"
import { clientFor, onUnauthorized } from "./api.js"
import { type Auth, ended, restore, signOut } from "./auth.js"
import { Link, Loading } from "./components/ui.js"
import { type AppContext, Context } from "./context.js"
import { SessionsPage } from "./pages/Sessions.js"
import { SignIn } from "./pages/SignIn.js"
import { invalidate } from "./query.js"
import { navigate, useLocation } from "./router.js"
import { type Theme, useTheme } from "./theme.js"

const OverviewPage = lazy(() => import("./pages/Overview.js"))
const SessionPage = lazy(() => import("./pages/Session.js"))
const ToolsPage = lazy(() => import("./pages/Tools.js"))
const ProjectsPage = lazy(() => import("./pages/Projects.js"))
const SettingsPage = lazy(() => import("./pages/Settings.js"))

const nav: ReadonlyArray<readonly [string, string, string]> = [
  ["/", "Overview", "g o"],
  ["/sessions", "Sessions", "g s"],
  ["/tools", "Tools", "g t"],
  ["/projects", "Projects", "g p"],
  ["/settings", "Settings", "g ,"]
]

/**
 * A session page's id from its path: links are built with `encodeURIComponent`, and the path is decoded here exactly
 * once (the API client encodes the id again for its request). Undefined when it does not decode (a stray `%`).
 */
const sessionIdOf = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

const route = (path: string): ReactNode => {
  if (path === "/") return <OverviewPage />
  if (path === "/sessions") return <SessionsPage />
  const session = path.match(/^\/sessions\/(.+)$/)
  const id = session === null ? undefined : sessionIdOf(session[1])
  if (id !== undefined) return <SessionPage id={id} />
  if (path === "/tools") return <ToolsPage />
  if (path === "/projects") return <ProjectsPage />
  if (path === "/settings") return <SettingsPage />
  return (
    <div className="empty">
      <h2>Page not found</h2>
      <p>
        <Link to="/">Back to the overview</Link>
      </p>
    </div>
  )
}

/** `g` then a letter jumps between pages; `/` focuses the search box of the sessions page. */
const useShortcuts = () => {
  useEffect(() => {
    let pending = false
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null
      if (target !== null && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return
      if (event.metaKey || event.ctrlKey || event.altKey) return
      if (pending) {
        pending = false
        const entry = nav.find(([, , keys]) => keys === `g ${event.key}`)
        if (entry !== undefined) navigate(entry[0])
        return
      }
      if (event.key === "g") pending = true
      if (event.key === "/") {
        event.preventDefault()
        if (location.pathname !== "/sessions") navigate("/sessions")
        requestAnimationFrame(() => document.querySelector<HTMLInputElement>("#session-search")?.focus())
      }
    }
    window.addEventListener("keydown", onKey)
    return () => window.removeEventListener("keydown", onKey)
  }, [])
}

const themeNext: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" }
const themeLabel: Record<Theme, string> = { system: "Theme: system", light: "Theme: light", dark: "Theme: dark" }

const Shell = (props: {
  readonly context: AppContext
  readonly theme: Theme
  readonly setTheme: (t: Theme) => void
}) => {
  const { path } = useLocation()
  const [notice, setNotice] = useState(props.context.auth.notice)
  useShortcuts()
  const current = path === "/" ? "/" : `/${path.split("/")[1]}`
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          OpenSync
        </Link>
        <nav className="nav" aria-label="Main">
          {nav.map(([to, label, keys]) => (
            <Link key={to} to={to} title={`${label} (${keys})`} aria-current={current === to ? "page" : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <div className="topbar-end">
          <button
            type="button"
            className="btn btn-ghost btn-small"
            onClick={() => props.setTheme(themeNext[props.theme])}
            title="Switch between system, light and dark"
          >
            {themeLabel[props.theme]}
          </button>
          <span className="user" title={`Signed in to ${props.context.connection.baseUrl}`}>
            {props.context.auth.me.user.name}
          </span>
          <button type="button" className="btn btn-small" onClick={props.context.signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main className="main" id="main">
        {notice !== undefined && (
          <div className="notice" role="status" data-testid="notice">
            <span>{notice}</span>
            <button type="button" className="btn btn-small" onClick={() => setNotice(undefined)}>
              Dismiss
            </button>
          </div>
        )}
        <Suspense fallback={<Loading />}>{route(path)}</Suspense>
      </main>
    </div>
  )
}

export const App = () => {
  const [theme, setTheme] = useTheme()
  const [auth, setAuth] = useState<Auth | null | undefined>(undefined)
  const [error, setError] = useState<Error | null>(null)
  const start = useCallback(() => {
    setError(null)
    restore().then(setAuth, (e: Error) => {
      setError(e)
      setAuth(null)
    })
  }, [])
  useEffect(start, [start])
  // A request refused with 401 while signed in (the key revoked, the sign-in ended): back to the form, saying why
  useEffect(() => {
    if (auth === null || auth === undefined) return
    onUnauthorized(() => {
      onUnauthorized(undefined)
      invalidate()
      setError(ended())
      setAuth(null)
    })
    return () => onUnauthorized(undefined)
  }, [auth])
  const context = useMemo<AppContext | null>(() => {
    if (auth === null || auth === undefined) return null
    return {
      auth,
      connection: auth.connection,
      client: clientFor(auth.connection),
      scope: auth.connection.baseUrl,
      signOut: () => {
        // (requests still in flight are refused once the sign-in is gone: that is no ended sign-in to report)
        onUnauthorized(undefined)
        void signOut(auth).finally(() => {
          invalidate()
          setAuth(null)
        })
      }
    }
  }, [auth])
  if (auth === undefined) return <Loading label="Connecting…" />
  if (context === null) {
    return (
      <SignIn
        initialError={error}
        onSignedIn={(signedIn) => {
          invalidate()
          setAuth(signedIn)
        }}
      />
    )
  }
  return (
    <Context.Provider value={context}>
      <Shell context={context} theme={theme} setTheme={setTheme} />
    </Context.Provider>
  )
}
