import { type ApiKeyInfo, type CreatedApiKey, defaultScope, type Scope } from "@opensync/domain/ApiKey"
import type { SignInInfo } from "@opensync/domain/SignIn"
import * as Sources from "@opensync/domain/Sources"
import { type FormEvent, useEffect, useState } from "react"
import { run } from "../api.js"
import { FormError, QueryTable, type QueryTableSpec } from "../components/QueryTable.js"
import { Card } from "../components/ui.js"
import { useApp } from "../context.js"
import * as F from "../format.js"
import { invalidate, useQuery } from "../query.js"

const Copy = (props: { readonly text: string; readonly label?: string }) => {
  const [copied, setCopied] = useState(false)
  return (
    <button
      type="button"
      className="btn btn-small"
      onClick={() =>
        navigator.clipboard.writeText(props.text).then(
          () => {
            setCopied(true)
            setTimeout(() => setCopied(false), 2000)
          },
          () => setCopied(false)
        )
      }
    >
      {copied ? "Copied ✓" : (props.label ?? "Copy")}
    </button>
  )
}

const Keys = () => {
  const app = useApp()
  const keys = useQuery<{ readonly keys: ReadonlyArray<ApiKeyInfo> }>(`${app.scope}|keys`, () =>
    run(app.client.keys.list())
  )
  const [name, setName] = useState("")
  const [scope, setScope] = useState<Scope>(defaultScope)
  const [created, setCreated] = useState<CreatedApiKey | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const generate = (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    run(app.client.keys.create({ payload: { name: name.trim() || "dashboard", scope } })).then(
      (key) => {
        setBusy(false)
        setCreated(key)
        setName("")
        setScope(defaultScope)
        invalidate(`${app.scope}|keys`)
      },
      (e: Error) => {
        setBusy(false)
        setError(e.message)
      }
    )
  }
  const revoke = (key: ApiKeyInfo) => {
    if (
      !confirm(
        `Revoke "${key.name}" (${key.prefix}…)? Plugins using it stop syncing, and dashboard sign-ins made with it end, at once.`
      )
    )
      return
    run(app.client.keys.revoke({ path: { id: key.id } })).then(
      () => {
        invalidate(`${app.scope}|keys`)
        invalidate(`${app.scope}|sign-ins`)
      },
      (e: Error) => setError(e.message)
    )
  }
  const keysTable: QueryTableSpec<{ readonly keys: ReadonlyArray<ApiKeyInfo> }, ApiKeyInfo> = {
    className: "keys-table",
    items: (data) => data.keys,
    row: (key) => ({ key: key.id, className: key.revokedAt !== null ? "revoked" : "" }),
    columns: [
      ["Name", (key) => key.name],
      ["Key", (key) => <code>{key.prefix}…</code>],
      ["Scope", (key) => key.scope],
      ["Created", (key) => F.date(key.createdAt)],
      ["Last used", (key) => (key.lastUsedAt === null ? "never" : F.relative(key.lastUsedAt))],
      [
        "",
        (key) =>
          key.revokedAt === null ? (
            <button type="button" className="btn btn-small btn-danger" onClick={() => revoke(key)}>
              Revoke
            </button>
          ) : (
            <span className="muted">revoked {F.date(key.revokedAt)}</span>
          ),
        "num"
      ]
    ]
  }
  return (
    <Card title="API keys">
      <p className="muted">
        Plugins authenticate with an API key. Create one per machine, so you can revoke one without touching the others.
        An <strong>ingest</strong> key (what plugins need) can only sync sessions; a <strong>full</strong> key can also
        read, export and delete them, manage keys and sign in here.
      </p>
      <form className="inline-form" onSubmit={generate}>
        <label className="field field-grow">
          <span>Name</span>
          <input
            name="keyName"
            placeholder="e.g. laptop"
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Scope</span>
          <select name="keyScope" value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
            <option value="ingest">ingest (plugins)</option>
            <option value="full">full (everything)</option>
          </select>
        </label>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Generate API Key
        </button>
      </form>
      {created !== null && (
        <div className="new-key" role="status">
          <p>
            <strong>
              Your new {created.scope} key "{created.name}".
            </strong>{" "}
            Copy it now: it is shown only this once.
          </p>
          <div className="copy-row">
            <code className="secret" data-testid="new-key">
              {created.key}
            </code>
            <Copy text={created.key} />
          </div>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <QueryTable {...keysTable} query={keys} error={error} />
    </Card>
  )
}

const SignIns = () => {
  const app = useApp()
  const signIns = useQuery<{ readonly signIns: ReadonlyArray<SignInInfo> }>(`${app.scope}|sign-ins`, () =>
    run(app.client.signIns.list())
  )
  const [error, setError] = useState<string | null>(null)
  const end = (signIn: SignInInfo) => {
    if (!confirm(`End the sign-in of ${signIn.browser}? That browser is signed out at once.`)) return
    run(app.client.signIns.revoke({ path: { id: signIn.id } })).then(
      () => (signIn.current ? location.reload() : invalidate(`${app.scope}|sign-ins`)),
      (e: Error) => setError(e.message)
    )
  }
  const signInsTable: QueryTableSpec<{ readonly signIns: ReadonlyArray<SignInInfo> }, SignInInfo> = {
    className: "sign-ins-table",
    items: (data) => data.signIns,
    row: (signIn) => ({ key: signIn.id, "data-testid": "sign-in" }),
    columns: [
      [
        "Browser",
        (signIn) => (
          <>
            {signIn.browser}
            {signIn.current && <span className="muted"> (this browser)</span>}
          </>
        )
      ],
      ["Key", (signIn) => signIn.keyName ?? signIn.keyId],
      ["Signed in", (signIn) => F.dateAndTime(signIn.createdAt)],
      ["Last seen", (signIn) => F.relative(signIn.lastSeenAt)],
      ["Expires", (signIn) => F.date(signIn.expiresAt)],
      [
        "",
        (signIn) => (
          <button type="button" className="btn btn-small btn-danger" onClick={() => end(signIn)}>
            End
          </button>
        ),
        "num"
      ]
    ]
  }
  return (
    <Card title="Dashboard sign-ins">
      <p className="muted">
        Browsers signed in to this dashboard. A sign-in lasts 7 days; it ends at once when you end it here or revoke the
        key it was made with.
      </p>
      <QueryTable {...signInsTable} query={signIns} error={error} />
    </Card>
  )
}

/** One agent's setup commands, from the domain's Sources table. */
const ConnectAgent = (props: { readonly source: Sources.SourceInfo; readonly url: string }) => {
  const { source, url } = props
  const commands = source.setup.map((template) => Sources.command(template, url)).join("\n")
  const prefix = source.envPrefix
  return (
    <>
      <h3>{source.label}</h3>
      <p className="muted">
        {source.install}, then log in with this URL and a key generated above (leave out <code>--key</code> to type it
        hidden){source.imports ? " and import your past sessions" : ""}:
      </p>
      <div className="copy-row">
        <pre className="code">{commands}</pre>
        <Copy text={commands} />
      </div>
      <p className="muted">
        Or without prompts:{" "}
        <code>
          {prefix}_CONVEX_URL={url} {prefix}_API_KEY=osk_… {source.cli} setup
        </code>
      </p>
    </>
  )
}

const Connect = () => {
  const { connection } = useApp()
  const url = connection.baseUrl
  return (
    <Card title="Connect your agents">
      <p>
        Server URL: <code data-testid="server-url">{url}</code> <Copy text={url} label="Copy URL" />
      </p>
      {Sources.sources.map((source) => (
        <ConnectAgent key={source.id} source={source} url={url} />
      ))}
    </Card>
  )
}

/** Progress of a scheduled `DELETE /api/data` (Convex), refreshed every few seconds until it is done. */
const DeletionProgress = () => {
  const app = useApp()
  const key = `${app.scope}|data-status`
  const progress = useQuery<{ readonly status: string; readonly sessions: number }>(key, () =>
    run(app.client.data.status())
  )
  const pending = progress.data !== undefined && progress.data.status !== "done"
  useEffect(() => {
    if (!pending) return
    const timer = setTimeout(() => invalidate(key), 5_000)
    return () => clearTimeout(timer)
  })
  if (!pending || progress.data === undefined) return null
  return (
    <p role="status" className="deletion-progress">
      {progress.data.status === "scheduled" ? "Deletion scheduled" : "Deleting"}: {F.count(progress.data.sessions)}{" "}
      sessions left.
    </p>
  )
}

const DangerZone = () => {
  const app = useApp()
  const [confirmText, setConfirmText] = useState("")
  const [result, setResult] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const remove = (event: FormEvent) => {
    event.preventDefault()
    run(app.client.data.deleteAll()).then(
      (r) => {
        invalidate(`${app.scope}|`)
        setConfirmText("")
        setResult(
          r.status === "deleted"
            ? `Deleted ${F.counted(r.sessions, "session")} with their messages, tool calls and statistics.`
            : `Deletion of ${F.counted(r.sessions, "session")} is scheduled; it finishes in the background.`
        )
      },
      (e: Error) => setError(e.message)
    )
  }
  return (
    <Card title="Delete all my data" className="danger">
      <p>
        Deletes every session, message, tool call and statistic stored for you on this server. Your API keys stay, so
        plugins keep syncing new sessions. This cannot be undone.
      </p>
      <form className="inline-form" onSubmit={remove}>
        <label className="field field-grow">
          <span>Type DELETE to confirm</span>
          <input
            name="confirmDelete"
            value={confirmText}
            onChange={(e) => setConfirmText(e.target.value)}
            autoComplete="off"
          />
        </label>
        <button type="submit" className="btn btn-danger" disabled={confirmText !== "DELETE"}>
          Delete all my data
        </button>
      </form>
      {result !== null && <p role="status">{result}</p>}
      <DeletionProgress />
      <FormError error={error} />
    </Card>
  )
}

/** Identity, API keys, how to connect the plugins, and deleting one's data. */
const SettingsPage = () => {
  const { auth, connection } = useApp()
  return (
    <div className="page page-narrow">
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      <Card title="Signed in">
        <dl className="facts">
          <dt>User</dt>
          <dd>
            {auth.me.user.name} <span className="muted">({auth.me.user.id})</span>
          </dd>
          <dt>Server</dt>
          <dd>
            <code>{connection.baseUrl}</code>
          </dd>
          <dt>Session</dt>
          <dd>
            {auth.me.expiresAt === null
              ? "API key"
              : `expires ${F.dateAndTime(auth.me.expiresAt)}${connection.token === null ? " · half in an HttpOnly cookie, half in this page" : " · kept for this tab only"}`}
          </dd>
        </dl>
      </Card>
      <Keys />
      <SignIns />
      <Connect />
      <DangerZone />
    </div>
  )
}

export default SettingsPage
