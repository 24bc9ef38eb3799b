import type { Stats, ToolStats } from "@opensync/domain/Api"
import * as ToolNames from "@opensync/domain/ToolNames"
import { useMemo } from "react"
import { run } from "../api.js"
import { StackedBars } from "../components/Chart.js"
import { type Column, DataTable, type TableSpec } from "../components/DataTable.js"
import { PageHead } from "../components/PageHead.js"
import { Card, ErrorBox, Loading, Select, SourceSelect } from "../components/ui.js"
import { useApp } from "../context.js"
import * as F from "../format.js"
import { useQuery } from "../query.js"
import { setParams, useLocation } from "../router.js"
import { rangeOf } from "./range.js"
import { useFilterOptions } from "./shared.js"
import { periodStart, periods } from "./usage.js"

/** What each agent calls a tool counted under `tool`: "Claude Code: Bash · Gemini CLI: run_shell_command". */
const aliasText = (tool: string) =>
  ToolNames.aliasesOf(tool)
    .map((alias) => `${F.sourceLabel(alias.source)}: ${alias.names.join(", ")}`)
    .join(" · ")

const sorts: Record<string, (a: ToolStats, b: ToolStats) => number> = {
  calls: (a, b) => b.calls - a.calls,
  failures: (a, b) => b.failureRate - a.failureRate || b.errors - a.errors,
  duration: (a, b) => (b.avgDurationMs ?? -1) - (a.avgDurationMs ?? -1),
  total: (a, b) => b.totalDurationMs - a.totalDurationMs
}

const columns: ReadonlyArray<Column<ToolStats>> = [
  { label: "Calls", sort: "calls", cell: (t) => F.count(t.calls), num: true },
  {
    label: "Failure rate",
    sort: "failures",
    cell: (t) => (
      <>
        {F.percent(t.failureRate)} <span className="muted">({F.count(t.errors)})</span>
      </>
    ),
    num: true,
    tone: (t) => (t.failureRate > 0.1 ? "text-error" : undefined)
  },
  { label: "Avg duration", sort: "duration", cell: (t) => F.duration(t.avgDurationMs), num: true },
  { label: "Total time", sort: "total", cell: (t) => F.duration(t.totalDurationMs), num: true }
]

const toolsTable: TableSpec<ToolStats> = {
  className: "tools-table",
  rowKey: (t) => t.tool,
  name: {
    label: "Tool",
    cell: (t) => (
      <>
        <span className="tool-name" title={aliasText(t.tool) || undefined}>
          {t.tool}
        </span>
        {ToolNames.describe(t.tool) !== undefined && (
          <span className="tool-desc muted">{ToolNames.describe(t.tool)}</span>
        )}
      </>
    )
  },
  bar: (t) => t.calls,
  columns,
  defaultSort: "calls"
}

/** Tool calls, failures and durations per tool; by project and source, over time. */
const ToolsPage = () => {
  const app = useApp()
  const { params } = useLocation()
  const range = rangeOf(params)
  const project = params.get("project") ?? ""
  const source = params.get("source") ?? ""
  const sort = params.get("sort") ?? "calls"
  const options = useFilterOptions()
  const bucket: Stats["bucket"] = range.to - range.from > 100 * 86_400_000 ? "week" : "day"
  const urlParams = {
    from: range.from,
    to: range.to,
    bucket,
    ...(project === "" ? {} : { project }),
    ...(source === "" ? {} : { source })
  }
  const stats = useQuery<Stats>(`${app.scope}|stats|${JSON.stringify(urlParams)}`, () =>
    run(app.client.sessions.stats({ urlParams }))
  )
  const chart = useMemo(() => {
    if (stats.data === undefined) return undefined
    const axis = periods(stats.data.from, stats.data.to, stats.data.bucket)
    const index = new Map(axis.map((p, i) => [p, i]))
    const top = [...stats.data.tools]
      .sort((a, b) => b.calls - a.calls)
      .slice(0, 7)
      .map((t) => t.tool)
    const keys = stats.data.tools.length > 7 ? [...top, "Other"] : top
    const rows = new Map(keys.map((k) => [k, axis.map(() => 0)]))
    for (const point of stats.data.toolSeries) {
      const values = rows.get(top.includes(point.tool) ? point.tool : "Other")
      const i = index.get(point.period)
      if (values !== undefined && i !== undefined) values[i] += point.calls
    }
    return { x: axis.map(periodStart), layers: keys.map((k) => ({ label: k, values: rows.get(k)! })) }
  }, [stats.data])
  const tools = [...(stats.data?.tools ?? [])].sort(sorts[sort] ?? sorts.calls)
  const totalCalls = tools.reduce((sum, t) => sum + t.calls, 0)
  const totalErrors = tools.reduce((sum, t) => sum + t.errors, 0)

  return (
    <div className="page">
      <PageHead title="Tools" range={range}>
        <SourceSelect value={source} sources={options.sources} />
        <Select
          label="Project"
          value={project}
          options={[["", "All projects"], ...options.projects.map((p) => [p, p] as const)]}
          onChange={(v) => setParams({ project: v === "" ? null : v }, { push: true })}
        />
      </PageHead>
      {stats.error !== undefined && <ErrorBox error={stats.error} />}
      {stats.loading && <Loading />}
      {stats.data !== undefined && tools.length === 0 && (
        <div className="empty">
          <h2>No tool calls in this range</h2>
          <p>Tool calls appear when a plugin syncs them (claude-code-sync does by default).</p>
        </div>
      )}
      {stats.data !== undefined && tools.length > 0 && (
        <>
          <p className="summary">
            {F.count(totalCalls)} calls to {tools.length} tools · {F.count(totalErrors)} failed (
            {F.percent(totalCalls > 0 ? totalErrors / totalCalls : 0)})
          </p>
          {chart !== undefined && (
            <Card title={`Calls per ${bucket}`}>
              <StackedBars
                x={chart.x}
                layers={chart.layers}
                format={F.tokens}
                bucket={bucket}
                label="Tool calls over time"
              />
            </Card>
          )}
          <Card className="card-flush">
            <DataTable {...toolsTable} rows={tools} sort={sort} />
          </Card>
        </>
      )}
    </div>
  )
}

export default ToolsPage
