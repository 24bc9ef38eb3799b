/**
 * `codex-sync import` of session files that did not change since the last import is answered by the entry point from
 * the bookkeeping (src/bin.ts), and still sees every change Codex makes to its files: a session filed under a new day,
 * a session file that grew, a session archived (moved to `archived_sessions`, a folder that did not exist yet: found
 * unchanged, not read again).
 */

import { randomUUID } from "node:crypto"
import { appendFileSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { describeQuickImport } from "@opensync/testkit/QuickImport"

const FIXTURE = readFileSync(resolve(__dirname, "fixtures/rollout-0.171.0.jsonl"), "utf8")
const FIXTURE_ID = "01a24126-d071-7d40-b1a6-dce6c095a6d9"

/** A copy of the captured session under a fresh id, filed under `day` (`2026/12/04`); returns its path. */
const session = (home: string, day: string): string => {
  const id = randomUUID()
  const dir = join(home, ".codex", "sessions", day)
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `rollout-2026-12-04T13-03-12-${id}.jsonl`)
  writeFileSync(path, FIXTURE.replaceAll(FIXTURE_ID, id))
  return path
}

/** Bytes that are no text: what a damaged or foreign file under a session file's name holds. */
const binary = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37 + 11) % 256))

const sessionFiles = (home: string) => [session(home, "2026/12/03"), session(home, "2026/12/04")]
const firstFile = new Map<string, string>()

describeQuickImport({
  name: "codex-sync",
  cli: resolve(__dirname, "../dist/cli.mjs"),
  envPrefix: "CODEX_SYNC",
  stateDir: ".config/codex-sync",
  files: "session file",
  history: (home) => {
    const [first] = sessionFiles(home)
    firstFile.set(home, first ?? "")
    return 2
  },
  notASession: (home) => {
    const dir = join(home, ".codex", "sessions", "2026", "12", "04")
    const path = join(dir, `rollout-2026-12-04T14-00-00-${randomUUID()}.jsonl`)
    writeFileSync(path, binary)
    return path
  },
  newSession: (home) => session(home, "2026/12/06"),
  changes: [
    {
      what: "a session filed under a new day",
      change: (home) => session(home, "2026/12/05"),
      found: "3 sessions (1 new, 0 updated, 2 unchanged): read 1 session file(s)"
    },
    {
      // (its time changed, not its bytes: its events were queued again and it was counted as updated)
      what: "a session file touched",
      change: (home) => {
        const later = new Date(Date.now() + 60_000)
        utimesSync(firstFile.get(home) ?? "", later, later)
      },
      // read again (its time says it may have changed), it gives the events it gave: nothing queued
      found: "2 sessions (0 new, 0 updated, 2 unchanged): read 1 session file(s) (0.0 MiB), 0 event(s) queued."
    },
    {
      what: "a session file that grew",
      // (a new prompt: a line that repeats one gives the same events, and the session is then found unchanged)
      change: (home) =>
        appendFileSync(
          firstFile.get(home) ?? "",
          `${FIXTURE.split("\n")[7]?.replace("msg_01a24126-d178", "msg_01a24126-e178").replace('"Say hello"', '"And goodbye"')}\n`
        ),
      found: "2 sessions (0 new, 1 updated, 1 unchanged): read 1 session file(s)"
    },
    {
      what: "a session archived into a folder made for it",
      change: (home) => {
        const from = firstFile.get(home) ?? ""
        mkdirSync(join(home, ".codex", "archived_sessions"))
        renameSync(from, join(home, ".codex", "archived_sessions", from.split("/").at(-1) ?? ""))
      },
      // Moved as it was: its checkpoint follows it, so it is neither new nor read again (it used to be both).
      found: "2 sessions (0 new, 0 updated, 2 unchanged): read 0 session file(s)"
    }
  ]
})
