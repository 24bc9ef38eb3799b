import { setParams } from "../router.js"
import { Segmented } from "./ui.js"

/** 7 / 30 / 90 days or a custom range; the choice lives in the URL. */
export const RangePicker = (props: { readonly range: string; readonly fromDay: string; readonly toDay: string }) => (
  <div className="range">
    <Segmented
      label="Time range"
      value={props.range}
      options={[
        ["7", "7 days"],
        ["30", "30 days"],
        ["90", "90 days"],
        ["custom", "Custom"]
      ]}
      onChange={(value) =>
        setParams(
          value === "custom"
            ? { range: value, from: props.fromDay, to: props.toDay }
            : { range: value === "30" ? null : value, from: null, to: null },
          { push: true }
        )
      }
    />
    {props.range === "custom" && (
      <span className="range-dates">
        <input
          type="date"
          aria-label="From"
          value={props.fromDay}
          max={props.toDay}
          onChange={(e) => e.target.value !== "" && setParams({ from: e.target.value })}
        />
        <span aria-hidden="true">→</span>
        <input
          type="date"
          aria-label="To"
          value={props.toDay}
          min={props.fromDay}
          onChange={(e) => e.target.value !== "" && setParams({ to: e.target.value })}
        />
      </span>
    )}
  </div>
)
