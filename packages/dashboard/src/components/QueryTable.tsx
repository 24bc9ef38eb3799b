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

/**
 * A list loaded with `useQuery`, as a table: why the last action on it failed, the load's error or progress, then the
 * rows under the column headers (`""`: a column without a header, e.g. the actions).
 */
export const QueryTable = <T,>(props: {
  readonly query: Query<T>
  readonly error: string | null
  readonly className: string
  readonly headers: ReadonlyArray<string>
  readonly rows: (data: T) => ReactNode
}) => (
  <>
    <FormError error={props.error} />
    {props.query.error !== undefined && <ErrorBox error={props.query.error} />}
    {props.query.loading && <Loading />}
    {props.query.data !== undefined && (
      <div className="table-wrap">
        <table className={`table ${props.className}`}>
          <thead>
            <tr>
              {props.headers.map((header) => (
                <th key={header}>{header === "" ? undefined : header}</th>
              ))}
            </tr>
          </thead>
          <tbody>{props.rows(props.query.data)}</tbody>
        </table>
      </div>
    )}
  </>
)
