/**
 * `gemini-sync import` of chat files that did not change since the last import is answered by the entry point from
 * the bookkeeping (src/bin.ts), and still sees every change Gemini CLI makes to its files: a chat in a new project's
 * folder, a subagent's chat in a folder made for it, a chat file that grew.
 */

import { randomUUID } from "node:crypto"
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { describeQuickImport } from "@opensync/testkit/QuickImport"

const FIXTURE = readFileSync(resolve(__dirname, "fixtures/session-tools-0.61.0.jsonl"), "utf8")
const FIXTURE_ID = (JSON.parse(FIXTURE.split("\n")[0] ?? "{}") as { sessionId: string }).sessionId

/** A copy of the captured chat under a fresh session id in `project`'s folder; returns the id and its path. */
const chat = (home: string, project: string) => {
  const id = randomUUID()
  const dir = join(home, ".gemini", "tmp", project, "chats")
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `session-2026-12-04T17-13-${id.slice(0, 8)}.jsonl`)
  writeFileSync(path, FIXTURE.replaceAll(FIXTURE_ID, id))
  return { id, path }
}

const first = new Map<string, { id: string; path: string }>()

describeQuickImport({
  name: "gemini-sync",
  cli: resolve(__dirname, "../dist/cli.mjs"),
  envPrefix: "GEMINI_SYNC",
  stateDir: ".config/gemini-sync",
  files: "chat file",
  history: (home) => {
    first.set(home, chat(home, "demo"))
    chat(home, "demo")
    return 2
  },
  notASession: (home) => {
    const path = join(home, ".gemini", "tmp", "demo", "chats", "session-2026-12-05T10-00-cafebabe.jsonl")
    writeFileSync(path, Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37 + 11) % 256)))
    return path
  },
  // Ending with the model's answer (the captured file ends with a `$set` of its time, which adds no event).
  newSession: (home) => {
    const { path } = chat(home, "demo")
    const lines = readFileSync(path, "utf8").trimEnd().split("\n")
    writeFileSync(path, `${lines.filter((line) => !line.startsWith('{"$set"')).join("\n")}\n`)
    return path
  },
  changes: [
    {
      what: "a chat in a new project's folder",
      change: (home) => chat(home, "other"),
      found: "3 sessions (1 new, 0 updated, 2 unchanged): read 1 chat file(s)"
    },
    {
      what: "a subagent's chat in a folder made for it",
      change: (home) => {
        const parent = first.get(home)
        if (parent === undefined) throw new Error("no chat")
        const id = randomUUID()
        const dir = join(home, ".gemini", "tmp", "demo", "chats", parent.id)
        mkdirSync(dir)
        const header = { sessionId: id, projectHash: "x", startTime: "2026-12-04T17:13:50.000Z", kind: "subagent" }
        writeFileSync(join(dir, `${id}.jsonl`), `${JSON.stringify(header)}\n`)
      },
      found: "3 sessions (1 new, 0 updated, 2 unchanged): read 1 chat file(s)"
    },
    {
      what: "a chat file that grew",
      // (a new prompt: a line that changes no event, as `lastUpdated` alone, leaves the session unchanged)
      change: (home) =>
        appendFileSync(
          first.get(home)?.path ?? "",
          `${JSON.stringify({ id: randomUUID(), timestamp: new Date().toISOString(), type: "user", content: [{ text: "one more" }] })}\n`
        ),
      found: "2 sessions (0 new, 1 updated, 1 unchanged): read 1 chat file(s)"
    },
    {
      what: "a chat file whose time alone changed",
      change: (home) =>
        appendFileSync(
          first.get(home)?.path ?? "",
          `${JSON.stringify({ $set: { lastUpdated: new Date().toISOString() } })}\n`
        ),
      found: "2 sessions (0 new, 0 updated, 2 unchanged): read 1 chat file(s) (0.0 MiB), 0 event(s) queued."
    }
  ]
})
