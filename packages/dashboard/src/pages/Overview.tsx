import type { SessionPage, Stats } from "@opensync/domain/Api"
import { useMemo } from "react"
import { run } from "../api.js"
import { StackedBars } from "../components/Chart.js"
import { type Column, DataTable, type Usage, usageColumns } from "../components/DataTable.js"
import { PageHead } from "../components/PageHead.js"
import { SessionList } from "../components/SessionList.js"
import {
  Bar,
  Card,
  ErrorBox,
  GettingStarted,
  Link,
  Loading,
  Segmented,
  SourceChip,
  SourceSelect,
  Stat
} from "../components/ui.js"
import { useApp } from "../context.js"
import * as F from "../format.js"
import { useQuery } from "../query.js"
import { href, setParams, useLocation } from "../router.js"
import { rangeOf } from "./range.js"
import { useFilterOptions } from "./shared.js"
import { layers, type Metric, type Split } from "./usage.js"

const tokenTypes = [
  ["input", "Input"],
  ["output", "Output"],
  ["cacheRead", "Cache read"],
  ["cacheWrite5m", "Cache write (5 min)"],
  ["cacheWrite1h", "Cache write (1 h)"],
  ["reasoning", "Reasoning"]
] as const

/** The chart's choices, each kept in the URL under its name; the first option is the default (no parameter). */
const chartControls = [
  [
    "metric",
    "Metric",
    [
      ["tokens", "Tokens"],
      ["cost", "Cost"]
    ]
  ],
  [
    "split",
    "Split by",
    [
      ["source", "By source"],
      ["model", "By model"]
    ]
  ],
  [
    "bucket",
    "Bucket",
    [
      ["day", "Day"],
      ["week", "Week"],
      ["month", "Month"]
    ]
  ]
] as const

/** Usage columns of the compact tables without headers: the session count says what it counts. */
const countedColumns: ReadonlyArray<Column<Usage>> = [
  { label: "Sessions", cell: (r) => F.counted(r.sessions, "session"), num: true },
  ...usageColumns.slice(1)
]

/** Where the tokens, money and time go: totals, usage over time split by source or model, recent sessions. */
const OverviewPage = () => {
  const app = useApp()
  const { params } = useLocation()
  const range = rangeOf(params)
  const bucket = (
    ["day", "week", "month"].includes(params.get("bucket") ?? "") ? params.get("bucket") : "day"
  ) as Stats["bucket"]
  const metric: Metric = params.get("metric") === "cost" ? "cost" : "tokens"
  const split: Split = params.get("split") === "model" ? "model" : "source"
  const source = params.get("source") ?? ""
  const options = useFilterOptions()
  const urlParams = { from: range.from, to: range.to, bucket, ...(source === "" ? {} : { source }) }
  const stats = useQuery<Stats>(`${app.scope}|stats|${JSON.stringify(urlParams)}`, () =>
    run(app.client.sessions.stats({ urlParams }))
  )
  const recent = useQuery<SessionPage>(`${app.scope}|sessions|recent|${source}`, () =>
    run(
      app.client.sessions.list({
        urlParams: { limit: 8, sort: "updatedAt", order: "desc", ...(source === "" ? {} : { source }) }
      })
    )
  )
  const chart = useMemo(
    () =>
      stats.data === undefined
        ? undefined
        : layers(stats.data, metric, split, split === "source" ? F.sourceLabel : (m) => m),
    [stats.data, metric, split]
  )
  const format = metric === "cost" ? F.usd : F.tokens
  const t = stats.data?.totals
  const noData = recent.data !== undefined && recent.data.sessions.length === 0 && source === ""

  return (
    <div className="page">
      <PageHead title="Overview" range={range}>
        <SourceSelect value={source} sources={options.sources} />
      </PageHead>
      {noData && <GettingStarted serverUrl={app.connection.baseUrl} />}
      {stats.error !== undefined && <ErrorBox error={stats.error} />}
      {stats.loading && <Loading label="Adding up your usage…" />}
      {t !== undefined && (
        <div className="stats-grid">
          <Stat label="Sessions" value={F.count(t.sessions)} detail={`${F.count(t.messages)} messages`} />
          <Stat label="Tokens" value={F.tokens(t.totalTokens)} detail={F.tokenParts(t)} />
          <Stat
            label="Cost"
            value={F.usd(t.costUsd)}
            detail={
              t.sessions > 0
                ? `${F.usd(t.costUsd / t.sessions)} per session${t.unpriced > 0 ? ` · ${t.unpriced} unpriced` : ""}`
                : undefined
            }
          />
          <Stat label="Time spent" value={F.duration(t.durationMs)} />
          <Stat label="Models" value={F.count(stats.data!.byModel.length)} />
          <Stat label="Projects" value={F.count(stats.data!.byProject.length)} />
        </div>
      )}
      {stats.data !== undefined && chart !== undefined && (
        <Card
          title="Usage over time"
          actions={chartControls.map(([name, label, options]) => (
            <Segmented
              key={name}
              label={label}
              value={{ metric, split, bucket }[name]}
              options={options}
              onChange={(v) => setParams({ [name]: v === options[0][0] ? null : v })}
            />
          ))}
        >
          {chart.layers.length === 0 ? (
            <p className="muted chart-empty">No usage in this range.</p>
          ) : (
            <StackedBars
              x={chart.x}
              layers={chart.layers}
              format={format}
              bucket={bucket}
              label={`${metric === "cost" ? "Cost" : "Tokens"} per ${bucket}, by ${split}`}
            />
          )}
        </Card>
      )}
      {t !== undefined && stats.data !== undefined && (
        <div className="grid-2">
          <Card title="Tokens by type">
            <DataTable
              className="compact"
              headers={false}
              rows={tokenTypes}
              rowKey={([key]) => key}
              name={{ label: "Type", cell: ([, label]) => label }}
              columns={[
                { label: "Share", cell: ([key]) => <Bar value={t[key]} max={t.totalTokens} />, tone: () => "bar-cell" },
                { label: "Tokens", cell: ([key]) => F.tokens(t[key]), num: true }
              ]}
            />
          </Card>
          <Card title="Models">
            <DataTable
              className="compact"
              rows={stats.data.byModel.slice(0, 8)}
              rowKey={(m) => m.model}
              name={{
                label: "Model",
                cell: (m) => (
                  <Link to={href("/sessions", { model: m.model })} title={m.model}>
                    {m.model}
                  </Link>
                )
              }}
              columns={usageColumns}
            />
          </Card>
          <Card title="Sources">
            <DataTable
              className="compact"
              headers={false}
              rows={stats.data.bySource}
              rowKey={(s) => s.source}
              name={{
                label: "Source",
                cell: (s) => <Link to={href("/sessions", { source: s.source })}>{F.sourceLabel(s.source)}</Link>
              }}
              columns={countedColumns}
            />
          </Card>
          <Card title="Top projects" actions={<Link to="/projects">All projects →</Link>}>
            <DataTable
              className="compact"
              headers={false}
              rows={[...stats.data.byProject]
                .sort((a, b) => b.costUsd - a.costUsd || b.totalTokens - a.totalTokens)
                .slice(0, 6)}
              rowKey={(p) => p.project}
              name={{
                label: "Project",
                cell: (p) => (
                  <Link to={href("/sessions", { project: p.project })} title={p.project}>
                    {p.project}
                  </Link>
                )
              }}
              columns={countedColumns}
            />
          </Card>
        </div>
      )}
      {recent.data !== undefined && recent.data.sessions.length > 0 && (
        <Card title="Recent sessions" actions={<Link to="/sessions">All sessions →</Link>}>
          <SessionList
            sessions={recent.data.sessions}
            untitled={() => "Untitled session"}
            details={(s) => (
              <>
                <SourceChip source={s.source} />
                <span title={s.projectPath ?? F.projectOf(s)}>{F.projectOf(s)}</span>
                <span className="muted">{F.relative(s.updatedAt)}</span>
              </>
            )}
          />
        </Card>
      )}
    </div>
  )
}

export default OverviewPage
