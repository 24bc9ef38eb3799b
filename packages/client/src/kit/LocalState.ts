/**
 * The plugin's local state for one agent in one environment: its descriptor, the environment it reads, its paths and
 * its log. A Layer built once per process, so tests give each case its own directory instead of changing
 * `process.env`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Agent from "./Agent.js"
import * as HotPath from "./HotPath.js"

export class LocalState extends Context.Tag("@opensync/client/kit/LocalState")<
  LocalState,
  {
    readonly agent: Agent.Agent
    readonly env: Agent.Env
    readonly paths: Agent.StatePaths
    /** The running CLI file (`process.argv[1]`), which tells `status` which install this is. */
    readonly entry: string
    /** Appends one line to the local log; never fails. */
    readonly log: (message: string) => Effect.Effect<void>
  }
>() {}

/** The local state of `agent` in `env` (by default the process's), for the CLI at `entry`. */
export const layer = (agent: Agent.Agent, env: Agent.Env = process.env, entry: string = process.argv[1] ?? "") =>
  Layer.sync(LocalState, () => {
    const paths = Agent.paths(agent, env)
    return LocalState.of({ agent, env, paths, entry, log: (message) => Effect.sync(() => HotPath.log(paths, message)) })
  })
