import { ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { rootMessage, StorageError } from "@opensync/backend/SessionStore"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { run } from "./Cli.js"
import { isDiskFull } from "./sqlite/errors.js"

const MainLive = Layer.mergeAll(NodeContext.layer)

/**
 * Prints what went wrong in one line (the CLI already printed usage errors), without a stack trace: a full disk (or a
 * size limit) as such, an SQL failure with the driver's own reason ("Failed to execute statement" said nothing).
 */
const report = (cause: Cause.Cause<unknown>) => {
  if (Cause.isInterruptedOnly(cause)) return Effect.void
  const failure = Cause.squash(cause)
  if (ValidationError.isValidationError(failure)) return Effect.void
  const storage = failure instanceof StorageError ? failure : undefined
  const full = storage?.reason === "full" || (storage === undefined && isDiskFull(failure))
  const message = full
    ? new StorageError({ reason: "full", cause: storage?.cause ?? failure }).message
    : failure instanceof Error
      ? [failure.message, rootMessage(failure)]
          .filter((text, i, all) => text !== "" && all.indexOf(text) === i)
          .join(": ")
      : String(failure)
  return Console.error(`opensync: ${message}`)
}

// Output piped into a reader that stops early (`sessions export | head`): the rest is not wanted, which is no error
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0)
  throw error
})

run(process.argv).pipe(
  Effect.tapErrorCause(report),
  Effect.provide(MainLive),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
