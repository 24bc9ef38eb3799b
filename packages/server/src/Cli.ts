import { homedir } from "node:os"
import { join } from "node:path"
import { Args, Command, Options } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Sources } from "@opensync/domain"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Keys, localUserId } from "./Keys.js"
import * as Server from "./Server.js"
import { version } from "./version.js"

/** `$XDG_DATA_HOME/opensync`, else `~/.local/share/opensync`. */
export const defaultDataDir = () => join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "opensync")

const dataDir = Options.directory("data-dir").pipe(
  Options.withDescription("Where the SQLite database lives (env OPENSYNC_DATA_DIR; default ~/.local/share/opensync)."),
  Options.withFallbackConfig(Config.string("OPENSYNC_DATA_DIR")),
  Options.withDefault(defaultDataDir())
)
const host = Options.text("host").pipe(
  Options.withDescription("Interface to listen on (env OPENSYNC_HOST). Keep 127.0.0.1 unless you front it with TLS."),
  Options.withFallbackConfig(Config.string("OPENSYNC_HOST")),
  Options.withDefault("127.0.0.1")
)
const port = Options.integer("port").pipe(
  Options.withDescription("Port to listen on, 0 for any free port (env OPENSYNC_PORT)."),
  Options.withFallbackConfig(Config.integer("OPENSYNC_PORT")),
  Options.withDefault(4870)
)
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))

const firstRun = (url: string) =>
  Effect.gen(function* () {
    const keys = yield* Keys
    if ((yield* keys.userCount) > 0) return
    yield* keys.ensureUser(localUserId, "Local user")
    const created = yield* keys.create(localUserId, "default")
    yield* Console.log(
      [
        "",
        "First start: created the local user and an API key. It is shown only this once:",
        "",
        `    ${created.key}`,
        "",
        "Open the dashboard (this link signs you in; the key after # never leaves your browser):",
        `    ${url}/#key=${created.key}`,
        "",
        "Point the plugins at this server:",
        ...Sources.sources.map((source) => `    ${`${source.cli} login`.padEnd(27)}(URL ${url}, the key above)`),
        "More keys: opensync keys create --name laptop",
        ""
      ].join("\n")
    )
  })

const serve = Command.make("serve", { host, port, dataDir }, (options) =>
  Layer.launch(
    Layer.effectDiscard(
      Effect.gen(function* () {
        const url = yield* Server.serverUrl
        yield* firstRun(url)
        yield* Console.log(`OpenSync ${version} listening on ${url} (data: ${options.dataDir})`)
      })
    ).pipe(Layer.provideMerge(Server.layer(options)))
  ).pipe(
    Effect.catchTag("ServeError", (e) =>
      Effect.fail(
        new Error(
          `Cannot listen on ${options.host}:${options.port}: ${String(e.cause)}. Is another server running? Pick another --port.`
        )
      )
    )
  )
).pipe(Command.withDescription("Start the local OpenSync server (HTTP API on a SQLite file)."))

const withKeys = <A, E>(dir: string, effect: Effect.Effect<A, E, Keys>) =>
  Effect.provide(effect, Server.storageLayer(dir).pipe(Layer.provide(NodeContext.layer)))

const keysCreate = Command.make(
  "create",
  {
    name: Options.text("name").pipe(Options.withDescription("A label to tell keys apart, e.g. the machine.")),
    user: Options.text("user").pipe(
      Options.withDescription("The user the key belongs to."),
      Options.withDefault(localUserId)
    ),
    dataDir,
    json
  },
  ({ dataDir, json, name, user }) =>
    withKeys(
      dataDir,
      Effect.gen(function* () {
        const keys = yield* Keys
        const created = yield* keys.create(user, name)
        if (json) return yield* Console.log(JSON.stringify(created, null, 2))
        yield* Console.log(
          `Created key ${created.id} "${name}" for user ${user}. It is shown only this once:\n\n    ${created.key}\n`
        )
      })
    )
).pipe(Command.withDescription("Create an API key and print it once."))

const keysList = Command.make(
  "list",
  { user: Options.text("user").pipe(Options.optional), dataDir, json },
  ({ dataDir, json, user }) =>
    withKeys(
      dataDir,
      Effect.gen(function* () {
        const keys = yield* Keys
        const list = yield* keys.list(Option.getOrUndefined(user))
        if (json) return yield* Console.log(JSON.stringify(list, null, 2))
        if (list.length === 0)
          return yield* Console.log("No API keys. Create one with `opensync keys create --name NAME`.")
        const date = (ms: number | null) =>
          ms === null ? "-" : new Date(ms).toISOString().slice(0, 16).replace("T", " ")
        for (const key of list) {
          yield* Console.log(
            `${key.id}  ${key.prefix}…  ${key.name.padEnd(16)}  user ${key.userId}  created ${date(key.createdAt)}  last used ${date(key.lastUsedAt)}${key.revokedAt === null ? "" : `  REVOKED ${date(key.revokedAt)}`}`
          )
        }
      })
    )
).pipe(Command.withDescription("List API keys (never their secrets)."))

const keysRevoke = Command.make(
  "revoke",
  { id: Args.text({ name: "ID" }).pipe(Args.withDescription("The key id shown by `opensync keys list`.")), dataDir },
  ({ dataDir, id }) =>
    withKeys(
      dataDir,
      Effect.gen(function* () {
        const keys = yield* Keys
        const revoked = yield* keys.revoke(id)
        if (Option.isNone(revoked)) {
          return yield* Effect.fail(new Error(`No API key with id ${id}. See \`opensync keys list\`.`))
        }
        yield* Console.log(`Revoked ${id} ("${revoked.value.name}"). Clients using it now get 401.`)
      })
    )
).pipe(Command.withDescription("Revoke an API key; it stops working at once."))

const keys = Command.make("keys").pipe(
  Command.withDescription("Manage API keys."),
  Command.withSubcommands([keysCreate, keysList, keysRevoke])
)

const root = Command.make("opensync").pipe(
  Command.withDescription("OpenSync: a local server for your AI coding-agent sessions."),
  Command.withSubcommands([serve, keys])
)

export const run = Command.run(root, { name: "opensync", version })
