/** A labelled search box; `grow` lets it take the free width of a filter row. */
export const SearchField = (props: {
  readonly label: string
  readonly placeholder: string
  readonly value: string
  readonly onChange: (value: string) => void
  readonly id?: string
  readonly grow?: boolean
}) => (
  <label className={props.grow === true ? "field field-grow" : "field"}>
    <span>{props.label}</span>
    <input
      id={props.id}
      type="search"
      placeholder={props.placeholder}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
    />
  </label>
)
