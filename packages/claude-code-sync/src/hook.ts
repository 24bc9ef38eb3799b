/**
 * The hook entry point (`dist/hook.cjs`), run by Claude Code on every hook event. It must never slow Claude Code
 * down or lose an event, so it only stores the raw payload in the inbox and, at the end of a turn or session, starts
 * the background sync detached. It prints nothing and always exits 0. No Effect: start-up stays within a few
 * milliseconds of a bare `node` (see bench/claude-hook.mjs).
 */
import { fstatSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { paths as statePaths } from "@opensync/client/kit/Agent"
import * as HotPath from "@opensync/client/kit/HotPath"
import { agent, inboxVersion } from "./Agent.js"

const maxStdinBytes = 32 * 1024 * 1024
/** Events after which the session's transcript has something new worth sending. */
const triggers = new Set(["Stop", "SubagentStop", "SessionEnd", "PreCompact", "SessionStart", "UserPromptSubmit"])

/** The payload, read synchronously: cheaper than setting up a stdin stream, and Claude Code always closes stdin. */
const readStdin = (): string => {
  try {
    const stat = fstatSync(0)
    if (!stat.isFIFO() && !stat.isFile() && !stat.isSocket()) return ""
    const text = readFileSync(0)
    return (text.length > maxStdinBytes ? text.subarray(0, maxStdinBytes) : text).toString("utf8")
  } catch (cause) {
    throw new Error(`cannot read the hook payload from stdin: ${String(cause)}`)
  }
}

const hookArg = process.argv.indexOf("hook")
const hookName = (hookArg >= 0 ? process.argv[hookArg + 1] : process.argv[2]) ?? "unknown"
const paths = statePaths(agent)

/** The session a payload belongs to, for recovering it from the transcript when the payload could not be stored. */
const sessionIdOf = (stdin: string): string | undefined => {
  try {
    const id = (JSON.parse(stdin) as { session_id?: unknown }).session_id
    return typeof id === "string" && id !== "" ? id : undefined
  } catch {
    return undefined
  }
}

const main = async () => {
  const receivedAt = Date.now()
  const stdin = readStdin()
  const name = HotPath.itemName(receivedAt, agent.inboxSuffix)
  try {
    HotPath.writeInbox(paths, name, `${JSON.stringify({ v: inboxVersion, hook: hookName, receivedAt })}\n${stdin}`)
  } catch (cause) {
    // A full disk: say so where `status` looks, and let the next sync re-read the session's transcript.
    HotPath.recordFailure(paths, sessionIdOf(stdin), `hook ${hookName}`, cause)
    return
  }
  if (hookName === "SessionStart") {
    // Once per session: which hook file Claude Code runs, from which plugin (`claude-code-sync status` shows it).
    HotPath.writeHeartbeat(paths, {
      at: receivedAt,
      pid: process.pid,
      entry: process.argv[1] ?? "",
      host: "Claude Code",
      hostVersion: null,
      pluginRoot: process.env.CLAUDE_PLUGIN_ROOT ?? null
    })
  }
  const cli = join(dirname(process.argv[1] ?? "."), "cli.mjs")
  if (!triggers.has(hookName)) await HotPath.syncIfBacklog(paths, agent.source.envPrefix, cli)
  else if (HotPath.autoSyncEnabled(agent.source.envPrefix, paths)) await HotPath.startBackgroundSync(paths, cli)
}

main().then(
  () => process.exit(0),
  (cause) => {
    HotPath.log(paths, `hook ${hookName}: ${String(cause)}`)
    process.exit(0)
  }
)
