/**
 * The sync after a Codex turn sends what the turn added to the session's rollout file, not the whole session again
 * (`@opensync/testkit/TurnSync`): a session of 40 turns made from the captured 0.171.0 rollout, each turn under ids of
 * its own.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { describeTurnSync } from "@opensync/testkit/TurnSync"
import { codexRollout, codexSessionId } from "../../../bench/long-sessions.mjs"
import { MEMO_FROM_BYTES } from "../src/History.js"

const sessionId = codexSessionId()

describeTurnSync({
  name: "codex-sync",
  cli: resolve(__dirname, "../dist/cli.mjs"),
  hook: resolve(__dirname, "../dist/hook.cjs"),
  envPrefix: "CODEX_SYNC",
  sessionId,
  write: (home, turns) => {
    const dir = join(home, ".codex", "sessions", "2026", "12", "04")
    mkdirSync(dir, { recursive: true })
    const path = join(dir, `rollout-2026-12-04T17-12-23-${sessionId}.jsonl`)
    writeFileSync(path, codexRollout(turns))
    return path
  },
  memoFromBytes: MEMO_FROM_BYTES,
  memoTurns: 175,
  // The prompt is in its turn's first two lines (the user message event and the response item).
  firstPrompt: {
    rewrite: (text) => {
      let left = 2
      return text.replace(/Run echo hello then/g, (found) => (left-- > 0 ? "Run ECHO hello then" : found))
    },
    text: "Run ECHO hello then list a missing file"
  },
  turnEnd: (path) => ({
    hook: "Stop",
    stdin: {
      session_id: sessionId,
      turn_id: "01a2420a-f3a2-7ba2-be11-cf4f143db2d1",
      transcript_path: path,
      cwd: "/home/dev/projects/demo",
      hook_event_name: "Stop",
      model: "gpt-5.5",
      permission_mode: "bypassPermissions",
      stop_hook_active: false,
      last_assistant_message: "All done."
    }
  })
})
