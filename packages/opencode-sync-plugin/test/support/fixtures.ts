/** The real OpenCode 1.18.33 captures (copied from shared/fixtures/real-clients) as typed values. */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { Json, SessionSnapshot } from "../../src/Tracker.js"

const dir = join(import.meta.dirname, "../fixtures")

export const MAIN = "ses_e02902100ffeIwyAENH5ur00d8"
export const CHILD = "ses_e02900efaffe3qer0YxA2sCGHI"
export const PROJECT = "ses_e028fef1dffekRAtZZ07frIkC3"

/** One line of `opencode-events.jsonl`. */
export interface EventLine {
  readonly run: string
  readonly kind: "plugin" | "event" | "hook"
  readonly name: string
  readonly event?: { readonly id: string; readonly type: string; readonly properties: Json }
}

export const eventLines: ReadonlyArray<EventLine> = readFileSync(join(dir, "opencode-events.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as EventLine)

/** The bus events of one run (`global`, `continue`, `project`), in order. */
export const eventsOf = (run: string) =>
  eventLines.flatMap((line) => (line.run === run && line.kind === "event" && line.event ? [line.event] : []))

/** `opencode export` of the main session after the `continue` run. */
export const exported = JSON.parse(readFileSync(join(dir, "opencode-session-export.json"), "utf8")) as {
  readonly info: Json
  readonly messages: ReadonlyArray<{ readonly info: Json; readonly parts: ReadonlyArray<Json> }>
}

/** The export as the snapshot shape the mapping takes. */
export const exportedSnapshot: SessionSnapshot = {
  sessionId: MAIN,
  info: exported.info,
  messages: exported.messages
}
