/**
 * `status` and `verify` of every agent's CLI: the effective config, the connection, the queue, and how the plugin is
 * registered with the agent.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as AccountCommands from "../AccountCommands.js"
import * as Outbox from "../Outbox.js"
import * as Install from "./Install.js"
import { LocalState } from "./LocalState.js"
import { SessionSource } from "./SessionSource.js"
import { Transport } from "./Transport.js"

const { ago, fail } = AccountCommands

/** Tests the configured server and key: its version and latency, or why it cannot be reached. */
export const checkConnection = Effect.gen(function* () {
  const { agent } = yield* LocalState
  const connection = yield* (yield* Transport).connect
  if (connection === undefined) {
    return { ok: false as const, error: `Not configured. Run \`${agent.source.cli} login\`.` }
  }
  return yield* connection.check.pipe(
    Effect.map((checked) => ({ ok: true as const, version: checked.version, latencyMs: checked.latencyMs })),
    Effect.catchTag("SendFailed", (error) => Effect.succeed({ ok: false as const, error: error.message }))
  )
})

type Checked = Effect.Effect.Success<typeof checkConnection>

const reached = (connection: Checked) =>
  connection.ok ? `ok: OpenSync ${connection.version}, ${connection.latencyMs} ms` : connection.error

const indent = (width: number) => (line: string) => `${" ".repeat(width)}${line}`

/** `status`: config, connection, queue, last sync and error, registration. */
export const status = (asJson: boolean) =>
  Effect.gen(function* () {
    const { agent, entry, paths } = yield* LocalState
    const cli = { name: agent.source.cli, envPrefix: agent.source.envPrefix, afterLogin: agent.afterLogin }
    const install = Install.describe(agent, entry)
    const heartbeat = Install.heartbeat(paths) ?? null
    const { lines, ...config } = yield* AccountCommands.effectiveConfig(cli)
    const connection = yield* checkConnection
    const outbox = yield* (yield* Outbox.Outbox).stats()
    const registration = yield* (yield* SessionSource).registration.inspect
    if (asJson) {
      return yield* Console.log(
        JSON.stringify(
          { config, connection, outbox, [registration.key]: registration.json, install, heartbeat },
          null,
          2
        )
      )
    }
    const oldest = outbox.pending > 0 ? ` (oldest ${ago(outbox.oldestPendingAt)})` : ""
    yield* Console.log(
      [
        ...lines,
        "",
        `install        ${Install.line(agent, install)}`,
        `connection     ${reached(connection)}`,
        `outbox         ${outbox.pending} pending${oldest}, ${outbox.rejected} rejected`,
        `last sync      ${ago(outbox.lastSuccessAt)}`,
        `last error     ${outbox.lastError ?? "none"}`,
        `${registration.key.padEnd(15)}${registration.text}`,
        ...registration.details.map(indent(15))
      ].join("\n")
    )
  })

/** `verify`: exits 1 unless the agent runs the plugin and the server accepts the key. */
export const verify = (asJson: boolean) =>
  Effect.gen(function* () {
    const { agent, entry } = yield* LocalState
    const registration = yield* (yield* SessionSource).registration.inspect
    const connection = yield* checkConnection
    const install = Install.describe(agent, entry)
    if (asJson) {
      yield* Console.log(JSON.stringify({ [registration.key]: registration.json, connection, install }, null, 2))
    } else {
      const lines = [
        `install     ${Install.line(agent, install)}`,
        `${registration.key.padEnd(12)}${registration.active ? "ok" : "missing"}: ${registration.text}`,
        ...registration.details.map(indent(12)),
        `connection  ${reached(connection)}`
      ]
      yield* Console.log(lines.join("\n"))
    }
    if (!registration.active) return yield* fail(registration.fix)
    if (!connection.ok) {
      return yield* fail(`The server cannot be reached with this configuration. Run \`${agent.source.cli} login\`.`)
    }
  })
