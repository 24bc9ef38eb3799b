import type { ReactNode } from "react"
import { RangePicker } from "./RangePicker.js"

/** The head of a page of figures over a time range: its title, then its filters (`children`) and the range picker. */
export const PageHead = (props: {
  readonly title: string
  readonly range: { readonly range: string; readonly fromDay: string; readonly toDay: string }
  readonly children?: ReactNode
}) => (
  <div className="page-head">
    <h1>{props.title}</h1>
    <div className="controls">
      {props.children}
      <RangePicker range={props.range.range} fromDay={props.range.fromDay} toDay={props.range.toDay} />
    </div>
  </div>
)
