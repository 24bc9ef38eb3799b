import type { ReactNode } from "react"
import * as F from "../format.js"
import { setParams } from "../router.js"
import { Bar } from "./ui.js"

/** One column of a `DataTable`. */
export interface Column<R> {
  /** The header's text; `""` for none. */
  readonly label: string
  readonly cell: (row: R) => ReactNode
  /** A column of numbers: aligned right. */
  readonly num?: boolean
  /** A class of its cell that depends on the row (e.g. a failure rate shown as an error). */
  readonly tone?: (row: R) => string | undefined
  /** The value of the `sort` URL parameter that orders the rows by this column: its header is a sort button. */
  readonly sort?: string
}

/** The rows' order: the current sort key, and the default one (which takes no URL parameter). */
interface Sorting {
  readonly current: string
  readonly fallback: string
}

/** What a table shows of its rows; the rows, and the current sort, come with each render. */
export interface TableSpec<R> {
  readonly className: string
  readonly rowKey: (row: R) => string
  /** The first column: each row's name, as the row's header cell. */
  readonly name: Column<R>
  readonly columns: ReadonlyArray<Column<R>>
  /** A value shown as a bar under each name, against the largest of the rows. */
  readonly bar?: (row: R) => number
  /** The sort key of the rows when the URL names none: makes the headers of columns with a `sort` key buttons. */
  readonly defaultSort?: string
}

const classOf = (...names: ReadonlyArray<string | false | undefined>) => names.filter(Boolean).join(" ") || undefined

const Header = <R,>(props: { readonly column: Column<R>; readonly sorting: Sorting | undefined }) => {
  const { column, sorting } = props
  const key = column.sort
  if (key === undefined || sorting === undefined)
    return <th className={classOf(column.num && "num")}>{column.label}</th>
  const sorted = sorting.current === key
  return (
    <th className={classOf(column.num && "num")} aria-sort={sorted ? "descending" : undefined}>
      <button type="button" className="sort" onClick={() => setParams({ sort: key === sorting.fallback ? null : key })}>
        {column.label}
        {sorted ? " ▼" : ""}
      </button>
    </th>
  )
}

/**
 * A breakdown as a table: one row per item, headed by its name (`name`, a row header), then `columns`. With `sort`
 * and `defaultSort`, the headers of sortable columns are buttons that set the `sort` URL parameter; `headers={false}`
 * leaves the column headers out (the compact tables of the overview).
 */
export const DataTable = <R,>(
  props: TableSpec<R> & {
    readonly rows: ReadonlyArray<R>
    /** The key the rows are sorted by (with `defaultSort`). */
    readonly sort?: string
    readonly headers?: boolean
  }
) => {
  const { bar } = props
  const max = bar === undefined ? 0 : Math.max(0, ...props.rows.map(bar))
  const sorting =
    props.sort === undefined || props.defaultSort === undefined
      ? undefined
      : { current: props.sort, fallback: props.defaultSort }
  return (
    <div className="table-wrap">
      <table className={`table ${props.className}`}>
        {props.headers !== false && (
          <thead>
            <tr>
              {[props.name, ...props.columns].map((column, i) => (
                <Header key={column.sort ?? `${i}`} column={column} sorting={sorting} />
              ))}
            </tr>
          </thead>
        )}
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)}>
              <th scope="row">
                {props.name.cell(row)}
                {bar !== undefined && <Bar value={bar(row)} max={max} />}
              </th>
              {props.columns.map((column, i) => (
                <td key={column.sort ?? `${i}`} className={classOf(column.num && "num", column.tone?.(row))}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Figures of a breakdown row. */
export interface Usage {
  readonly sessions: number
  readonly totalTokens: number
  readonly costUsd: number
}

/** Sessions, tokens and cost of a breakdown row, with headers ("Sessions", "Tokens", "Cost"). */
export const usageColumns: ReadonlyArray<Column<Usage>> = [
  { label: "Sessions", cell: (r) => F.count(r.sessions), num: true },
  { label: "Tokens", cell: (r) => F.tokens(r.totalTokens), num: true },
  { label: "Cost", cell: (r) => F.usd(r.costUsd), num: true }
]
