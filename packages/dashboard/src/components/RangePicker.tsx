import { setParams } from "../router.js"
import { DayRange } from "./DayRange.js"
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
      <>
        <DayRange
          from={props.fromDay}
          to={props.toDay}
          onChange={(end, day) => day !== "" && setParams({ [end]: day })}
        />
        <span className="muted" title="The stats are kept by UTC day">
          UTC
        </span>
      </>
    )}
  </div>
)
