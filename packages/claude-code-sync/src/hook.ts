/**
 * The hook entry point (`dist/hook.cjs`), run by Claude Code on every hook event. It must never slow Claude Code
 * down or lose an event, so it only stores the raw payload durably (temp file + rename) and, at the end of a turn or
 * session, starts the background sync detached. It prints nothing and always exits 0. It uses `effect/Micro` rather
 * than `effect/Effect` to keep start-up within a few milliseconds of a bare `node`.
 */

import { appendFileSync, fstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import * as Micro from "effect/Micro"
import * as Paths from "./Paths.js"

const maxStdinBytes = 32 * 1024 * 1024
/** Events after which the session's transcript has something new worth sending. */
const triggers = new Set(["Stop", "SubagentStop", "SessionEnd", "PreCompact", "SessionStart", "UserPromptSubmit"])

/** The payload, read synchronously: cheaper than setting up a stdin stream, and Claude Code always closes stdin. */
const readStdin = Micro.try({
  try: () => {
    const stat = fstatSync(0)
    if (!stat.isFIFO() && !stat.isFile() && !stat.isSocket()) return ""
    const text = readFileSync(0)
    return (text.length > maxStdinBytes ? text.subarray(0, maxStdinBytes) : text).toString("utf8")
  },
  catch: (cause) => new Error(`cannot read the hook payload from stdin: ${String(cause)}`)
})

const store = (hook: string, stdin: string, receivedAt: number) =>
  Micro.sync(() => {
    const inbox = Paths.inboxDir()
    const tmp = join(Paths.stateDir(), "tmp")
    const name = `${receivedAt}-${process.pid}-${Math.random().toString(36).slice(2, 10)}.hook`
    const write = () => {
      writeFileSync(join(tmp, name), `${JSON.stringify({ hook, receivedAt })}\n${stdin}`, { mode: 0o600 })
      renameSync(join(tmp, name), join(inbox, name))
    }
    // The directories exist after the first event; creating them only when missing saves two syscalls per event.
    try {
      write()
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw cause
      mkdirSync(inbox, { recursive: true, mode: 0o700 })
      mkdirSync(tmp, { recursive: true, mode: 0o700 })
      write()
    }
  })

const autoSyncEnabled = (): boolean => {
  const env = process.env.CLAUDE_SYNC_AUTO_SYNC?.trim().toLowerCase()
  if (env !== undefined && env !== "") return !["0", "false", "no", "off"].includes(env)
  try {
    const config = JSON.parse(readFileSync(Paths.configFile(), "utf8")) as {
      autoSync?: unknown
    }
    return config.autoSync !== false
  } catch {
    return true
  }
}

/** Whether a sync started moments ago still holds the lock. */
const syncRunning = (): boolean => {
  try {
    return Date.now() - statSync(Paths.syncLockFile()).mtimeMs < 2_000
  } catch {
    return false // no lock: nobody is syncing
  }
}

/**
 * Starts `cli.mjs sync --background` detached, unless a sync started moments ago is still running. `node:child_process`
 * is loaded only here: it pulls in net and streams, about 2.5 ms of start-up that most hook events (PostToolUse on
 * every tool call) do not need.
 */
const startBackgroundSync = Micro.suspend(() =>
  syncRunning()
    ? Micro.void
    : Micro.promise(() => import("node:child_process")).pipe(
        Micro.flatMap(({ spawn }) =>
          Micro.sync(() => {
            const cli = join(dirname(process.argv[1] ?? "."), "cli.mjs")
            spawn(process.execPath, [cli, "sync", "--background"], { detached: true, stdio: "ignore" }).unref()
          })
        )
      )
)

const log = (message: string) => {
  try {
    mkdirSync(Paths.stateDir(), { recursive: true, mode: 0o700 })
    appendFileSync(Paths.logFile(), `${new Date().toISOString()} hook ${message}\n`)
  } catch {
    // nowhere left to report; never disturb Claude Code
  }
}

const hookArg = process.argv.indexOf("hook")
const hookName = (hookArg >= 0 ? process.argv[hookArg + 1] : process.argv[2]) ?? "unknown"

const program = Micro.gen(function* () {
  const receivedAt = Date.now()
  const stdin = yield* readStdin
  yield* store(hookName, stdin, receivedAt)
  if (triggers.has(hookName) && autoSyncEnabled()) yield* startBackgroundSync
})

Micro.runPromiseExit(program).then((exit) => {
  if (Micro.exitIsFailure(exit)) log(`${hookName}: ${String(Micro.causeSquash(exit.cause))}`)
  process.exit(0)
})
