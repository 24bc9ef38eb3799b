import type { ReactNode } from "react"
import * as F from "../format.js"
import { Link } from "./ui.js"

/** What a `SessionList` shows of a session. */
export interface Listed {
  readonly id: string
  readonly title: string | null
  readonly totalTokens: number
  readonly costUsd: number
}

/** Sessions as a short list: each title links to its session, followed by `details`, its tokens and its cost. */
export const SessionList = <S extends Listed>(props: {
  readonly sessions: ReadonlyArray<S>
  /** The link's text for a session without a title. */
  readonly untitled: (session: S) => string
  readonly details: (session: S) => ReactNode
}) => (
  <ul className="recent">
    {props.sessions.map((s) => (
      <li key={s.id}>
        <Link to={`/sessions/${encodeURIComponent(s.id)}`} title={s.title ?? props.untitled(s)}>
          {s.title ?? props.untitled(s)}
        </Link>
        <span className="meta">
          {props.details(s)}
          <span className="num">{F.tokens(s.totalTokens)} tok</span>
          <span className="num">{F.usd(s.costUsd)}</span>
        </span>
      </li>
    ))}
  </ul>
)
