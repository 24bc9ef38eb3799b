import * as Sources from "@opensync/domain/Sources"
import type { CSSProperties, ReactNode } from "react"
import * as F from "../format.js"
import { isModifiedClick, navigate, setParams } from "../router.js"

/** A client-side link that still works as a normal link (new tab, copy address). */
export const Link = (props: {
  readonly to: string
  readonly children: ReactNode
  readonly className?: string
  readonly title?: string
  readonly "aria-current"?: "page" | undefined
}) => (
  <a
    href={props.to}
    className={props.className}
    title={props.title}
    aria-current={props["aria-current"]}
    onClick={(event) => {
      if (isModifiedClick(event)) return
      event.preventDefault()
      navigate(props.to)
    }}
  >
    {props.children}
  </a>
)

export const Card = (props: {
  readonly title?: ReactNode
  readonly actions?: ReactNode
  readonly children: ReactNode
  readonly className?: string
}) => (
  <section className={`card ${props.className ?? ""}`}>
    {(props.title !== undefined || props.actions !== undefined) && (
      <header className="card-head">
        {props.title !== undefined && <h2>{props.title}</h2>}
        {props.actions !== undefined && <div className="card-actions">{props.actions}</div>}
      </header>
    )}
    {props.children}
  </section>
)

export const Stat = (props: { readonly label: string; readonly value: ReactNode; readonly detail?: ReactNode }) => (
  <div className="stat">
    <div className="stat-label">{props.label}</div>
    <div className="stat-value">{props.value}</div>
    {props.detail !== undefined && <div className="stat-detail">{props.detail}</div>}
  </div>
)

export const Loading = (props: { readonly label?: string }) => (
  <div className="loading" role="status" aria-live="polite">
    <span className="spinner" aria-hidden="true" />
    {props.label ?? "Loading…"}
  </div>
)

export const ErrorBox = (props: { readonly error: Error; readonly retry?: () => void }) => (
  <div className="error-box" role="alert">
    <strong>Something went wrong.</strong> {props.error.message}
    {props.retry !== undefined && (
      <button type="button" className="btn btn-small" onClick={props.retry}>
        Try again
      </button>
    )}
  </div>
)

/** What a new user sees instead of an empty page: what to do next, for every agent in the domain's Sources table. */
export const GettingStarted = (props: { readonly serverUrl: string }) => (
  <div className="empty">
    <h2>No sessions yet</h2>
    <p>OpenSync fills up as your coding agents work. Connect one, or import the history you already have:</p>
    <ol>
      <li>
        Create an API key in <Link to="/settings">Settings</Link> (or use the one <code>opensync serve</code> printed).
      </li>
      {Sources.sources.map((source) => (
        <li key={source.id}>
          {source.label}:{" "}
          {source.setup.map((template, i) => (
            <span key={template}>
              {i > 0 && (i === source.setup.length - 1 ? ", then " : ", ")}
              <code>{Sources.command(template, props.serverUrl)}</code>
            </span>
          ))}
          {source.imports ? " (import brings in the sessions you already have)." : "."}
        </li>
      ))}
    </ol>
    <p className="muted">Sessions appear here as soon as the first events arrive.</p>
  </div>
)

/** The colours of a source's chip, as the CSS variables the `.chip[data-source]` rules read (light and dark). */
const chipStyle = (source: string): CSSProperties | undefined => {
  const colors = Sources.find(source)?.colors
  if (colors === undefined) return undefined
  const variables: Record<string, string> = {
    "--chip-bg": colors.light.background,
    "--chip-fg": colors.light.text,
    "--chip-border": colors.light.border,
    "--chip-bg-dark": colors.dark.background,
    "--chip-fg-dark": colors.dark.text,
    "--chip-border-dark": colors.dark.border
  }
  return variables as CSSProperties
}

/** A session's agent: its name in its colours. */
export const SourceChip = (props: { readonly source: string }) => (
  <span className={`chip chip-${props.source}`} data-source={props.source} style={chipStyle(props.source)}>
    {Sources.label(props.source)}
  </span>
)

/** A group of mutually exclusive buttons (a radio group). */
export const Segmented = <T extends string>(props: {
  readonly label: string
  readonly value: T
  readonly options: ReadonlyArray<readonly [T, string]>
  readonly onChange: (value: T) => void
}) => (
  <div className="segmented" role="radiogroup" aria-label={props.label}>
    {props.options.map(([value, label]) => (
      // biome-ignore lint/a11y/useSemanticElements: a segmented control: buttons with the ARIA radio pattern
      <button
        key={value}
        type="button"
        role="radio"
        aria-checked={props.value === value}
        className={props.value === value ? "active" : ""}
        onClick={() => props.onChange(value)}
      >
        {label}
      </button>
    ))}
  </div>
)

export const Select = (props: {
  readonly label: string
  readonly value: string
  readonly options: ReadonlyArray<readonly [string, string]>
  readonly onChange: (value: string) => void
  readonly name?: string
}) => (
  <label className="field">
    <span>{props.label}</span>
    <select name={props.name} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
      {props.options.map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </select>
  </label>
)

/** A page's source filter: "All sources" and every source the user has data for, kept in the URL (`source`). */
export const SourceSelect = (props: { readonly value: string; readonly sources: ReadonlyArray<string> }) => (
  <Select
    label="Source"
    value={props.value}
    options={[["", "All sources"], ...props.sources.map((s) => [s, F.sourceLabel(s)] as const)]}
    onChange={(v) => setParams({ source: v === "" ? null : v }, { push: true })}
  />
)

/** A horizontal bar proportional to `value / max`, for tables. */
export const Bar = (props: { readonly value: number; readonly max: number; readonly tone?: "error" | undefined }) => (
  <span className="bar" aria-hidden="true">
    <span
      className={`bar-fill ${props.tone === "error" ? "bar-error" : ""}`}
      style={{ width: `${props.max > 0 ? Math.max(1, (props.value / props.max) * 100) : 0}%` }}
    />
  </span>
)
