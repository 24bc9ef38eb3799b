/**
 * The durable queue of follow-ups (files to re-read, e.g. a transcript at the end of a turn): recorded before the
 * inbox item that asked for them is removed, removed only after the events they yield are in the outbox. A sync killed
 * anywhere in between leaves them for the next one, which reads them again (event ids are deterministic, so a second
 * read only queues duplicates the server ignores).
 */
import { createHash } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { StatePaths } from "./Agent.js"
import type { FollowUp } from "./SessionSource.js"

/** One follow-up file: `<state>/followups/<digest of the path>.json`; the same file asked for twice is queued once. */
export const Record = Schema.Struct({
  v: Schema.Literal(1),
  sessionId: Schema.String,
  path: Schema.String,
  agentId: Schema.optionalWith(Schema.String, { exact: true }),
  queuedAt: Schema.Number
})
export type Record = typeof Record.Type

const decode = Schema.decodeUnknownEither(Schema.parseJson(Record))

const nameOf = (path: string) => `${createHash("sha256").update(path).digest("hex").slice(0, 24)}.json`

/** Records follow-ups (temp file + rename each); throws when the disk refuses, so the caller keeps the inbox item. */
export const record = (paths: StatePaths, followUps: ReadonlyArray<FollowUp>, now: number): void => {
  if (followUps.length === 0) return
  mkdirSync(paths.followUps, { recursive: true, mode: 0o700 })
  mkdirSync(paths.tmp, { recursive: true, mode: 0o700 })
  for (const followUp of followUps) {
    const name = nameOf(followUp.path)
    const temp = join(paths.tmp, `followup-${process.pid}-${name}`)
    const body: Record = { v: 1, ...followUp, queuedAt: now }
    try {
      writeFileSync(temp, JSON.stringify(body), { mode: 0o600 })
      renameSync(temp, join(paths.followUps, name))
    } catch (cause) {
      rmSync(temp, { force: true })
      throw cause
    }
  }
}

/** The queued follow-ups, oldest first, and the files that are not follow-ups (removed by the caller, logged). */
export const list = (
  paths: StatePaths
): {
  readonly queued: ReadonlyArray<{ readonly file: string; readonly followUp: FollowUp; readonly queuedAt: number }>
  readonly unreadable: ReadonlyArray<{ readonly file: string; readonly reason: string }>
} => {
  let names: Array<string>
  try {
    names = readdirSync(paths.followUps).filter((name) => name.endsWith(".json"))
  } catch {
    return { queued: [], unreadable: [] }
  }
  const queued: Array<{ file: string; followUp: FollowUp; queuedAt: number }> = []
  const unreadable: Array<{ file: string; reason: string }> = []
  for (const name of names) {
    const file = join(paths.followUps, name)
    let text: string
    try {
      text = readFileSync(file, "utf8")
    } catch {
      continue // taken meanwhile
    }
    const decoded = decode(text)
    if (Either.isLeft(decoded)) {
      unreadable.push({ file, reason: "not a follow-up record" })
      continue
    }
    const { v: _v, queuedAt, ...followUp } = decoded.right
    queued.push({ file, followUp, queuedAt })
  }
  queued.sort((a, b) => a.queuedAt - b.queuedAt || (a.file < b.file ? -1 : 1))
  return { queued, unreadable }
}

/** Removes a follow-up once its events are in the outbox (or it can never be read). */
export const remove = (file: string): void => rmSync(file, { force: true })
