import type { ChangeEvent } from "react"

const labels = { from: "From", to: "To" } as const

/**
 * The two ends of a range of days, each bounded by the other: labelled fields of a filter form (`fields`), or two
 * bare inputs around an arrow. `onChange` gets the end and its new day ("" when cleared).
 */
export const DayRange = (props: {
  readonly from: string
  readonly to: string
  readonly fields?: boolean
  readonly onChange: (end: "from" | "to", day: string) => void
}) => {
  const input = (end: "from" | "to") => ({
    type: "date",
    name: end,
    "aria-label": labels[end],
    value: props[end],
    min: end === "to" ? props.from || undefined : undefined,
    max: end === "from" ? props.to || undefined : undefined,
    onChange: (e: ChangeEvent<HTMLInputElement>) => props.onChange(end, e.target.value)
  })
  if (props.fields === true) {
    return (
      <>
        {(["from", "to"] as const).map((end) => (
          <label key={end} className="field">
            <span>{labels[end]}</span>
            <input {...input(end)} />
          </label>
        ))}
      </>
    )
  }
  return (
    <span className="range-dates">
      <input {...input("from")} />
      <span aria-hidden="true">→</span>
      <input {...input("to")} />
    </span>
  )
}
