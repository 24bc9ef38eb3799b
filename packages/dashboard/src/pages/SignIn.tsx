import { type FormEvent, useEffect, useState } from "react"
import { clientFor, run } from "../api.js"
import { type Auth, normalizeUrl, signIn } from "../auth.js"
import { FormError } from "../components/QueryTable.js"

/**
 * The command that runs the `opensync` CLI of the server serving this page, as its `/health` says (`npm run opensync
 * --` in a clone of the repository); `opensync` when it does not say (Convex, an older server, no server).
 */
const useServerCli = () => {
  const [cli, setCli] = useState("opensync")
  useEffect(() => {
    let current = true
    run(clientFor({ baseUrl: location.origin, token: null }).health.health()).then(
      (health) => {
        if (current && health.cli !== undefined) setCli(health.cli)
      },
      () => {}
    )
    return () => {
      current = false
    }
  }, [])
  return cli
}

/** The sign-in form's inputs. */
const fields = [
  { label: "Server URL", name: "server", type: "url", inputMode: "url", autoComplete: "url" },
  { label: "API key", name: "apiKey", type: "password", autoComplete: "off", placeholder: "osk_…" }
] as const

/** Sign in with an API key; the server URL defaults to this page's own origin. */
export const SignIn = (props: { readonly onSignedIn: (auth: Auth) => void; readonly initialError: Error | null }) => {
  const cli = useServerCli()
  const [url, setUrl] = useState(location.origin)
  const [key, setKey] = useState("")
  const values = { server: [url, setUrl], apiKey: [key, setKey] } as const
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(props.initialError?.message ?? null)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    let baseUrl: string
    try {
      baseUrl = normalizeUrl(url)
    } catch {
      setBusy(false)
      return setError("That server URL is not valid. Example: http://127.0.0.1:4870")
    }
    signIn(baseUrl, key).then(
      (auth) => {
        setKey("")
        props.onSignedIn(auth)
      },
      (e: Error) => {
        setBusy(false)
        setError(e.message)
      }
    )
  }
  return (
    <div className="signin">
      <form className="signin-card" onSubmit={submit}>
        <h1>
          <img src="/favicon.svg" alt="" width="28" height="28" /> OpenSync
        </h1>
        <p className="muted">Sign in with an API key to see your coding-agent sessions.</p>
        {fields.map(({ label, ...field }) => {
          const [value, set] = values[field.name]
          return (
            <label key={field.name} className="field">
              <span>{label}</span>
              <input {...field} value={value} onChange={(e) => set(e.target.value)} required />
            </label>
          )
        })}
        <FormError error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <details className="help">
          <summary>Where do I get a key?</summary>
          <p>
            On its first start <code>{cli} serve</code> prints a key and a link that signs you in. Lost it? Run{" "}
            <code>{cli} keys create --name dashboard --scope full</code> (only a full key signs in). On Convex, the
            deployment owner runs{" "}
            <code>
              npx convex run users:create '{"{"}"name":"You"{"}"}'
            </code>
            .
          </p>
          <p className="muted">
            The key is exchanged for a session that lasts 7 days; the key itself is never stored by this page.
          </p>
        </details>
      </form>
    </div>
  )
}
