/**
 * The hook entry point (`dist/hook.cjs`), run by Claude Code on every hook event. It must never slow Claude Code
 * down or lose an event, so it only stores the raw payload in the inbox and, at the end of a turn or session, starts
 * the background sync detached (the kit's command hook). It prints nothing and always exits 0. No Effect: start-up
 * stays within a few milliseconds of a bare `node` (see bench/claude-hook.mjs).
 */
import { dirname, join } from "node:path"
import * as CommandHook from "@opensync/client/kit/CommandHook"
import { agent, inboxVersion } from "./Agent.js"

CommandHook.run({
  agent,
  inboxVersion,
  /** Events after which the session's transcript has something new worth sending. */
  triggers: new Set(["Stop", "SubagentStop", "SessionEnd", "PreCompact", "SessionStart", "UserPromptSubmit"]),
  heartbeatOn: "SessionStart",
  host: "Claude Code",
  pluginRoot: (env) => env.CLAUDE_PLUGIN_ROOT ?? null,
  cli: join(dirname(process.argv[1] ?? "."), "cli.cjs")
})
