/**
 * The hook entry point (`dist/hook.cjs`), run by Gemini CLI for every hook event registered in `settings.json`. It
 * stores the raw payload in the inbox and, at the end of a turn or session, starts the background sync detached (the
 * kit's command hook). It prints nothing and always exits 0: an empty stdout and exit 0 tell Gemini CLI to go on.
 */
import * as CommandHook from "@opensync/client/kit/CommandHook"
import { agent, inboxVersion } from "./Agent.js"

CommandHook.run({
  agent,
  inboxVersion,
  /** Events after which the chat file has something new worth sending. */
  triggers: new Set(["AfterAgent", "SessionEnd", "SessionStart"]),
  heartbeatOn: "SessionStart",
  host: "Gemini CLI"
})
