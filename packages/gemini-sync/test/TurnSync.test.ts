/**
 * The sync after a Gemini CLI turn sends what the turn added to the session's chat file, not the whole session again
 * (`@opensync/testkit/TurnSync`): a chat of 40 turns as Gemini CLI 0.61.0 appends them (a prompt, a reply written
 * again with its tool call writing 8 KiB, the tool's response, `lastUpdated` patches).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { describeTurnSync } from "@opensync/testkit/TurnSync"
import { geminiChat, geminiSessionId as sessionId } from "../../../bench/long-sessions.mjs"
import { MEMO_FROM_BYTES } from "../src/History.js"

describeTurnSync({
  name: "gemini-sync",
  cli: resolve(__dirname, "../dist/cli.mjs"),
  hook: resolve(__dirname, "../dist/hook.cjs"),
  envPrefix: "GEMINI_SYNC",
  sessionId,
  write: (home, turns) => {
    const dir = join(home, ".gemini", "tmp", "gproj", "chats")
    mkdirSync(dir, { recursive: true })
    const path = join(dir, `session-2026-12-04T17-13-${sessionId.slice(0, 8)}.jsonl`)
    writeFileSync(path, geminiChat(turns, { payloadBytes: 8192 }))
    return path
  },
  memoFromBytes: MEMO_FROM_BYTES,
  memoTurns: 170,
  firstPrompt: {
    rewrite: (text) => text.replace('"Write file 0"', '"Write FILE 0"'),
    text: "Write FILE 0"
  },
  turnEnd: (path) => ({
    hook: "AfterAgent",
    stdin: {
      session_id: sessionId,
      transcript_path: path,
      cwd: "/home/dev/projects/gproj",
      hook_event_name: "AfterAgent",
      timestamp: new Date().toISOString(),
      prompt: "Write a file",
      prompt_response: "Writing a file.",
      stop_hook_active: false
    }
  })
})
