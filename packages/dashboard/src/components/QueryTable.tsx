import type { ReactNode } from "react"
import type { Query } from "../query.js"
import { ErrorBox, Loading } from "./ui.js"

/** Why the last action of a form failed, announced to screen readers; nothing when it did not. */
export const FormError = (props: { readonly error: string | null }) =>
  props.error === null ? null : (
    <p className="form-error" role="alert">
      {props.error}
    </p>
  )

/** A `QueryTable` column: its header (unique; `""`: none, e.g. the actions), its cell; `num` aligns it right. */
export type QueryColumn<I> = readonly [header: string, cell: (item: I) => ReactNode, num?: "num"]

/** What a `QueryTable` shows of a loaded list: its items, each row's key and attributes, and the columns. */
export interface QueryTableSpec<T, I> {
  readonly className: string
  readonly items: (data: T) => ReadonlyArray<I>
  readonly row: (item: I) => { readonly key: string; readonly className?: string; readonly "data-testid"?: string }
  readonly columns: ReadonlyArray<QueryColumn<I>>
}

/**
 * A list loaded with `useQuery`, as a table: why the last action on it failed, the load's error or progress, then one
 * row per item under the column headers.
 */
export const QueryTable = <T, I>(
  props: QueryTableSpec<T, I> & { readonly query: Query<T>; readonly error: string | null }
) => (
  <>
    <FormError error={props.error} />
    {props.query.error !== undefined && <ErrorBox error={props.query.error} />}
    {props.query.loading && <Loading />}
    {props.query.data !== undefined && (
      <div className="table-wrap">
        <table className={`table ${props.className}`}>
          <thead>
            <tr>
              {props.columns.map(([header]) => (
                <th key={header}>{header === "" ? undefined : header}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.items(props.query.data).map((item) => {
              const { key, ...attributes } = props.row(item)
              return (
                <tr key={key} {...attributes}>
                  {props.columns.map(([header, cell, num]) => (
                    <td key={header} className={num}>
                      {cell(item)}
                    </td>
                  ))}
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    )}
  </>
)
