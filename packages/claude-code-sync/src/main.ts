import { spawn } from "node:child_process"
import { Args, Command } from "@effect/cli"
import { Kit } from "@opensync/client"
import * as Effect from "effect/Effect"
import packageJson from "../package.json" with { type: "json" }
import { agent } from "./Agent.js"
import { hookPath } from "./Registration.js"
import * as Source from "./Source.js"

/** `claude-code-sync hook EVENT`: records one payload from stdin through the hook entry (manual wiring). */
const hook = Command.make(
  "hook",
  { event: Args.text({ name: "EVENT" }).pipe(Args.withDescription("The hook event name, e.g. Stop.")) },
  ({ event }) =>
    Effect.flatMap(Kit.LocalState.LocalState, ({ log }) =>
      Effect.async<void>((resume) => {
        const child = spawn(process.execPath, [hookPath(), event], { stdio: ["inherit", "ignore", "ignore"] })
        child.on("error", (error) => resume(log(`hook ${event}: cannot start ${hookPath()}: ${error.message}`)))
        child.on("exit", () => resume(Effect.void))
      })
    )
).pipe(Command.withDescription("Record one hook payload from stdin (manual wiring); prints nothing, always exits 0."))

Kit.Main.runMain({ agent, version: packageJson.version, source: Source.layer, commands: [hook], quiet: ["hook"] })
