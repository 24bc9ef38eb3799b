import { ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ConfigStore, Outbox, Redactor } from "@opensync/client"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { run } from "./Cli.js"
import * as Paths from "./Paths.js"
import * as Spool from "./Spool.js"

const MainLive = Layer.mergeAll(
  ConfigStore.ConfigStore.Default,
  Outbox.layer(Paths.outboxDir()),
  Redactor.Redactor.Default,
  NodeContext.layer
).pipe(Layer.provide(ConfigStore.Tool.openCode()))

/** `sync --background` runs detached from OpenCode: it prints nothing and always exits 0. */
const quiet = process.argv[2] === "sync" && process.argv.includes("--background")

const describe = (cause: Cause.Cause<unknown>) => {
  const failure = Cause.squash(cause)
  return failure instanceof Error ? failure.message : String(failure)
}

/** Prints what went wrong in one line (the CLI already printed usage errors), without a stack trace. */
const report = (cause: Cause.Cause<unknown>) => {
  if (Cause.isInterruptedOnly(cause)) return Effect.void
  if (ValidationError.isValidationError(Cause.squash(cause))) return Effect.void
  return Console.error(`opencode-sync: ${describe(cause)}`)
}

const program = run(process.argv).pipe(Effect.provide(MainLive))

if (quiet) {
  program.pipe(
    Effect.catchAllCause((cause) =>
      Effect.sync(() => Spool.log(`${process.argv.slice(2).join(" ")}: ${describe(cause)}`))
    ),
    NodeRuntime.runMain({ disableErrorReporting: true })
  )
} else {
  program.pipe(Effect.tapErrorCause(report), NodeRuntime.runMain({ disableErrorReporting: true }))
}
