import { useEffect, useRef } from "react"
import uPlot from "uplot"
import "uplot/dist/uPlot.min.css"

/** One stacked layer of a bar chart. */
export interface Layer {
  readonly label: string
  readonly values: ReadonlyArray<number>
}

export const palette = [
  "#6366f1",
  "#f59e0b",
  "#10b981",
  "#ef4444",
  "#06b6d4",
  "#a855f7",
  "#84cc16",
  "#f97316",
  "#94a3b8"
]

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim()

/**
 * Stacked bars over time (uPlot, canvas): `x` are period starts in epoch seconds. Hovering shows each layer's own
 * value in the legend; the y axis is formatted with `format`.
 */
export const StackedBars = (props: {
  readonly x: ReadonlyArray<number>
  readonly layers: ReadonlyArray<Layer>
  readonly format: (n: number) => string
  readonly bucket: "day" | "week" | "month"
  readonly height?: number
  readonly label: string
}) => {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = host.current
    if (el === null) return
    const cumulative: Array<Array<number>> = []
    let running = props.x.map(() => 0)
    for (const layer of props.layers) {
      running = running.map((sum, i) => sum + (layer.values[i] ?? 0))
      cumulative.push(running)
    }
    // Draw the tallest stack first so lower layers paint over it.
    const order = props.layers.map((_, i) => i).reverse()
    const axis = cssVar("--muted")
    const grid = cssVar("--grid")
    const bars = uPlot.paths.bars!({ size: [0.7, 48], gap: 1 })
    const dateFormat =
      props.bucket === "month"
        ? new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" })
        : new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" })
    const options: uPlot.Options = {
      width: el.clientWidth,
      height: props.height ?? 260,
      padding: [12, 8, 0, 0],
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      legend: { show: true, live: true },
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] } },
      axes: [
        {
          stroke: axis,
          grid: { show: false },
          ticks: { show: false },
          values: (_u, splits) =>
            splits.map((i) => (props.x[i] === undefined ? "" : dateFormat.format(props.x[i] * 1000)))
        },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          size: 60,
          values: (_u, splits) => splits.map((v) => props.format(v))
        }
      ],
      series: [
        {
          label: props.bucket === "month" ? "Month" : props.bucket === "week" ? "Week of" : "Day",
          value: (_u, i) => (i === null || props.x[i] === undefined ? "–" : dateFormat.format(props.x[i] * 1000))
        },
        ...order.map((index) => ({
          label: props.layers[index].label,
          fill: palette[index % palette.length],
          stroke: palette[index % palette.length],
          width: 0,
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _v: number, _s: number, i: number | null) =>
            i === null ? "–" : props.format(props.layers[index].values[i] ?? 0)
        }))
      ]
    }
    const data: uPlot.AlignedData = [props.x.map((_, i) => i), ...order.map((index) => cumulative[index])]
    const plot = new uPlot(options, data, el)
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: props.height ?? 260 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [props.x, props.layers, props.format, props.bucket, props.height])
  return <div className="chart" ref={host} role="img" aria-label={props.label} />
}
