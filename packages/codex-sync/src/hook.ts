/**
 * The hook entry point (`dist/hook.cjs`), run by Codex for every hook event registered in `hooks.json`. It stores the
 * raw payload in the inbox and, at the end of a turn or session, starts the background sync detached (the kit's
 * command hook). It prints nothing and always exits 0: Codex clamps SessionEnd hooks to 3 s, and a hook must never
 * change what Codex does.
 */
import * as CommandHook from "@opensync/client/kit/CommandHook"
import { agent, inboxVersion } from "./Agent.js"

CommandHook.run({
  agent,
  inboxVersion,
  /** Events after which the session file has something new worth sending. */
  triggers: new Set(["Stop", "SessionEnd", "PreCompact", "SessionStart"]),
  heartbeatOn: "SessionStart",
  host: "Codex"
})
