/**
 * The agent's own telemetry export in the CLI, for agents that have one (`Agent.telemetry`, `SessionSource.telemetry`):
 * `login` and `setup` point it at the configured server unless the user turned it off (`--no-telemetry`, the
 * `telemetry` setting), `uninstall` and `logout` remove what the plugin added, `status` says whether it is on and when
 * the server last received some.
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as AccountCommands from "../AccountCommands.js"
import * as ConfigStore from "../ConfigStore.js"
import { LocalState } from "./LocalState.js"
import { SessionSource, type TelemetryStatus } from "./SessionSource.js"

const telemetryOf = Effect.gen(function* () {
  const { agent } = yield* LocalState
  const telemetry = (yield* SessionSource).telemetry
  return agent.telemetry === undefined || telemetry === undefined
    ? undefined
    : { name: agent.telemetry.name, cli: agent.source.cli, telemetry }
})

/**
 * After `login`, `setup` or `set telemetry`: points the export at the configured server, or removes what the plugin
 * added when the user turned it off. `optOut` is the command's `--no-telemetry`, saved as the `telemetry` setting so a
 * later `login` (a new key) leaves the export off too. The lines to print; none for agents without telemetry.
 */
export const apply = (optOut: boolean) =>
  Effect.gen(function* () {
    const found = yield* telemetryOf
    if (found === undefined) return []
    const { name, cli, telemetry } = found
    const store = yield* ConfigStore.ConfigStore
    if (optOut) yield* store.save({ telemetry: false })
    const config = yield* store.load
    if (optOut || !config.telemetry) {
      const why = optOut
        ? `--no-telemetry, saved in ${config.path}; \`${cli} set telemetry true\` turns it on again`
        : config.origins.telemetry === "env"
          ? `${store.envName.telemetry} is false`
          : `telemetry is false in ${config.path}; \`${cli} set telemetry true\` turns it on`
      return [...(yield* telemetry.disable), `${name}: off (${why}).`]
    }
    if (config.serverUrl === undefined || config.apiKey === undefined) {
      return [`${name}: \`${cli} login\` points it at your server.`]
    }
    return yield* telemetry.enable({ serverUrl: config.serverUrl, apiKey: Redacted.value(config.apiKey) })
  })

/** For `uninstall` and `logout`: removes what the plugin added to the agent's settings; the lines to print. */
export const remove = Effect.gen(function* () {
  const found = yield* telemetryOf
  return found === undefined ? [] : yield* found.telemetry.disable
})

/** What `status` shows: whether the agent exports to the configured server, and when the server last received some. */
export const status = (receivedAt: number | null | undefined) =>
  Effect.gen(function* () {
    const found = yield* telemetryOf
    if (found === undefined) return undefined
    const config = yield* Effect.orElseSucceed((yield* ConfigStore.ConfigStore).load, () => undefined)
    const target =
      config?.serverUrl === undefined || config.apiKey === undefined
        ? undefined
        : { serverUrl: config.serverUrl, apiKey: Redacted.value(config.apiKey) }
    const inspected: TelemetryStatus = yield* found.telemetry.inspect(target)
    const received =
      receivedAt === undefined
        ? ""
        : receivedAt === null
          ? "; the server has received none yet"
          : `; the server last received telemetry ${AccountCommands.ago(receivedAt)}`
    return {
      line: `${inspected.text}${inspected.state === "off" && receivedAt == null ? "" : received}`,
      json: { ...(inspected.json as object), state: inspected.state, lastReceivedAt: receivedAt ?? null }
    }
  })
