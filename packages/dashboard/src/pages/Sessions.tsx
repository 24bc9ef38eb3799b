import type { SessionPage, SessionSummary, SortField } from "@opensync/domain/Api"
import { useEffect, useRef, useState } from "react"
import { fetchBlob, run } from "../api.js"
import { DayRange } from "../components/DayRange.js"
import { SearchField } from "../components/SearchField.js"
import { Card, ErrorBox, GettingStarted, Link, Loading, Select, SourceChip } from "../components/ui.js"
import { useApp } from "../context.js"
import * as F from "../format.js"
import { useQuery } from "../query.js"
import { href, navigate, setParams, useLocation } from "../router.js"
import { download, useFilterOptions } from "./shared.js"

const columns: ReadonlyArray<readonly [SortField | null, string, string]> = [
  [null, "Session", "col-title"],
  ["updatedAt", "Updated", "col-date"],
  ["messageCount", "Messages", "num"],
  ["totalTokens", "Tokens", "num"],
  ["costUsd", "Cost", "num"],
  ["durationMs", "Duration", "num"]
]

const sortFields = new Set<string>(["updatedAt", "startedAt", "costUsd", "totalTokens", "messageCount", "durationMs"])

const dayStart = (day: string) => new Date(`${day}T00:00:00`).getTime()
const dayEnd = (day: string) => new Date(`${day}T23:59:59.999`).getTime()

/** The session list: filters, text search, sorting and cursor pagination, all in the URL. */
export const SessionsPage = () => {
  const app = useApp()
  const { params } = useLocation()
  const source = params.get("source") ?? ""
  const project = params.get("project") ?? ""
  const model = params.get("model") ?? ""
  const q = params.get("q") ?? ""
  const from = params.get("from") ?? ""
  const to = params.get("to") ?? ""
  const sort = (sortFields.has(params.get("sort") ?? "") ? params.get("sort") : "updatedAt") as SortField
  const order = params.get("order") === "asc" ? "asc" : "desc"
  const limit = [25, 50, 100, 200].includes(Number(params.get("limit"))) ? Number(params.get("limit")) : 50
  const cursor = params.get("cursor") ?? ""
  const page = Math.max(1, Number(params.get("page") ?? 1) || 1)
  const options = useFilterOptions()

  const filters = {
    ...(source === "" ? {} : { source }),
    ...(project === "" ? {} : { project }),
    ...(model === "" ? {} : { model }),
    ...(q === "" ? {} : { q }),
    ...(from === "" ? {} : { from: dayStart(from) }),
    ...(to === "" ? {} : { to: dayEnd(to) })
  }
  const urlParams = { ...filters, sort, order, limit, ...(cursor === "" ? {} : { cursor }) } as const
  const key = `${app.scope}|sessions|${JSON.stringify(urlParams)}`
  const list = useQuery<SessionPage>(key, () => run(app.client.sessions.list({ urlParams })))

  const [search, setSearch] = useState(q)
  useEffect(() => setSearch(q), [q])
  const timer = useRef<number | undefined>(undefined)
  const onSearch = (value: string) => {
    setSearch(value)
    window.clearTimeout(timer.current)
    timer.current = window.setTimeout(() => setParams({ q: value.trim(), cursor: null, page: null }), 250)
  }
  const filter = (updates: Record<string, string | null>) =>
    setParams({ ...updates, cursor: null, page: null }, { push: true })
  const sortBy = (field: SortField) =>
    filter({ sort: field, order: field === sort && order === "desc" ? "asc" : field === sort ? "desc" : "desc" })
  const anyFilter = Object.keys(filters).length > 0
  const same = (value: string) => value
  const menus = [
    ["source", "Source", "All sources", options.sources, F.sourceLabel],
    ["project", "Project", "All projects", options.projects, same],
    ["model", "Model", "All models", options.models, same]
  ] as const
  const sessions = list.data?.sessions ?? []

  return (
    <div className="page">
      <div className="page-head">
        <h1>Sessions</h1>
        <button
          type="button"
          className="btn btn-small"
          onClick={() =>
            download(
              fetchBlob(app.connection, href("/api/export", { ...filters, format: "csv" })),
              "opensync-sessions.csv"
            )
          }
        >
          Export CSV
        </button>
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <SearchField
          grow
          id="session-search"
          label="Search"
          placeholder="Titles and messages…  (press / to focus)"
          value={search}
          onChange={onSearch}
        />
        {menus.map(([name, label, all, choices, show]) => (
          <Select
            key={name}
            label={label}
            name={name}
            value={{ source, project, model }[name]}
            options={[["", all], ...choices.map((c) => [c, show(c)] as const)]}
            onChange={(v) => filter({ [name]: v })}
          />
        ))}
        <DayRange fields from={from} to={to} onChange={(end, day) => filter({ [end]: day })} />
        {anyFilter && (
          <button type="button" className="btn btn-ghost btn-small filters-clear" onClick={() => navigate("/sessions")}>
            Clear filters
          </button>
        )}
      </form>
      <Card className="card-flush">
        {list.error !== undefined && <ErrorBox error={list.error} />}
        {list.loading && <Loading label="Loading sessions…" />}
        {list.data !== undefined && sessions.length === 0 && page === 1 && !anyFilter && (
          <GettingStarted serverUrl={app.connection.baseUrl} />
        )}
        {list.data !== undefined && sessions.length === 0 && (page > 1 || anyFilter) && (
          <div className="empty">
            <h2>No matching sessions</h2>
            <p>Try other filters, or clear them.</p>
          </div>
        )}
        {sessions.length > 0 && (
          <div className="table-wrap">
            <table className="table sessions-table">
              <thead>
                <tr>
                  {columns.map(([field, label, className]) => (
                    <th
                      key={label}
                      className={className}
                      aria-sort={field === sort ? (order === "asc" ? "ascending" : "descending") : undefined}
                    >
                      {field === null ? (
                        label
                      ) : (
                        <button type="button" className="sort" onClick={() => sortBy(field)}>
                          {label}
                          <span aria-hidden="true">{field === sort ? (order === "asc" ? " ▲" : " ▼") : ""}</span>
                        </button>
                      )}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {sessions.map((s) => (
                  <Row key={s.id} session={s} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.data !== undefined && (sessions.length > 0 || page > 1) && (
          <nav className="pager" aria-label="Pages">
            <span className="muted">
              {sessions.length === 0
                ? "No more sessions"
                : `${F.count((page - 1) * limit + 1)}–${F.count((page - 1) * limit + sessions.length)}`}
            </span>
            <Select
              label="Per page"
              value={String(limit)}
              options={["25", "50", "100", "200"].map((n) => [n, n] as const)}
              onChange={(v) => filter({ limit: v === "50" ? null : v })}
            />
            <button type="button" className="btn btn-small" disabled={page <= 1} onClick={() => history.back()}>
              ← Previous
            </button>
            <button
              type="button"
              className="btn btn-small"
              disabled={list.data.nextCursor === null}
              onClick={() => setParams({ cursor: list.data?.nextCursor ?? null, page: page + 1 }, { push: true })}
            >
              Next →
            </button>
          </nav>
        )}
      </Card>
    </div>
  )
}

const Row = (props: { readonly session: SessionSummary }) => {
  const s = props.session
  const to = `/sessions/${encodeURIComponent(s.id)}`
  return (
    <tr
      className="row-link"
      onClick={(e) => {
        if ((e.target as HTMLElement).closest("a") === null) navigate(to)
      }}
    >
      <td className="col-title">
        <Link to={to} className="title-link" title={s.title ?? "Untitled session"}>
          {s.title ?? "Untitled session"}
        </Link>
        <div className="meta">
          <SourceChip source={s.source} />
          <span title={s.projectPath ?? F.projectOf(s)}>{F.projectOf(s)}</span>
          {s.model !== null && (
            <span className="muted" title={s.model}>
              {s.model}
            </span>
          )}
          {s.toolErrorCount > 0 && (
            <span className="chip chip-error">{F.counted(s.toolErrorCount, "failed tool")}</span>
          )}
        </div>
      </td>
      <td className="col-date" title={F.dateAndTime(s.updatedAt)}>
        {F.relative(s.updatedAt)}
      </td>
      <td className="num">{F.count(s.messageCount)}</td>
      <td className="num">{F.tokens(s.totalTokens)}</td>
      <td className="num">{F.usd(s.costUsd)}</td>
      <td className="num">{F.duration(s.durationMs)}</td>
    </tr>
  )
}
