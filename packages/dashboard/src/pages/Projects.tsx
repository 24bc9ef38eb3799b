import type { Stats } from "@opensync/domain/Api"
import { useState } from "react"
import { run } from "../api.js"
import { RangePicker } from "../components/RangePicker.js"
import { SearchField } from "../components/SearchField.js"
import { Bar, Card, ErrorBox, GettingStarted, Link, Loading } from "../components/ui.js"
import { useApp } from "../context.js"
import * as F from "../format.js"
import { useQuery } from "../query.js"
import { href, setParams, useLocation } from "../router.js"
import { rangeOf } from "./range.js"

type Row = Stats["byProject"][number]

const columns: ReadonlyArray<readonly [keyof Row, string]> = [
  ["sessions", "Sessions"],
  ["messages", "Messages"],
  ["totalTokens", "Tokens"],
  ["costUsd", "Cost"],
  ["durationMs", "Time"]
]

/** Activity, tokens and cost per project. */
const ProjectsPage = () => {
  const app = useApp()
  const { params } = useLocation()
  const range = rangeOf(params)
  const sortKey = (columns.find(([key]) => key === params.get("sort"))?.[0] ?? "costUsd") as keyof Row
  const [search, setSearch] = useState("")
  const urlParams = { from: range.from, to: range.to, bucket: "day" as const }
  const stats = useQuery<Stats>(`${app.scope}|stats|${JSON.stringify(urlParams)}`, () =>
    run(app.client.sessions.stats({ urlParams }))
  )
  const rows = (stats.data?.byProject ?? [])
    .filter((p) => p.project.toLowerCase().includes(search.trim().toLowerCase()))
    .sort((a, b) => Number(b[sortKey]) - Number(a[sortKey]) || a.project.localeCompare(b.project))
  const max = Math.max(0, ...rows.map((r) => Number(r[sortKey])))
  return (
    <div className="page">
      <div className="page-head">
        <h1>Projects</h1>
        <div className="controls">
          <SearchField label="Find" placeholder="Project name" value={search} onChange={setSearch} />
          <RangePicker range={range.range} fromDay={range.fromDay} toDay={range.toDay} />
        </div>
      </div>
      {stats.error !== undefined && <ErrorBox error={stats.error} />}
      {stats.loading && <Loading />}
      {stats.data !== undefined && stats.data.byProject.length === 0 && (
        <GettingStarted serverUrl={app.connection.baseUrl} />
      )}
      {rows.length > 0 && (
        <Card className="card-flush">
          <div className="table-wrap">
            <table className="table projects-table">
              <thead>
                <tr>
                  <th>Project</th>
                  {columns.map(([key, label]) => (
                    <th key={key} className="num" aria-sort={key === sortKey ? "descending" : undefined}>
                      <button
                        type="button"
                        className="sort"
                        onClick={() => setParams({ sort: key === "costUsd" ? null : key })}
                      >
                        {label}
                        {key === sortKey ? " ▼" : ""}
                      </button>
                    </th>
                  ))}
                  <th className="num">Tools</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((p) => (
                  <tr key={p.project}>
                    <th scope="row">
                      <Link to={href("/sessions", { project: p.project })}>{p.project}</Link>
                      <Bar value={Number(p[sortKey])} max={max} />
                    </th>
                    <td className="num">{F.count(p.sessions)}</td>
                    <td className="num">{F.count(p.messages)}</td>
                    <td className="num">{F.tokens(p.totalTokens)}</td>
                    <td className="num">{F.usd(p.costUsd)}</td>
                    <td className="num">{F.duration(p.durationMs)}</td>
                    <td className="num">
                      <Link to={href("/tools", { project: p.project })}>Tools →</Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
    </div>
  )
}

export default ProjectsPage
