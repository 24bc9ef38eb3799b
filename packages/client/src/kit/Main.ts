/**
 * The wiring of every agent's CLI: one `layer` of the kit's services for an agent in an environment, and `runMain`,
 * which an agent's `bin.ts` calls with its descriptor, its `SessionSource` layer and its own commands.
 */
import { ValidationError } from "@effect/cli"
import * as PlatformRuntime from "@effect/platform/Runtime"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ConfigStore from "../ConfigStore.js"
import * as Outbox from "../Outbox.js"
import * as Redactor from "../Redactor.js"
import * as SyncClient from "../SyncClient.js"
import * as Agent from "./Agent.js"
import * as Cli from "./Cli.js"
import * as HotPath from "./HotPath.js"
import * as LocalState from "./LocalState.js"
import type { SessionSource } from "./SessionSource.js"

/** The kit's services for `agent` in `env`: local state, config, outbox, redactor and the sync transport. */
export const layer = (agent: Agent.Agent, env: Agent.Env = process.env) =>
  Layer.mergeAll(
    LocalState.layer(agent, env),
    Outbox.layer(Agent.paths(agent, env).outbox),
    Redactor.Redactor.Default,
    SyncClient.layerFetch()
  ).pipe(Layer.provideMerge(ConfigStore.ConfigStore.Default), Layer.provide(ConfigStore.Tool.layer(agent.source, env)))

/** What the kit provides to an agent's `SessionSource` layer and its commands. */
export type Services = Layer.Layer.Success<ReturnType<typeof layer>>

const describe = (cause: Cause.Cause<unknown>) => {
  const failure = Cause.squash(cause)
  return failure instanceof Error ? failure.message : String(failure)
}

export interface MainOptions<E> {
  readonly agent: Agent.Agent
  readonly version: string
  readonly source: Layer.Layer<SessionSource, E, Services>
  /** The agent's own commands. */
  readonly commands?: ReadonlyArray<Cli.AgentCommand<Services | SessionSource>>
  /** Commands that run inside the agent: they print nothing, log problems and always exit 0. */
  readonly quiet?: ReadonlyArray<string>
}

/** Runs the agent's CLI on `process.argv`. `sync --background` and the `quiet` commands never print. */
export const runMain = <E>(options: MainOptions<E>): void => {
  const { agent } = options
  const argv = process.argv
  const MainLive = Layer.mergeAll(options.source.pipe(Layer.provideMerge(layer(agent))), NodeContext.layer)
  const program = Cli.make(agent, options.version, options.commands ?? [])(argv).pipe(Effect.provide(MainLive))
  const command = argv[2] ?? ""
  const quiet = (options.quiet ?? []).includes(command) || (command === "sync" && argv.includes("--background"))
  if (quiet) {
    const paths = Agent.paths(agent)
    program.pipe(
      Effect.catchAllCause((cause) =>
        Effect.sync(() => HotPath.log(paths, `${argv.slice(2).join(" ")}: ${describe(cause)}`))
      ),
      NodeRuntime.runMain({ disableErrorReporting: true })
    )
    return
  }
  program.pipe(
    Effect.tapErrorCause((cause) => {
      // The CLI already printed usage errors; anything else is one line, without a stack trace.
      if (Cause.isInterruptedOnly(cause) || ValidationError.isValidationError(Cause.squash(cause))) return Effect.void
      return Console.error(`${agent.source.cli}: ${describe(cause)}`)
    }),
    NodeRuntime.runMain({ disableErrorReporting: true, teardown: interruptedTeardown(agent.source.cli) })
  )
}

/**
 * Ctrl-C (SIGINT, SIGTERM): the command stops where it is, says so and exits 130, as a shell expects of an interrupted
 * command (the runtime's default exits 0, as if it had finished). What it had queued stays queued, and the files it had
 * read are recorded as read only once their events were queued: the same command run again goes on.
 */
const interruptedTeardown =
  (cli: string): PlatformRuntime.Teardown =>
  (exit, onExit) => {
    if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) {
      process.stderr.write(`${cli}: interrupted; what was queued stays queued. Run the command again to go on.\n`)
      onExit(130)
      return
    }
    PlatformRuntime.defaultTeardown(exit, onExit)
  }
