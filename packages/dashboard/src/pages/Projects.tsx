import type { Stats } from "@opensync/domain/Api"
import { useState } from "react"
import { run } from "../api.js"
import { type Column, DataTable, type TableSpec } from "../components/DataTable.js"
import { PageHead } from "../components/PageHead.js"
import { SearchField } from "../components/SearchField.js"
import { Card, ErrorBox, GettingStarted, Link, Loading } from "../components/ui.js"
import { useApp } from "../context.js"
import * as F from "../format.js"
import { useQuery } from "../query.js"
import { href, useLocation } from "../router.js"
import { rangeOf } from "./range.js"

type Row = Stats["byProject"][number]

const columns: ReadonlyArray<Column<Row> & { readonly sort: keyof Row }> = [
  { label: "Sessions", sort: "sessions", cell: (p) => F.count(p.sessions), num: true },
  { label: "Messages", sort: "messages", cell: (p) => F.count(p.messages), num: true },
  { label: "Tokens", sort: "totalTokens", cell: (p) => F.tokens(p.totalTokens), num: true },
  { label: "Cost", sort: "costUsd", cell: (p) => F.usd(p.costUsd), num: true },
  { label: "Time", sort: "durationMs", cell: (p) => F.duration(p.durationMs), num: true }
]

const toolsColumn: Column<Row> = {
  label: "Tools",
  cell: (p) => <Link to={href("/tools", { project: p.project })}>Tools →</Link>,
  num: true
}

const projectsTable: TableSpec<Row> = {
  className: "projects-table",
  rowKey: (p) => p.project,
  name: {
    label: "Project",
    cell: (p) => (
      <Link to={href("/sessions", { project: p.project })} title={p.project}>
        {p.project}
      </Link>
    )
  },
  columns: [...columns, toolsColumn],
  defaultSort: "costUsd"
}

/** Activity, tokens and cost per project. */
const ProjectsPage = () => {
  const app = useApp()
  const { params } = useLocation()
  const range = rangeOf(params)
  const sortKey = columns.find((column) => column.sort === params.get("sort"))?.sort ?? "costUsd"
  const [search, setSearch] = useState("")
  const urlParams = { from: range.from, to: range.to, bucket: "day" as const }
  const stats = useQuery<Stats>(`${app.scope}|stats|${JSON.stringify(urlParams)}`, () =>
    run(app.client.sessions.stats({ urlParams }))
  )
  const rows = (stats.data?.byProject ?? [])
    .filter((p) => p.project.toLowerCase().includes(search.trim().toLowerCase()))
    .sort((a, b) => Number(b[sortKey]) - Number(a[sortKey]) || a.project.localeCompare(b.project))
  return (
    <div className="page">
      <PageHead title="Projects" range={range}>
        <SearchField label="Find" placeholder="Project name" value={search} onChange={setSearch} />
      </PageHead>
      {stats.error !== undefined && <ErrorBox error={stats.error} />}
      {stats.loading && <Loading />}
      {stats.data !== undefined && stats.data.byProject.length === 0 && (
        <GettingStarted serverUrl={app.connection.baseUrl} />
      )}
      {rows.length > 0 && (
        <Card className="card-flush">
          <DataTable {...projectsTable} rows={rows} sort={sortKey} bar={(p) => Number(p[sortKey])} />
        </Card>
      )}
    </div>
  )
}

export default ProjectsPage
